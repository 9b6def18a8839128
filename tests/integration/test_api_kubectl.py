"""The real kubectl (and a shell around it) against a running cluster's API: each
command a tutorial starts with, its output checked against the cluster itself."""
import base64
import json
import os
import re
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.integration.conftest import ROOT, first_answer, wait_for
from topo.cluster import Cluster

KUBECTL = os.path.join(os.path.dirname(sys.executable), "kubectl")
DEFAULT_CLUSTER = os.path.join(ROOT, "topo", "default-cluster.yaml")


@pytest.fixture(scope="module")
def cluster():
    with Cluster.from_files([DEFAULT_CLUSTER]) as running:
        yield running


def kubectl(cluster, *args, stdin=None, timeout=30, check=True, env=None):
    result = subprocess.run([KUBECTL] + list(args), capture_output=True, text=True,
                            input=stdin, timeout=timeout,
                            env=dict(os.environ, KUBECONFIG=cluster.kubeconfig, **(env or {})))
    if check:
        assert result.returncode == 0, result.stderr
    return result


def shell(cluster, script):
    """A shell line as a user types it, with KUBECONFIG from `kubemn kubeconfig`."""
    line = 'export KUBECONFIG=$(%s -m topo.main kubeconfig) && PATH=%s:$PATH && %s' % (
        sys.executable, os.path.dirname(KUBECTL), script)
    result = subprocess.run(["bash", "-c", line], capture_output=True, text=True, cwd=ROOT,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_kubemn_kubeconfig_names_the_runs_kubeconfig_for_a_shell(cluster):
    out = shell(cluster, 'echo "$KUBECONFIG"; kubectl get pods -o name | wc -l')
    path, count = out.split()
    assert path == cluster.kubeconfig
    assert int(count) == len([p for p in cluster.pods.values() if p.namespace == "default"])
    assert os.stat(path).st_mode & 0o777 == 0o600


def test_get_pods_wide_shows_kubectls_columns_and_the_clusters_addresses(cluster):
    lines = kubectl(cluster, "get", "pods", "-o", "wide").stdout.splitlines()
    assert lines[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE",
                                "NOMINATED", "NODE", "READINESS", "GATES"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    for pod in cluster.pods.values():
        if pod.namespace == "default":
            assert rows[pod.name][5:7] == [pod.ip, pod.node.name]
            assert rows[pod.name][1:3] == ["%d/%d" % (pod.ready_containers(),
                                                      len(pod.containers)), "Running"]


def test_comma_lists_label_selectors_and_show_labels(cluster):
    out = kubectl(cluster, "get", "svc,deploy").stdout
    assert "service/web " in out and "deployment.apps/web " in out
    names = kubectl(cluster, "get", "pods", "-l", "app=web", "-o", "name").stdout.split()
    expected = sorted("pod/" + p.name for p in cluster.pods.values()
                      if dict(p.labels).get("app") == "web" and p.namespace == "default")
    assert sorted(names) == expected and len(names) == 3
    out = kubectl(cluster, "get", "pods", "-l", "app in (web),app!=db", "--show-labels").stdout
    assert out.splitlines()[0].split()[-1] == "LABELS"
    assert all("app=web" in line for line in out.splitlines()[1:])


def test_output_json_jsonpath_and_custom_columns_agree_with_the_cluster(cluster):
    pods = json.loads(kubectl(cluster, "get", "pods", "-o", "json").stdout)["items"]
    by_name = {p["metadata"]["name"]: p for p in pods}
    assert by_name["multi"]["status"]["podIP"] == cluster.pod("multi").ip
    assert [c["name"] for c in by_name["multi"]["spec"]["containers"]] == ["web", "shell"]
    ips = kubectl(cluster, "get", "pods", "-l", "app=web", "-o",
                  "jsonpath={.items[*].status.podIP}").stdout.split()
    assert sorted(ips) == sorted(p.ip for p in cluster.pods.values()
                                 if dict(p.labels).get("app") == "web")
    out = kubectl(cluster, "get", "svc", "web", "-o",
                  "custom-columns=NAME:.metadata.name,IP:.spec.clusterIP").stdout
    assert out.splitlines()[1].split() == ["web", cluster.served_service("web").cluster_ip]
    assert "clusterIP: %s" % cluster.served_service("web").cluster_ip in \
        kubectl(cluster, "get", "svc", "web", "-o", "yaml").stdout


def test_endpoints_and_endpointslices_list_the_ready_pods(cluster):
    web = sorted(p.ip for p in cluster.pods.values() if dict(p.labels).get("app") == "web")
    piece = json.loads(kubectl(cluster, "get", "endpointslices", "-l",
                               "kubernetes.io/service-name=web", "-o", "json").stdout)["items"]
    assert sorted(a for e in piece[0]["endpoints"] for a in e["addresses"]) == web
    endpoints = json.loads(kubectl(cluster, "get", "endpoints", "web", "-o", "json").stdout)
    assert sorted(a["ip"] for s in endpoints["subsets"] for a in s["addresses"]) == web


def test_api_resources_and_get_all(cluster):
    names = [line.split()[0] for line in
             kubectl(cluster, "api-resources", "--no-headers").stdout.splitlines()]
    for name in ("pods", "services", "endpoints", "endpointslices", "deployments",
                 "replicasets", "namespaces", "nodes", "events", "networkpolicies"):
        assert name in names
    out = kubectl(cluster, "get", "all", "-A").stdout
    for kind in ("pod/", "service/", "deployment.apps/", "replicaset.apps/"):
        assert kind in out


def test_group_discovery_and_the_node_field_selector_the_e2e_framework_asks_first(cluster):
    group = json.loads(kubectl(cluster, "get", "--raw", "/apis/apps").stdout)
    assert group["kind"] == "APIGroup" and group["preferredVersion"]["groupVersion"] == "apps/v1"
    assert "NotFound" in kubectl(cluster, "get", "--raw", "/apis/storage.k8s.io",
                                 check=False).stderr
    schedulable = kubectl(cluster, "get", "nodes", "--field-selector", "spec.unschedulable=false",
                          "-o", "name").stdout.split()
    assert schedulable == ["node/node1", "node/node2"]
    assert kubectl(cluster, "get", "nodes", "--field-selector", "spec.unschedulable=true",
                   "-o", "name").stdout == ""


def test_a_cordoned_node_takes_no_new_pods_and_a_nodes_labels_stay_the_clients(cluster):
    assert kubectl(cluster, "cordon", "node2").stdout.strip() == "node/node2 cordoned"
    try:
        rows = dict(line.split()[:2] for line in
                    kubectl(cluster, "get", "nodes", "--no-headers").stdout.splitlines())
        assert rows["node2"] == "Ready,SchedulingDisabled"
        kubectl(cluster, "create", "deployment", "cordoned", "--image=agnhost",
                "--replicas=3", "--", "/agnhost", "pause")
        kubectl(cluster, "rollout", "status", "deployment/cordoned", "--timeout=60s")
        placed = kubectl(cluster, "get", "pods", "-l", "app=cordoned", "-o",
                         "jsonpath={.items[*].spec.nodeName}").stdout.split()
        assert placed == ["node1"] * 3
    finally:
        kubectl(cluster, "uncordon", "node2")
        kubectl(cluster, "delete", "deployment", "cordoned", check=False)
    kubectl(cluster, "label", "node", "node2", "disk=ssd")
    labels = json.loads(kubectl(cluster, "get", "node", "node2", "-o", "json").stdout)[
        "metadata"]["labels"]
    assert labels["disk"] == "ssd" and labels["kubernetes.io/hostname"] == "node2"
    kubectl(cluster, "label", "node", "node2", "disk-")


def test_each_nodes_kubelet_renews_its_lease_as_describe_node_shows_it(cluster):
    rows = [line.split() for line in kubectl(cluster, "get", "leases", "-n", "kube-node-lease",
                                             "--no-headers").stdout.splitlines()]
    assert [row[:2] for row in rows] == [["node1", "node1"], ["node2", "node2"]]
    described = kubectl(cluster, "describe", "node", "node1").stdout
    assert re.search(r"Lease:\n\s+HolderIdentity:\s+node1\n\s+AcquireTime:\s+<unset>\n"
                     r"\s+RenewTime:\s+\w{3}, ", described), described
    lease = json.loads(kubectl(cluster, "get", "lease", "node1", "-n", "kube-node-lease",
                               "-o", "json").stdout)
    wait_for(lambda: json.loads(kubectl(cluster, "get", "lease", "node1", "-n",
                                        "kube-node-lease", "-o", "json").stdout)["spec"][
        "renewTime"] > lease["spec"]["renewTime"], 20)   # every 10 s


TOLERANT = """apiVersion: v1
kind: Pod
metadata: {name: tolerant}
spec:
  tolerations: [{key: lab, operator: Equal, value: only, effect: NoSchedule}]
  containers: [{name: c, image: busybox, command: [sleep, infinity]}]
"""


def test_a_taint_keeps_off_the_pods_that_do_not_tolerate_it_until_it_goes(cluster):
    kubectl(cluster, "taint", "nodes", "node1", "node2", "lab=only:NoSchedule")
    try:
        kubectl(cluster, "run", "intolerant", "--image=busybox", "--", "sleep", "infinity")
        kubectl(cluster, "apply", "-f", "-", stdin=TOLERANT)
        kubectl(cluster, "wait", "--for=condition=Ready", "pod/tolerant", "--timeout=30s")

        def scheduled():
            return kubectl(cluster, "get", "pod", "intolerant", "-o", "jsonpath={.status."
                           "conditions[?(@.type=='PodScheduled')].message}").stdout
        wait_for(lambda: scheduled() != "", 10)
        assert scheduled() == "0/2 nodes are available: 2 node(s) had taint {lab: only}, " \
            "that the pod didn't tolerate."
    finally:
        kubectl(cluster, "taint", "nodes", "node1", "node2", "lab-")
    kubectl(cluster, "wait", "--for=condition=Ready", "pod/intolerant", "--timeout=30s")
    kubectl(cluster, "delete", "pod", "intolerant", "tolerant")


def test_run_create_expose_scale_and_the_service_answers_through_its_vip(cluster):
    kubectl(cluster, "create", "deployment", "hello", "--image=agnhost", "--replicas=2",
            "--port=8080", "--", "/agnhost", "netexec", "--http-port=8080")
    kubectl(cluster, "expose", "deployment", "hello", "--port=80", "--target-port=8080")
    kubectl(cluster, "rollout", "status", "deployment/hello", "--timeout=30s")
    assert kubectl(cluster, "scale", "deployment", "hello", "--replicas=3").stdout.strip() \
        == "deployment.apps/hello scaled"
    kubectl(cluster, "rollout", "status", "deployment/hello", "--timeout=30s")
    described = kubectl(cluster, "describe", "deployment", "hello").stdout
    assert re.search(r"ScalingReplicaSet .*Scaled up replica set hello-\w+ from 2 to 3",
                     described), described
    first_answer(cluster, "client1", "curl -s -m 2 http://hello/hostname")
    names = kubectl(cluster, "get", "pods", "-l", "app=hello", "-o",
                    "jsonpath={.items[*].metadata.name}").stdout.split()
    # The proxy follows a pod's readiness within its minimum sync period (as
    # kube-proxy's), not at once: the new pod answers within 60 tries, and no other.
    hosts = set()
    for _ in range(60):
        hosts.add(cluster.exec("client1", "curl -s -m 2 http://hello/hostname").stdout)
        if hosts >= set(names):
            break
    assert len(names) == 3 and hosts == set(names)
    assert kubectl(cluster, "run", "solo", "--image=nginx").stdout.strip() == "pod/solo created"
    kubectl(cluster, "wait", "--for=condition=Ready", "pod/solo", "--timeout=30s")
    assert cluster.pod("solo").is_ready
    reasons = [line.split()[1] for line in kubectl(
        cluster, "describe", "pod", "solo").stdout.split("Events:")[1].splitlines()[3:]]
    assert reasons == ["Scheduled", "Pulled", "Created", "Started"]
    kubectl(cluster, "delete", "pod", "solo")
    kubectl(cluster, "delete", "service", "hello")
    kubectl(cluster, "delete", "deployment", "hello")
    assert cluster.api.store.get("deployments.apps", "default", "hello") is None
    assert cluster.api.store.get("services", "default", "hello") is None
    wait_for(lambda: not [p for p in cluster.pods.values()
                        if p.name.startswith("hello-")], 10)


HELLO_RC = """apiVersion: v1
kind: ReplicationController
metadata: {name: hello-rc}
spec:
  replicas: 3
  template:
    metadata: {labels: {app: hello-rc}}
    spec:
      containers:
      - {name: web, image: registry.k8s.io/e2e-test-images/agnhost:2.39,
         args: [serve-hostname], ports: [{containerPort: 9376}]}
"""


def _rc_pods(cluster):
    found = json.loads(kubectl(cluster, "get", "pods", "-l", "app=hello-rc", "-o",
                               "json").stdout)["items"]
    return {p["metadata"]["name"]: [r["name"] for r in p["metadata"].get("ownerReferences",
                                                                        ())] for p in found}


def test_a_replication_controller_keeps_its_pods_serves_a_service_and_cascades(cluster):
    """The replication manager keeps spec.replicas pods owned by it; expose and scale
    work on it as kubectl does them; a delete takes its pods (the garbage collector),
    --cascade=orphan leaves them."""
    kubectl(cluster, "apply", "-f", "-", stdin=HELLO_RC)
    kubectl(cluster, "expose", "rc", "hello-rc", "--port=80", "--target-port=9376")
    kubectl(cluster, "wait", "--for=jsonpath={.status.readyReplicas}=3", "rc/hello-rc",
            "--timeout=30s")
    pods = _rc_pods(cluster)
    assert len(pods) == 3 and set(sum(pods.values(), [])) == {"hello-rc"}
    row = kubectl(cluster, "get", "rc", "hello-rc", "--no-headers").stdout.split()
    assert row[:4] == ["hello-rc", "3", "3", "3"]
    first_answer(cluster, "client1", "curl -s -m 2 http://hello-rc/")
    answers = {cluster.exec("client1", "curl -s -m 2 http://hello-rc/").stdout
               for _ in range(30)}
    assert answers == set(pods)
    kubectl(cluster, "scale", "rc", "hello-rc", "--replicas=1")
    wait_for(lambda: len(_rc_pods(cluster)) == 1, 15)
    (survivor,) = _rc_pods(cluster)
    kubectl(cluster, "delete", "pod", survivor)
    wait_for(lambda: len(_rc_pods(cluster)) == 1 and survivor not in _rc_pods(cluster), 15)
    kubectl(cluster, "delete", "rc", "hello-rc", "--cascade=orphan")
    time.sleep(1)   # the garbage collector would have taken it by now
    (orphan, owners), = _rc_pods(cluster).items()
    assert owners == []
    kubectl(cluster, "apply", "-f", "-", stdin=HELLO_RC)   # adopts it, makes two more
    kubectl(cluster, "wait", "--for=jsonpath={.status.readyReplicas}=3", "rc/hello-rc",
            "--timeout=30s")
    assert orphan in _rc_pods(cluster) and len(_rc_pods(cluster)) == 3
    kubectl(cluster, "delete", "rc", "hello-rc")
    wait_for(lambda: not _rc_pods(cluster), 15)
    kubectl(cluster, "delete", "service", "hello-rc")


AGENT_DS = """apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers:
      - {name: agent, image: registry.k8s.io/e2e-test-images/agnhost:%s,
         args: [serve-hostname]}
"""


def _agent_pods(cluster):
    found = json.loads(kubectl(cluster, "get", "pods", "-l", "app=agent", "-o",
                               "json").stdout)["items"]
    return sorted((p["spec"]["nodeName"], p["spec"]["containers"][0]["image"][-4:])
                  for p in found if not p["metadata"].get("deletionTimestamp"))


def test_a_daemon_set_runs_a_pod_on_each_node_rolls_over_and_cascades(cluster):
    kubectl(cluster, "apply", "-f", "-", stdin=AGENT_DS % "2.39")
    kubectl(cluster, "rollout", "status", "ds/agent", "--timeout=30s")
    nodes = sorted(cluster.node_plans)
    assert _agent_pods(cluster) == [(n, "2.39") for n in nodes]
    row = kubectl(cluster, "get", "ds", "agent", "--no-headers").stdout.split()
    assert row[:7] == ["agent"] + [str(len(nodes))] * 5 + ["<none>"]
    kubectl(cluster, "apply", "-f", "-", stdin=AGENT_DS % "2.40")
    kubectl(cluster, "rollout", "status", "ds/agent", "--timeout=60s")
    wait_for(lambda: _agent_pods(cluster) == [(n, "2.40") for n in nodes], 15)
    history = kubectl(cluster, "rollout", "history", "ds/agent").stdout.split()
    assert history[3:] == ["1", "<none>", "2", "<none>"]
    kubectl(cluster, "delete", "ds", "agent")
    wait_for(lambda: not _agent_pods(cluster), 15)
    # Its ControllerRevisions go with it (the garbage collector's).
    wait_for(lambda: not cluster.api.store.list("controllerrevisions.apps")[1], 15)


FAILING_JOB = """apiVersion: batch/v1
kind: Job
metadata: {name: fails}
spec:
  backoffLimit: 1
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox, command: ["false"]}]
"""


def test_a_job_runs_its_pods_to_completion_and_its_deletion_takes_them(cluster):
    """kubectl create job: a pod of its template until one has succeeded; kubectl
    wait, logs job/NAME and get read it. A Job whose pods fail stops at its
    backoffLimit, Failed."""
    kubectl(cluster, "create", "job", "count", "--image=busybox", "--", "sh", "-c",
            "echo counted $HOSTNAME")
    kubectl(cluster, "wait", "--for=condition=complete", "job/count", "--timeout=30s")
    assert kubectl(cluster, "logs", "job/count").stdout.startswith("counted count-")
    row = kubectl(cluster, "get", "job", "count", "--no-headers").stdout.split()
    assert row[:3] == ["count", "Complete", "1/1"]
    pods = kubectl(cluster, "get", "pods", "-l", "job-name=count", "-o",
                   "jsonpath={.items[*].status.phase}").stdout.split()
    assert pods == ["Succeeded"]
    failing = kubectl(cluster, "apply", "-f", "-", stdin=FAILING_JOB)
    assert failing.stdout.strip() == "job.batch/fails created"
    kubectl(cluster, "wait", "--for=condition=failed", "job/fails", "--timeout=30s")
    assert kubectl(cluster, "get", "job", "fails", "-o",
                   "jsonpath={.status.failed}").stdout == "2"
    immutable = kubectl(cluster, "set", "image", "job/count", "count=alpine", check=False)
    assert immutable.returncode == 1 and "field is immutable" in immutable.stderr
    kubectl(cluster, "delete", "job", "count", "fails")
    wait_for(lambda: not [p for p in cluster.pods.values()
                          if p.name.startswith(("count-", "fails-"))], 15)


def test_a_cron_job_makes_its_job_at_the_next_minute_and_kubectl_can_start_one(cluster):
    kubectl(cluster, "create", "cronjob", "tick", "--image=busybox", "--schedule=*/1 * * * *",
            "--", "echo", "tick")
    manual = kubectl(cluster, "create", "job", "by-hand", "--from=cronjob/tick")
    assert manual.stdout.strip() == "job.batch/by-hand created"
    kubectl(cluster, "wait", "--for=condition=complete", "job/by-hand", "--timeout=30s")
    assert kubectl(cluster, "logs", "job/by-hand").stdout == "tick\n"
    # The schedule's own Job comes at the next whole minute (at most 60 s away).
    wait_for(lambda: kubectl(cluster, "get", "cronjob", "tick", "-o",
                             "jsonpath={.status.lastScheduleTime}").stdout, 75)
    scheduled = kubectl(cluster, "get", "jobs", "-o", "jsonpath={.items[*].metadata.name}"
                        ).stdout.split()
    assert [n for n in scheduled if n.startswith("tick-")], scheduled
    row = kubectl(cluster, "get", "cronjob", "tick", "--no-headers").stdout.split()
    assert row[:5] == ["tick", "*/1", "*", "*", "*"] and row[7] == "False"
    kubectl(cluster, "delete", "cronjob", "tick")   # its Jobs go with it, by-hand's too
    wait_for(lambda: not kubectl(cluster, "get", "jobs", "-o", "name").stdout.split(), 15)


SELECTING = """apiVersion: v1
kind: Pod
metadata: {name: %s}
spec:
  nodeSelector: {%s}
  containers: [{name: c, image: busybox, command: [sleep, "3600"]}]
"""


def test_a_node_selector_places_pods_and_one_no_node_matches_stays_pending(cluster):
    kubectl(cluster, "label", "node", "node2", "disk=ssd")
    kubectl(cluster, "apply", "-f", "-", stdin=SELECTING % ("on-ssd", "disk: ssd") + "---\n" +
            SELECTING % ("on-node1", "kubernetes.io/hostname: node1") + "---\n" +
            SELECTING % ("nowhere", "disk: tape"))
    kubectl(cluster, "wait", "--for=condition=Ready", "pod/on-ssd", "pod/on-node1",
            "--timeout=30s")
    assert (cluster.pod("on-ssd").node.name, cluster.pod("on-node1").node.name) == \
        ("node2", "node1")
    wait_for(lambda: "FailedScheduling" in kubectl(cluster, "describe", "pod",
                                                     "nowhere").stdout, 10)
    row = kubectl(cluster, "get", "pod", "nowhere", "--no-headers").stdout.split()
    assert row[2] == "Pending"
    scheduled = kubectl(cluster, "get", "pod", "nowhere", "-o", "jsonpath={.status."
                        "conditions[?(@.type=='PodScheduled')].message}").stdout
    assert scheduled == "0/2 nodes are available: 2 node(s) didn't match Pod's node " \
        "affinity/selector."
    kubectl(cluster, "delete", "pod", "on-ssd", "on-node1", "nowhere")
    kubectl(cluster, "label", "node", "node2", "disk-")


def test_a_pod_declaring_a_port_nothing_binds_is_still_ready_as_without_probes(cluster):
    """Kubernetes makes a pod without readinessProbe Ready once it runs: kubemn waits
    for the declared ports to listen, and for a port nothing binds, a moment only."""
    kubectl(cluster, "run", "unbound", "--image=registry.k8s.io/e2e-test-images/agnhost:2.39",
            "--port=80", "--", "serve-hostname")
    kubectl(cluster, "wait", "--for=condition=Ready", "pod/unbound", "--timeout=10s")
    assert cluster.exec("client1", "curl -s -m 2 http://%s:9376/" % cluster.pod(
        "unbound").ip).stdout == "unbound"
    kubectl(cluster, "delete", "pod", "unbound")


def test_label_moves_a_pod_into_a_services_endpoints_and_annotate_and_patch_stick(cluster):
    kubectl(cluster, "create", "service", "clusterip", "picked", "--tcp=80:8080")
    kubectl(cluster, "label", "pod", "server2", "app=picked", "--overwrite")
    endpoints = json.loads(kubectl(cluster, "get", "endpoints", "picked", "-o", "json").stdout)
    assert [a["ip"] for s in endpoints["subsets"] for a in s["addresses"]] == \
        [cluster.pod("server2").ip]
    kubectl(cluster, "label", "pod", "server2", "app=server", "--overwrite")
    endpoints = json.loads(kubectl(cluster, "get", "endpoints", "picked", "-o", "json").stdout)
    assert "subsets" not in endpoints
    kubectl(cluster, "annotate", "pod", "server2", "course=networking")
    assert kubectl(cluster, "get", "pod", "server2", "-o",
                   "jsonpath={.metadata.annotations.course}").stdout == "networking"
    kubectl(cluster, "patch", "service", "picked", "--type=json", "-p",
            '[{"op": "replace", "path": "/spec/ports/0/port", "value": 81}]')
    assert kubectl(cluster, "get", "svc", "picked", "-o",
                   "jsonpath={.spec.ports[0].port}").stdout == "81"
    kubectl(cluster, "patch", "service", "picked", "-p", '{"spec": {"type": "NodePort"}}')
    assert any(p.node_port for p in cluster.served_service("picked").ports)
    kubectl(cluster, "delete", "service", "picked")


SELECTORLESS = """apiVersion: v1
kind: Service
metadata: {name: by-hand}
spec:
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: by-hand}
subsets:
- addresses: [{ip: %s}]
  ports: [{port: 8080}]
"""


def test_a_service_without_a_selector_serves_the_endpoints_a_client_writes(cluster):
    server = cluster.pod("server2")
    kubectl(cluster, "apply", "-f", "-", stdin=SELECTORLESS % server.ip)
    vip = cluster.served_service("by-hand").cluster_ip
    ask = "wget -qO- -T 1 http://%s/hostname" % vip
    wait_for(lambda: cluster.exec("client1", ask).stdout == "server2", 5)
    slices = json.loads(kubectl(cluster, "get", "endpointslices", "-l",
                                "kubernetes.io/service-name=by-hand", "-o", "json").stdout)
    assert [e["addresses"] for e in slices["items"][0]["endpoints"]] == [[server.ip]]
    kubectl(cluster, "delete", "endpoints", "by-hand")
    wait_for(lambda: cluster.exec("client1", ask).returncode != 0, 5)   # no endpoint
    kubectl(cluster, "delete", "service", "by-hand")


MANIFEST = """apiVersion: apps/v1
kind: Deployment
metadata: {name: applied}
spec:
  replicas: %d
  selector: {matchLabels: {run: applied}}
  template:
    metadata: {labels: {run: applied}}
    spec:
      containers: [{name: web, image: nginx, ports: [{containerPort: 80}]}]
"""


def test_apply_creates_leaves_unchanged_and_configures(cluster):
    out = [kubectl(cluster, "apply", "-f", "-", stdin=MANIFEST % n).stdout.strip()
           for n in (2, 2, 3)]
    assert out == ["deployment.apps/applied created", "deployment.apps/applied unchanged",
                   "deployment.apps/applied configured"]
    assert cluster.deployment("applied")["spec"]["replicas"] == 3
    kubectl(cluster, "delete", "-f", "-", stdin=MANIFEST % 3)
    assert cluster.api.store.get("deployments.apps", "default", "applied") is None


def test_apply_and_delete_of_a_v1_list_take_each_item(cluster):
    """kubectl validates a List's items with the OpenAPI v2 document."""
    items = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "listed-%d" % i},
              "data": {"n": str(i)}} for i in (1, 2)]
    listed = json.dumps({"apiVersion": "v1", "kind": "List", "items": items})
    assert kubectl(cluster, "apply", "-f", "-", stdin=listed).stdout.split("\n")[:2] == [
        "configmap/listed-1 created", "configmap/listed-2 created"]
    assert kubectl(cluster, "get", "configmap", "listed-2", "-o",
                   "jsonpath={.data.n}").stdout == "2"
    kubectl(cluster, "delete", "-f", "-", stdin=listed)
    assert "listed-1" not in kubectl(cluster, "get", "configmaps").stdout


