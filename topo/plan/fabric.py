"""The fabric between the nodes, as data (pure): which switches, which links,
which node hangs off which switch. Realised by topo/runtime/network.py."""
from __future__ import annotations

from dataclasses import dataclass

from topo.plan.naming import switch_name


@dataclass(frozen=True)
class FabricPlan:
    switches: tuple     # ((name, dpid), ...)
    links: tuple        # ((switch, switch), ...) between switches
    attachments: tuple  # ((node name, switch name), ...) in node order

    def switch_of(self, node_name: str) -> str:
        return dict(self.attachments)[node_name]


SPINE_DPID = 0x100


def plan_fabric(fabric: str, node_names: list[str]) -> FabricPlan:
    """'single': every node on one switch. 'racks:N': N leaf switches under one
    spine, the nodes split into N contiguous racks (node1, node2 | node3, node4)."""
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


def switch_for_new_node(fabric: FabricPlan, attachments: dict[str, str]) -> str:
    """Where a node added to a running cluster plugs in: the only switch, or the leaf
    with the fewest nodes."""
    edge = [name for name, _ in fabric.switches if not fabric.links or
            any(name == leaf for _, leaf in fabric.links)]
    counts = {name: 0 for name in edge}
    for switch in attachments.values():
        if switch in counts:
            counts[switch] += 1
    return min(edge, key=lambda name: counts[name])
