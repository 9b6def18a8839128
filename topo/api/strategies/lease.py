"""coordination.k8s.io Leases: kept as given (a holder, a duration, the times it was
acquired and renewed), checked as the API server checks them. Each node's kubelet
holds one in kube-node-lease, its heartbeat (topo/kubelet/node_lease.py); a
delete removes them."""
import json

from topo.api.status import invalid
from topo.api.strategies.common import check_subdomain_name, stored_metadata

RESOURCE = "leases.coordination.k8s.io"   # the store's key
API_VERSION = "coordination.k8s.io/v1"
SPEC = ("holderIdentity", "leaseDurationSeconds", "acquireTime", "renewTime",
        "leaseTransitions")


def _whole(value):
    return isinstance(value, int) and not isinstance(value, bool)


def for_create(obj, now, current=None):
    name = obj["metadata"]["name"]
    check_subdomain_name("Lease", name)
    spec = obj.get("spec") or {}
    if not isinstance(spec, dict):
        raise invalid("Lease", name, "spec", "Invalid value: expected an object")
    duration, transitions = spec.get("leaseDurationSeconds"), spec.get("leaseTransitions")
    if duration is not None and not (_whole(duration) and duration > 0):
        raise invalid("Lease", name, "spec.leaseDurationSeconds",
                      "Invalid value: %s: must be greater than 0" % json.dumps(duration))
    if transitions is not None and not (_whole(transitions) and transitions >= 0):
        raise invalid("Lease", name, "spec.leaseTransitions",
                      "Invalid value: %s: must to greater or equal than 0"   # sic, as Go says
                      % json.dumps(transitions))
    return {"apiVersion": API_VERSION, "kind": "Lease",
            "metadata": stored_metadata(obj, current, now),
            "spec": {field: spec[field] for field in SPEC if spec.get(field) is not None}}


def for_update(obj, current, now):
    return for_create(obj, now, current)


def for_delete(current, now):
    return None
