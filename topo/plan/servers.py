"""The servers a cluster runs on (pure): `kubemn run --servers head,server2,server3`,
the head first (this machine: the API, the controllers, Ryu and the internet host
stay there), and which server each node goes to (a placer, as Mininet Cluster
Edition's: `bins` fills the servers in turn with contiguous runs of nodes, as its
SwitchBinPlacer does; `round-robin` deals the nodes out one at a time)."""
from __future__ import annotations

import re

from topo.errors import KubemnError

HEAD = "head"
PLACERS = ("bins", "round-robin")
SERVER_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,62})$")
# A packet between servers crosses a VXLAN tunnel: 50 bytes of headers on the
# servers' 1500-byte LAN, so the nodes and pods get the 1450 flannel gives them.
TUNNEL_OVERHEAD = 50
LAN_MTU = 1500


def parse_servers(text: str) -> tuple[str, ...]:
    """'head,server2,server3' -> ('head', 'server2', 'server3'); a clear error for a
    list that does not start with the head, names one twice or names a bad host."""
    names = tuple(part.strip() for part in text.split(","))
    for name in names:
        if not SERVER_NAME.match(name):
            raise KubemnError("--servers %r: %r is not a host name or address" % (text, name))
    if names[0] != HEAD:
        raise KubemnError("--servers %r: the list starts with %r (this machine, where the "
                          "API and the controller run)" % (text, HEAD))
    if len(set(names)) != len(names):
        raise KubemnError("--servers %r: a server is named twice" % text)
    return names


def place(names: list[str], servers: tuple[str, ...], placer: str) -> dict[str, str]:
    """{name: server} for nodes (or switches) in order."""
    if placer not in PLACERS:
        raise KubemnError("--placer %r: expected one of %s" % (placer, ", ".join(PLACERS)))
    if placer == "round-robin":
        return {name: servers[i % len(servers)] for i, name in enumerate(names)}
    # bins: as even as can be, the first servers taking one more when it does not divide
    count, many = len(names), len(servers)
    placed, start = {}, 0
    for index, server in enumerate(servers):
        size = count // many + (1 if index < count % many else 0)
        placed.update((name, server) for name in names[start:start + size])
        start += size
    return placed


def mtu(servers: tuple[str, ...]) -> int:
    """The nodes' and pods' MTU: the LAN's on one server, less the tunnel's across."""
    return LAN_MTU if len(servers) == 1 else LAN_MTU - TUNNEL_OVERHEAD
