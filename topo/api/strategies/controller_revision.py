"""apps/v1 ControllerRevisions: a StatefulSet's or DaemonSet's templates as their
controllers keep them (topo/manager/revisions.py), checked as the API server checks
them (a revision number; data fixed once made). `kubectl rollout history|undo
sts|ds` reads them. A delete removes them; the garbage collector, with their owner."""
import copy

from topo.api.status import invalid
from topo.api.strategies.common import check_subdomain_name, stored_metadata

RESOURCE = "controllerrevisions.apps"
API_VERSION = "apps/v1"
KIND = "ControllerRevision"


def for_create(obj, now, current=None):
    name = obj["metadata"]["name"]
    check_subdomain_name(KIND, name)
    revision = obj.get("revision")
    if isinstance(revision, bool) or not isinstance(revision, int) or revision < 0:
        raise invalid(KIND, name, "revision", "Invalid value: %r: must be greater than or "
                      "equal to 0" % (revision,))
    data = obj.get("data")
    if current is not None and data != current.get("data"):
        raise invalid(KIND, name, "data", "Invalid value: field is immutable")
    stored = {"apiVersion": API_VERSION, "kind": KIND,
              "metadata": stored_metadata(obj, current, now), "revision": revision}
    if data is not None:
        stored["data"] = copy.deepcopy(data)
    return stored


def for_update(obj, current, now):
    return for_create(obj, now, current)


def for_delete(current, now):
    return None
