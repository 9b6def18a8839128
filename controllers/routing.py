"""Where things are on the fabric (pure): which port of a switch leads to a node or
the internet host, and which MAC the fabric answers ARP with."""
from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from controllers.state import FabricState, Internet, Node

# {dpid: {other dpid: the local port that leads towards it (None: itself)}}
Routes = dict[int, dict[int, int | None]]


def first_hop_ports(state: FabricState) -> Routes:
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


def port_towards(routes: Routes, dpid: int, host: Node | Internet) -> int | None:
    """The port of switch dpid that leads to host (a node or the internet host, which
    both have .dpid and .port), or None if unreachable."""
    if host.dpid == dpid:
        return host.port
    return routes[dpid].get(host.dpid)


def gateway_ips(state: FabricState) -> list[str]:
    ips = [state.gateway_ip]
    if state.internet is not None:
        ips.append(state.internet.gateway_ip)
    return ips


def fabric_mac_of(state: FabricState, ip: str) -> str | None:
    """The MAC the fabric answers ARP with for ip (a gateway or a node), or None."""
    if ip in gateway_ips(state):
        return state.gateway_mac
    for node in state.nodes:
        if node.ip == ip:
            return node.mac
    return None
