"""The fabric's flows, tested by what they do to a packet: the controller's generated
flows and groups run in an in-memory switch (tests/openflow_model.py), no root and
no Open vSwitch needed."""
import pytest

from controllers import tables
from controllers.pipeline import switch_configs
from controllers.state import parse_state
from tests.openflow_model import Conntrack, Switch, packet, reply_from

GW_MAC = "0a:00:00:00:00:fe"
GW = {"ip": "192.168.0.254", "mac": GW_MAC}
INTERNET = {"ip": "203.0.113.1", "mac": "0a:00:00:00:ff:01", "cidr": "203.0.113.0/24",
            "gateway_ip": "203.0.113.254", "dpid": 1, "port": 9}
NODE_MAC = "0a:00:00:00:00:%02x"
POD1, POD2, POD2B = "10.244.1.4", "10.244.2.5", "10.244.2.6"
VIP = "10.96.0.20"


def node(i, dpid=1, port=None):
    return {"name": "node%d" % i, "ip": "192.168.0.%d" % i, "mac": NODE_MAC % i,
            "pod_cidr": "10.244.%d.0/24" % i, "dpid": dpid, "port": port or i}


def endpoint(ip, node_name, port=8080):
    return {"ip": ip, "port": port, "node": node_name}


def service(name="default/web", endpoints=(endpoint(POD2, "node2"), endpoint(POD2B, "node2")),
            protocol="TCP", **extra):
    port = {"protocol": protocol, "port": 80, "endpoints": list(endpoints)}
    port.update(extra.pop("port_extra", {}))
    return dict({"name": name, "cluster_ip": VIP, "ports": [port]}, **extra)


def fabric(services=(), nodes=(node(1), node(2)), conntrack=None, linux_nat=True):
    """One switch, nodes on ports 1 and 2, the internet host on port 9."""
    state = parse_state({"generation": 1, "gateway": GW, "switches": [{"dpid": 1}],
                         "nodes": list(nodes), "internet": INTERNET,
                         "cluster_cidrs": ["10.244.0.0/16", "10.96.0.0/12"],
                         "services": list(services), "linux_nat": linux_nat})
    return Switch(switch_configs(state)[1], conntrack)


def from_node(i, src, dst, **kw):
    """A packet a node sends into the fabric: to the gateway's MAC, from its port."""
    return packet(src, dst, in_port=i, eth_src=NODE_MAC % i, eth_dst=GW_MAC, **kw)


def where(result):
    port, fields = result.only_output()
    return port, fields["ipv4_src"], fields["ipv4_dst"], fields.get("tcp_dst",
                                                                     fields.get("udp_dst"))


# --- routing ---------------------------------------------------------------------

def test_a_packet_to_a_pod_on_another_node_is_routed_there_one_hop_down():
    sent = fabric().send(from_node(1, POD1, POD2))
    port, fields = sent.only_output()
    assert port == 2 and fields["nw_ttl"] == 63
    assert (fields["eth_src"], fields["eth_dst"]) == (GW_MAC, NODE_MAC % 2)
    assert (fields["ipv4_src"], fields["ipv4_dst"]) == (POD1, POD2)


def test_a_frame_to_a_nodes_mac_is_switched_without_a_routing_hop():
    frame = packet(POD1, POD2, in_port=1, eth_dst=NODE_MAC % 2)
    port, fields = fabric().send(frame).only_output()
    assert port == 2 and fields["nw_ttl"] == 64 and fields["eth_dst"] == NODE_MAC % 2


def test_a_reply_to_a_nodes_address_is_routed_by_that_address_whatever_its_mac():
    """Nodes share a subnet, so a reply to a node may come to its MAC; it may also be
    one to un-SNAT, so the fabric routes it by address."""
    frame = packet("192.168.0.1", "192.168.0.2", in_port=1, eth_dst=NODE_MAC % 2)
    port, fields = fabric().send(frame).only_output()
    assert port == 2 and fields["nw_ttl"] == 63 and fields["eth_src"] == GW_MAC


def test_a_packet_for_the_port_it_came_from_goes_back_out_of_it():
    port, _ = fabric().send(from_node(1, "192.168.0.9", "10.244.1.7")).only_output()
    assert port == 1


def test_arp_and_pings_to_the_gateway_go_to_the_controller():
    switch = fabric()
    arp = {"in_port": 1, "eth_type": 0x0806, "eth_dst": "ff:ff:ff:ff:ff:ff"}
    assert switch.send(arp).to_controller
    assert switch.send(from_node(1, "192.168.0.1", GW["ip"], proto="icmp")).to_controller


