"""What every strategy keeps of an object's metadata, the name and immutability checks
the API server applies to most kinds, and the stored form of a kind whose status is
its controller's."""
import copy
import json

from topo.api.render import timestamp
from topo.api.status import invalid
from topo.errors import ManifestError
from topo.plan.manifest import DNS_LABEL

KEPT = ("name", "namespace", "labels", "annotations", "ownerReferences")


def stored_metadata(obj, current, now):
    """The metadata a client may set, with the creationTimestamp the object has had
    since it was created (now for a create)."""
    metadata = {k: v for k, v in obj["metadata"].items() if k in KEPT}
    metadata["creationTimestamp"] = current["metadata"]["creationTimestamp"] \
        if current else timestamp(now)
    return metadata


def keep_immutable(obj, spec, current, fields):
    """An update may not change these fields of the spec (apps/v1's workloads: the
    selector; a Job: its template too): the API server's "field is immutable"."""
    for field in fields if current is not None else ():
        if spec.get(field) != current["spec"].get(field):
            raise invalid(obj["kind"], obj["metadata"]["name"], "spec." + field,
                          "Invalid value: %s: field is immutable"
                          % json.dumps(spec.get(field), sort_keys=True))


def controlled(api_version, kind, metadata, spec, current, empty_status):
    """The stored object of a kind whose status its controller writes: a client's
    write keeps the status stored (empty_status for a create)."""
    status = current.get("status", empty_status) if current else empty_status
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata, "spec": spec,
            "status": copy.deepcopy(status)}


def check_count(kind, name, field, value, default=None):
    """A count (replicas, a partition) as the API server checks it: a whole number, 0
    or more; None is default (if there is one: a field left out or null). Returns it."""
    value = default if value is None else value
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise invalid(kind, name, field, "Invalid value: %r: must be greater than or equal "
                      "to 0" % (value,))
    return value


def with_status(obj, current):
    """What a write of the status subresource stores for a kind whose status is one
    component's (a pod's and a node's: their kubelet's): the object as stored, with
    obj's status."""
    return dict(copy.deepcopy(current), status=copy.deepcopy(obj.get("status") or {}))


def parsed(parse, obj):
    """parse(obj) by kubemn's manifest rules (what `kubemn run -f` refuses, the API
    refuses): a ManifestError is the API server's 422 naming the field."""
    try:
        return parse(obj)
    except ManifestError as exc:
        raise invalid(obj["kind"], obj["metadata"].get("name", ""),
                      getattr(exc, "field", ""), getattr(exc, "problem", str(exc))) from None


def check_subdomain_name(kind, name):
    """A DNS subdomain name (up to 253 characters), as most kinds' names are."""
    if len(name) > 253 or not DNS_LABEL.match(name.replace(".", "-")):
        raise invalid(kind, name, "metadata.name", "Invalid value: %r" % name)