def test_secrets_are_stored_as_the_api_server_stores_them(cluster):
    """kubectl's own secret generators, its table and jsonpath; what the API server
    refuses of a Secret, refused the same way."""
    assert kubectl(cluster, "create", "secret", "generic", "creds", "--from-literal=user=admin",
                   "--from-literal=password=s3cret").stdout.strip() == "secret/creds created"
    row = kubectl(cluster, "get", "secrets").stdout.splitlines()[1].split()
    assert row[:3] == ["creds", "Opaque", "2"]
    password = kubectl(cluster, "get", "secret", "creds", "-o",
                       "jsonpath={.data.password}").stdout
    assert base64.b64decode(password) == b"s3cret"
    plain = json.dumps({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "plain"},
                        "stringData": {"token": "abc"}})
    kubectl(cluster, "apply", "-f", "-", stdin=plain)
    assert kubectl(cluster, "get", "secret", "plain", "-o",
                   "jsonpath={.data.token}").stdout == "YWJj"
    half_tls = json.dumps({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "tls"},
                           "type": "kubernetes.io/tls", "data": {"tls.crt": "eA=="}})
    refused = kubectl(cluster, "apply", "-f", "-", stdin=half_tls, check=False)
    assert refused.returncode == 1 and \
        'Secret "tls" is invalid: data[tls.key]: Required value' in refused.stderr
    retyped = kubectl(cluster, "create", "secret", "generic", "plain",
                      "--type=kubernetes.io/basic-auth", "--from-literal=username=u",
                      "--dry-run=client", "-o", "json").stdout
    refused = kubectl(cluster, "replace", "-f", "-", stdin=retyped, check=False)
    assert "type: Invalid value" in refused.stderr and "field is immutable" in refused.stderr
    kubectl(cluster, "delete", "secret", "creds", "plain")
    assert cluster.api.store.list("secrets")[1] == []