def test_a_destination_nobody_routes_is_dropped():
    assert fabric().send(from_node(1, POD1, "10.244.77.3")).dropped


def test_the_internet_host_reaches_node_ports_but_not_pod_or_service_addresses():
    switch = fabric([service(port_extra={"node_port": 30080})])
    for target in (POD2, VIP):
        # Up to the controller, which drops it (and tells the flow log): not forwarded.
        sent = switch.send(packet(INTERNET["ip"], target, in_port=9, dport=80))
        assert sent.to_controller and not sent.outputs
    reached = switch.send(packet(INTERNET["ip"], "192.168.0.1", in_port=9, dport=30080))
    assert not reached.dropped


def test_racks_a_packet_climbs_to_the_spine_and_down_the_other_leaf():
    nodes = [node(1, dpid=1, port=1), node(3, dpid=2, port=1)]
    state = parse_state({
        "generation": 1, "gateway": GW, "switches": [{"dpid": 256}, {"dpid": 1}, {"dpid": 2}],
        "links": [{"dpid_a": 256, "port_a": 1, "dpid_b": 1, "port_b": 3},
                  {"dpid_a": 256, "port_a": 2, "dpid_b": 2, "port_b": 3}],
        "nodes": nodes})
    configs = switch_configs(state)
    leaf1, spine, leaf2 = Switch(configs[1]), Switch(configs[256]), Switch(configs[2])
    port, fields = leaf1.send(from_node(1, POD1, "10.244.3.8")).only_output()
    assert port == 3 and fields["eth_dst"] == NODE_MAC % 3 and fields["nw_ttl"] == 63
    port, fields = spine.send(dict(fields, in_port=1)).only_output()
    assert port == 2
    port, fields = leaf2.send(dict(fields, in_port=3)).only_output()
    assert port == 1 and fields["nw_ttl"] == 63, "one routing hop in all"


# --- Services ----------------------------------------------------------------------

def test_a_syn_to_a_cluster_ip_is_dnated_to_the_endpoint_its_bucket_picks():
    switch = fabric([service()])
    assert where(switch.send(from_node(1, POD1, VIP), bucket=0)) == (2, POD1, POD2, 8080)
    assert where(switch.send(from_node(1, POD1, VIP, sport=40001), bucket=1)) == (
        2, POD1, POD2B, 8080)


def test_the_endpoints_reply_is_un_dnated_back_to_the_client():
    switch = fabric([service()])
    _, delivered = switch.send(from_node(1, POD1, VIP)).only_output()
    port, back = switch.send(reply_from(delivered, 2, GW_MAC)).only_output()
    assert (port, back["ipv4_src"], back["tcp_src"], back["ipv4_dst"]) == (1, VIP, 80, POD1)


def test_a_connection_keeps_its_endpoint_whatever_bucket_its_later_packets_would_pick():
    switch = fabric([service()])
    _, delivered = switch.send(from_node(1, POD1, VIP), bucket=0).only_output()
    switch.send(reply_from(delivered, 2, GW_MAC))
    assert where(switch.send(from_node(1, POD1, VIP), bucket=1))[2] == POD2


def test_a_service_without_endpoints_is_rejected_by_the_controller():
    sent = fabric([service(endpoints=())]).send(from_node(1, POD1, VIP))
    assert sent.to_controller and not sent.outputs


def test_an_endpoint_a_client_placed_on_no_node_is_served_like_any_other():
    switch = fabric([service(endpoints=(endpoint(POD2, None),))])
    assert where(switch.send(from_node(1, POD1, VIP))) == (2, POD1, POD2, 8080)


def test_udp_services_are_dnated_too():
    switch = fabric([service(protocol="UDP")])
    port, fields = switch.send(from_node(1, POD1, VIP, proto="udp", dport=80)).only_output()
    assert (port, fields["ipv4_dst"], fields["udp_dst"]) == (2, POD2, 8080)


def test_a_cluster_policy_node_port_masquerades_to_the_node_the_client_entered():
    switch = fabric([service(port_extra={"node_port": 30080})])
    client = packet(INTERNET["ip"], "192.168.0.1", in_port=9, dport=30080,
                    eth_dst=GW_MAC)
    assert where(switch.send(client)) == (2, "192.168.0.1", POD2, 8080)
    _, delivered = switch.send(dict(client, tcp_src=40001)).only_output()
    port, back = switch.send(reply_from(delivered, 2, GW_MAC)).only_output()
    assert (port, back["ipv4_src"], back["tcp_src"], back["ipv4_dst"]) == (
        9, "192.168.0.1", 30080, INTERNET["ip"])


