"""Pods: checked by the manifest rules (what `kubemn run -f` refuses, the API refuses,
naming the field), stored as written with the API server's defaults, Pending and
unbound. Then each has one writer per part, as in Kubernetes: the scheduler binds it
(spec.nodeName, by for_binding), the kubelet writes its status (for_status), and a
client may change its labels and annotations only.

A delete of a bound pod is graceful: the pod is kept with a deletionTimestamp while
its kubelet stops it, and goes when the kubelet says it has (a delete with grace 0).
An unbound pod, or one whose containers have all ended, goes at once, as the API
server's CheckGracefulDelete has it."""
import copy

from topo.api.render import timestamp
from topo.api.status import ApiError, invalid
from topo.api.strategies.common import parsed, stored_metadata, with_status
from topo.api.strategies.pod_template import defaulted
from topo.plan.manifest import parse_pod

RESOURCE = "pods"
KIND = "Pod"
# What the admission plugins and the API server add to every pod's spec.
ADMITTED = {"serviceAccountName": "default", "serviceAccount": "default",
            "enableServiceLinks": True, "priority": 0}
DELETION = ("deletionTimestamp", "deletionGracePeriodSeconds")
PENDING = {"phase": "Pending", "qosClass": "BestEffort"}
FINISHED = ("Succeeded", "Failed")


def _spec(obj, current):
    spec = defaulted({"spec": obj.get("spec") or {}})["spec"]
    for key, value in ADMITTED.items():
        spec.setdefault(key, value)
    if current is not None and "nodeName" not in spec and current["spec"].get("nodeName"):
        spec["nodeName"] = current["spec"]["nodeName"]   # bound since it was written
    return spec


def for_create(obj, now, current=None):
    parsed(parse_pod, obj)
    metadata = stored_metadata(obj, current, now)
    if obj["metadata"].get("generateName"):
        metadata["generateName"] = obj["metadata"]["generateName"]
    spec = _spec(obj, current)
    if current is not None:
        if spec != current["spec"]:
            raise invalid(KIND, metadata["name"], "spec", "Forbidden: pod updates may not "
                          "change fields other than `metadata.labels` and "
                          "`metadata.annotations` in kubemn")
        metadata.update({k: current["metadata"][k] for k in DELETION
                         if k in current["metadata"]})
    status = current["status"] if current is not None else PENDING
    return {"apiVersion": "v1", "kind": KIND, "metadata": metadata, "spec": spec,
            "status": copy.deepcopy(status)}


def for_update(obj, current, now):
    return for_create(obj, now, current)


def for_status(obj, current, now):
    """The kubelet's write (or the scheduler's, of a pod it cannot place)."""
    return with_status(obj, current)


def for_binding(current, node, now):
    """The scheduler's binding: the pod is on node from now on."""
    if current["spec"].get("nodeName"):
        name = current["metadata"]["name"]
        raise ApiError(409, 'Operation cannot be fulfilled on pods/binding "%s": pod %s is '
                       'already assigned to node "%s"' % (name, name,
                                                          current["spec"]["nodeName"]),
                       reason="Conflict")
    stored = copy.deepcopy(current)
    stored["spec"]["nodeName"] = node
    stored["status"]["conditions"] = [
        c for c in stored["status"].get("conditions", ()) if c["type"] != "PodScheduled"
    ] + [{"type": "PodScheduled", "status": "True", "lastProbeTime": None,
          "lastTransitionTime": timestamp(now)}]
    return stored


def for_delete(current, now, grace=None):
    """None: gone now; otherwise the pod kept, terminating (a second delete changes
    nothing but a shorter grace)."""
    if grace == 0 or not current["spec"].get("nodeName") or \
            current["status"].get("phase") in FINISHED:
        return None   # no kubelet to wait for, or nothing left running
    if grace is None:
        grace = current["spec"].get("terminationGracePeriodSeconds", 30)
    metadata = current["metadata"]
    if metadata.get("deletionTimestamp") and metadata["deletionGracePeriodSeconds"] <= grace:
        return current
    stored = copy.deepcopy(current)
    stored["metadata"].update(deletionTimestamp=timestamp(now + grace),
                              deletionGracePeriodSeconds=grace)
    return stored


def terminating(pod):
    return bool(pod["metadata"].get("deletionTimestamp"))
