"""StatefulSets: checked by the manifest rules (a selector matching the template's
labels, the template a pod kubemn can run, restarting Always), stored with the API
server's defaults (one replica, OrderedReady, a rolling update from partition 0).
An update may change only what the API server lets it change; the status is the
stateful set controller's (topo/manager/stateful_sets.py). kubemn has no persistent
volumes: a StatefulSet that asks for claims is refused, saying so. A delete removes
them; the garbage collector takes their pods."""
import copy

from topo.api.status import invalid, not_supported
from topo.api.strategies.common import (check_count, controlled, keep_immutable, parsed,
                                        stored_metadata)
from topo.api.strategies.pod_template import defaulted
from topo.plan.manifest import parse_pod_set

RESOURCE = "statefulsets.apps"   # the store's key
KIND = "StatefulSet"
EMPTY_STATUS = {"replicas": 0, "availableReplicas": 0}
POLICIES = ("OrderedReady", "Parallel")
UPDATE_TYPES = ("RollingUpdate", "OnDelete")
# What an update may change; the rest of the spec is fixed once made.
UPDATABLE = ("replicas", "ordinals", "template", "updateStrategy",
             "persistentVolumeClaimRetentionPolicy", "minReadySeconds")


def for_create(obj, now, current=None):
    parsed(lambda body: parse_pod_set(body, kind=KIND), obj)
    name, spec = obj["metadata"]["name"], copy.deepcopy(obj["spec"])
    if spec.get("volumeClaimTemplates"):
        raise invalid(KIND, name, "spec.volumeClaimTemplates", "Forbidden: kubemn has no "
                      "persistent volumes; use an emptyDir volume in the template")
    keep_immutable(obj, spec, current, ("selector",))
    spec["template"] = defaulted(spec["template"])
    spec["replicas"] = check_count(KIND, name, "spec.replicas", spec.get("replicas"), 1)
    policy = spec.setdefault("podManagementPolicy", "OrderedReady")
    if policy not in POLICIES:
        raise not_supported(KIND, name, "spec.podManagementPolicy", policy, POLICIES)
    strategy = spec.setdefault("updateStrategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] not in UPDATE_TYPES:
        raise not_supported(KIND, name, "spec.updateStrategy.type", strategy["type"],
                            UPDATE_TYPES)
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.setdefault("rollingUpdate", {})
        rolling["partition"] = check_count(KIND, name,
                                           "spec.updateStrategy.rollingUpdate.partition",
                                           rolling.get("partition"), 0)
    if spec.get("ordinals") is not None:
        check_count(KIND, name, "spec.ordinals.start", (spec["ordinals"] or {}).get("start"), 0)
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("persistentVolumeClaimRetentionPolicy",
                    {"whenDeleted": "Retain", "whenScaled": "Retain"})
    if current is not None and any(spec.get(f) != current["spec"].get(f)
                                   for f in set(spec) | set(current["spec"])
                                   if f not in UPDATABLE):
        raise invalid(KIND, name, "spec", "Forbidden: updates to statefulset spec for fields "
                      "other than 'replicas', 'ordinals', 'template', 'updateStrategy', "
                      "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are "
                      "forbidden")
    return controlled("apps/v1", KIND, stored_metadata(obj, current, now), spec, current,
                      EMPTY_STATUS)


def for_update(obj, current, now):
    return for_create(obj, now, current)


def for_delete(current, now):
    return None
