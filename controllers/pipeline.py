"""Desired state -> every switch's flows and groups (pure). Table layout and the
conventions they share are in controllers/tables.py."""
from __future__ import annotations

import functools
import ipaddress
import socket
import zlib
from collections import namedtuple
from typing import TYPE_CHECKING, Iterator

from controllers import tables as t
from controllers.flows import Ct, Group, Learn, flow
from controllers.routing import Routes, first_hop_ports, gateway_ips, port_towards

if TYPE_CHECKING:
    from controllers.flows import Flow
    from controllers.state import Endpoint, FabricState, Service, ServicePort

ETH_ARP, ETH_IPV4 = 0x0806, 0x0800
IP_PROTO = {"TCP": 6, "UDP": 17}
PORT_FIELD = {"TCP": "tcp_dst", "UDP": "udp_dst"}
ICMP = 1

SwitchConfig = namedtuple("SwitchConfig", "flows groups")  # set of Flow, {id: Group}
# Every IPv4 packet's lookup in the Service zone, (un)DNATed, then on to SERVICE.
SERVICE_LOOKUP = ("ct", Ct(False, t.ZONE_SERVICE, t.SERVICE, ("plain",), None))
EndpointSet = tuple  # ((ip, port), ...), sorted: what a select group holds


def switch_configs(state: FabricState) -> dict[int, SwitchConfig]:
    """{dpid: SwitchConfig} for every switch of the fabric."""
    routes = first_hop_ports(state)
    port_ids = service_port_ids(state.services)
    group_of = group_ids(state, port_ids)
    configs = {}
    for dpid in state.switches:
        flows = set(classify_flows(state, dpid))
        flows |= set(route_flows(state, routes, dpid))
        flows |= set(conntrack_flows(state, dpid))
        elsewhere = _others_node_ips(state, dpid)   # once a switch, not a Service
        groups = {}
        for service in state.services:
            for port in service.ports:
                mine = tuple(sorted({(endpoint_set(f.endpoints),
                                      group_of[endpoint_set(f.endpoints)])
                                     for f in frontends(state, service, port) if f.endpoints}))
                service_flows, service_groups = _cached_service_port(
                    state.nodes, service, port,
                    port_ids[(service.name, port.protocol, port.port)], mine)
                flows.update(_on_this_server(elsewhere, service_flows))
                groups.update((g.group_id, g) for g in service_groups)
        configs[dpid] = SwitchConfig(flows, groups)
    return configs


def _others_node_ips(state: FabricState, dpid: int) -> frozenset:
    """The addresses of the nodes on other servers than switch dpid's (none on one
    machine)."""
    here = state.server_of(dpid)
    return frozenset(n.ip for n in state.nodes if state.server_of(n.dpid) != here) \
        if state.servers else frozenset()


def _on_this_server(elsewhere: frozenset, service_flows):
    """Over several servers, a NodePort is translated on its node's server only (the
    switches elsewhere route the packet there): its replies, sent to that node's
    address, come back to the conntrack that holds its NAT, as they come back to the
    node that translated them in Kubernetes. elsewhere: _others_node_ips."""
    if not elsewhere:
        return service_flows
    return [f for f in service_flows
            if f.table != t.SERVICE or dict(f.match).get("ipv4_dst") not in elsewhere]


def edge_ports(state: FabricState, dpid: int) -> list[int]:
    """Ports of this switch where a node or the internet host is plugged in."""
    hosts = list(state.nodes) + ([state.internet] if state.internet else [])
    return sorted(h.port for h in hosts if h.dpid == dpid)


def tunnel_ports(state: FabricState, dpid: int) -> list[int]:
    """Ports of this switch that lead to a switch on another server."""
    ends = [(link.dpid_a, link.port_a) for link in state.links if link.tunnel] + \
        [(link.dpid_b, link.port_b) for link in state.links if link.tunnel]
    return sorted(port for switch, port in ends if switch == dpid)


