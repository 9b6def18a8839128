"""Desired state -> the flows of every fabric switch (pure).

Table 0 of each switch:
  100  ARP, and ICMP to the gateway       -> controller (it answers for the fabric)
   50  eth_dst = a node's MAC             -> towards that node (plain L2 on the fabric)
   40  IPv4 to the gateway MAC, ipv4_dst in a node's PodCIDR
                                          -> route: dec TTL, MACs gateway->node, towards it
  (no match: dropped)
The receiving node sees the sending pod's address: nothing is NATed.
"""
import hashlib
from collections import deque, namedtuple

ETH_ARP = 0x0806
ETH_IPV4 = 0x0800
IPPROTO_ICMP = 1
CONTROLLER = "CONTROLLER"
# Every kubemn flow carries a cookie with this top byte and a hash of the flow below
# it, so that reconciling needs only the cookies a switch reports.
COOKIE_TAG = 0x4B << 56
COOKIE_HASH_MASK = (1 << 56) - 1

Flow = namedtuple("Flow", "table priority match actions")


def flow(table, priority, match, actions):
    return Flow(table, priority, tuple(sorted(match.items())), tuple(actions))


def cookie_of(f):
    digest = hashlib.sha1(repr(f).encode()).digest()
    return COOKIE_TAG | (int.from_bytes(digest[:8], "big") & COOKIE_HASH_MASK)


def first_hop_ports(state):
    """{dpid: {other dpid: the local port that leads towards it}} by BFS."""
    neighbours = {d: [] for d in state.switches}
    for link in state.links:
        neighbours[link.dpid_a].append((link.port_a, link.dpid_b))
        neighbours[link.dpid_b].append((link.port_b, link.dpid_a))
    routes = {}
    for source in state.switches:
        first = {source: None}
        queue = deque([source])
        while queue:
            here = queue.popleft()
            for port, there in neighbours[here]:
                if there not in first:
                    first[there] = port if here == source else first[here]
                    queue.append(there)
        routes[source] = first
    return routes


def port_towards(routes, dpid, node):
    """The port of switch dpid that leads to node, or None if unreachable."""
    if node.dpid == dpid:
        return node.port
    return routes[dpid].get(node.dpid)


def fabric_flows(state):
    """{dpid: set of Flow} for every switch of the fabric."""
    routes = first_hop_ports(state)
    flows = {}
    for dpid in state.switches:
        table = {
            flow(0, 100, {"eth_type": ETH_ARP}, [("output", CONTROLLER)]),
            flow(0, 100, {"eth_type": ETH_IPV4, "ip_proto": IPPROTO_ICMP,
                          "ipv4_dst": state.gateway_ip}, [("output", CONTROLLER)]),
        }
        for node in state.nodes:
            port = port_towards(routes, dpid, node)
            if port is None:
                continue
            table.add(flow(0, 50, {"eth_dst": node.mac}, [("output", port)]))
            table.add(flow(0, 40, {"eth_type": ETH_IPV4, "eth_dst": state.gateway_mac,
                                   "ipv4_dst": node.pod_cidr},
                           [("dec_ttl",), ("set_field", "eth_src", state.gateway_mac),
                            ("set_field", "eth_dst", node.mac), ("output", port)]))
        flows[dpid] = table
    return flows


def fabric_mac_of(state, ip):
    """The MAC the fabric answers ARP with for ip (gateway or node), or None."""
    if ip == state.gateway_ip:
        return state.gateway_mac
    for node in state.nodes:
        if node.ip == ip:
            return node.mac
    return None


def reconcile(desired, present_cookies):
    """(flows to add, cookies to delete) that turn a switch into the desired table."""
    by_cookie = {cookie_of(f): f for f in desired}
    present = set(present_cookies)
    to_add = [f for c, f in sorted(by_cookie.items()) if c not in present]
    to_delete = sorted(present - set(by_cookie))
    return to_add, to_delete
