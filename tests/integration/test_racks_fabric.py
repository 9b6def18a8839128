"""Routing across a leaf-spine fabric: --fabric racks:2, two nodes per rack."""
import re
import itertools

import pytest

from tests.integration.conftest import scapy_in_pod, start_cluster, wait_for

PODS = "\n---\n".join("""
apiVersion: v1
kind: Pod
metadata: {name: pod-%(node)s}
spec:
  nodeName: %(node)s
  containers: [{name: web, image: "agnhost:2.39", args: [netexec, --http-port=80],
                   ports: [{containerPort: 80}]}]
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
    mine = sorted(name for name in cluster.pods if name.startswith("pod-node"))
    for src, dst in itertools.permutations(mine, 2):
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


NEW_NODE = """
apiVersion: v1
kind: Node
metadata: {name: node5}
---
apiVersion: v1
kind: Pod
metadata: {name: pod-node5}
spec:
  nodeName: node5
  containers: [{name: web, image: "agnhost:2.39", args: [netexec, --http-port=80],
                   ports: [{containerPort: 80}]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: spread}
spec:
  replicas: 5
  selector: {matchLabels: {app: spread}}
  template:
    metadata: {labels: {app: spread}}
    spec: {containers: [{name: c, image: busybox, command: [sleep, infinity]}]}
"""


def test_nodes_join_and_leave_a_running_cluster(cluster):
    lines = cluster.apply_text(NEW_NODE)
    assert lines[0] == "node/node5 created"
    plan = cluster.node_plans["node5"]
    assert plan.pod_cidr == "10.244.5.0/24" and cluster.attachments["node5"] == "kmn-leaf1"
    new_ip = cluster.pod("pod-node5").ip
    answer = cluster.exec("pod-node4", "curl -s -m 2 http://%s/hostname" % new_ip)
    assert answer.stdout == "pod-node5"
    on_node5 = [p.name for p in cluster.pods.values() if p.node.name == "node5"]
    assert any(name.startswith("spread-") for name in on_node5)

    assert cluster.delete("node", "node5") == 'node "node5" deleted'
    assert "node5" not in cluster.node_plans and "node5" not in cluster.net
    assert not any(p.node.name == "node5" for p in cluster.pods.values())
    wait_for(lambda: len(cluster.deployment_pods("spread")) == 5, 10)   # made again
    gone = cluster.exec("pod-node1", "ping -c1 -W1 %s" % new_ip)
    assert gone.returncode != 0
    cluster.delete("deployment", "spread")


SERVICE = """
apiVersion: v1
kind: Service
metadata: {name: across}
spec:
  type: NodePort
  selector: {app: across}
  ports: [{port: 80, targetPort: 80, nodePort: 30090}]
"""


def test_services_work_across_racks(cluster):
    cluster.apply_text(SERVICE)
    cluster.apply_text("""
apiVersion: apps/v1
kind: Deployment
metadata: {name: across}
spec:
  replicas: 4
  selector: {matchLabels: {app: across}}
  template:
    metadata: {labels: {app: across}}
    spec: {containers: [{name: web, image: "agnhost:2.39", args: [netexec, --http-port=80],
                   ports: [{containerPort: 80}]}]}
""")
    racks = {cluster.attachments[p.node.name] for p in cluster.deployment_pods("across")}
    assert racks == {"kmn-leaf1", "kmn-leaf2"}
    address = cluster.served_service("across").cluster_ip
    for client in ("pod-node1", "pod-node4"):
        found = cluster.exec(client, "for i in 1 2 3 4 5 6 7 8; do curl -s -m 2 "
                                     "http://%s/hostname; echo; done" % address)
        answers = set(found.stdout.split())
        assert answers and all(a.startswith("across-") for a in answers), found
        assert len(found.stdout.split()) == 8
    outside = cluster.net["internet"].cmd("curl -s -m 2 http://%s:30090/hostname"
                                          % cluster.node_plans["node3"].ip)
    assert outside.startswith("across-")
    cluster.delete("deployment", "across")
    cluster.delete("service", "across")


def test_trace_names_every_switch_on_the_way(cluster):
    from topo.inspect.tracepath import trace
    text = trace(cluster, "pod-node1 pod-node4:80")
    switches = [line.split()[1] for line in text.splitlines()
                if "OpenFlow pipeline" in line]
    assert switches == ["kmn-leaf1", "kmn-spine", "kmn-leaf2"]
    # The last leaf switches the packet to node4 by its MAC.
    assert re.search(r"ROUTE\s+forwarded\s+eth_dst=%s -> output" % cluster.node_plans["node4"].mac,
                     text), text
    assert "answered" in text
