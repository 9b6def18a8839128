"""Pod scheduling (pure): spec.nodeName when given, otherwise the least-loaded node."""
from __future__ import annotations

from topo.errors import KubemnError


def no_such_node(node_name: str, nodes: list[str]) -> KubemnError:
    """The error of a nodeName that names none of nodes: checked when a manifest is
    applied (topo/objects.py), and again when its pod is placed."""
    return KubemnError("nodeName %r: no such node (nodes: %s)" % (node_name, ", ".join(nodes)))


def choose_node(node_name: str | None, pod_counts: dict[str, int],
                free_addresses: dict[str, int]) -> str:
    """node_name: the pod's spec.nodeName or None.
    pod_counts, free_addresses: {node: int}, in the cluster's node order."""
    if node_name is not None:
        if node_name not in pod_counts:
            raise no_such_node(node_name, list(pod_counts))
        if free_addresses[node_name] < 1:
            raise KubemnError("node %s has no free pod address" % node_name)
        return node_name
    candidates = [n for n in pod_counts if free_addresses[n] > 0]
    if not candidates:
        raise KubemnError("no node has a free pod address")
    return min(candidates, key=lambda n: pod_counts[n])
