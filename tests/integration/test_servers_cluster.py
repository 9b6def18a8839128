"""A whole cluster over three simulated servers, as a user runs it: the nodes
placed over the servers and shown so, the real kubectl's exec and logs reaching pods
on every server, trace crossing a tunnel, and nothing left on any server at the end.
(The model's own tests run over servers in `make test-servers`.)"""
import os
import re
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.integration.conftest import wait_for
from tests.integration.test_reliability import start_kubemn
from topo.cli import kubectl
from topo.cluster import Cluster
from topo.errors import KubemnError
from topo.inspect.draw import cluster_dot
from topo.inspect.tracepath import trace
from topo.plan.manifest import parse_texts
from topo.runtime import cleanup
from topo.servers.simulated import SimulatedServers

KUBECTL = os.path.join(os.path.dirname(sys.executable), "kubectl")
MANIFEST = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: registry.k8s.io/e2e-test-images/agnhost:2.39
        args: ["netexec", "--http-port=80"]
        ports: [{containerPort: 80}]
      topologySpreadConstraints:
      - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule,
         labelSelector: {matchLabels: {app: web}}}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Pod
metadata: {name: far}
spec:
  nodeName: node3
  containers:
  - {name: c, image: busybox, command: [sh, -c, "echo hello from $(hostname); sleep 3600"]}