def test_a_local_policy_node_port_keeps_the_client_and_drops_where_no_endpoint_runs():
    switch = fabric([service(external_policy="Local", port_extra={"node_port": 30080})])
    kept = switch.send(packet(INTERNET["ip"], "192.168.0.2", in_port=9, dport=30080))
    assert where(kept)[1] == INTERNET["ip"]
    assert switch.send(packet(INTERNET["ip"], "192.168.0.1", in_port=9, dport=30080)).dropped


def test_a_load_balancer_address_masquerades_to_the_endpoints_node():
    switch = fabric([service(external_ips=["198.51.100.1"])])
    sent = switch.send(packet(INTERNET["ip"], "198.51.100.1", in_port=9, dport=80))
    assert where(sent) == (2, "192.168.0.2", POD2, 8080)


def test_only_a_pod_reaching_itself_through_its_service_is_masqueraded():
    switch = fabric([service(endpoints=(endpoint(POD2, "node2"),))])
    itself = switch.send(from_node(2, POD2, VIP))
    assert where(itself) == (2, "169.254.169.5", POD2, 8080)
    _, delivered = itself.only_output()
    port, back = switch.send(reply_from(delivered, 2, GW_MAC)).only_output()
    assert (port, back["ipv4_src"], back["ipv4_dst"]) == (2, VIP, POD2)
    other = switch.send(from_node(1, POD1, VIP))
    assert where(other)[1] == POD1, "ClusterIP keeps every other source"


def test_session_affinity_sends_a_clients_next_connection_to_the_same_endpoint():
    switch = fabric([service(affinity_timeout=30)])
    first = where(switch.send(from_node(1, POD1, VIP), bucket=1))[2]
    again = where(switch.send(from_node(1, POD1, VIP, sport=40001), bucket=0))[2]
    assert first == again == POD2B
    other = where(switch.send(from_node(1, "10.244.1.9", VIP), bucket=0))[2]
    assert other == POD2


def test_direct_traffic_between_pods_is_tracked_but_never_rewritten():
    switch = fabric([service()])
    _, delivered = switch.send(from_node(1, POD1, POD2)).only_output()
    assert (delivered["ipv4_src"], delivered["ipv4_dst"]) == (POD1, POD2)
    port, back = switch.send(reply_from(delivered, 2, GW_MAC)).only_output()
    assert (port, back["ipv4_src"], back["ipv4_dst"]) == (1, POD2, POD1)


def service_connection_then_direct(linux_nat):
    """A client's Service connection to POD2:8080 (closing, still in conntrack), then
    its direct connection to POD2:8080 from the same source port: what reaches the
    backend, and what the backend's reply becomes on its way back."""
    switch = fabric([service()], linux_nat=linux_nat)
    _, delivered = switch.send(from_node(1, POD1, VIP), bucket=0).only_output()
    switch.send(reply_from(delivered, 2, GW_MAC))
    _, direct = switch.send(from_node(1, POD1, POD2, dport=8080)).only_output()
    _, back = switch.send(reply_from(direct, 2, GW_MAC)).only_output()
    return direct, back


def test_a_direct_connection_on_a_service_connections_reply_tuple_gets_another_port():
    """The null binding: the direct SYN's reply tuple is the Service connection's, so
    conntrack gives it another source port (as Linux's does), and the backend's reply
    comes back to the client from the backend, on the client's own port."""
    direct, back = service_connection_then_direct(linux_nat=True)
    assert (direct["ipv4_src"], direct["ipv4_dst"]) == (POD1, POD2)
    assert direct["tcp_src"] != 40000
    assert (back["ipv4_src"], back["tcp_src"], back["ipv4_dst"], back["tcp_dst"]) == (
        POD2, 8080, POD1, 40000)


def test_without_the_null_binding_the_backends_reply_is_taken_for_the_services():
    """What Open vSwitch 3.1.0 (which aborts on the null binding) leaves: the
    backend's reply to the direct connection is un-DNATed as the Service's."""
    direct, back = service_connection_then_direct(linux_nat=False)
    assert direct["tcp_src"] == 40000
    assert (back["ipv4_src"], back["tcp_src"]) == (VIP, 80)


