"""The first three problems of the Kubernetes network model, with real packets:
container to container, pod to pod on one node, pod to pod across nodes; plus node
to pod, and pods replaced by their Deployment."""
import random

import pytest

from tests.integration.conftest import (Capture, manifest_path, node_enter, pod_enter,
                                        scapy_in_pod, wait_for)
from topo.cluster import Cluster

NODE_IP = {"node1": "192.168.0.1", "node2": "192.168.0.2"}


@pytest.fixture(scope="module")
def cluster():
    with Cluster.from_files([manifest_path("pod-network.yaml")]) as running:
        yield running


def ip_of(cluster, pod):
    return cluster.pod(pod).ip


def test_pods_get_addresses_from_their_nodes_pod_cidr(cluster):
    assert ip_of(cluster, "duo").startswith("10.244.1.")
    assert ip_of(cluster, "web2").startswith("10.244.2.")
    assert cluster.exec("web2", "hostname").stdout.strip() == "web2"
    route = cluster.exec("near", "ip route show default").stdout
    assert "via 10.244.1.1 dev eth0" in route


def test_containers_of_a_pod_share_localhost(cluster):
    capture = Capture(pod_enter(cluster, "duo"), "lo", "tcp dst port 9000", count=1)
    reply = cluster.exec("duo", "curl -s -o /dev/null -w '%{http_code}' "
                                "http://localhost:9000/", container="sidecar")
    assert reply.stdout == "200"
    seen = capture.packets()
    assert seen and seen[0]["src"] == "127.0.0.1" and seen[0]["dst"] == "127.0.0.1"


def test_another_pods_localhost_is_its_own(cluster):
    other = cluster.exec("near", "curl -s -m 2 http://localhost:9000/")
    assert other.returncode == 7, "connection refused expected, got %r" % (other,)
    direct = cluster.exec("near", "curl -s -m 2 http://%s:9000/" % ip_of(cluster, "duo"))
    assert direct.returncode == 7, "the loopback-only server must not be reachable"


def test_pod_to_pod_on_one_node_crosses_cbr0(cluster):
    src, dst = ip_of(cluster, "near"), ip_of(cluster, "web1")
    ident = random.randint(1, 65535)
    capture = Capture(node_enter(cluster, "node1"), "cbr0",
                      "icmp and src host %s and dst host %s" % (src, dst))
    reply = scapy_in_pod(cluster, "near", "ping", dst, 64, ident)
    assert reply["src"] == dst and reply["icmp_type"] == 0
    seen = capture.packets()
    assert len(seen) == 1
    assert seen[0]["icmp_id"] == ident
    assert seen[0]["ttl"] == 64, "a bridged packet is not routed"


def test_pod_to_pod_across_nodes_is_routed_without_nat(cluster):
    src, dst = ip_of(cluster, "near"), ip_of(cluster, "web2")
    bpf = "icmp[icmptype] = icmp-echo and src host %s and dst host %s" % (src, dst)
    leaving = Capture(node_enter(cluster, "node1"), "eth0", bpf)
    entering = Capture(node_enter(cluster, "node2"), "eth0", bpf)
    arriving = Capture(pod_enter(cluster, "web2"), "eth0", bpf)
    reply = scapy_in_pod(cluster, "near", "ping", dst, 64)
    assert reply is not None and reply["src"] == dst
    # Routed by node1, the fabric and node2: one TTL each, source address intact.
    assert [p["ttl"] for p in leaving.packets()] == [63]
    assert [p["ttl"] for p in entering.packets()] == [62]
    assert [p["ttl"] for p in arriving.packets()] == [61]


def test_tcp_across_nodes_sees_the_client_pod_ip(cluster):
    answer = scapy_in_pod(cluster, "near", "syn", ip_of(cluster, "web2"), 8080)
    assert answer["flags"] == "SA" and answer["src"] == ip_of(cluster, "web2")
    seen_as = cluster.exec("near", "curl -s http://%s:8080/clientip" % ip_of(cluster, "web2"))
    assert seen_as.stdout.split(":")[0] == ip_of(cluster, "near")


def test_udp_across_nodes(cluster):
    answer = scapy_in_pod(cluster, "web1", "udp", ip_of(cluster, "web2"), 8081, "hostname")
    assert answer["payload"] == "web2"


def test_node_to_pod_and_pod_to_its_node(cluster):
    for node in ("node1", "node2"):
        for pod in ("web1", "web2"):
            result = cluster.node_exec(node, "ping -c1 -W2 %s" % ip_of(cluster, pod))
            assert result.returncode == 0, (node, pod, result.stdout)
    result = cluster.exec("web1", "ping -c1 -W2 %s" % NODE_IP["node1"])
    assert result.returncode == 0, result.stdout
    result = cluster.exec("web2", "curl -s -m 2 -o /dev/null -w '%%{http_code}' "
                                  "http://%s:8080/hostname" % ip_of(cluster, "web1"))
    assert result.stdout == "200"


def test_deleted_pod_is_replaced_and_its_address_stops_answering(cluster):
    before = {p.name: p.ip for p in cluster.deployment_pods("echo")}
    assert len(before) == 2
    victim = sorted(before)[0]
    cluster.delete("pod", victim)
    wait_for(lambda: len(cluster.deployment_pods("echo")) == 2, 10)   # its ReplicaSet's
    cluster.wait_started()
    after = {p.name: p.ip for p in cluster.deployment_pods("echo")}
    assert len(after) == 2 and victim not in after
    (new_name,) = set(after) - set(before)
    assert new_name.startswith("echo-")
    assert after[new_name] != before[victim], "the freed address is not reused at once"
    gone = cluster.exec("near", "ping -c1 -W1 %s" % before[victim])
    assert gone.returncode != 0
    fresh = cluster.exec("near", "curl -s -m 2 http://%s:8080/hostname" % after[new_name])
    assert fresh.stdout == new_name


def test_scaling_follows_with_routing(cluster):
    cluster.scale("echo", 4)
    pods = cluster.deployment_pods("echo")
    assert len(pods) == 4 and {p.node.name for p in pods} == {"node1", "node2"}
    for pod in pods:
        answer = cluster.exec("web2", "curl -s -m 2 http://%s:8080/hostname" % pod.ip)
        assert answer.stdout == pod.name
    cluster.scale("echo", 1)
    assert len(cluster.deployment_pods("echo")) == 1