"""


@pytest.fixture(scope="module")
def servers(over_servers):
    if over_servers is not None:   # make test-servers: the session's
        yield over_servers
        return
    made = SimulatedServers(3).start()
    yield made
    made.stop()


@pytest.fixture(scope="module")
def cluster(servers):
    with Cluster(parse_texts([("servers test", MANIFEST)]), nodes=3,
                 servers=",".join(servers.lan.names), placer="round-robin") as running:
        yield running


def test_nodes_are_shown_on_their_servers(cluster, servers):
    wide = kubectl.run(cluster, ["get", "nodes", "-o", "wide", "-L", "kubemn.io/server"])
    assert wide.returncode == 0, wide.stderr
    rows = {line.split()[0]: line for line in wide.stdout.splitlines()[1:]}
    addresses = dict(zip(servers.lan.names, [servers.lan.head_address] +
                         [s.address for s in servers.lan.servers]))
    for node, server in (("node1", "head"), ("node2", "server2"), ("node3", "server3")):
        # OS-IMAGE, and the label; not EXTERNAL-IP: a NodePort does not answer there
        assert "Mininet host on %s (%s)" % (server, addresses[server]) in rows[node]
        assert rows[node].split()[-1] == server
        assert cluster.net[node].cmd("hostname").strip() == (
            server if server != "head" else subprocess.run(
                ["hostname"], capture_output=True, text=True).stdout.strip())
    dot = cluster_dot(cluster)
    assert "on server3 (%s)" % addresses["server3"] in dot and 'label="VXLAN"' in dot


def test_kubectl_exec_and_logs_reach_a_pod_on_another_server(cluster):
    hostname = kubectl.run(cluster, ["exec", "far", "--", "hostname"])
    assert (hostname.returncode, hostname.stdout.strip()) == (0, "far"), hostname.stderr
    logs = kubectl.run(cluster, ["logs", "far"])
    assert logs.stdout.strip() == "hello from far"
    failing = kubectl.run(cluster, ["exec", "far", "--", "sh", "-c", "exit 3"])
    assert failing.returncode == 3


def test_kubectl_port_forward_and_exec_with_a_terminal_on_another_server(cluster):
    target = next(p for p in cluster.pods.values()
                  if p.ref.startswith("web") and cluster.server_of(p.node.name) == "server2")
    forward = subprocess.Popen([KUBECTL, "port-forward", "pod/" + target.name, "18090:80"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=dict(os.environ, KUBECONFIG=cluster.kubeconfig))
    try:
        first = forward.stdout.readline()
        assert first.startswith("Forwarding from 127.0.0.1:18090"), first
        for _ in range(3):
            with urllib.request.urlopen("http://127.0.0.1:18090/hostname", timeout=5) as got:
                assert got.read().decode() == target.name
    finally:
        forward.terminate()
        forward.wait(10)
    line = "%s exec -it far -- sh" % KUBECTL
    terminal = subprocess.Popen(["script", "-eqc", line, "/dev/null"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                env=dict(os.environ, KUBECONFIG=cluster.kubeconfig))
    time.sleep(2)
    typed = terminal.communicate(b"echo inside $(hostname) $(tty) $TERM\nexit 4\n",
                                 timeout=60)[0].decode(errors="replace")
    assert re.search(r"^inside far /dev/pts/\d+ xterm", typed, re.M), typed
    assert terminal.returncode == 4


def test_the_apis_proxy_reaches_pods_on_every_server(cluster):
    for pod in (p for p in cluster.pods.values() if p.ref.startswith("web")):
        got = kubectl.run(cluster, ["get", "--raw", "/api/v1/namespaces/default/pods/"
                                    "%s:80/proxy/hostname" % pod.name])
        assert got.stdout == pod.name, (cluster.server_of(pod.node.name), got.stderr)
    kubelet = kubectl.run(cluster, ["get", "--raw", "/api/v1/nodes/node3/proxy/pods"])
    assert kubelet.returncode == 1 and "another server" in kubelet.stderr
    assert kubectl.run(cluster, ["get", "--raw", "/api/v1/nodes/node1/proxy/pods"]
                       ).returncode == 0


def test_a_service_answers_from_every_server_with_endpoints_on_every_server(cluster):
    endpoints = {cluster.server_of(p.node.name) for p in cluster.pods.values()
                 if p.ref.startswith("web")}
    assert endpoints == {"head", "server2", "server3"}
    seen = set()
    for _ in range(30):
        answer = cluster.exec("far", "wget -qO- -T2 http://web/hostname").stdout.strip()
        assert answer.startswith("web-"), answer
        seen.add(answer)
    assert len(seen) == 3, "each endpoint, on each server, answers in turn"


def test_trace_crosses_the_tunnel(cluster):
    target = next(p for p in cluster.pods.values()
                  if p.ref.startswith("web") and cluster.server_of(p.node.name) == "head")
    text = trace(cluster, "far %s:80" % target.ip)
    assert "kmn-s3" in text and "kmn-s1" in text, text
    assert "node3 eth0" in text and "node1 eth0" in text, text


def test_the_flow_log_hears_the_nodes_of_every_server(cluster):
    log = cluster.flow_log()
    log.settle()
    start = log.seen
    target = next(p for p in cluster.pods.values()
                  if p.ref.startswith("web") and cluster.server_of(p.node.name) == "server2")
    assert cluster.exec("far", "wget -qO- -T2 http://%s/hostname" % target.ip).stdout
    log.settle()
    records, _ = log.since(start)
    began = {r["node"] for r in records if r["event"] == "BEGAN" and
             r["destination"]["ip"] == target.ip and r["source"]["ip"] == cluster.pod("far").ip}
    assert began == {"node3", "node2"}, records   # the client's (server3), the server's
    with pytest.raises(KubemnError, match="runs on server3"):
        cluster.watch_inside("far")


def test_nodes_added_later_go_to_the_servers_too(cluster):
    # The least loaded server's switch takes each: the head's, then another's.
    for name in ("node4", "node5"):
        made = kubectl.run(cluster, ["create", "-f", "-"], input=(
            '{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "%s"}}' % name))
        assert made.returncode == 0, made.stderr
    wait_for(lambda: {"node4", "node5"} <= set(cluster.node_plans), 20)
    placed = {name: cluster.server_of(name) for name in ("node4", "node5")}
    assert len(set(placed.values())) == 2 and "head" in placed.values(), placed
    remote = next(name for name, server in placed.items() if server != "head")
    started = kubectl.run(cluster, ["run", "late", "--image=busybox", "--overrides",
                                    '{"spec": {"nodeName": "%s"}}' % remote, "--", "sleep",
                                    "3600"])
    assert started.returncode == 0, started.stderr
    ready = kubectl.run(cluster, ["wait", "--for=condition=Ready", "pod/late",
                                  "--timeout=30s"])
    assert ready.returncode == 0, ready.stderr
    answer = cluster.exec("late", "nslookup kubernetes.default.svc.cluster.local")
    assert "Address: 10.96.0.1" in answer.stdout, answer.stdout + answer.stderr
    for gone in (["delete", "pod", "late", "--wait=false"], ["delete", "node", "node4"],
                 ["delete", "node", "node5"]):
        assert kubectl.run(cluster, gone).returncode == 0
    wait_for(lambda: not {"node4", "node5"} & set(cluster.node_plans), 20)


def test_nothing_of_the_run_is_left_on_any_server(cluster, servers):
    cluster.stop()
    nothing_of_ours_on(servers)


def test_a_server_that_cannot_be_reached_is_one_line_and_leaves_nothing(servers):
    # (after the module's cluster has stopped: one run at a time)
    with pytest.raises(KubemnError) as error:
        Cluster(nodes=2, servers="head,198.18.0.99").start()
    assert "198.18.0.99" in str(error.value) and "\n" not in str(error.value)
    found = cleanup.leftovers()
    found.pop(cleanup.SERVERS_KIND)
    assert not any(found.values()), found


def test_kill_9_of_a_run_over_servers_and_clean_leave_nothing_anywhere(servers):
    # `kubemn run --servers` as a user starts it, killed with no chance to tear down.
    process = start_kubemn("--servers", ",".join(servers.lan.names), "--nodes", "3",
                           "--placer", "round-robin")
    process.kill()
    process.wait()
    assert "kubemn-pause" in _on(servers.lan.servers[0].name, "ps -eo args")
    # What `kubemn clean` does, but for the simulated servers themselves (it would
    # end them too, and with them the evidence).
    cleanup.clean(servers=False)
    nothing_of_ours_on(servers)
    found = cleanup.leftovers()
    found.pop(cleanup.SERVERS_KIND)
    assert not any(found.values()), found


def _on(server, command):
    answer = subprocess.run(["ssh", "-F", "/run/kubemn-servers/ssh_config", server, command],
                            capture_output=True, text=True, timeout=30)
    assert answer.returncode != 255, answer.stderr
    return answer.stdout


def nothing_of_ours_on(servers):
    """No process, interface, table or file of a run left on any simulated server."""
    for server in servers.lan.servers:
        left = _on(server.name, "ps -eo args; ip -o link; nft list tables; ls /run/kubemn")
        for trace_of_us in ("topo.servers.agent", "ovs-vswitchd", "kubemn-pause",
                            "mininet:", " kmn-", "kmn-underlay", "fork_server"):
            assert trace_of_us not in left, (server.name, trace_of_us, left)
