"""Cluster DNS and namespaces: Services by name from any pod, as Kubernetes users
reach them, answered by DNS pods behind the kube-dns Service."""
import hashlib
import json
import sys
import time

import pytest

from tests.integration.conftest import manifest_path
from topo.cli import kubectl as kubectl_cli
from topo.cluster import Cluster

HOST_FILES = ("/etc/resolv.conf", "/etc/hosts", "/etc/hostname")
QUERY = """
import json, sys, time
import dns.message, dns.query, dns.rcode, dns.rdatatype
started = time.monotonic()
response = dns.query.udp(dns.message.make_query(sys.argv[1], sys.argv[2]), "10.96.0.10",
                         timeout=2)
print(json.dumps({"rcode": dns.rcode.to_text(response.rcode()),
                  "answers": sorted(r.to_text() for a in response.answer for r in a),
                  "seconds": time.monotonic() - started}))
"""


def fingerprint():
    digests = {}
    for path in HOST_FILES:
        with open(path, "rb") as handle:
            digests[path] = hashlib.sha256(handle.read()).hexdigest()
    return digests


@pytest.fixture(scope="module")
def host_files():
    return fingerprint()


@pytest.fixture(scope="module")
def cluster(host_files):
    with Cluster.from_files([manifest_path("dns.yaml")]) as running:
        yield running
    assert fingerprint() == host_files, "the machine's own files changed"


def query(cluster, pod, name, rdtype="A"):
    result = cluster.exec(pod, [sys.executable, "-c", QUERY, name, rdtype])
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_pods_see_kubernetes_resolv_conf_hosts_and_hostname(cluster):
    resolv = cluster.exec("team/twin", "cat /etc/resolv.conf").stdout.splitlines()
    assert resolv == ["search team.svc.cluster.local svc.cluster.local cluster.local",
                      "nameserver 10.96.0.10", "options ndots:5"]
    hosts = cluster.exec("team/twin", "cat /etc/hosts").stdout
    assert "%s\ttwin" % cluster.pod("team/twin").ip in hosts
    assert cluster.exec("team/twin", "cat /etc/hostname; hostname").stdout.split() == [
        "twin", "twin"]


def test_names_are_unique_per_namespace(cluster):
    assert cluster.pod("twin").namespace == "default"
    assert cluster.pod("team/twin").namespace == "team"
    assert cluster.pod("twin").ip != cluster.pod("team/twin").ip


def test_a_pod_in_another_namespace_reaches_the_service_by_name(cluster):
    for name in ("web.default", "web.default.svc.cluster.local"):
        answer = cluster.exec("team/twin", "curl -s -m 3 http://%s/hostname" % name)
        assert answer.returncode == 0 and answer.stdout.startswith("web-"), (name, answer)
    for tool in ("getent hosts web.default", "nslookup web.default.svc.cluster.local",
                 "dig +short web.default.svc.cluster.local"):
        assert cluster.served_service("web").cluster_ip in cluster.exec("team/twin", tool).stdout


def test_short_names_resolve_in_the_pods_own_namespace_only(cluster):
    assert cluster.exec("twin", "curl -s -m 3 http://web/hostname").stdout.startswith("web-")
    assert cluster.exec("team/twin", "curl -s -m 3 http://api/hostname").stdout.startswith(
        "api-")
    assert cluster.exec("team/twin", "getent hosts web").returncode != 0
    assert cluster.exec("twin", "getent hosts api").returncode != 0


def test_headless_service_answers_the_ready_pods_and_follows_scaling(cluster):
    def addresses():
        return query(cluster, "twin", "web-headless.default.svc.cluster.local")["answers"]

    def pod_ips():
        return sorted(p.ip for p in cluster.deployment_pods("web"))

    assert addresses() == pod_ips() and len(pod_ips()) == 2
    cluster.scale("web", 3)
    assert addresses() == pod_ips() and len(pod_ips()) == 3
    cluster.scale("web", 2)
    assert addresses() == pod_ips()


def test_srv_records_for_named_ports(cluster):
    found = query(cluster, "twin", "_http._tcp.web.default.svc.cluster.local", "SRV")
    assert found["answers"] == ["0 100 80 web.default.svc.cluster.local."]
    srv = cluster.exec("twin", "dig +short SRV _http._tcp.web.default.svc.cluster.local")
    assert srv.stdout.strip() == "0 100 80 web.default.svc.cluster.local."