def test_a_syn_to_a_cluster_ip_not_programmed_yet_is_not_held_against_the_next():
    conntrack = Conntrack()
    early = fabric([], conntrack=conntrack).send(from_node(1, POD1, VIP))
    assert early.outputs == []                       # nobody routes it yet
    again = fabric([service()], conntrack=conntrack).send(from_node(1, POD1, VIP), bucket=0)
    assert where(again) == (2, POD1, POD2, 8080)     # the retransmission is load-balanced


# --- closing connections (Open vSwitch 3.1.0's conntrack: controllers/closing.py) ----
FIN_ACK, RST = 0x11, 0x04


def copies(result):
    """(zone, source, sport, destination, dport) of what went to the closing channel
    to be flushed: the zone its table names, the packet as the channel gets it."""
    return [(tables.ZONE_OF_CLOSING_TABLE[table], f["ipv4_src"], f["tcp_src"],
             f["ipv4_dst"], f["tcp_dst"])
            for table, f in result.packet_ins if table in tables.ZONE_OF_CLOSING_TABLE]


def test_an_endpoints_fin_reaches_the_client_and_a_copy_goes_to_be_flushed():
    switch = fabric([service()], linux_nat=False)
    _, delivered = switch.send(from_node(1, POD1, VIP)).only_output()
    switch.send(reply_from(delivered, 2, GW_MAC))
    fin = switch.send(dict(reply_from(delivered, 2, GW_MAC), tcp_flags=FIN_ACK))
    port, back = fin.only_output()
    assert (port, back["ipv4_src"], back["ipv4_dst"]) == (1, VIP, POD1)
    assert copies(fin) == [(tables.ZONE_SERVICE, VIP, 80, POD1, 40000)]
    reset = switch.send(dict(reply_from(delivered, 2, GW_MAC), tcp_flags=RST))
    assert copies(reset) == [(tables.ZONE_SERVICE, VIP, 80, POD1, 40000)]


def test_the_clients_own_fin_and_direct_connections_are_not_copied():
    switch = fabric([service()], linux_nat=False)
    _, delivered = switch.send(from_node(1, POD1, VIP)).only_output()
    switch.send(reply_from(delivered, 2, GW_MAC))
    assert copies(switch.send(from_node(1, POD1, VIP, tcp_flags=FIN_ACK))) == []
    _, direct = switch.send(from_node(1, POD1, POD2, sport=40001)).only_output()
    switch.send(reply_from(direct, 2, GW_MAC))
    closed = switch.send(dict(reply_from(direct, 2, GW_MAC), tcp_flags=FIN_ACK))
    assert closed.only_output()[0] == 1 and copies(closed) == []


def test_a_masqueraded_connections_fin_is_copied_from_both_its_zones():
    switch = fabric([service(port_extra={"node_port": 30080})], linux_nat=False)
    client = packet(INTERNET["ip"], "192.168.0.1", in_port=9, dport=30080, eth_dst=GW_MAC)
    _, delivered = switch.send(client).only_output()
    switch.send(reply_from(delivered, 2, GW_MAC))
    fin = switch.send(dict(reply_from(delivered, 2, GW_MAC), tcp_flags=FIN_ACK))
    assert fin.only_output()[0] == 9
    assert copies(fin) == [
        (tables.ZONE_SNAT, POD2, 8080, INTERNET["ip"], 40000),  # un-SNATed, not un-DNATed
        (tables.ZONE_SERVICE, "192.168.0.1", 30080, INTERNET["ip"], 40000)]


def test_a_switch_whose_conntrack_nats_as_linux_copies_no_fin():
    """There a closed connection stays in conntrack (a SYN that reuses its tuple
    replaces it), for the null binding to see."""
    switch = fabric([service(port_extra={"node_port": 30080})])
    _, delivered = switch.send(from_node(1, POD1, VIP)).only_output()
    switch.send(reply_from(delivered, 2, GW_MAC))
    fin = switch.send(dict(reply_from(delivered, 2, GW_MAC), tcp_flags=FIN_ACK))
    assert fin.only_output()[0] == 1 and not fin.to_controller


@pytest.mark.parametrize("conntrack", [Conntrack()])
def test_the_model_itself_refuses_an_action_it_does_not_know(conntrack):
    from controllers.flows import flow
    from controllers.pipeline import SwitchConfig
    switch = Switch(SwitchConfig({flow(0, 1, {}, [("push_vlan", 0x8100)])}, {}), conntrack)
    with pytest.raises(AssertionError, match="does not know the action"):
        switch.send(packet(POD1, POD2))
