"""ReplicaSets: checked by the manifest rules (a selector, of matchLabels and
matchExpressions, not empty and matching the template's labels; the template a pod
kubemn can run, restarting Always), stored with one replica by default. The status
is the replica set controller's (topo/manager/replicas.py): a client's write keeps
the one stored. A delete removes them; the garbage collector takes their pods."""
import copy

from topo.api.strategies.common import (check_count, controlled, keep_immutable, parsed,
                                        stored_metadata)
from topo.api.strategies.pod_template import defaulted
from topo.plan.manifest import parse_pod_set

RESOURCE = "replicasets.apps"   # the store's key
KIND = "ReplicaSet"


def for_create(obj, now, current=None):
    parsed(lambda body: parse_pod_set(body, kind=KIND), obj)
    spec = copy.deepcopy(obj["spec"])
    keep_immutable(obj, spec, current, ("selector",))
    spec["template"] = defaulted(spec["template"])
    check_count(KIND, obj["metadata"]["name"], "spec.replicas", spec.setdefault("replicas", 1))
    return controlled("apps/v1", KIND, stored_metadata(obj, current, now), spec, current,
                      {"replicas": 0})


def for_update(obj, current, now):
    return for_create(obj, now, current)


def for_delete(current, now):
    return None
