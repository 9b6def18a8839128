"""Source addresses as kube-proxy and a real CNI give them, seen by the backend
(agnhost netexec's /clientip) and by a server outside the cluster: the Kubernetes
tutorial "Using Source IP", step by step."""
import subprocess
import sys

import pytest

from tests.integration.conftest import ROOT, first_answer, manifest_path
from topo.cli import kubectl as kubectl_cli
from topo.cluster import Cluster
from topo.plan.ipam import MASQUERADE_IP
from topo.runtime.processes import enter_argv

REQUESTS = 30
OUTSIDE_PORT = 8000


@pytest.fixture(scope="module")
def cluster():
    with Cluster.from_files([manifest_path("source-ip.yaml")]) as running:
        yield running


def vip(cluster, service):
    return cluster.served_service(service).cluster_ip


def node_ip(cluster, node):
    return cluster.node_plans[node].ip


def sources_seen(cluster, pod, url, count=REQUESTS):
    """The client addresses the server reports, one request (connection) each."""
    script = ("import sys, urllib.request\n"
              "for _ in range(%d):\n"
              "    with urllib.request.urlopen(sys.argv[1], timeout=3) as answer:\n"
              "        print(answer.read().decode().rsplit(':', 1)[0])\n" % count)
    result = cluster.exec(pod, [sys.executable, "-c", script, url], timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def from_internet(cluster, url, count=1):
    host = cluster.net["internet"]
    answers = []
    for _ in range(count):
        answer = subprocess.run(enter_argv(host.pid) + ["curl", "-s", "-m", "3", url],
                                capture_output=True, text=True, timeout=10)
        answers.append((answer.returncode, answer.stdout))
    return answers


def test_cluster_ip_keeps_the_client_address_with_a_backend_on_its_own_node(cluster):
    assert cluster.pod("client").node is cluster.pod("echo-1").node
    url = "http://%s/clientip" % vip(cluster, "echo-node1")
    assert sources_seen(cluster, "client", url) == [cluster.pod("client").ip] * REQUESTS


def test_cluster_ip_keeps_the_client_address_on_every_backend(cluster):
    url = "http://%s/clientip" % vip(cluster, "echo")
    assert sources_seen(cluster, "client", url) == [cluster.pod("client").ip] * REQUESTS


def test_only_a_pod_reaching_itself_through_its_service_is_masqueraded(cluster):
    url = "http://%s/clientip" % vip(cluster, "echo-node1")
    assert sources_seen(cluster, "echo-1", url, 5) == [MASQUERADE_IP] * 5


def test_node_port_with_cluster_policy_shows_the_node_the_traffic_entered(cluster):
    for node in ("node1", "node2"):
        answers = from_internet(cluster, "http://%s:30090/clientip" % node_ip(cluster, node), 8)
        assert [rc for rc, _ in answers] == [0] * 8
        assert {body.rsplit(":", 1)[0] for _, body in answers} == {node_ip(cluster, node)}


def test_a_pod_reaches_a_node_port_on_its_own_node_and_on_another(cluster):
    for node in ("node1", "node2"):
        url = "http://%s:30090/clientip" % node_ip(cluster, node)
        assert set(sources_seen(cluster, "client", url, 6)) == {node_ip(cluster, node)}


def test_load_balancer_with_cluster_policy_shows_the_endpoints_node(cluster):
    address = cluster.served_service("echo-lb").lb_ip
    (rc, body), = from_internet(cluster, "http://%s/clientip" % address)
    assert rc == 0 and body.rsplit(":", 1)[0] == node_ip(cluster, "node2")


def test_egress_to_the_internet_leaves_with_the_nodes_address(cluster):
    host = cluster.net["internet"]
    server = subprocess.Popen(enter_argv(host.pid) + [
        sys.executable, "-m", "services.apps.netexec", "--http-port", str(OUTSIDE_PORT)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT)
    try:
        url = "http://%s:%d/clientip" % (host.IP(), OUTSIDE_PORT)
        wait = [sys.executable, "-c", "import socket, time\nfor _ in range(50):\n"
                "    try: socket.create_connection(('%s', %d), 1).close(); break\n"
                "    except OSError: time.sleep(0.1)\n" % (host.IP(), OUTSIDE_PORT)]
        cluster.exec("client", wait, timeout=10)
        for pod in ("client", "echo-2"):
            node = cluster.pod(pod).node.name
            assert set(sources_seen(cluster, pod, url, 3)) == {node_ip(cluster, node)}
    finally:
        server.kill()
        server.wait()


def test_the_internet_cannot_open_connections_to_pod_or_service_addresses(cluster):
    for target in (cluster.pod("echo-1").ip + ":8080", vip(cluster, "echo") + ":80"):
        (rc, _), = from_internet(cluster, "http://%s/hostname" % target)
        assert rc != 0, target
    (rc, _), = from_internet(cluster, "http://%s:30090/hostname" % node_ip(cluster, "node1"))
    assert rc == 0, "NodePorts stay reachable"


def test_the_using_source_ip_tutorial_as_the_docs_run_it(cluster):
    """kubectl create deployment source-ip-app --image=registry.k8s.io/echoserver:1.10,
    expose it, and wget it from a busybox pod: the echo names the pod's address."""
    def kubectl(*args):
        result = kubectl_cli.run(cluster, list(args))
        assert result.returncode == 0, result.stderr
        return result.stdout

    kubectl("create", "deployment", "source-ip-app",
            "--image=registry.k8s.io/echoserver:1.10")
    kubectl("expose", "deployment", "source-ip-app", "--name=clusterip", "--port=80",
            "--target-port=8080")
    kubectl("rollout", "status", "deployment/source-ip-app", "--timeout=30s")
    ip = cluster.served_service("clusterip").cluster_ip
    echo = first_answer(cluster, "client", ["wget", "-T", "2", "-qO", "-", ip])
    assert "\tclient_address=%s\n" % cluster.pod("client").ip in echo, echo
    assert "\tserver_version=nginx: 1.13.3 - lua: 10008\n" in echo
    kubectl("delete", "deployment", "source-ip-app")
    kubectl("delete", "service", "clusterip")