APP_WITH_RBAC = """apiVersion: v1
kind: ServiceAccount
metadata: {name: lister}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-reader}
rules: [{apiGroups: [""], resources: [pods], verbs: [get, list, watch]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: lister-reads-pods}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
subjects: [{kind: ServiceAccount, name: lister, namespace: default}, {kind: User, name: jane}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: lister}
spec:
  selector: {matchLabels: {app: lister}}
  template:
    metadata: {labels: {app: lister}}
    spec:
      serviceAccountName: lister
      containers: [{name: c, image: busybox, command: [sleep, infinity]}]
"""


def test_an_application_with_its_rbac_applies_and_the_rbac_kinds_print_as_kubectl_does(
        cluster):
    lines = kubectl(cluster, "apply", "-f", "-", stdin=APP_WITH_RBAC).stdout.splitlines()
    assert lines == ["serviceaccount/lister created",
                     "role.rbac.authorization.k8s.io/pod-reader created",
                     "rolebinding.rbac.authorization.k8s.io/lister-reads-pods created",
                     "deployment.apps/lister created"]
    try:
        row = kubectl(cluster, "get", "rolebinding", "lister-reads-pods", "-o", "wide",
                      "--no-headers").stdout.split()
        assert row[1] == "Role/pod-reader" and row[3] == "jane" and row[-1] == \
            "default/lister"
        kubectl(cluster, "create", "clusterrole", "node-viewer", "--verb=get,list",
                "--resource=nodes")
        kubectl(cluster, "create", "clusterrolebinding", "view-nodes",
                "--clusterrole=node-viewer", "--group=viewers")
        assert kubectl(cluster, "get", "clusterrolebinding", "view-nodes", "-o",
                       "jsonpath={.subjects[0].apiGroup}").stdout == "rbac.authorization.k8s.io"
        moved = kubectl(cluster, "patch", "rolebinding", "lister-reads-pods", "--type=merge",
                        "-p", '{"roleRef": {"name": "other"}}', check=False)
        assert moved.returncode == 1 and "cannot change roleRef" in moved.stderr
    finally:
        kubectl(cluster, "delete", "-f", "-", stdin=APP_WITH_RBAC)
        kubectl(cluster, "delete", "clusterrolebinding", "view-nodes", check=False)
        kubectl(cluster, "delete", "clusterrole", "node-viewer", check=False)
    assert cluster.api.store.list("roles.rbac.authorization.k8s.io")[1] == []


