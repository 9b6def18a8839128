"""Services as flows and groups, without a switch: frontends, endpoints, rejects,
traffic policies, affinity, and the replies the controller sends for rejects."""
import ipaddress

import pytest
from ryu.lib.packet import ethernet, icmp, ipv4, packet, tcp, udp

from controllers import tables as t
from controllers.pipeline import service_port_ids, switch_configs
from controllers.replies import reply_to
from controllers.state import InvalidState, parse_state

GW = {"ip": "192.168.0.254", "mac": "0a:00:00:00:00:fe"}


def state(services):
    return parse_state({
        "generation": 1, "gateway": GW, "switches": [{"dpid": 1}],
        "nodes": [{"name": "node%d" % i, "ip": "192.168.0.%d" % i,
                   "mac": "0a:00:00:00:00:0%d" % i, "pod_cidr": "10.244.%d.0/24" % i,
                   "dpid": 1, "port": i} for i in (1, 2)],
        "services": services})


def endpoint(ip, node):
    return {"ip": ip, "port": 8080, "node": node}


WEB = {"name": "default/web", "cluster_ip": "10.96.0.20", "ports": [
    {"protocol": "TCP", "port": 80, "endpoints": [endpoint("10.244.1.2", "node1"),
                                                  endpoint("10.244.2.2", "node2")]}]}


def flows_in(config, table, **match):
    return [f for f in config.flows if f.table == table
            and all(dict(f.match).get(k) == v for k, v in match.items())]


def test_cluster_ip_selects_an_endpoint_from_a_group_and_dnats_in_conntrack():
    config = switch_configs(state([WEB]))[1]
    (frontend,) = flows_in(config, t.SERVICE, ipv4_dst="10.96.0.20", tcp_dst=80)
    group = config.groups[frontend.actions[-1][1]]
    assert [b[0][2] for b in group.buckets] == [
        int(ipaddress.IPv4Address("10.244.1.2")), int(ipaddress.IPv4Address("10.244.2.2"))]
    dnat = flows_in(config, t.DNAT)
    assert len(dnat) == 2
    ct = dnat[0].actions[-1][1]
    assert ct.commit and ct.zone == t.ZONE_SERVICE and ct.table == t.SNAT
    assert ct.nat[0] == "dst" and ct.nat[2] == 8080 and ct.mark == (t.MARK_SERVICE, 0xFFFFFFFF)


def test_a_service_without_endpoints_is_rejected_by_the_controller():
    empty = dict(WEB, ports=[{"protocol": "UDP", "port": 53, "endpoints": []}])
    config = switch_configs(state([empty]))[1]
    (frontend,) = flows_in(config, t.SERVICE, ipv4_dst="10.96.0.20", udp_dst=53)
    assert frontend.actions == (("output", "CONTROLLER"),)
    assert not config.groups


def test_node_ports_with_local_policy_use_only_the_nodes_own_endpoints():
    local = {"name": "default/np", "external_policy": "Local", "ports": [
        {"protocol": "TCP", "port": 80, "node_port": 30080,
         "endpoints": [endpoint("10.244.1.2", "node1")]}]}
    config = switch_configs(state([local]))[1]
    (on_node1,) = flows_in(config, t.SERVICE, ipv4_dst="192.168.0.1", tcp_dst=30080)
    (on_node2,) = flows_in(config, t.SERVICE, ipv4_dst="192.168.0.2", tcp_dst=30080)
    assert ("set_field", "reg3", 0) in on_node1.actions, "Local keeps the client's address"
    assert on_node2.actions == (), "no local endpoint: dropped, as in Kubernetes"


def test_cluster_policy_node_ports_masquerade():
    cluster = {"name": "default/np", "ports": [
        {"protocol": "TCP", "port": 80, "node_port": 30080,
         "endpoints": [endpoint("10.244.1.2", "node1")]}]}
    config = switch_configs(state([cluster]))[1]
    (frontend,) = flows_in(config, t.SERVICE, ipv4_dst="192.168.0.2", tcp_dst=30080)
    assert ("set_field", "reg3", 1) in frontend.actions
    entry = int(ipaddress.IPv4Address("192.168.0.2"))
    assert ("set_field", t.REG_ENTRY_NODE, entry) in frontend.actions
    (dnat,) = flows_in(config, t.DNAT, reg3=1)
    assert dnat.actions[-1][1].mark[0] == t.MARK_SERVICE | t.MARK_MASQUERADE
    (snat,) = flows_in(config, t.SNAT, **{t.REG_ENTRY_NODE: entry})
    assert snat.actions[-1][1].nat == ("src", "192.168.0.2"), "the node it entered"


def test_cluster_ip_connections_keep_their_source_but_a_pod_reaching_itself():
    config = switch_configs(state([WEB]))[1]
    masquerading = [f for f in flows_in(config, t.SNAT)
                    if f.actions and f.actions[-1][0] == "ct" and f.actions[-1][1].nat]
    service_only = [f for f in masquerading
                    if dict(f.match).get("ct_mark") == (t.MARK_SERVICE, t.MARK_SERVICE)]
    assert {(dict(f.match)["ipv4_src"], dict(f.match)["ipv4_dst"]) for f in service_only} \
        == {("10.244.1.2", "10.244.1.2"), ("10.244.2.2", "10.244.2.2")}
    assert all(f.actions[-1][1].nat == ("src", "169.254.169.5") for f in service_only)