def classify_flows(state: FabricState, dpid: int) -> Iterator[Flow]:
    yield flow(t.CLASSIFY, 100, {"eth_type": ETH_ARP}, [("output", "CONTROLLER")])
    for ip in gateway_ips(state):
        yield flow(t.CLASSIFY, 100, {"eth_type": ETH_IPV4, "ip_proto": ICMP, "ipv4_dst": ip},
                   [("output", "CONTROLLER")])
    internet = state.internet
    if internet is not None and internet.dpid == dpid:
        # From outside, pod and Service addresses are unroutable, as in a real cluster:
        # the controller drops such a packet, and tells the flow log.
        for cidr in state.cluster_cidrs:
            yield flow(t.CLASSIFY, 95, {"in_port": internet.port, "eth_type": ETH_IPV4,
                                        "ipv4_dst": cidr}, [("output", "CONTROLLER")])
    # What comes over a tunnel meets this switch's conntrack too: it holds the NAT of
    # the connections that began here (a reply is un-NATed where its state lives),
    # and a switch on another server shares none with it.
    for port in edge_ports(state, dpid) + tunnel_ports(state, dpid):
        yield flow(t.CLASSIFY, 90, {"in_port": port, "eth_type": ETH_IPV4},
                   [("goto", t.UNSNAT)])
    yield flow(t.CLASSIFY, 0, {}, [("goto", t.ROUTE)])


def route_flows(state: FabricState, routes: Routes, dpid: int) -> Iterator[Flow]:
    """L2 to the MACs of nodes and the internet host; L3 to PodCIDRs, node addresses
    and the internet's range (one TTL, MACs rewritten). A packet that must leave by
    the port it came in on (a host's, or a tunnel's) says so (OpenFlow drops it
    otherwise)."""
    hosts = [(n, [n.pod_cidr, n.ip + "/32"]) for n in state.nodes]
    if state.internet is not None:
        hosts.append((state.internet, [state.internet.cidr]))
    tunnels = tunnel_ports(state, dpid)
    for host, prefixes in hosts:
        port = port_towards(routes, dpid, host)
        if port is None:
            continue
        outputs = [(0, {}, port)]
        # Back out of a tunnel too: a NodePort's packet, translated on its node's
        # server, may go back to the server it came from.
        if host.dpid == dpid or port in tunnels:
            outputs.append((1, {"in_port": port}, "IN_PORT"))
        for bonus, extra, out in outputs:
            yield flow(t.ROUTE, 60 + bonus, dict(extra, eth_dst=host.mac), [("output", out)])
            for prefix in prefixes:
                match = dict(extra, eth_type=ETH_IPV4, eth_dst=state.gateway_mac,
                             ipv4_dst=prefix)
                # Longest prefix first: /32 at 48-49, /24 at 46-47.
                yield flow(t.ROUTE, 40 + _prefix_len(prefix) // 8 * 2 + bonus, match,
                           [("dec_ttl",), ("set_field", "eth_src", state.gateway_mac),
                            ("set_field", "eth_dst", host.mac), ("output", out)])


def _prefix_len(prefix):
    return ipaddress.IPv4Network(prefix).prefixlen