STATEFUL = """apiVersion: v1
kind: Service
metadata: {name: nginx, labels: {app: nginx}}
spec:
  clusterIP: None
  selector: {app: nginx}
  ports: [{port: 80, name: web}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: nginx
  replicas: 2
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec:
      containers: [{name: nginx, image: registry.k8s.io/nginx-slim:0.8,
                    ports: [{containerPort: 80, name: web}]}]
"""


def test_a_stateful_sets_pods_keep_their_names_and_dns_names_as_in_statefulset_basics(
        cluster):
    """The docs' "StatefulSet Basics", without its volume claims (README, limits)."""
    kubectl(cluster, "apply", "-f", "-", stdin=STATEFUL)
    try:
        kubectl(cluster, "rollout", "status", "sts/web", "--timeout=60s")
        assert kubectl(cluster, "get", "sts", "web", "--no-headers").stdout.split()[1] == "2/2"
        pods = json.loads(kubectl(cluster, "get", "pods", "-l", "app=nginx", "-o",
                                  "json").stdout)["items"]
        ips = {p["metadata"]["name"]: p["status"]["podIP"] for p in pods}
        assert sorted(ips) == ["web-0", "web-1"]
        assert kubectl(cluster, "exec", "web-1", "--", "hostname").stdout.strip() == "web-1"
        for name, ip in ips.items():
            found = cluster.exec("client1", "getent hosts %s.nginx" % name).stdout.split()
            assert found[:1] == [ip], found
        first = kubectl(cluster, "get", "pod", "web-0", "-o",
                        "jsonpath={.metadata.uid}").stdout
        kubectl(cluster, "delete", "pod", "web-0")
        wait_for(lambda: kubectl(cluster, "get", "pod", "web-0", "-o",
                                 "jsonpath={.metadata.uid}", check=False).stdout
                 not in ("", first), 30)
        described = kubectl(cluster, "describe", "sts", "web").stdout
        assert re.search(r"SuccessfulCreate +\S+ +statefulset-controller +create Pod web-1 in "
                         r"StatefulSet web successful", described), described
        kubectl(cluster, "scale", "sts", "web", "--replicas=3")
        kubectl(cluster, "rollout", "status", "sts/web", "--timeout=60s")
        kubectl(cluster, "patch", "sts", "web", "--type=json", "-p",
                '[{"op": "replace", "path": "/spec/template/spec/containers/0/image", '
                '"value": "registry.k8s.io/nginx-slim:0.9"}]')
        rolled = kubectl(cluster, "rollout", "status", "sts/web", "--timeout=90s").stdout
        # kubectl's words for a RollingUpdate that has a partition, 0 by default
        assert "partitioned roll out complete: 3 new pods have been updated" in rolled, rolled
        images = kubectl(cluster, "get", "pods", "-l", "app=nginx", "-o",
                         "jsonpath={.items[*].spec.containers[0].image}").stdout.split()
        assert images == ["registry.k8s.io/nginx-slim:0.9"] * 3
        # Its history as ControllerRevisions: rollout history lists both templates,
        # rollout undo brings the first back (as the third revision).
        history = kubectl(cluster, "rollout", "history", "sts/web").stdout.split()
        assert history[:3] == ["statefulset.apps/web", "REVISION", "CHANGE-CAUSE"]
        assert history[3:] == ["1", "<none>", "2", "<none>"]
        kubectl(cluster, "rollout", "undo", "sts/web")
        kubectl(cluster, "rollout", "status", "sts/web", "--timeout=90s")
        images = kubectl(cluster, "get", "pods", "-l", "app=nginx", "-o",
                         "jsonpath={.items[*].spec.containers[0].image}").stdout.split()
        assert images == ["registry.k8s.io/nginx-slim:0.8"] * 3
        revisions = kubectl(cluster, "get", "controllerrevisions", "--no-headers").stdout
        assert sorted(line.split()[1:3] for line in revisions.splitlines()) == [
            ["statefulset.apps/web", "2"], ["statefulset.apps/web", "3"]]
    finally:
        kubectl(cluster, "delete", "-f", "-", stdin=STATEFUL)
    wait_for(lambda: not kubectl(cluster, "get", "pods", "-l", "app=nginx", "-o",
                                 "name").stdout.strip(), 30)


