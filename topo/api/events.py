"""Events (pure), as Event objects (`kubectl get events`, `kubectl describe`): what
the scheduler says of a pod it binds or cannot place, what a node's kubelet reports
for the change between two readings of its pods, the deployment controller of a
ReplicaSet it resized, the node provisioner of a Node it could give no machine."""
import itertools

from topo.api.render import timestamp
from topo.kubelet.images import stand_in
from topo.plan.model import Container, ContainerPort

_serial = itertools.count(1)


def _event(involved, reason, message, now, component, kind="Normal", host=None):
    metadata = involved["metadata"]
    # As the API server names them: the object, and a hex number that grows with time.
    name = "%s.%016x" % (metadata["name"], int(now * 1e9) + next(_serial))
    source = {"component": component}
    if host:
        source["host"] = host
    return {"apiVersion": "v1", "kind": "Event",
            "metadata": {"name": name, "namespace": metadata.get("namespace", "default"),
                         "creationTimestamp": timestamp(now)},
            "involvedObject": {"apiVersion": involved["apiVersion"], "kind": involved["kind"],
                               "name": metadata["name"],
                               "namespace": metadata.get("namespace", "default"),
                               "uid": metadata.get("uid", "")},
            "reason": reason, "message": message, "type": kind, "source": source,
            "firstTimestamp": timestamp(now), "lastTimestamp": timestamp(now), "count": 1,
            "reportingComponent": component, "reportingInstance": host or ""}


def waiting_events(before, after, pods, now):
    """What a node's kubelet says of its pods that cannot start yet, when the reason
    is new: before, after: {(namespace, name): (reason, message) or None}; pods: the
    pods as served. FailedMount (a volume's ConfigMap or Secret is missing), or Failed
    with the error (a variable's is, or another)."""
    events = []
    for key, wait in after.items():
        if wait is None or before.get(key) == wait or key not in pods:
            continue
        reason, message = wait
        pod = pods[key]
        events.append(_event(pod, "FailedMount", message, now, "kubelet", "Warning",
                             pod["spec"].get("nodeName")) if reason == "FailedMount" else
                      _event(pod, "Failed", "Error: " + message, now, "kubelet", "Warning",
                             pod["spec"].get("nodeName")))
    return events


def _stand_in(spec):
    """What kubemn says of a container (as served) whose image it does not know."""
    ports = tuple(ContainerPort(p["containerPort"], p.get("protocol", "TCP"), p.get("name"))
                  for p in spec.get("ports") or [])
    return stand_in(Container(spec["name"], spec.get("image", ""),
                              tuple(spec.get("command") or ()), tuple(spec.get("args") or ()),
                              ports))


def _states(pod):
    return {s["name"]: s.get("state", {}) for s in pod["status"].get("containerStatuses", [])}


def failed_scheduling(pod, message, now):
    """The scheduler's word on a pod no node takes."""
    return _event(pod, "FailedScheduling", message, now, "default-scheduler", "Warning")


def scheduled(pod, node, now):
    """The scheduler's word on a pod it bound."""
    metadata = pod["metadata"]
    return _event(pod, "Scheduled", "Successfully assigned %s/%s to %s"
                  % (metadata["namespace"], metadata["name"], node), now, "default-scheduler")


def kubelet_events(before, after, now):
    """What a node's kubelet reports of its pods between two of its status reports:
    before, after: {(namespace, name): pod} as served (with uids) then and now."""
    events = []
    for key, pod in after.items():
        old = before.get(key)
        if old is pod:   # served as it was: nothing happened to it
            continue
        node = pod["spec"].get("nodeName")
        old_states = _states(old) if old else {}
        specs = {c["name"]: c for c in pod["spec"]["containers"]}
        images = {name: c["image"] for name, c in specs.items()}
        for name, state in _states(pod).items():
            was = old_states.get(name, {})
            if "running" in state and "running" not in was:
                note = _stand_in(specs[name]) if name in specs else None
                if note:
                    events.append(_event(pod, "StandIn", note, now, "kubelet", "Warning",
                                         node))
                events += [
                    _event(pod, "Pulled", 'Container image "%s" already present on machine'
                           % images.get(name, "?"), now, "kubelet", host=node),
                    _event(pod, "Created", "Created container %s" % name, now, "kubelet",
                           host=node),
                    _event(pod, "Started", "Started container %s" % name, now, "kubelet",
                           host=node)]
            waiting = state.get("waiting", {}).get("reason")
            if waiting == "CrashLoopBackOff" and was.get("waiting", {}).get("reason") != waiting:
                events.append(_event(pod, "BackOff", "Back-off restarting failed container %s "
                                     "in pod %s" % (name, key[1]), now, "kubelet",
                                     "Warning", node))
    # The kubelet stops a pod's containers when it is deleted (or, gone at once, is
    # no longer stored).
    stopping = [pod for key, pod in after.items() if _deleting(pod) and not (
        key in before and _deleting(before[key]))]
    stopping += [pod for key, pod in before.items() if key not in after and
                 not _deleting(pod)]
    for pod in stopping:
        if pod["spec"].get("nodeName"):
            for container in pod["spec"]["containers"]:
                events.append(_event(pod, "Killing", "Stopping container %s"
                                     % container["name"], now, "kubelet",
                                     host=pod["spec"]["nodeName"]))
    return events


def _deleting(pod):
    return bool(pod["metadata"].get("deletionTimestamp"))


def scaling_event(deployment, replica_set, was, replicas, now):
    """A Deployment's "ScalingReplicaSet": one of its ReplicaSets resized."""
    return _event(deployment, "ScalingReplicaSet", "Scaled %s replica set %s from %d to %d"
                  % ("up" if replicas > was else "down", replica_set, was, replicas), now,
                  "deployment-controller")


def stateful_pod(stateful_set, verb, pod_name, now, error=None):
    """The stateful set controller's word on a pod it made or deleted (verb: create,
    delete), or failed to: SuccessfulCreate, FailedDelete..."""
    outcome = "failed error: %s" % error if error else "successful"
    return _event(stateful_set, ("Failed" if error else "Successful") + verb.capitalize(),
                  "%s Pod %s in StatefulSet %s %s" % (
                      verb, pod_name, stateful_set["metadata"]["name"], outcome),
                  now, "statefulset-controller", "Warning" if error else "Normal")


def machine_failed(node, message, now):
    """The node provisioner's word on a Node it could give no machine."""
    return _event(node, "FailedCreate", message, now, "kubemn-node-provisioner", "Warning")