def conntrack_flows(state: FabricState, dpid: int) -> Iterator[Flow]:
    """UNSNAT, CONNTRACK, the defaults of SERVICE, and SNAT."""
    unsnat = ("ct", Ct(False, t.ZONE_SNAT, t.CONNTRACK, ("plain",), None))
    yield flow(t.UNSNAT, 10, {"eth_type": ETH_IPV4, "ipv4_dst": state.masquerade_ip}, [unsnat])
    for node in state.nodes:
        # A reply to a node's address may be one to un-SNAT, sent to the node's MAC
        # (nodes share a subnet): routed by its new address from here on.
        yield flow(t.UNSNAT, 10, {"eth_type": ETH_IPV4, "ipv4_dst": node.ip},
                   [("set_field", "eth_dst", state.gateway_mac), unsnat])
    yield flow(t.UNSNAT, 0, {}, [("goto", t.CONNTRACK)])
    yield flow(t.CONNTRACK, 0, {"eth_type": ETH_IPV4}, [SERVICE_LOOKUP])
    if not state.linux_nat:   # only Open vSwitch 3.1.0's conntrack needs the flush
        yield from closing_flows()
    for state_bits in (t.CT_EST, t.CT_REL):
        yield flow(t.SERVICE, 300, {"ct_state": (state_bits | t.CT_TRK, state_bits | t.CT_TRK)},
                   [("goto", t.SNAT)])
    new = {"ct_state": (t.CT_NEW | t.CT_TRK, t.CT_NEW | t.CT_TRK), "eth_type": ETH_IPV4}
    # A direct connection whose reply tuple a closing Service connection still holds
    # (a client alternating a backend and its VIP) gets another source port from the
    # null binding, as Linux's conntrack gives it (where the switches' conntrack can
    # take it: tables.py).
    commit = ("ct", Ct(True, t.ZONE_SERVICE, t.SNAT, ("src",) if state.linux_nat else None,
                       None))
    yield flow(t.SERVICE, 10, new, [commit])
    # A new connection to the pod or Service range that no pod and no Service
    # flow takes (a ClusterIP not programmed yet) goes uncommitted, as Linux leaves
    # a dropped packet's connection unconfirmed: its next SYN, once the Service is
    # there, is a new connection that the Service's flows translate.
    for cidr in state.cluster_cidrs:
        yield flow(t.SERVICE, 11, dict(new, ipv4_dst=cidr), [("goto", t.SNAT)])
    for node in state.nodes:
        yield flow(t.SERVICE, 12, dict(new, ipv4_dst=node.pod_cidr), [commit])
    yield flow(t.SERVICE, 0, {}, [("goto", t.SNAT)])
    yield flow(t.SNAT, 300, {"ct_state": (t.CT_RPL | t.CT_TRK, t.CT_RPL | t.CT_TRK)},
               [("goto", t.ROUTE)])
    masquerade = (t.MARK_MASQUERADE, t.MARK_MASQUERADE)
    # Over several servers, a LoadBalancer or external IP's connection takes the
    # address of a node on this switch's server: its replies come back here, to the
    # conntrack that holds its NAT.
    local = [n for n in state.nodes if state.server_of(n.dpid) == state.server_of(dpid)] \
        if state.servers else []
    for node in state.nodes:
        to_node = ("ct", Ct(True, t.ZONE_SNAT, t.ROUTE, ("src", node.ip), None))
        # A new connection to a NodePort: the source becomes the node it entered.
        yield flow(t.SNAT, 220, {"eth_type": ETH_IPV4, "ct_mark": masquerade,
                                 t.REG_ENTRY_NODE: _ip_int(node.ip)}, [to_node])
        # To a LoadBalancer or external IP: the endpoint's node (and every later
        # packet of a masqueraded connection, whose binding the ct action keeps).
        if not local:
            yield flow(t.SNAT, 210, {"eth_type": ETH_IPV4, "ct_mark": masquerade,
                                     "ipv4_dst": node.pod_cidr}, [to_node])
    if local:
        yield flow(t.SNAT, 210, {"eth_type": ETH_IPV4, "ct_mark": masquerade},
                   [("ct", Ct(True, t.ZONE_SNAT, t.ROUTE, ("src", local[0].ip), None))])
    yield from self_hairpin_flows(state, dpid)
    yield flow(t.SNAT, 0, {}, [("goto", t.ROUTE)])


def closing_flows() -> Iterator[Flow]:
    """A Service connection closing from the endpoint's side (its FIN or RST) goes on
    as any established packet, and a copy goes to the closing channel, which flushes
    the connection from its zone a moment later (controllers/closing.py): from
    CONNTRACK for the masquerade's zone, from SERVICE for the Service zone."""
    replying = t.CT_EST | t.CT_RPL | t.CT_TRK
    for flag in (t.TCP_FIN, t.TCP_RST):
        closing = {"ct_state": (replying, replying), "eth_type": ETH_IPV4,
                   "ip_proto": IP_PROTO["TCP"], "tcp_flags": (flag, flag)}
        yield flow(t.CONNTRACK, 10, dict(closing, ct_zone=t.ZONE_SNAT),
                   [("resubmit", t.CLOSING_SNAT), SERVICE_LOOKUP])
        yield flow(t.SERVICE, 310, dict(closing, ct_mark=(t.MARK_SERVICE, t.MARK_SERVICE)),
                   [("resubmit", t.CLOSING_SERVICE), ("goto", t.SNAT)])
    for table in (t.CLOSING_SERVICE, t.CLOSING_SNAT):
        yield flow(table, 0, {}, [("controller", t.CLOSING_CONTROLLER_ID)])


