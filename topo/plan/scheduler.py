"""Pod scheduling (pure): spec.nodeName when given, otherwise, of the nodes that may
take the pod (whose labels its nodeSelector matches, with room for one more), the one
with the fewest of the pod's peers (the pods of the same Services and controllers: the
default scheduler spreads them), then the least-loaded; if none, why not, as the
default scheduler says it."""
from __future__ import annotations

from topo.errors import KubemnError


class Unschedulable(KubemnError):
    """No node can take the pod now: it stays Pending, as the scheduler leaves it."""


def no_such_node(node_name: str, nodes: list[str]) -> KubemnError:
    """The error of a nodeName that names none of nodes: checked when a manifest is
    applied (topo/objects.py), and again when its pod is placed."""
    return KubemnError("nodeName %r: no such node (nodes: %s)" % (node_name, ", ".join(nodes)))


def choose_node(node_name: str | None, pod_counts: dict[str, int],
                free_addresses: dict[str, int], node_selector=(),
                node_labels: dict[str, dict] | None = None,
                peer_counts: dict[str, int] | None = None,
                excluded: dict[str, str] | None = None) -> str:
    """node_name: the pod's spec.nodeName or None; node_selector: its (key, value)
    pairs. pod_counts, free_addresses: {node: int}, every node in the cluster's node
    order; node_labels: {node: its labels}; peer_counts: {node: the pod's peers on it};
    excluded: {node: why it takes no pod (not Ready, cordoned, a taint)}, in the
    default scheduler's words."""
    if node_name is not None:
        if node_name not in pod_counts:
            raise no_such_node(node_name, list(pod_counts))
        if free_addresses[node_name] < 1:
            raise KubemnError("node %s has no free pod address" % node_name)
        return node_name
    labels, why = node_labels or {}, dict(excluded or {})
    for name in pod_counts:
        if name in why:
            continue
        if not set(node_selector) <= set(labels.get(name, {}).items()):
            why[name] = "node(s) didn't match Pod's node affinity/selector"
        elif free_addresses[name] < 1:
            why[name] = "Too many pods"   # a node's pods: its PodCIDR's addresses
    candidates = [n for n in pod_counts if n not in why]
    if not candidates:
        reasons = {}
        for reason in why.values():
            reasons[reason] = reasons.get(reason, 0) + 1
        raise Unschedulable("0/%d nodes are available: %s." % (len(pod_counts), ", ".join(
            sorted("%d %s" % (count, reason) for reason, count in reasons.items()))))
    peers = peer_counts or {}
    return min(candidates, key=lambda n: (peers.get(n, 0), pod_counts[n]))
