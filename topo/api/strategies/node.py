"""Nodes: checked by the manifest rules (a name kubemn can give a Mininet host, a
podCIDR that is a CIDR), stored with the labels their kubelet gives them (which it puts
back, as the kubelet's updateDefaultLabels does). A client may change the labels, the
annotations, spec.unschedulable (kubectl cordon) and the taints; spec.podCIDR is set
once (by the client or by kubemn's node provisioner, as the node IPAM controller sets
it) and never changes. The status is the kubelet's (the status subresource). A delete
removes the node at once; its machine and its pods follow (topo/runtime/machines.py,
the kubelet's pod garbage collection)."""
import copy

from topo.api.render import node_labels
from topo.api.status import invalid
from topo.api.strategies.common import parsed, stored_metadata, with_status
from topo.plan.manifest import parse_node

RESOURCE = "nodes"   # the store's key
KIND = "Node"
SPEC = ("podCIDR", "unschedulable", "taints", "providerID")   # podCIDRs: from podCIDR


def _spec(obj, current):
    given = obj.get("spec") or {}
    spec = {key: copy.deepcopy(given[key]) for key in SPEC if given.get(key) is not None}
    before = current["spec"].get("podCIDR") if current is not None else None
    if before is not None and spec.setdefault("podCIDR", before) != before:
        raise invalid(KIND, obj["metadata"]["name"], "spec.podCIDRs",
                      "Forbidden: node updates may not change podCIDR except from \"\" "
                      "to valid")
    if "podCIDR" in spec:
        spec["podCIDRs"] = [spec["podCIDR"]]
    return spec


def for_create(obj, now, current=None):
    parsed(parse_node, obj)
    metadata = stored_metadata(obj, current, now)
    metadata.pop("namespace", None)
    metadata["labels"] = dict(node_labels(metadata["name"]), **(metadata.get("labels") or {}))
    status = current.get("status", {}) if current is not None else {}
    return {"apiVersion": "v1", "kind": KIND, "metadata": metadata,
            "spec": _spec(obj, current), "status": copy.deepcopy(status)}


def for_update(obj, current, now):
    return for_create(obj, now, current)


def for_status(obj, current, now):
    """The kubelet's write: the status, the rest as stored."""
    return with_status(obj, current)


def for_delete(current, now):
    return None


def ready(node):
    """The node's kubelet says it is Ready (a node just made has said nothing yet)."""
    return any(c["type"] == "Ready" and c["status"] == "True"
               for c in (node.get("status") or {}).get("conditions", ()))