def test_a_headless_service_has_an_srv_record_and_a_name_for_each_ready_pod(cluster):
    fqdn = "web-headless.default.svc.cluster.local."
    pods = sorted(p.ip for p in cluster.deployment_pods("web"))
    found = query(cluster, "twin", "_http._tcp." + fqdn, "SRV")["answers"]
    names = ["%s.%s" % (ip.replace(".", "-"), fqdn) for ip in pods]
    assert found == sorted("0 %d 8080 %s" % (100 // len(pods), name) for name in names)
    assert [query(cluster, "twin", name)["answers"] for name in names] == [[ip] for ip in pods]


def test_reverse_lookups_name_services_and_headless_endpoints(cluster):
    vip = cluster.served_service("web").cluster_ip
    looked_up = cluster.exec("twin", "dig +short -x %s" % vip).stdout.strip()
    assert looked_up == "web.default.svc.cluster.local."
    pod = sorted(p.ip for p in cluster.deployment_pods("web"))[0]
    assert cluster.exec("twin", "dig +short -x %s" % pod).stdout.strip() == \
        "%s.web-headless.default.svc.cluster.local." % pod.replace(".", "-")


def test_outside_names_go_to_the_internet_hosts_dns_and_others_get_nxdomain_at_once(
        cluster):
    """kubeadm's Corefile forwards names outside the cluster to the node's nameserver:
    here the internet host, authoritative for example.com (the internet host)."""
    internet = cluster.addresses.internet.ip
    assert query(cluster, "twin", "example.com")["answers"] == [internet]
    assert cluster.exec("twin", "curl -s -m 3 http://www.example.com/hostname").stdout == \
        "internet"
    # The query left through the node, masqueraded: the internet host saw node1.
    assert cluster.exec("twin", "curl -s -m 3 http://example.com/clientip").stdout.split(
        ":")[0] == cluster.pod("twin").node.plan.ip
    found = query(cluster, "twin", "nothing.invalid")
    assert found["rcode"] == "NXDOMAIN" and found["seconds"] < 0.1
    assert query(cluster, "twin", "nothing.default.svc.cluster.local")["rcode"] == "NXDOMAIN"
    # Reverse names the cluster does not know fall through to it too.
    assert cluster.exec("twin", "dig +short -x %s" % internet).stdout == "example.com.\n"


def test_records_follow_services_as_they_come_and_go(cluster):
    cluster.apply_text("""
apiVersion: v1
kind: Service
metadata: {name: fresh}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
""")
    applied = time.monotonic()
    while query(cluster, "twin", "fresh.default.svc.cluster.local")["rcode"] != "NOERROR":
        assert time.monotonic() - applied < 1, "a new Service resolves within a second"
    assert query(cluster, "twin", "fresh.default.svc.cluster.local")["answers"] == [
        cluster.served_service("fresh").cluster_ip]
    cluster.delete("service", "fresh")
    assert query(cluster, "twin", "fresh.default.svc.cluster.local")["rcode"] == "NXDOMAIN"


def test_dns_keeps_working_when_a_dns_pod_is_deleted(cluster):
    dns_pods = [p.ref for p in cluster.pods.values() if p.namespace == "kube-system"]
    assert len(dns_pods) == 2
    cluster.delete("pod", dns_pods[0])
    for _ in range(20):
        found = query(cluster, "twin", "web.default.svc.cluster.local")
        assert found["answers"] == [cluster.served_service("web").cluster_ip]
    assert len([p for p in cluster.pods.values() if p.namespace == "kube-system"]) == 2


def test_a_pods_dashed_address_name_resolves_and_kubernetes_default_too(cluster):
    twin = cluster.pod("team/twin")
    name = "%s.team.pod.cluster.local" % twin.ip.replace(".", "-")
    assert query(cluster, "team/twin", name)["answers"] == [twin.ip]
    assert query(cluster, "team/twin", "kubernetes.default.svc.cluster.local")["answers"] == \
        [cluster.served_service("kubernetes").cluster_ip]
    looked_up = cluster.exec("team/twin", "nslookup kubernetes.default.svc.cluster.local")
    assert looked_up.returncode == 0 and "Address: 10.96.0.1" in looked_up.stdout


def test_the_coredns_configmap_turns_the_query_log_on_and_names_what_kubemn_ignores(cluster):
    """"Debugging DNS Resolution": add `log` to the Corefile, then read the queries in
    the DNS pods' logs."""
    def kubectl(*args, stdin=None):
        result = kubectl_cli.run(cluster, list(args), input=stdin)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def dns_logs():
        return kubectl("logs", "-n", "kube-system", "-l", "k8s-app=kube-dns", "--tail=-1")

    def eventually(what, predicate, seconds=10.0):
        deadline = time.monotonic() + seconds
        while not predicate():
            assert time.monotonic() < deadline, "%s; the DNS pods' logs:\n%s" % (
                what, dns_logs())
            time.sleep(0.2)

    config = json.loads(kubectl("get", "configmap", "coredns", "-n", "kube-system", "-o",
                                "json"))
    original = config["data"]["Corefile"]
    assert "kubernetes cluster.local in-addr.arpa ip6.arpa {" in original
    assert "CoreDNS-1.11.1" in dns_logs()
    logged = original.replace("    errors\n", "    log\n    errors\n    rewrite name a.b c.d\n")
    patch = json.dumps({"data": {"Corefile": logged}})
    kubectl("patch", "configmap", "coredns", "-n", "kube-system", "--type=merge", "-p", patch)
    eventually("a warning for rewrite from both DNS pods",
               lambda: dns_logs().count("[WARNING] plugin/rewrite is not served") >= 2)
    twin = cluster.pod("team/twin")
    name = "web.default.svc.cluster.local."
    line = '"A IN %s udp ' % name

    def queried():
        query(cluster, "team/twin", name)
        return any(logged.startswith("[INFO] %s:" % twin.ip) and line in logged
                   for logged in dns_logs().splitlines())
    eventually("the query in the log", queried)
    kubectl("patch", "configmap", "coredns", "-n", "kube-system", "--type=merge", "-p",
            json.dumps({"data": {"Corefile": original}}))
    eventually("both pods reloaded twice",
               lambda: dns_logs().count("[INFO] Reloading complete") >= 4)
    before = dns_logs().count(line)
    query(cluster, "team/twin", name)
    time.sleep(0.5)
    assert dns_logs().count(line) == before, "the log is off again"
    kubectl("create", "configmap", "greeting", "-n", "team", "--from-literal=text=hello")
    assert kubectl("get", "configmap", "greeting", "-n", "team", "-o",
                   "jsonpath={.data.text}") == "hello"
    assert kubectl("get", "cm", "-n", "team").split()[:6] == ["NAME", "DATA", "AGE",
                                                               "greeting", "1", "0s"] or \
        kubectl("get", "cm", "-n", "team").split()[3:5] == ["greeting", "1"]


def test_dns_policy_and_dns_config_shape_the_pods_resolv_conf(cluster):
    cluster.apply_text("""
apiVersion: v1
kind: Pod
metadata: {name: custom, namespace: team}
spec:
  dnsPolicy: "None"
  dnsConfig:
    nameservers: [192.0.2.1]
    searches: [ns1.svc.cluster-domain.example, my.dns.search.suffix]
    options: [{name: ndots, value: "2"}, {name: edns0}]
  containers: [{name: shell, image: busybox, command: [sleep, infinity]}]
---
apiVersion: v1
kind: Pod
metadata: {name: plain-host, namespace: team}
spec:
  dnsPolicy: Default
  containers: [{name: shell, image: busybox, command: [sleep, infinity]}]
""")
    try:
        assert cluster.exec("team/custom", "cat /etc/resolv.conf").stdout == (
            "search ns1.svc.cluster-domain.example my.dns.search.suffix\n"
            "nameserver 192.0.2.1\noptions ndots:2 edns0\n")
        # Default: the node's resolv.conf, which names the internet host's server.
        assert cluster.exec("team/plain-host", "cat /etc/resolv.conf").stdout == \
            "nameserver %s\n" % cluster.addresses.internet.ip
        described = kubectl_cli.run(cluster, ["get", "pod", "custom", "-n", "team", "-o",
                                              "jsonpath={.spec.dnsPolicy}"]).stdout
        assert described == "None"
        refused = kubectl_cli.run(cluster, ["run", "bad", "-n", "team", "--image=busybox",
                                            "--overrides", '{"spec": {"dnsPolicy": "None"}}'])
        assert refused.returncode == 1 and "spec.dnsConfig" in refused.stderr, refused.stderr
    finally:
        cluster.delete("pod", "team/custom")
        cluster.delete("pod", "team/plain-host")


DNSUTILS = """{
  apiVersion: "v1",
  kind: "Pod",
  metadata: {name: "dnsutils", namespace: "default"},
  spec: {
    containers: [{name: "dnsutils", image: "registry.k8s.io/e2e-test-images/agnhost:2.39",
                  imagePullPolicy: "IfNotPresent"}],
    restartPolicy: "Always",
  },
}
"""


def test_debugging_dns_resolution_as_the_docs_walk_through_it(cluster):
    """"Debugging DNS Resolution", step by step with the real kubectl and the docs'
    dnsutils.yaml (agnhost, which pauses; its nslookup and dig are bind's)."""
    def kubectl(*args, stdin=None):
        result = kubectl_cli.run(cluster, list(args), input=stdin)
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert kubectl("apply", "-f", "-", stdin=DNSUTILS) == "pod/dnsutils created\n"
    try:
        kubectl("wait", "--for=condition=Ready", "pod/dnsutils", "--timeout=30s")
        assert kubectl("get", "pods", "dnsutils").split()[5:8] == ["dnsutils", "1/1",
                                                                  "Running"]
        looked_up = kubectl("exec", "-i", "dnsutils", "--", "nslookup", "kubernetes.default")
        assert looked_up.startswith("Server:\t\t10.96.0.10\nAddress:\t10.96.0.10#53\n")
        assert "Name:\tkubernetes.default.svc.cluster.local\nAddress: 10.96.0.1\n" in looked_up
        assert kubectl("exec", "dnsutils", "--", "cat", "/etc/resolv.conf") == (
            "search default.svc.cluster.local svc.cluster.local cluster.local\n"
            "nameserver 10.96.0.10\noptions ndots:5\n")
        rows = kubectl("get", "pods", "--namespace=kube-system", "-l", "k8s-app=kube-dns",
                       "--no-headers").splitlines()
        assert len(rows) == 2 and all(r.split()[1:3] == ["1/1", "Running"] for r in rows)
        for name in kubectl("get", "pods", "--namespace=kube-system", "-l",
                            "k8s-app=kube-dns", "-o", "name").split():
            log = kubectl("logs", "--namespace=kube-system", name)
            assert log.startswith(".:53\n") and "CoreDNS-" in log
            assert "[INFO] plugin/reload: Running configuration SHA512 = " in log
        services = kubectl("get", "svc", "--namespace=kube-system").splitlines()
        assert services[1].split()[:5] == ["kube-dns", "ClusterIP", "10.96.0.10", "<none>",
                                           "53/UDP,53/TCP"]
        endpoints = kubectl("get", "ep", "kube-dns", "--namespace=kube-system").split()
        dns_pods = sorted(p.ip for p in cluster.pods.values() if p.namespace == "kube-system")
        assert sorted({e.split(":")[0] for e in endpoints[4].split(",")}) == dns_pods
        # A name outside the cluster, forwarded to the internet host's server.
        outside = kubectl("exec", "dnsutils", "--", "nslookup", "example.com")
        assert "Name:\texample.com\nAddress: %s\n" % cluster.addresses.internet.ip in outside
    finally:
        kubectl("delete", "pod", "dnsutils")


NAMED = """
apiVersion: v1
kind: Service
metadata: {name: my-service, namespace: team}
spec: {type: ExternalName, externalName: www.example.com}
---
apiVersion: v1
kind: Service
metadata: {name: busybox-subdomain}
spec:
  selector: {name: busybox}
  clusterIP: None
  ports: [{name: foo, port: 1234, targetPort: 1234}]
---
apiVersion: v1
kind: Pod
metadata: {name: busybox1, labels: {name: busybox}}
spec:
  hostname: busybox-1
  subdomain: busybox-subdomain
  containers: [{name: busybox, image: "busybox:1.28", command: [sleep, "3600"]}]
---
apiVersion: v1
kind: Service
metadata: {name: unready}
spec:
  clusterIP: None
  publishNotReadyAddresses: true
  selector: {app: unready}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Pod
metadata: {name: unready, labels: {app: unready}}
spec:
  containers:
  - name: web
    image: registry.k8s.io/e2e-test-images/agnhost:2.39
    args: [netexec, --http-port=80, --udp-port=-1]
    readinessProbe: {exec: {command: ["false"]}, periodSeconds: 1}
"""


def test_external_names_pod_hostnames_and_not_ready_addresses_as_the_docs_show(cluster):
    """"DNS for Services and Pods": an ExternalName is a CNAME (completed from
    upstream), a pod with hostname and subdomain has its FQDN in DNS and /etc/hosts,
    and publishNotReadyAddresses publishes a pod that is not ready."""
    cluster.apply_text(NAMED)
    try:
        internet = cluster.addresses.internet.ip
        found = query(cluster, "twin", "my-service.team.svc.cluster.local")
        assert found["answers"] == sorted([internet, "www.example.com."]), found
        row = kubectl_cli.run(cluster, ["get", "svc", "my-service", "-n", "team",
                                        "--no-headers"]).stdout.split()
        assert row[1:5] == ["ExternalName", "<none>", "www.example.com", "<none>"]
        assert cluster.exec("team/twin", "curl -s -m 3 http://my-service/hostname"
                            ).stdout == "internet"
        pod = cluster.pod("busybox1")
        assert cluster.exec("busybox1", "hostname").stdout == "busybox-1\n"
        fqdn = "busybox-1.busybox-subdomain.default.svc.cluster.local"
        assert "%s\t%s\tbusybox-1\n" % (pod.ip, fqdn) in \
            cluster.exec("busybox1", "cat /etc/hosts").stdout
        assert query(cluster, "twin", fqdn)["answers"] == [pod.ip]
        unready = cluster.pod("unready")
        assert not unready.is_ready
        assert query(cluster, "twin", "unready.default.svc.cluster.local")["answers"] == \
            [unready.ip]
    finally:
        for kind, name in (("service", "team/my-service"), ("service", "busybox-subdomain"),
                           ("pod", "busybox1"), ("service", "unready"), ("pod", "unready")):
            cluster.delete(kind, name)