def self_hairpin_flows(state: FabricState, dpid: int) -> Iterator[Flow]:
    """A pod that reaches itself through its Service would receive its own address
    as the source, which its kernel drops: only then is a ClusterIP connection
    masqueraded, as kube-proxy does. Every endpoint of the nodes on this switch."""
    local = {n.name for n in state.nodes if n.dpid == dpid}
    addresses = sorted({e.ip for s in state.services for p in s.ports
                        for e in p.endpoints if e.node in local})
    hairpin = ("ct", Ct(True, t.ZONE_SNAT, t.ROUTE, ("src", state.masquerade_ip), None))
    for ip in addresses:
        yield flow(t.SNAT, 150, {"eth_type": ETH_IPV4, "ipv4_src": ip, "ipv4_dst": ip,
                                 "ct_mark": (t.MARK_SERVICE, t.MARK_SERVICE)}, [hairpin])


def service_port_ids(services: tuple[Service, ...]) -> dict[tuple[str, str, int], int]:
    """{(service, protocol, port): id}, 16 bits, stable across restarts for the
    same Services (a hash, probed in a fixed order on collision)."""
    ids, taken = {}, set()
    keys = sorted((s.name, p.protocol, p.port) for s in services for p in s.ports)
    for key in keys:
        candidate = zlib.crc32(repr(key).encode()) & 0xFFFF or 1
        while candidate in taken:
            candidate = candidate % 0xFFFF + 1
        taken.add(candidate)
        ids[key] = candidate
    return ids


def _ip_int(ip):
    return int.from_bytes(socket.inet_aton(ip), "big")


# masquerade: external traffic under the Cluster policy gets a node's address as its
# source: entry_node's for a NodePort, the endpoint's node's otherwise ("").
Frontend = namedtuple("Frontend", "ip port masquerade entry_node endpoints variant")


def frontends(state: FabricState, service: Service, port: ServicePort) -> list[Frontend]:
    """The Frontends of a service port: its ClusterIP, external IPs and, for a
    NodePort, every node's address. variant 0 selects from all endpoints; a Local
    NodePort on node i selects from that node's endpoints only (variant i)."""
    found = []
    if service.cluster_ip:
        found.append(Frontend(service.cluster_ip, port.port, False, "", port.endpoints, 0))
    cluster_policy = service.external_policy == "Cluster"
    for ip in service.external_ips:
        found.append(Frontend(ip, port.port, cluster_policy, "", port.endpoints, 0))
    if port.node_port:
        for index, node in enumerate(state.nodes, 1):
            if cluster_policy:
                found.append(Frontend(node.ip, port.node_port, True, node.ip,
                                      port.endpoints, 0))
            else:
                local = tuple(e for e in port.endpoints if e.node == node.name)
                found.append(Frontend(node.ip, port.node_port, False, "", local, index))
    return found


def endpoint_set(endpoints: tuple[Endpoint, ...]) -> EndpointSet:
    """What a select group holds: the endpoints' (address, port), in order. Services
    with the same endpoints share one group, so a changed endpoint costs one group
    modification however many Services select it."""
    return tuple(sorted((e.ip, e.port) for e in endpoints))


VARIANT_BITS = 8  # a Local NodePort's group per node: variant = the node's index


def group_ids(state: FabricState,
              port_ids: dict[tuple[str, str, int], int]) -> dict[EndpointSet, int]:
    """{endpoint set: group id}. A group is named after the first service port (by
    id) that selects its endpoints, so the id outlives changes of the endpoints:
    then only the group's buckets change, not the flows that point at it."""
    ids = {}
    ports = sorted((port_ids[(s.name, p.protocol, p.port)], s, p)
                   for s in state.services for p in s.ports)
    for port_id, service, port in ports:
        for front in frontends(state, service, port):
            if front.endpoints:
                ids.setdefault(endpoint_set(front.endpoints),
                               port_id << VARIANT_BITS | front.variant)
    return ids


