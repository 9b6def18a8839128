"""The downward API (pure): what a pod may know of itself, as the kubelet renders a
fieldRef (`metadata.labels['app']`, `status.podIP`) or a resourceFieldRef
(`limits.memory`, in units of its divisor) for a variable or a volume's file."""
from __future__ import annotations

import math
from fractions import Fraction

from topo.plan.quantity import NotAQuantity, quantity

def _map_text(mapping):
    """metadata.labels or annotations as a file: key="value" lines, sorted, the value
    quoted as Go's %q quotes it."""
    def quoted(value):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") \
            .replace("\t", "\\t")
        return '"%s"' % escaped
    return "\n".join("%s=%s" % (k, quoted(v)) for k, v in sorted(mapping.items()))


def field_value(field_path: str, pod: dict) -> str:
    """A fieldRef of the stored pod (its status's podIP and hostIP filled in)."""
    metadata, spec, status = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
    for part in ("labels", "annotations"):
        prefix = "metadata.%s['" % part
        if field_path.startswith(prefix) and field_path.endswith("']"):
            return (metadata.get(part) or {}).get(field_path[len(prefix):-2], "")
        if field_path == "metadata." + part:
            return _map_text(metadata.get(part) or {})
    values = {
        "metadata.name": metadata.get("name", ""),
        "metadata.namespace": metadata.get("namespace", ""),
        "metadata.uid": metadata.get("uid", ""),
        "spec.nodeName": spec.get("nodeName", ""),
        "spec.serviceAccountName": spec.get("serviceAccountName", ""),
        "status.podIP": status.get("podIP", ""),
        "status.hostIP": status.get("hostIP", ""),
        "status.podIPs": ",".join(a["ip"] for a in status.get("podIPs") or ()) or
        status.get("podIP", ""),
        "status.hostIPs": ",".join(a["ip"] for a in status.get("hostIPs") or ()) or
        status.get("hostIP", ""),
    }
    return values[field_path]


def resource_value(resource: str, divisor: str, container: dict, allocatable: dict) -> str:
    """A resourceFieldRef of a container (its stored spec): its limit, or the node's
    allocatable without one; its request, or 0 without one (a request of the limit's
    kind defaults to the limit, as the API server defaults it). In units of divisor,
    rounded up, as the kubelet rounds."""
    kind, name = resource.split(".", 1)
    resources = container.get("resources") or {}
    value = (resources.get(kind) or {}).get(name)
    if value is None and kind == "requests":
        value = (resources.get("limits") or {}).get(name)
    amount = quantity(value) if value is not None else \
        quantity(allocatable[name]) if kind == "limits" else Fraction(0)
    unit = quantity(divisor or "1")
    if unit <= 0:
        raise NotAQuantity("divisor %r must be positive" % (divisor,))
    return str(math.ceil(amount / unit))
