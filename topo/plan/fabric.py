"""The fabric between the nodes, as data (pure): which switches, which links,
which node hangs off which switch, and which server each switch runs on (its nodes
with it). Realised by topo/runtime/network.py."""
from __future__ import annotations

from dataclasses import dataclass

from topo.plan.naming import switch_name
from topo.plan.servers import HEAD, place


@dataclass(frozen=True)
class FabricPlan:
    switches: tuple     # ((name, dpid), ...)
    links: tuple        # ((switch, switch), ...) between switches
    attachments: tuple  # ((node name, switch name), ...) in node order
    servers: tuple = ()  # ((switch name, server), ...); a switch not named: the head's

    def switch_of(self, node_name: str) -> str:
        return dict(self.attachments)[node_name]

    def server_of_switch(self, switch: str) -> str:
        return dict(self.servers).get(switch, HEAD)

    def server_of(self, node_name: str) -> str:
        """The server a node runs on: its switch's."""
        return self.server_of_switch(self.switch_of(node_name))

    def tunnels(self) -> tuple:
        """The links between switches on different servers: VXLAN tunnels."""
        return tuple((a, b) for a, b in self.links
                     if self.server_of_switch(a) != self.server_of_switch(b))


SPINE_DPID = 0x100


def plan_fabric(fabric: str, node_names: list[str], servers: tuple = (HEAD,),
                placer: str = "bins") -> FabricPlan:
    """'single': every node on one switch. 'racks:N': N leaf switches under one
    spine, the nodes split into N contiguous racks (node1, node2 | node3, node4).

    Over several servers, 'single' is one switch a server (kmn-s1 the head's, kmn-s2
    the second's...) joined each to each, the nodes placed by placer; 'racks:N' puts
    the spine on the head and the leaves in bins over the servers, each rack's nodes
    with its leaf."""
    if len(servers) > 1:
        return _over_servers(fabric, node_names, servers, placer)
    if fabric == "single":
        switch = switch_name("s", 1)
        return FabricPlan(((switch, 1),), (), tuple((n, switch) for n in node_names))
    racks = int(fabric.split(":", 1)[1])
    leaves = [(switch_name("leaf", i), i) for i in range(1, racks + 1)]
    spine = (switch_name("spine"), SPINE_DPID)
    count = len(node_names)
    attachments = tuple((name, leaves[i * racks // count][0])
                        for i, name in enumerate(node_names))
    return FabricPlan((spine,) + tuple(leaves),
                      tuple((spine[0], leaf) for leaf, _ in leaves), attachments)


def _over_servers(fabric, node_names, servers, placer):
    if fabric == "single":
        switches = tuple((switch_name("s", i), i) for i in range(1, len(servers) + 1))
        on = {server: name for (name, _), server in zip(switches, servers)}
        placed = place(node_names, servers, placer)
        names = [name for name, _ in switches]
        return FabricPlan(switches,
                          tuple((a, b) for i, a in enumerate(names) for b in names[i + 1:]),
                          tuple((n, on[placed[n]]) for n in node_names),
                          tuple((switch, server) for server, switch in on.items()))
    racks = plan_fabric(fabric, node_names)
    leaves = [name for name, _ in racks.switches[1:]]
    return FabricPlan(racks.switches, racks.links, racks.attachments,
                      tuple(place(leaves, servers, "bins").items()))


def switch_for_new_node(fabric: FabricPlan, attachments: dict[str, str]) -> str:
    """Where a node added to a running cluster plugs in: the switch (a leaf, not the
    spine; over servers, any server's) with the fewest nodes."""
    edge = [name for name, _ in fabric.switches if name != switch_name("spine")]
    counts = {name: 0 for name in edge}
    for switch in attachments.values():
        if switch in counts:
            counts[switch] += 1
    return min(edge, key=lambda name: counts[name])
