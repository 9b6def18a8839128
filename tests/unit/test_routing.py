"""Controller decisions without a switch: desired state -> flows, ARP and ping replies."""
import pytest
from ryu.lib.packet import arp, ethernet, icmp, ipv4, packet

from controllers.replies import reply_to
from controllers.flows import cookie_of
from controllers.pipeline import switch_configs
from controllers.reconcile import plan_changes
from controllers.routing import first_hop_ports
from controllers.tables import CLASSIFY, ROUTE, UNSNAT
from controllers.state import InvalidState, parse_state

GW = {"ip": "192.168.0.254", "mac": "0a:00:00:00:00:fe"}


def node(i, dpid, port):
    return {"name": "node%d" % i, "ip": "192.168.0.%d" % i, "mac": "0a:00:00:00:00:%02x" % i,
            "pod_cidr": "10.244.%d.0/24" % i, "dpid": dpid, "port": port}


def racks_state():
    # spine 256 ports 1,2 -> leaf1 (port 3), leaf2 (port 3); nodes 1,2 on leaf1, 3 on leaf2
    return parse_state({
        "generation": 1, "gateway": GW,
        "switches": [{"dpid": 256}, {"dpid": 1}, {"dpid": 2}],
        "links": [{"dpid_a": 256, "port_a": 1, "dpid_b": 1, "port_b": 3},
                  {"dpid_a": 256, "port_a": 2, "dpid_b": 2, "port_b": 3}],
        "nodes": [node(1, 1, 1), node(2, 1, 2), node(3, 2, 1)]})


def where(configs, dpid, table, **match):
    """The actions of the highest-priority flow of a switch's table matching exactly."""
    wanted = tuple(sorted(match.items()))
    found = [f for f in configs[dpid].flows if f.table == table and f.match == wanted]
    assert found, "no flow %s in table %d of %d" % (match, table, dpid)
    return max(found, key=lambda f: f.priority).actions


def test_first_hops_follow_the_tree():
    routes = first_hop_ports(racks_state())
    assert routes[1][2] == 3 and routes[2][1] == 3
    assert routes[256][1] == 1 and routes[256][2] == 2


def test_pod_cidrs_are_routed_towards_their_node_with_ttl_decrement():
    configs = switch_configs(racks_state())
    match = {"eth_type": 0x0800, "eth_dst": GW["mac"], "ipv4_dst": "10.244.3.0/24"}
    assert where(configs, 1, ROUTE, **match) == (
        ("dec_ttl",), ("set_field", "eth_src", GW["mac"]),
        ("set_field", "eth_dst", "0a:00:00:00:00:03"), ("output", 3))
    assert where(configs, 256, ROUTE, eth_dst="0a:00:00:00:00:03") == (("output", 2),)
    assert where(configs, 2, ROUTE, eth_dst="0a:00:00:00:00:03") == (("output", 1),)
    # Back out of the port it came in by: OpenFlow needs IN_PORT for that.
    assert where(configs, 1, ROUTE, in_port=2, eth_dst="0a:00:00:00:00:02") == (
        ("output", "IN_PORT"),)


def test_arp_goes_to_the_controller_and_node_traffic_to_conntrack():
    configs = switch_configs(racks_state())
    for dpid in (1, 2, 256):
        assert where(configs, dpid, CLASSIFY, eth_type=0x0806) == (("output", "CONTROLLER"),)
    assert where(configs, 1, CLASSIFY, in_port=1, eth_type=0x0800) == (("goto", UNSNAT),)
    assert not [f for f in configs[256].flows if dict(f.match).get("in_port")
                and f.table == CLASSIFY]


def test_reconcile_adds_missing_and_deletes_stale_by_cookie():
    config = switch_configs(racks_state())[1]
    some = sorted(config.flows)[:2]
    present = [cookie_of(f) for f in some] + [0x4B00000000000001, 0x4C00000000000007]
    changes = plan_changes(config, [], present, {})
    assert set(changes.flows_to_add) == set(config.flows) - set(some)
    assert changes.cookies_to_delete == [0x4B00000000000001], "learned flows stay"
    everything = plan_changes(config, [], [cookie_of(f) for f in config.flows], {})
    assert everything.empty()


