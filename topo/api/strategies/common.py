"""What every strategy keeps of an object's metadata, and the name and selector checks
the API server applies to most kinds."""
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


def keep_selector(obj, current):
    """apps/v1's workloads (and a ReplicationController's none): spec.selector is
    immutable once stored."""
    if current is not None and obj["spec"].get("selector") != current["spec"]["selector"]:
        raise invalid(obj["kind"], obj["metadata"]["name"], "spec.selector",
                      "Invalid value: %s: field is immutable"
                      % json.dumps(obj["spec"].get("selector"), sort_keys=True))


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
