"""Deployments: checked by the manifest rules (a matchLabels selector matching the
template's labels, the template a pod kubemn can run, restarting Always, the rolling
update's limits), stored with the API server's defaults (one replica, a rolling
update of 25% surge and 25% unavailable, ten old ReplicaSets kept). The status and
the revision annotation are the deployment controller's (topo/manager/deployments.py):
a client's write keeps the status stored. A delete removes them; the garbage collector
takes their ReplicaSets, and theirs their pods."""
import copy

from topo.api.strategies.common import controlled, keep_immutable, parsed, stored_metadata
from topo.api.strategies.pod_template import defaulted
from topo.plan.manifest import parse_deployment

RESOURCE = "deployments.apps"   # the store's key
KIND = "Deployment"
REVISION = "deployment.kubernetes.io/revision"


def for_create(obj, now, current=None):
    parsed(parse_deployment, obj)
    spec = copy.deepcopy(obj["spec"])
    keep_immutable(obj, spec, current, ("selector",))
    spec.setdefault("replicas", 1)
    spec["template"] = defaulted(spec["template"])
    strategy = spec.get("strategy") or {}
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.setdefault("rollingUpdate", {})
        rolling.setdefault("maxUnavailable", "25%")
        rolling.setdefault("maxSurge", "25%")
    spec["strategy"] = strategy
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    return controlled("apps/v1", KIND, stored_metadata(obj, current, now), spec, current, {})


def for_update(obj, current, now):
    return for_create(obj, now, current)


def for_delete(current, now):
    return None