def service_port_pipeline(state: FabricState, service: Service, port: ServicePort,
                          port_id: int, group_of: dict[EndpointSet, int]
                          ) -> tuple[list[Flow], list[Group]]:
    """(flows, groups) of one service port on any switch. group_of: {endpoint set:
    group id}. DNAT flows are shared by every Service with the endpoint, except with
    session affinity, whose learning is the Service's own."""
    flows, groups = [], {}
    proto = IP_PROTO[port.protocol]
    for front in frontends(state, service, port):
        match = {"ct_state": (t.CT_NEW | t.CT_TRK, t.CT_NEW | t.CT_TRK),
                 "eth_type": ETH_IPV4, "ip_proto": proto, "ipv4_dst": front.ip,
                 PORT_FIELD[port.protocol]: front.port}
        if not front.endpoints:
            # No ready endpoint: reject at once (the controller answers); a Local
            # NodePort whose node has none drops, as Kubernetes does.
            flows.append(flow(t.SERVICE, 200, match, [] if port.endpoints else
                              [("output", "CONTROLLER")]))
            continue
        members = endpoint_set(front.endpoints)
        gid = group_of[members]
        groups[gid] = endpoint_group(gid, members)
        actions = [("set_field", t.REG_SERVICE_PORT, port_id),
                   ("set_field", t.REG_MASQUERADE, int(front.masquerade))]
        if front.entry_node:
            actions.append(("set_field", t.REG_ENTRY_NODE, _ip_int(front.entry_node)))
        if service.affinity_timeout:
            actions += [("set_field", t.REG_ENDPOINT_IP, 0), ("set_field", t.REG_ENDPOINT_PORT, 0),
                        ("set_field", t.REG_VARIANT, front.variant),
                        ("resubmit", t.AFFINITY), ("resubmit", t.DNAT)]
            # No (or a stale) learned choice: pick from the group.
            flows.append(flow(t.DNAT, 1, {"eth_type": ETH_IPV4, t.REG_SERVICE_PORT: port_id,
                                          t.REG_VARIANT: front.variant}, [("group", gid)]))
        else:
            actions.append(("group", gid))
        flows.append(flow(t.SERVICE, 200, match, actions))
    masquerades = tuple(sorted({f.masquerade for f in frontends(state, service, port)}))
    affinity = (service.affinity_timeout, port_id) if service.affinity_timeout else None
    flows.extend(dnat_flows(proto, endpoint_set(port.endpoints), masquerades, affinity))
    return flows, list(groups.values())


# Services that share endpoints share these: cached, a changed endpoint set costs one
# computation however many Services select it.
@functools.lru_cache(maxsize=1 << 12)
def endpoint_group(gid: int, members: EndpointSet) -> Group:
    """The select group over members ((ip, port), ...): each bucket names its endpoint
    in registers and resubmits to DNAT."""
    return Group(gid, tuple(
        (("set_field", t.REG_ENDPOINT_IP, _ip_int(ip)),
         ("set_field", t.REG_ENDPOINT_PORT, number), ("resubmit", t.DNAT))
        for ip, number in members))


@functools.lru_cache(maxsize=1 << 12)
def dnat_flows(proto: int, members: EndpointSet, masquerades: tuple[bool, ...],
               affinity: tuple[int, int] | None) -> tuple[Flow, ...]:
    """DNAT flows of members ((ip, port), ...): commit the connection, rewritten to the
    endpoint, marked for SNAT. affinity: (timeout, service port id) makes them the
    Service's own, learning the client's choice; None shares them."""
    flows = []
    for ip, number in members:
        for masquerade in masquerades:
            # ip_proto too: a learn action reads the protocol's port field.
            match = {"eth_type": ETH_IPV4, "ip_proto": proto,
                     t.REG_ENDPOINT_IP: _ip_int(ip),
                     t.REG_ENDPOINT_PORT: number, t.REG_MASQUERADE: int(masquerade)}
            mark = t.MARK_SERVICE | (t.MARK_MASQUERADE if masquerade else 0)
            actions = []
            priority = 100
            if affinity:
                timeout, port_id = affinity
                match[t.REG_SERVICE_PORT] = port_id
                priority = 110
                actions.append(("learn", Learn(t.AFFINITY, 100, timeout,
                                               t.LEARNED_TAG | port_id, proto)))
            actions.append(("ct", Ct(True, t.ZONE_SERVICE, t.SNAT,
                                     ("dst", ip, number), (mark, 0xFFFFFFFF))))
            flows.append(flow(t.DNAT, priority, match, actions))
    return tuple(flows)


NodesOnly = namedtuple("NodesOnly", "nodes")


@functools.lru_cache(maxsize=1 << 14)
def _cached_service_port(nodes, service, port, port_id, groups):
    """service_port_pipeline depends on the nodes, the service and its groups' ids
    only: a new state recomputes the Services that changed, not the thousand that
    did not."""
    return service_port_pipeline(NodesOnly(nodes), service, port, port_id, dict(groups))
