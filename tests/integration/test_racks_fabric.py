"""Routing across a leaf-spine fabric: --fabric racks:2, two nodes per rack."""
import itertools

import pytest

from tests.integration.conftest import scapy_in_pod, start_cluster

PODS = "\n---\n".join("""
apiVersion: v1
kind: Pod
metadata: {name: pod-%(node)s}
spec:
  nodeName: %(node)s
  containers: [{name: web, image: nginx, ports: [{containerPort: 80}]}]
""" % {"node": "node%d" % i} for i in range(1, 5))


@pytest.fixture(scope="module")
def cluster():
    running = start_cluster(PODS, nodes=4, fabric="racks:2")
    yield running
    running.stop()


def test_nodes_are_split_into_racks(cluster):
    assert dict(cluster.fabric.attachments) == {
        "node1": "kmn-leaf1", "node2": "kmn-leaf1", "node3": "kmn-leaf2", "node4": "kmn-leaf2"}
    assert {name for name, _ in cluster.fabric.switches} == {"kmn-spine", "kmn-leaf1",
                                                             "kmn-leaf2"}


def test_every_pod_reaches_every_other_pod(cluster):
    for src, dst in itertools.permutations(sorted(cluster.pods), 2):
        answer = cluster.exec(src, "curl -s -m 2 http://%s/hostname" % cluster.pod(dst).ip)
        assert answer.stdout == dst, (src, dst, answer)


def test_cross_rack_keeps_the_source_address(cluster):
    target = cluster.pod("pod-node4").ip
    reply = scapy_in_pod(cluster, "pod-node1", "ping", target, 64)
    assert reply["src"] == target
    # The reply is routed by node4, by leaf2 (the first fabric hop) and by node1;
    # the spine and leaf1 switch it by MAC.
    assert reply["ttl"] == 61
    seen_as = cluster.exec("pod-node4", "ping -c1 -W2 %s" % cluster.pod("pod-node1").ip)
    assert seen_as.returncode == 0


def test_nodes_reach_each_other_across_racks(cluster):
    assert cluster.net.pingAll(timeout="2") == 0