def test_watch_sees_a_new_pod_and_its_deletion(cluster):
    watch = subprocess.Popen([KUBECTL, "get", "pods", "-w", "--output-watch-events"],
                             stdout=subprocess.PIPE, text=True,
                             env=dict(os.environ, KUBECONFIG=cluster.kubeconfig))
    try:
        time.sleep(1)
        kubectl(cluster, "run", "watched", "--image=nginx")
        kubectl(cluster, "wait", "--for=condition=Ready", "pod/watched", "--timeout=30s")
        kubectl(cluster, "delete", "pod", "watched")
        time.sleep(1)
    finally:
        watch.terminate()
    rows = [line.split() for line in watch.communicate(timeout=10)[0].splitlines()]
    events = [row[:2] for row in rows]
    assert events[0] == ["EVENT", "NAME"] and ["ADDED", "client1"] in events
    assert events.index(["ADDED", "watched"]) < events.index(["DELETED", "watched"])
    # Stored first, bound by the scheduler, started by the kubelet: Pending, Running.
    watched = [row[:4] for row in rows if row[1:2] == ["watched"]]
    assert watched[0] == ["ADDED", "watched", "0/1", "Pending"]
    assert ["MODIFIED", "watched", "1/1", "Running"] in watched


def test_each_namespace_has_a_default_service_account_and_others_are_kept(cluster):
    kubectl(cluster, "create", "namespace", "accounts")
    deadline = time.monotonic() + 10
    while "default" not in kubectl(cluster, "-n", "accounts", "get", "sa").stdout:
        assert time.monotonic() < deadline, "no default ServiceAccount"
        time.sleep(0.1)
    kubectl(cluster, "-n", "accounts", "create", "serviceaccount", "robot")
    listed = kubectl(cluster, "-n", "accounts", "get", "serviceaccounts").stdout.split("\n")
    assert [line.split()[:2] for line in listed if line] == [
        ["NAME", "SECRETS"], ["default", "0"], ["robot", "0"]]
    kubectl(cluster, "delete", "namespace", "accounts", timeout=60)


def test_a_deleted_namespace_terminates_loses_its_contents_then_goes(cluster):
    kubectl(cluster, "create", "namespace", "doomed")
    kubectl(cluster, "-n", "doomed", "create", "deployment", "web", "--replicas=2",
            "--image=registry.k8s.io/e2e-test-images/agnhost:2.39", "--", "/agnhost",
            "netexec", "--http-port=8080")
    kubectl(cluster, "-n", "doomed", "expose", "deployment", "web", "--port=80",
            "--target-port=8080")
    kubectl(cluster, "-n", "doomed", "create", "configmap", "settings", "--from-literal=a=b")
    kubectl(cluster, "-n", "doomed", "wait", "--for=condition=Ready", "pod", "--all",
            "--timeout=30s")
    watch = subprocess.Popen([KUBECTL, "get", "namespace", "doomed", "-w",
                              "--output-watch-events"],
                             stdout=subprocess.PIPE, text=True,
                             env=dict(os.environ, KUBECONFIG=cluster.kubeconfig))
    try:
        time.sleep(1)
        deleted = kubectl(cluster, "delete", "namespace", "doomed", timeout=60)
        time.sleep(0.5)
    finally:
        watch.terminate()
    assert deleted.stdout.strip() == 'namespace "doomed" deleted'   # kubectl waited
    events = [line.split() for line in watch.communicate(timeout=10)[0].splitlines()]
    assert ["MODIFIED", "doomed", "Terminating"] in [e[:3] for e in events], events
    assert events[-1][:2] == ["DELETED", "doomed"], events
    gone = kubectl(cluster, "get", "namespace", "doomed", check=False)
    assert 'namespaces "doomed" not found' in gone.stderr
    assert not [p for p in cluster.pods.values() if p.namespace == "doomed"]
    for kind in ("deployments.apps", "services", "configmaps", "endpoints", "pods",
                 "serviceaccounts"):
        assert cluster.api.store.list(kind, "doomed")[1] == [], kind
    refused = kubectl(cluster, "-n", "doomed", "create", "configmap", "again", check=False)
    assert 'namespaces "doomed" not found' in refused.stderr
    kept = kubectl(cluster, "delete", "namespace", "default", check=False)
    assert 'namespaces "default" is forbidden: this namespace may not be deleted' in \
        kept.stderr


