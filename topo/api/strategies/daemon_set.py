"""DaemonSets: checked by the manifest rules (a selector matching the template's
labels, the template a pod kubemn can run, restarting Always), stored with the API
server's defaults (a rolling update, one node at a time). The status is the daemon
set controller's (topo/manager/daemons.py): a client's write keeps the one stored. A
delete removes them; the garbage collector takes their pods."""
import copy

from topo.api.strategies.common import controlled, keep_immutable, parsed, stored_metadata
from topo.api.strategies.pod_template import defaulted
from topo.plan.manifest import parse_pod_set

RESOURCE = "daemonsets.apps"   # the store's key
KIND = "DaemonSet"
EMPTY_STATUS = {"currentNumberScheduled": 0, "numberMisscheduled": 0,
                "desiredNumberScheduled": 0, "numberReady": 0}


def for_create(obj, now, current=None):
    parsed(parse_pod_set, obj)
    spec = copy.deepcopy(obj["spec"])
    keep_immutable(obj, spec, current, ("selector",))
    spec["template"] = defaulted(spec["template"])
    strategy = spec.setdefault("updateStrategy", {"type": "RollingUpdate"})
    if strategy.get("type", "RollingUpdate") == "RollingUpdate":
        strategy["type"] = "RollingUpdate"
        strategy.setdefault("rollingUpdate", {"maxUnavailable": 1, "maxSurge": 0})
    spec.setdefault("revisionHistoryLimit", 10)
    return controlled("apps/v1", KIND, stored_metadata(obj, current, now), spec, current,
                      EMPTY_STATUS)


def for_update(obj, current, now):
    return for_create(obj, now, current)


def for_delete(current, now):
    return None