def test_changes_are_sent_so_that_nothing_points_at_what_is_not_there():
    """Replays the messages a switch is sent, in their order, from one set of Services
    to another: no flow may name a group before it exists or after it is deleted, and a
    stale flow goes only after its replacement is in."""
    from controllers.pipeline import switch_configs as configs_of
    from tests.unit.test_service_pipeline import WEB, endpoint, state
    moved = dict(WEB, ports=[{"protocol": "TCP", "port": 80,
                              "endpoints": [endpoint("10.244.1.7", "node1")]}])
    other = dict(WEB, name="default/other", cluster_ip="10.96.0.21")
    old, new = configs_of(state([WEB, other]))[1], configs_of(state([moved]))[1]
    changes = plan_changes(new, list(old.groups), [cookie_of(f) for f in old.flows],
                           dict(old.groups))
    groups, flows = set(old.groups), {cookie_of(f): f for f in old.flows}
    seen = []
    for kind, item in changes.messages():
        seen.append(kind)
        if kind in ("group_add", "group_modify"):
            groups.add(item.group_id)
        elif kind == "flow_add":
            flows[cookie_of(item)] = item
        elif kind == "flow_delete":
            del flows[item]
        else:
            groups.discard(item)
        named = {a[1] for f in flows.values() for a in f.actions if a[0] == "group"}
        assert named <= groups, "after %s %r a flow names a missing group" % (kind, item)
        for service_ip in ("10.96.0.20",):
            assert any(dict(f.match).get("ipv4_dst") == service_ip and f.table == 20
                       for f in flows.values()), "the Service went dark after " + kind
    assert set(flows.values()) == set(new.flows) and groups == set(new.groups)
    assert seen == sorted(seen, key=["group_add", "flow_add", "group_modify", "flow_delete",
                                     "group_delete"].index)


@pytest.mark.parametrize("change,message", [
    ({"switches": []}, "switches must be a non-empty list"),
    ({"nodes": [node(1, 9, 1)]}, "unknown switch 9"),
    ({"nodes": [node(1, 1, 1), dict(node(2, 1, 2), pod_cidr="10.244.1.128/25")]}, "overlap"),
    ({"gateway": {"ip": "192.168.0.999", "mac": GW["mac"]}}, "not an IPv4 address"),
    ({"nodes": [dict(node(1, 1, 1), mac="zz")]}, "is not a MAC"),
    ({"linux_nat": "yes"}, "linux_nat must be true or false"),
])
def test_invalid_states_are_refused(change, message):
    doc = {"generation": 1, "gateway": GW, "switches": [{"dpid": 1}],
           "nodes": [node(1, 1, 1)]}
    doc.update(change)
    with pytest.raises(InvalidState, match=message):
        parse_state(doc)


def _arp_request(target):
    pkt = packet.Packet()
    pkt.add_protocol(ethernet.ethernet(dst="ff:ff:ff:ff:ff:ff", src="0a:00:00:00:00:01",
                                       ethertype=0x0806))
    pkt.add_protocol(arp.arp(opcode=arp.ARP_REQUEST, src_mac="0a:00:00:00:00:01",
                             src_ip="192.168.0.1", dst_mac="00:00:00:00:00:00", dst_ip=target))
    pkt.serialize()
    return bytes(pkt.data)


def test_the_fabric_answers_arp_for_the_gateway_and_nodes_only():
    state = racks_state()
    reply = packet.Packet(reply_to(state, _arp_request("192.168.0.254")))
    answer = reply.get_protocol(arp.arp)
    assert answer.opcode == arp.ARP_REPLY and answer.src_mac == GW["mac"]
    assert answer.dst_ip == "192.168.0.1"
    assert packet.Packet(reply_to(state, _arp_request("192.168.0.3"))).get_protocol(
        arp.arp).src_mac == "0a:00:00:00:00:03"
    assert reply_to(state, _arp_request("192.168.0.77")) is None


def test_the_gateway_answers_ping():
    pkt = packet.Packet()
    pkt.add_protocol(ethernet.ethernet(dst=GW["mac"], src="0a:00:00:00:00:01"))
    pkt.add_protocol(ipv4.ipv4(src="192.168.0.1", dst=GW["ip"], proto=1))
    pkt.add_protocol(icmp.icmp(type_=icmp.ICMP_ECHO_REQUEST,
                               data=icmp.echo(id_=7, seq=1, data=b"hi")))
    pkt.serialize()
    reply = packet.Packet(reply_to(racks_state(), bytes(pkt.data)))
    assert reply.get_protocol(ipv4.ipv4).dst == "192.168.0.1"
    echo = reply.get_protocol(icmp.icmp)
    assert echo.type == icmp.ICMP_ECHO_REPLY and echo.data.id == 7
    assert reply_to(racks_state(), b"\x00\x01") is None