def test_the_node_proxy_reaches_each_nodes_kubelet_port(cluster):
    """nodes/NAME/proxy, as the e2e suite's node log tests use it: the kubelet's health,
    its pods, and its containers' logs, relayed from the node's own address."""
    pod = cluster.pod("server2")
    node = pod.node.name
    base = "/api/v1/nodes/%s/proxy" % node
    assert kubectl(cluster, "get", "--raw", base + "/healthz").stdout == "ok"
    listed = json.loads(kubectl(cluster, "get", "--raw", base + "/pods").stdout)["items"]
    assert "server2" in [p["metadata"]["name"] for p in listed]
    assert {p["spec"]["nodeName"] for p in listed} == {node}
    name = "server2_default_%s.log" % pod.spec.template.containers[0].name
    assert name in kubectl(cluster, "get", "--raw", base + "/logs/containers/").stdout
    assert kubectl(cluster, "get", "--raw", "/api/v1/nodes/%s:10250/proxy/logs/containers/%s"
                   % (node, name)).stdout == cluster.logs("server2")
    missing = kubectl(cluster, "get", "--raw", "/api/v1/nodes/nowhere/proxy/healthz",
                      check=False)
    assert 'nodes "nowhere" not found' in missing.stderr


def test_logs_and_exec_with_stdin_exit_status_and_container(cluster):
    assert kubectl(cluster, "exec", "client1", "--", "hostname").stdout.strip() == "client1"
    out = kubectl(cluster, "exec", "multi", "-c", "shell", "--", "curl", "-s",
                  "http://localhost/hostname").stdout
    assert out == "multi"
    assert kubectl(cluster, "exec", "-i", "client1", "--", "cat",
                   stdin="through stdin\n").stdout == "through stdin\n"
    failed = kubectl(cluster, "exec", "client1", "--", "sh", "-c", "echo oops >&2; exit 3",
                     check=False)
    assert failed.returncode == 3 and "oops" in failed.stderr
    assert kubectl(cluster, "logs", "server2").stdout == cluster.logs("server2")
    wrong = kubectl(cluster, "exec", "multi", "-c", "nope", "--", "true", check=False)
    assert wrong.returncode != 0 and "container nope is not valid for pod multi" in wrong.stderr


def test_the_proxy_subresource_relays_to_a_pods_port_and_a_services_endpoints(cluster):
    base = "/api/v1/namespaces/default/"
    assert kubectl(cluster, "get", "--raw", base + "pods/server2:8080/proxy/hostname"
                   ).stdout == "server2"
    assert kubectl(cluster, "get", "--raw", base + "pods/server2:8080/proxy/echo?msg=a%20b"
                   ).stdout == "a b"
    web = {p.name for p in cluster.pods.values() if dict(p.labels).get("app") == "web"}
    answers = {kubectl(cluster, "get", "--raw", base + "services/web:80/proxy/hostname"
                       ).stdout for _ in range(12)}
    assert answers <= web and len(answers) > 1
    refused = kubectl(cluster, "get", "--raw", base + "pods/server2:9999/proxy/", check=False)
    assert "ServiceUnavailable" in refused.stderr and \
        "dial tcp %s:9999: connect: connection refused" % cluster.pod("server2").ip \
        in refused.stderr


SHARING = """apiVersion: v1
kind: Pod
metadata: {name: sharing}
spec:
  volumes: [{name: results, emptyDir: {}}]
  containers:
  - name: writer
    image: busybox
    env: [{name: MSG, value: hello}]
    command: [sh, -c, "echo $(MSG) $$(echo there) > /results/x; sleep 3600"]
    volumeMounts: [{name: results, mountPath: /results}]
  - name: reader
    image: busybox
    command: [sleep, "3600"]
    volumeMounts: [{name: results, mountPath: /mnt}]
"""


def test_an_empty_dir_volume_is_shared_by_a_pods_containers_and_the_machine_keeps_none(
        cluster):
    """As the e2e suite's DNS probes share /results: a new top-level directory in the
    pod's own root, and an existing directory covered, in the pod only; the command
    expanded as Kubernetes expands it ($(VAR), $$)."""
    kubectl(cluster, "apply", "-f", "-", stdin=SHARING)
    kubectl(cluster, "wait", "--for=condition=Ready", "pod/sharing", "--timeout=30s")
    wait_for(lambda: kubectl(cluster, "exec", "sharing", "-c", "reader", "--", "cat",
                             "/mnt/x", check=False).stdout == "hello there\n", 10)
    assert "results" in kubectl(cluster, "exec", "sharing", "-c", "reader", "--", "ls",
                                "/").stdout.split()
    assert not os.path.exists("/results") and not os.path.exists("/mnt/x")
    kubectl(cluster, "delete", "pod", "sharing")


INGRESS_CLASS = """apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: lab}
spec: {controller: example.com/none}
"""


def test_ingresses_and_their_classes_are_kept_and_their_status_written_apart(cluster):
    """kubemn runs no ingress controller: the objects are kept as given, and a status
    written through the status subresource (as a controller writes it) stays."""
    kubectl(cluster, "apply", "-f", "-", stdin=INGRESS_CLASS)
    kubectl(cluster, "create", "ingress", "site", "--class=lab", "--rule=site.test/=web:80")
    kubectl(cluster, "patch", "ingress", "site", "--subresource=status", "--type=merge",
            "-p", '{"status":{"loadBalancer":{"ingress":[{"ip":"198.51.100.9"}]}}}')
    kubectl(cluster, "annotate", "ingress", "site", "note=kept")
    row = kubectl(cluster, "get", "ingress", "site", "--no-headers").stdout.split()
    assert row[:5] == ["site", "lab", "site.test", "198.51.100.9", "80"]
    assert kubectl(cluster, "get", "ingressclass", "lab", "-o",
                   "jsonpath={.spec.controller}").stdout == "example.com/none"
    kubectl(cluster, "delete", "ingress", "site")
    kubectl(cluster, "delete", "ingressclass", "lab")
    for kind in ("ingress/site", "ingressclass/lab"):
        assert "NotFound" in kubectl(cluster, "get", kind, check=False).stderr


def test_exec_and_attach_over_spdy_as_client_go_before_websockets(cluster):
    """kubectl's SPDY transport (client-go's before 1.31, the e2e suite's): stdout and
    stderr apart, stdin and its end, the exit code, attach to a container's stdin."""
    spdy = {"KUBECTL_REMOTE_COMMAND_WEBSOCKETS": "false"}
    failed = kubectl(cluster, "exec", "client1", "--", "sh", "-c",
                     "echo out; echo oops >&2; exit 3", check=False, env=spdy, stdin="")
    assert (failed.returncode, failed.stdout, failed.stderr.splitlines()[0]) == \
        (3, "out\n", "oops")
    assert kubectl(cluster, "exec", "-i", "client1", "--", "cat", stdin="through spdy\n",
                   env=spdy).stdout == "through spdy\n"
    out = kubectl(cluster, "run", "spdy-asker", "-i", "--rm", "--restart=Never",
                  "--image=busybox", "--", "sh", "-c", "read line; echo got $line",
                  stdin="an answer\n", env=spdy).stdout
    assert "got an answer" in out
    # --rm deletes the pod without waiting; its kubelet stops it a moment later.
    wait_for(lambda: "spdy-asker" not in cluster.pods, 10)


