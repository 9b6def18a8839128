"""Several servers, as data: the --servers list, where nodes go, and the fabric over
the servers (a switch a server, each joined to each by a tunnel)."""
import pytest

from topo.errors import KubemnError
from topo.plan.fabric import plan_fabric
from topo.plan.servers import mtu, parse_servers, place

NODES = ["node%d" % i for i in range(1, 6)]


def test_servers_list_starts_with_the_head():
    assert parse_servers("head,server2, server3") == ("head", "server2", "server3")
    assert parse_servers("head") == ("head",)


@pytest.mark.parametrize("text,words", [
    ("server2,head", "starts with 'head'"),
    ("head,server2,server2", "named twice"),
    ("head,,server2", "'' is not a host name"),
    ("head,bad name", "'bad name' is not a host name"),
])
def test_bad_servers_lists_are_one_line_errors(text, words):
    with pytest.raises(KubemnError, match=words):
        parse_servers(text)


def test_bins_fill_servers_in_turn_round_robin_deals():
    servers = ("head", "server2", "server3")
    assert place(NODES, servers, "bins") == {
        "node1": "head", "node2": "head", "node3": "server2", "node4": "server2",
        "node5": "server3"}
    assert place(NODES, servers, "round-robin") == {
        "node1": "head", "node2": "server2", "node3": "server3", "node4": "head",
        "node5": "server2"}
    with pytest.raises(KubemnError, match="--placer 'random'"):
        place(NODES, servers, "random")


def test_one_server_is_the_fabric_of_one_machine():
    assert plan_fabric("single", NODES) == plan_fabric("single", NODES, ("head",))
    assert plan_fabric("single", NODES).tunnels() == ()
    assert plan_fabric("single", NODES).server_of("node5") == "head"
    assert mtu(("head",)) == 1500 and mtu(("head", "server2")) == 1450


def test_single_over_servers_is_a_switch_each_joined_each_to_each():
    fabric = plan_fabric("single", NODES, ("head", "server2", "server3"))
    assert fabric.switches == (("kmn-s1", 1), ("kmn-s2", 2), ("kmn-s3", 3))
    assert fabric.tunnels() == (("kmn-s1", "kmn-s2"), ("kmn-s1", "kmn-s3"),
                                ("kmn-s2", "kmn-s3"))
    assert [fabric.server_of(n) for n in NODES] == [
        "head", "head", "server2", "server2", "server3"]
    assert fabric.switch_of("node5") == "kmn-s3"


def test_racks_over_servers_keep_the_spine_on_the_head():
    fabric = plan_fabric("racks:2", NODES, ("head", "server2"))
    assert fabric.server_of_switch("kmn-spine") == "head"
    assert fabric.server_of_switch("kmn-leaf1") == "head"
    assert fabric.server_of_switch("kmn-leaf2") == "server2"
    assert fabric.tunnels() == (("kmn-spine", "kmn-leaf2"),)
    assert [fabric.server_of(n) for n in NODES] == [
        "head", "head", "head", "server2", "server2"]


def test_tunnel_names_fit_the_kernels_limit():
    from topo.servers.tunnels import tunnel_name
    assert tunnel_name("kmn-s1", 3) == "kmn-s1-vx3"
    assert tunnel_name("kmn-leaf12", 99) == "kmn-leaf12-vx99"
    with pytest.raises(ValueError):
        tunnel_name("kmn-leaf123", 999)


def test_the_guard_admits_vxlan_from_the_servers_only():
    from topo.servers.tunnels import guard_ruleset
    text = guard_ruleset({"198.18.0.3", "198.18.0.1"})
    assert "table ip kmn-underlay" in text
    assert "udp dport 4789 ip saddr != { 198.18.0.1, 198.18.0.3 } counter drop" in text
    assert "tcp dport" not in text
    head = guard_ruleset({"198.18.0.1"}, (6653, 6654))
    assert "tcp dport { 6653, 6654 } ip saddr != { 198.18.0.1 } counter drop" in head


def test_a_node_added_later_goes_to_the_least_loaded_servers_switch():
    from topo.plan.fabric import switch_for_new_node
    fabric = plan_fabric("single", ["node1", "node2", "node3"], ("head", "server2", "server3"),
                         "round-robin")
    attachments = dict(fabric.attachments)
    assert switch_for_new_node(fabric, attachments) == "kmn-s1"
    attachments["node4"] = "kmn-s1"
    assert switch_for_new_node(fabric, attachments) == "kmn-s2"
