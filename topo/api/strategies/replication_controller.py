"""ReplicationControllers: checked by the manifest rules (the template a pod kubemn can
run, restarting Always; the selector, defaulted to the template's labels, matching
them), stored with the API server's defaults. The status is the replication
manager's (topo/manager/replicas.py): a client's write keeps the one stored. A
delete removes them; the garbage collector takes their pods."""
import copy

from topo.api.strategies.common import controlled, parsed, stored_metadata
from topo.api.strategies.pod_template import defaulted
from topo.plan.manifest import parse_replication_controller

RESOURCE = "replicationcontrollers"   # the store's key
KIND = "ReplicationController"


def for_create(obj, now, current=None):
    replicas, selector, _ = parsed(parse_replication_controller, obj)
    spec = copy.deepcopy(obj["spec"])
    spec["replicas"], spec["selector"] = replicas, dict(selector)
    spec["template"] = defaulted(spec["template"])
    template_metadata = spec["template"].setdefault("metadata", {})
    template_metadata.setdefault("labels", dict(selector))
    metadata = stored_metadata(obj, current, now)
    metadata.setdefault("labels", dict(template_metadata["labels"]))
    return controlled("v1", KIND, metadata, spec, current, {"replicas": 0})


def for_update(obj, current, now):
    return for_create(obj, now, current)


def for_delete(current, now):
    return None