BAD_PORT = """apiVersion: v1
kind: Pod
metadata: {name: badport}
spec:
  containers: [{name: c, image: nginx, ports: [{containerPort: 70000}]}]
"""


def test_an_invalid_object_is_refused_naming_the_field_and_nothing_changes(cluster):
    before = sorted(cluster.pods)
    failed = kubectl(cluster, "apply", "-f", "-", stdin=BAD_PORT, check=False)
    assert failed.returncode == 1
    assert failed.stderr.strip().splitlines()[-1].startswith(
        'The Pod "badport" is invalid: spec.containers[0].ports[0].containerPort')
    failed = kubectl(cluster, "scale", "deployment", "web", "--replicas=-1", check=False)
    assert failed.returncode == 1
    assert sorted(cluster.pods) == before


def test_network_policies_are_stored_and_listed(cluster):
    policy = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-only}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{from: [{podSelector: {matchLabels: {role: client}}}]}]
"""
    assert kubectl(cluster, "apply", "-f", "-", stdin=policy).stdout.strip() == \
        "networkpolicy.networking.k8s.io/web-only created"
    lines = kubectl(cluster, "get", "netpol").stdout.splitlines()
    assert lines[1].split()[:2] == ["web-only", "app=web"]
    bad = policy.replace("web-only", "bad").replace("ingress:", "policyTypes: [Sideways]\n  "
                                                    "ingress:")
    failed = kubectl(cluster, "apply", "-f", "-", stdin=bad, check=False)
    assert failed.returncode == 1 and "spec.policyTypes" in failed.stderr
    kubectl(cluster, "delete", "netpol", "web-only")
    assert "No resources found" in kubectl(cluster, "get", "netpol").stderr


HTTP_LOOP = os.path.join(ROOT, "tests", "helpers", "http_loop.py")


def test_a_rollout_restart_under_load_fails_no_request_and_undo_goes_back(cluster):
    """A client loops through the VIP (a new connection every 20 ms) while kubectl
    rolls the Deployment: every request is answered, by old pods, then new ones."""
    before = set(kubectl(cluster, "get", "pods", "-l", "app=web", "-o",
                         "jsonpath={.items[*].metadata.name}").stdout.split())
    first_rs = kubectl(cluster, "get", "rs", "-l", "app=web", "-o",
                       "jsonpath={.items[0].metadata.name}").stdout
    vip = cluster.served_service("web").cluster_ip
    client = cluster.popen("client1", [sys.executable, HTTP_LOOP, "for", "12",
                                       "http://%s/hostname" % vip],
                           stdout=subprocess.PIPE, text=True)
    time.sleep(1)
    assert kubectl(cluster, "rollout", "restart", "deployment/web").stdout.strip() == \
        "deployment.apps/web restarted"
    status = kubectl(cluster, "rollout", "status", "deployment/web", "--timeout=60s").stdout
    assert status.strip().splitlines()[-1] == 'deployment "web" successfully rolled out'
    results = json.loads(client.communicate(timeout=60)[0])["results"]
    answers = [answer for _, answer in results]
    assert None not in answers and len(answers) > 100
    after = set(kubectl(cluster, "get", "pods", "-l", "app=web", "-o",
                        "jsonpath={.items[*].metadata.name}").stdout.split())
    assert len(after) == 3 and not after & before
    assert set(answers) & before and set(answers) & after
    kubectl(cluster, "rollout", "undo", "deployment/web")
    kubectl(cluster, "rollout", "status", "deployment/web", "--timeout=60s")
    replica_sets = {line.split()[0]: line.split()[1] for line in kubectl(
        cluster, "get", "rs", "-l", "app=web", "--no-headers").stdout.splitlines()}
    assert replica_sets[first_rs] == "3" and sorted(replica_sets.values()) == ["0", "3"]


def test_a_missing_program_crash_loops_with_its_exit_code_and_deletes_cleanly(cluster):
    assert kubectl(cluster, "run", "broken", "--image=busybox", "--command", "--",
                   "/no/such/program").stdout.strip() == "pod/broken created"
    deadline = time.monotonic() + 10
    while "CrashLoopBackOff" not in kubectl(cluster, "get", "pod", "broken").stdout:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    described = kubectl(cluster, "describe", "pod", "broken").stdout
    assert re.search(r"Last State:\s+Terminated\n\s+Reason:\s+Error\n\s+Exit Code:\s+127",
                     described), described
    assert "/no/such/program" in kubectl(cluster, "logs", "broken").stdout
    kubectl(cluster, "delete", "pod", "broken")
    assert "broken" not in cluster.pending and "broken" not in cluster.pods


def _forward(cluster, target, local, **env):
    """kubectl port-forward TARGET LOCAL:..., once it says it forwards."""
    process = subprocess.Popen([KUBECTL, "port-forward", target, local],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=dict(os.environ, KUBECONFIG=cluster.kubeconfig, **env))
    first = process.stdout.readline()
    assert first.startswith("Forwarding from 127.0.0.1:"), first + process.stderr.read()
    return process


def _get(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


def test_port_forward_to_a_pod_and_to_a_service_on_loopback(cluster):
    pod = _forward(cluster, "pod/server2", "18080:8080")
    try:
        assert _get("http://127.0.0.1:18080/hostname") == "server2"
        # The pod sees the connection from its own localhost, as with the kubelet.
        assert _get("http://127.0.0.1:18080/clientip").startswith("127.0.0.1:")
        listening = subprocess.run(["ss", "-Htln", "sport = :18080"], capture_output=True,
                                   text=True).stdout.split()
        assert {a for a in listening if ":18080" in a} <= {"127.0.0.1:18080", "[::1]:18080"}
    finally:
        pod.terminate()
        pod.wait(10)
    service = _forward(cluster, "svc/web", "18081:80")
    try:
        web = [p.name for p in cluster.pods.values() if dict(p.labels).get("app") == "web"]
        assert _get("http://127.0.0.1:18081/hostname") in web
    finally:
        service.terminate()
        service.wait(10)


def test_port_forward_over_bare_spdy_as_client_go_before_websockets(cluster):
    """The e2e suite of v1.20 (and kubectl before 1.31) upgrades the request itself to
    SPDY/3.1, without a WebSocket around it."""
    pod = _forward(cluster, "pod/server2", "18082:8080", KUBECTL_PORT_FORWARD_WEBSOCKETS="false")
    try:
        assert [_get("http://127.0.0.1:18082/hostname") for _ in range(3)] == ["server2"] * 3
    finally:
        pod.terminate()
        pod.wait(10)


def test_run_interactively_attaches_to_the_container_and_rm_deletes_the_pod(cluster):
    """kubectl run -i --rm: the container's own standard input and output; and with
    -t, its terminal (driven through script(1), which gives kubectl one)."""
    out = kubectl(cluster, "run", "asker", "-i", "--rm", "--restart=Never", "--image=busybox",
                  "--", "sh", "-c", "read line; echo got $line", stdin="an answer\n").stdout
    assert "got an answer" in out and 'pod "asker" deleted' in out
    # Its containers had ended: gone from the store at once, its sandbox a moment later.
    assert kubectl(cluster, "get", "pod", "asker", check=False).returncode == 1
    wait_for(lambda: "asker" not in cluster.pods and "asker" not in cluster.pending, 5)
    line = "%s run shell -it --rm --restart=Never --image=busybox -- sh" % KUBECTL
    terminal = subprocess.Popen(["script", "-qc", line, "/dev/null"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                env=dict(os.environ, KUBECONFIG=cluster.kubeconfig))
    # Typed once kubectl is attached, as a user would: input sent before kubectl has
    # its terminal ready may be dropped when it switches the terminal to raw mode.
    seen, deadline = b"", time.monotonic() + 30
    while b"try pressing enter" not in seen and time.monotonic() < deadline:
        chunk = os.read(terminal.stdout.fileno(), 4096)
        if not chunk:
            break
        seen += chunk
    time.sleep(0.5)
    rest = terminal.communicate(b"echo inside $(hostname) $(tty)\nexit 4\n", timeout=60)[0]
    # A terminal's output is bytes: read it leniently (a stray byte is no failure).
    typed = (seen + rest).decode(errors="replace")
    assert re.search(r"^inside shell /dev/pts/\d+", typed, re.M), typed
    assert "pod default/shell terminated (Error)" in typed
    wait_for(lambda: "shell" not in cluster.pods, 5)   # its sandbox goes a moment later


def test_run_interactively_prints_each_line_of_the_container_once(cluster):
    """kubectl run -i shows the log written before it attaches, then attaches: the
    attach streams what comes after (as the kubelet's does), nothing twice."""
    out = kubectl(cluster, "run", "counter", "-i", "--rm", "--restart=Never",
                  "--image=busybox", "--", "sh", "-c", "echo first; sleep 1; echo second",
                  stdin="").stdout
    assert [line for line in out.splitlines() if line in ("first", "second")] == \
        ["first", "second"], out


def test_attach_needs_a_container_with_stdin(cluster):
    failed = kubectl(cluster, "attach", "client1", check=False)
    assert failed.returncode == 1
    assert "was not started with stdin or tty" in failed.stderr


def test_an_unknown_field_is_refused_as_kubectl_validates_by_default(cluster):
    typo = BAD_PORT.replace("badport", "typo").replace("ports: [{containerPort: 70000}]",
                                                       "imagee: busybox")
    failed = kubectl(cluster, "apply", "-f", "-", stdin=typo, check=False)
    assert failed.returncode == 1
    assert 'strict decoding error: unknown field "spec.containers[0].imagee"' in failed.stderr
    assert "typo" not in cluster.pods and "typo" not in cluster.pending
    accepted = kubectl(cluster, "apply", "--validate=false", "-f", "-", stdin=typo)
    assert accepted.stdout.strip() == "pod/typo created"
    kubectl(cluster, "delete", "pod", "typo")


def test_the_kubernetes_service_resolves_has_the_apis_endpoint_and_refuses_pods(cluster):
    row = kubectl(cluster, "get", "svc", "kubernetes", "--no-headers").stdout.split()
    assert row[:5] == ["kubernetes", "ClusterIP", "10.96.0.1", "<none>", "443/TCP"]
    endpoints = kubectl(cluster, "get", "endpoints", "kubernetes", "--no-headers").stdout
    assert endpoints.split()[1] == "127.0.0.1:%d" % cluster.api.port
    # busybox's nslookup searches the pod's domains for a bare name.
    looked_up = kubectl(cluster, "exec", "client1", "--", "nslookup", "kubernetes",
                        check=False).stdout
    assert "Name:\tkubernetes.default.svc.cluster.local\nAddress: 10.96.0.1\n" in looked_up
    # The API is on the machine's loopback: from a pod, the Service refuses at once.
    refused = cluster.exec("client1", "curl -sk -m 3 https://kubernetes/; echo exit=$?")
    assert "exit=7" in refused.stdout


POLICY_KINDS = """apiVersion: v1
kind: Namespace
metadata: {name: tenant}
---
apiVersion: v1
kind: LimitRange
metadata: {name: defaults, namespace: tenant}
spec:
  limits:
  - type: Container
    default: {cpu: 500m, memory: 128Mi}
    defaultRequest: {cpu: 100m, memory: 64Mi}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: small, namespace: tenant}
spec: {hard: {pods: "2", requests.cpu: "1"}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: tenant}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: web}}
"""


def test_limit_ranges_quotas_and_budgets_act_as_the_api_server_and_controllers_do(cluster):
    kubectl(cluster, "apply", "-f", "-", stdin=POLICY_KINDS)
    for name in ("web-1", "web-2"):
        kubectl(cluster, "run", name, "-n", "tenant", "--image=busybox", "--labels=app=web",
                "--", "sleep", "infinity")
    resources = json.loads(kubectl(cluster, "get", "pod", "web-1", "-n", "tenant", "-o",
                                   "jsonpath={.spec.containers[0].resources}").stdout)
    assert resources == {"limits": {"cpu": "500m", "memory": "128Mi"},
                         "requests": {"cpu": "100m", "memory": "64Mi"}}
    refused = kubectl(cluster, "run", "web-3", "-n", "tenant", "--image=busybox",
                      check=False)
    assert refused.returncode == 1 and 'pods "web-3" is forbidden: exceeded quota: small, ' \
        'requested: pods=1, used: pods=2, limited: pods=2' in refused.stderr
    wait_for(lambda: kubectl(cluster, "get", "quota", "small", "-n", "tenant",
                             "--no-headers").stdout.split()[2:] ==
             ["pods:", "2/2,", "requests.cpu:", "200m/1"], 10)
    wait_for(lambda: kubectl(cluster, "get", "pdb", "web", "-n", "tenant",
                             "--no-headers").stdout.split()[:4] == ["web", "1", "N/A", "1"], 15)
    local = kubectl(cluster, "get", "apiservices", "v1.apps", "--no-headers").stdout.split()
    assert local[:3] == ["v1.apps", "Local", "True"]
    kubectl(cluster, "delete", "namespace", "tenant")


def test_rbac_decides_for_whom_a_request_impersonates_as_auth_can_i_shows(cluster):
    """The run's token is the cluster's admin; `--as` makes a request someone else's,
    decided by the Roles and bindings in the store, as the API server's RBAC does."""
    kubectl(cluster, "create", "namespace", "rbac-demo")
    try:
        kubectl(cluster, "create", "role", "pod-reader", "--verb=get,list,watch",
                "--resource=pods", "-n", "rbac-demo")
        kubectl(cluster, "create", "rolebinding", "read-pods", "--role=pod-reader",
                "--user=jane", "-n", "rbac-demo")
        kubectl(cluster, "create", "serviceaccount", "bot", "-n", "rbac-demo")
        kubectl(cluster, "create", "rolebinding", "bot-view", "--clusterrole=view",
                "--serviceaccount=rbac-demo:bot", "-n", "rbac-demo")

        def can(*args):
            done = kubectl(cluster, "auth", "can-i", *args, check=False)
            return done.stdout.strip()
        assert can("list", "pods", "-n", "rbac-demo", "--as=jane") == "yes"
        assert can("delete", "pods", "-n", "rbac-demo", "--as=jane") == "no"
        assert can("list", "pods", "-n", "default", "--as=jane") == "no"
        bot = "--as=system:serviceaccount:rbac-demo:bot"
        assert can("get", "deployments.apps", "-n", "rbac-demo", bot) == "yes"
        assert can("get", "secrets", "-n", "rbac-demo", bot) == "no"
        assert can("delete", "nodes") == "yes"   # the admin
        assert "pods" in kubectl(cluster, "auth", "can-i", "--list", "-n", "rbac-demo",
                                 "--as=jane").stdout
        listed = kubectl(cluster, "get", "pods", "-n", "rbac-demo", "--as=jane")
        assert listed.returncode == 0
        refused = kubectl(cluster, "get", "pods", "-n", "default", "--as=jane", check=False)
        assert refused.returncode == 1 and refused.stderr.strip() == (
            'Error from server (Forbidden): pods is forbidden: User "jane" cannot list '
            'resource "pods" in API group "" in the namespace "default"')
        made = kubectl(cluster, "run", "sneaky", "-n", "rbac-demo", "--image=busybox", bot,
                       check=False)
        assert made.returncode == 1 and "cannot create resource" in made.stderr
    finally:
        kubectl(cluster, "delete", "namespace", "rbac-demo")
