"""DaemonSets: checked by the manifest rules (a selector matching the template's
labels, the template a pod kubemn can run, restarting Always), stored with the API
server's defaults (a rolling update, one node at a time). The status is the daemon
set controller's (topo/manager/daemons.py): a client's write keeps the one stored. A
delete removes them; the garbage collector takes their pods."""
import copy

from topo.api.strategies.common import keep_selector, parsed, stored_metadata
from topo.api.strategies.pod_template import defaulted
from topo.plan.manifest import parse_daemon_set

RESOURCE = "daemonsets.apps"   # the store's key
KIND = "DaemonSet"
EMPTY_STATUS = {"currentNumberScheduled": 0, "numberMisscheduled": 0,
                "desiredNumberScheduled": 0, "numberReady": 0}


def for_create(obj, now, current=None):
    parsed(parse_daemon_set, obj)
    keep_selector(obj, current)
    spec = copy.deepcopy(obj["spec"])
    spec["template"] = defaulted(spec["template"])
    strategy = spec.setdefault("updateStrategy", {"type": "RollingUpdate"})
    if strategy.get("type", "RollingUpdate") == "RollingUpdate":
        strategy["type"] = "RollingUpdate"
        strategy.setdefault("rollingUpdate", {"maxUnavailable": 1, "maxSurge": 0})
    spec.setdefault("revisionHistoryLimit", 10)
    status = current["status"] if current else dict(EMPTY_STATUS)
    return {"apiVersion": "apps/v1", "kind": KIND,
            "metadata": stored_metadata(obj, current, now), "spec": spec, "status": status}


def for_update(obj, current, now):
    return for_create(obj, now, current)


def for_delete(current, now):
    return None
