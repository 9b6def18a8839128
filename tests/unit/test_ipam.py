"""Address plan and pod address allocation."""
import pytest

from topo.errors import KubemnError
from topo.plan.fabric import plan_fabric, switch_for_new_node
from topo.plan.ipam import (BRIDGE_PORTS, PodAddressPool, plan_addresses, plan_node,
                             pod_capacity)
from topo.plan.model import ClusterSpec, NodeSpec
from topo.plan.scheduler import Unschedulable, choose_node


def test_default_plan_follows_kubernetes_defaults():
    plan = plan_addresses(ClusterSpec())
    assert [(n.name, n.ip, n.pod_cidr, n.bridge_ip) for n in plan.nodes] == [
        ("node1", "192.168.0.1", "10.244.1.0/24", "10.244.1.1"),
        ("node2", "192.168.0.2", "10.244.2.0/24", "10.244.2.1")]
    assert plan.gateway_ip == "192.168.0.254"
    assert len({n.mac for n in plan.nodes} | {plan.gateway_mac}) == 3


@pytest.mark.parametrize("spec,message", [
    (ClusterSpec(pod_cidr="10.96.0.0/16"), "pod CIDR 10.96.0.0/16 overlaps service CIDR"),
    (ClusterSpec(node_cidr="192.168.0.0/30", nodes=tuple(NodeSpec("n%d" % i)
                                                         for i in range(3))),
     "node CIDR 192.168.0.0/30 is too small for 3 nodes"),
    (ClusterSpec(nodes=(NodeSpec("a", "10.244.5.0/24"), NodeSpec("b", "10.244.5.128/25"))),
     "node b: podCIDR 10.244.5.128/25 overlaps node a's 10.244.5.0/24"),
    (ClusterSpec(nodes=(NodeSpec("a", "10.245.0.0/24"),)), "is outside the pod CIDR"),
    (ClusterSpec(nodes=(NodeSpec("a"), NodeSpec("a"))), "node 'a' is defined twice"),
    (ClusterSpec(pod_cidr="10.244.0.0/25"), "smaller than one node's /24"),
])
def test_impossible_plans_are_refused(spec, message):
    with pytest.raises(KubemnError, match=message):
        plan_addresses(spec)


def test_freed_addresses_are_reused_last():
    pool = PodAddressPool("10.244.1.0/29")  # hosts .1-.6; .1 is cbr0
    first = [pool.allocate() for _ in range(3)]
    assert first == ["10.244.1.2", "10.244.1.3", "10.244.1.4"]
    pool.release("10.244.1.2")
    assert pool.allocate() == "10.244.1.5"
    assert pool.allocate() == "10.244.1.6"
    assert pool.allocate() == "10.244.1.2"
    with pytest.raises(KubemnError, match="is full"):
        pool.allocate()


def test_a_node_holds_no_more_pods_than_its_bridge_has_ports():
    assert pod_capacity("10.244.1.0/24") == 253
    assert pod_capacity("10.244.0.0/21") == BRIDGE_PORTS == 1024   # 2045 addresses
    pool = PodAddressPool("10.244.0.0/21")
    assert pool.free == 1024
    taken = [pool.allocate() for _ in range(1024)]
    assert pool.free == 0
    with pytest.raises(KubemnError, match="bridge is full"):
        pool.allocate()
    pool.release(taken[0])
    assert pool.allocate() not in taken[1:]


def test_addresses_still_being_cleaned_up_are_passed_over():
    pool = PodAddressPool("10.244.1.0/29")
    taken = [pool.allocate() for _ in range(5)]
    pool.release(taken[0])
    pool.release(taken[1])
    assert pool.allocate(skip={taken[0]}) == taken[1]
    with pytest.raises(KubemnError, match="is full"):
        pool.allocate(skip={taken[0]})
    assert pool.allocate() == taken[0]


def test_scheduler_honours_node_name_and_spreads_otherwise():
    counts, free = {"node1": 2, "node2": 1}, {"node1": 10, "node2": 10}
    assert choose_node("node1", counts, free) == "node1"
    assert choose_node(None, counts, free) == "node2"
    assert choose_node(None, counts, {"node1": 10, "node2": 0}) == "node1"
    with pytest.raises(KubemnError, match="no such node"):
        choose_node("node7", counts, free)


def test_scheduler_places_a_pod_on_the_nodes_its_node_selector_matches():
    counts, free = {"node1": 0, "node2": 5}, {"node1": 10, "node2": 10}
    labels = {"node1": {"kubernetes.io/hostname": "node1", "disk": "ssd"},
              "node2": {"kubernetes.io/hostname": "node2"}}
    assert choose_node(None, counts, free, (("kubernetes.io/hostname", "node2"),),
                       labels) == "node2"
    assert choose_node(None, counts, free, (("disk", "ssd"),), labels) == "node1"
    with pytest.raises(Unschedulable, match="didn't match Pod's node affinity/selector"):
        choose_node(None, counts, free, (("disk", "hdd"),), labels)


def test_nodes_added_later_get_the_next_index_address_and_pod_cidr():
    spec = ClusterSpec()
    plans = list(plan_addresses(spec).nodes)
    third = plan_node(spec, plans, NodeSpec("node3"))
    assert (third.index, third.ip, third.pod_cidr) == (3, "192.168.0.3", "10.244.3.0/24")
    # node1 leaves: its address and PodCIDR are free again for a later node.
    later = plan_node(spec, [plans[1], third], NodeSpec("node4"))
    assert (later.ip, later.pod_cidr) == ("192.168.0.1", "10.244.4.0/24")


def test_new_nodes_join_the_emptiest_rack():
    fabric = plan_fabric("racks:2", ["node1", "node2", "node3"])
    attachments = dict(fabric.attachments)
    assert attachments == {"node1": "kmn-leaf1", "node2": "kmn-leaf1", "node3": "kmn-leaf2"}
    assert switch_for_new_node(fabric, attachments) == "kmn-leaf2"
    single = plan_fabric("single", ["node1"])
    assert switch_for_new_node(single, dict(single.attachments)) == "kmn-s1"