def test_the_internet_host_cannot_reach_pod_or_service_addresses():
    doc = {"generation": 1, "gateway": GW, "switches": [{"dpid": 1}], "nodes": [],
           "internet": {"ip": "203.0.113.1", "mac": "0a:00:00:00:ff:01",
                        "cidr": "203.0.113.0/24", "gateway_ip": "203.0.113.254",
                        "dpid": 1, "port": 9},
           "cluster_cidrs": ["10.244.0.0/16", "10.96.0.0/12"]}
    config = switch_configs(parse_state(doc))[1]
    # Sent up to the controller, which drops them and tells the flow log.
    dropped = {dict(f.match)["ipv4_dst"] for f in flows_in(config, t.CLASSIFY, in_port=9)
               if f.actions == (("output", "CONTROLLER"),)}
    assert dropped == {"10.244.0.0/16", "10.96.0.0/12"}


def test_session_affinity_learns_the_choice_and_falls_back_to_the_group():
    sticky = dict(WEB, affinity_timeout=30)
    config = switch_configs(state([sticky]))[1]
    (frontend,) = flows_in(config, t.SERVICE, ipv4_dst="10.96.0.20")
    assert ("resubmit", t.AFFINITY) in frontend.actions
    learns = [a[1] for f in flows_in(config, t.DNAT) for a in f.actions if a[0] == "learn"]
    assert learns and all(learn.hard_timeout == 30 and learn.table == t.AFFINITY
                          for learn in learns)
    fallback = [f for f in flows_in(config, t.DNAT) if f.priority == 1]
    assert len(fallback) == 1 and fallback[0].actions[0][0] == "group"


def test_services_with_the_same_endpoints_share_a_group_and_dnat_flows():
    twin = dict(WEB, name="default/twin", cluster_ip="10.96.0.21")
    config = switch_configs(state([WEB, twin]))[1]
    frontends = flows_in(config, t.SERVICE, tcp_dst=80)
    assert len(frontends) == 2 and len(config.groups) == 1
    assert {f.actions[-1] for f in frontends} == {("group", next(iter(config.groups)))}
    assert len(flows_in(config, t.DNAT)) == 2


def test_service_port_ids_are_stable_and_distinct():
    services = state([WEB, dict(WEB, name="default/other", cluster_ip="10.96.0.21")]).services
    ids = service_port_ids(services)
    assert len(set(ids.values())) == 2
    assert ids == service_port_ids(tuple(reversed(services)))


def test_a_frontend_used_twice_is_refused():
    with pytest.raises(InvalidState, match="is used twice"):
        state([WEB, dict(WEB, name="default/copy")])


def _client_packet(transport):
    pkt = packet.Packet()
    pkt.add_protocol(ethernet.ethernet(dst=GW["mac"], src="0a:00:00:00:00:01"))
    pkt.add_protocol(ipv4.ipv4(src="10.244.1.5", dst="10.96.0.20",
                               proto=6 if isinstance(transport, tcp.tcp) else 17))
    pkt.add_protocol(transport)
    pkt.serialize()
    return bytes(pkt.data)


def test_rejects_are_a_reset_for_tcp_and_port_unreachable_for_udp():
    current = state([])
    syn = _client_packet(tcp.tcp(src_port=40000, dst_port=80, seq=1000, bits=tcp.TCP_SYN))
    reset = packet.Packet(reply_to(current, syn, t.SERVICE))
    segment = reset.get_protocol(tcp.tcp)
    assert segment.bits == tcp.TCP_RST | tcp.TCP_ACK and segment.ack == 1001
    assert reset.get_protocol(ipv4.ipv4).src == "10.96.0.20"
    datagram = _client_packet(udp.udp(src_port=40000, dst_port=53))
    unreachable = packet.Packet(reply_to(current, datagram, t.SERVICE))
    error = unreachable.get_protocol(icmp.icmp)
    assert (error.type, error.code) == (icmp.ICMP_DEST_UNREACH, icmp.ICMP_PORT_UNREACH_CODE)


def test_ports_may_name_a_shared_endpoint_set():
    shared = parse_state({
        "generation": 1, "gateway": GW, "switches": [{"dpid": 1}],
        "nodes": [{"name": "node1", "ip": "192.168.0.1", "mac": "0a:00:00:00:00:01",
                   "pod_cidr": "10.244.1.0/24", "dpid": 1, "port": 1}],
        "endpoint_sets": {"0": [endpoint("10.244.1.2", "node1")]},
        "services": [{"name": "default/a", "cluster_ip": "10.96.0.20",
                      "ports": [{"protocol": "TCP", "port": 80, "endpoint_set": "0"}]},
                     {"name": "default/b", "cluster_ip": "10.96.0.21",
                      "ports": [{"protocol": "TCP", "port": 80, "endpoint_set": "0"}]}]})
    first, second = shared.services
    assert first.ports[0].endpoints == second.ports[0].endpoints
    assert first.ports[0].endpoints[0].ip == "10.244.1.2"
    with pytest.raises(InvalidState, match="unknown endpoint_set '7'"):
        state([dict(WEB, ports=[{"protocol": "TCP", "port": 80, "endpoint_set": "7"}])])
