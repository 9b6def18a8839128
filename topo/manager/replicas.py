"""The replication manager: each ReplicationController keeps spec.replicas pods of its
template running, as Kubernetes' does. It counts the active pods it controls (an
ownerReference with controller: true and its uid), adopts the pods its selector
matches that no controller has (the ones `--cascade=orphan` left), creates the
missing ones through
the API (named after it, with its template's labels and an ownerReference to it),
deletes the surplus (unscheduled first, then pending, not ready, the newest), and
writes what it observed to the status. Pods whose owner is gone are the garbage
collector's (topo/manager/garbage.py)."""
import copy

from services.endpoints import pod_ready
from topo.api.strategies import replication_controller as strategy
from topo.errors import KubemnError
from topo.manager.loop import Again

PODS = "pods"


def controller_of(obj):
    """The ownerReference of obj's managing controller, or None."""
    return next((r for r in obj["metadata"].get("ownerReferences") or ()
                 if r.get("controller")), None)


def active(pod):
    return pod.get("status", {}).get("phase") not in ("Succeeded", "Failed") and \
        not pod["metadata"].get("deletionTimestamp")


def all_keys(store, resource):
    """(namespace, name) of every object of a controller's kind."""
    return [(c["metadata"]["namespace"], c["metadata"]["name"])
            for c in store.list(resource)[1]]


def owned_pods(store, controller):
    """The active pods controller manages (their controller reference has its uid)."""
    uid, namespace = controller["metadata"]["uid"], controller["metadata"]["namespace"]
    return [p for p in store.list(PODS, namespace)[1]
            if (controller_of(p) or {}).get("uid") == uid and active(p)]


def deletion_order(pods):
    """The pods a scale-down takes first: unscheduled, pending, not ready, the newest."""
    newest_first = sorted(pods, key=lambda p: p["metadata"]["creationTimestamp"],
                          reverse=True)
    return sorted(newest_first, key=lambda p: (bool(p["spec"].get("nodeName")),
                                               p.get("status", {}).get("phase") != "Pending",
                                               pod_ready(p)))


def reference_to(controller):
    metadata = controller["metadata"]
    return {"apiVersion": controller["apiVersion"], "kind": controller["kind"],
            "name": metadata["name"], "uid": metadata["uid"], "controller": True,
            "blockOwnerDeletion": True}


def new_pod(controller):
    """The pod a controller (a ReplicationController, a DaemonSet) makes of its
    template."""
    metadata, template = controller["metadata"], controller["spec"]["template"]
    pod_metadata = copy.deepcopy(template.get("metadata") or {})
    pod_metadata.update(generateName=metadata["name"] + "-", namespace=metadata["namespace"],
                        ownerReferences=[reference_to(controller)])
    pod_metadata.pop("name", None)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": pod_metadata,
            "spec": copy.deepcopy(template["spec"])}


def observed_status(controller, pods, failure=None):
    """The status the API server's clients read: counts of its pods (zeros left out,
    as the API leaves them out), the generation seen, a ReplicaFailure condition."""
    labels = (controller["spec"]["template"].get("metadata") or {}).get("labels") or {}
    ready = sum(1 for p in pods if pod_ready(p))
    status = {"replicas": len(pods),
              "fullyLabeledReplicas": sum(1 for p in pods if labels.items() <=
                                          (p["metadata"].get("labels") or {}).items()),
              "readyReplicas": ready, "availableReplicas": ready,
              "observedGeneration": controller["metadata"].get("generation", 1)}
    status = {k: v for k, v in status.items() if v or k == "replicas"}
    if failure:
        status["conditions"] = [{"type": "ReplicaFailure", "status": "True",
                                 "reason": "FailedCreate", "message": failure}]
    return status


class ReplicationManager:
    watches = (strategy.RESOURCE, PODS)

    def __init__(self, store, create_pod, update_pod, delete_pod):
        """create_pod(namespace, body), update_pod(namespace, body, owner) and
        delete_pod(namespace, name): writes through the API; create_pod raises what the
        API refuses, update_pod refuses an owner deleted meanwhile."""
        self.store, self.create_pod, self.delete_pod = store, create_pod, delete_pod
        self.update_pod = update_pod

    def keys(self, resource, obj):
        metadata = obj["metadata"]
        if resource == strategy.RESOURCE:
            return [(metadata["namespace"], metadata["name"])]
        owner = controller_of(obj)
        return [(metadata["namespace"], owner["name"])] \
            if owner and owner.get("kind") == strategy.KIND else self._selecting(obj)

    def _selecting(self, pod):
        """The controllers that may adopt an orphan pod (their selector matches it)."""
        if controller_of(pod) or not active(pod):
            return []
        namespace, labels = pod["metadata"]["namespace"], pod["metadata"].get("labels") or {}
        return [(namespace, c["metadata"]["name"])
                for c in self.store.list(strategy.RESOURCE, namespace)[1]
                if c["spec"]["selector"].items() <= labels.items()]

    def all_keys(self):
        return all_keys(self.store, strategy.RESOURCE)

    def owned(self, controller):
        return owned_pods(self.store, controller)

    def adopt_orphans(self, controller):
        """Adopts the orphans; False if the controller has gone meanwhile (a delete that
        orphans its pods, which would be adopted again, then collected)."""
        selector = controller["spec"]["selector"]
        for pod in self.store.list(PODS, controller["metadata"]["namespace"])[1]:
            if not controller_of(pod) and active(pod) and \
                    selector.items() <= (pod["metadata"].get("labels") or {}).items():
                adopted = copy.deepcopy(pod)
                adopted["metadata"]["ownerReferences"] = list(
                    adopted["metadata"].get("ownerReferences") or ()) + [
                    reference_to(controller)]
                try:
                    self.update_pod(controller["metadata"]["namespace"], adopted, controller)
                except KubemnError:
                    return False
        return True

    def reconcile(self, key):
        namespace, name = key
        controller = self.store.get(strategy.RESOURCE, namespace, name)
        if controller is None:
            return
        if not self.adopt_orphans(controller):
            return
        pods, failure = self.owned(controller), None
        wanted = controller["spec"]["replicas"]
        try:
            for _ in range(wanted - len(pods)):
                self.create_pod(namespace, new_pod(controller))
        except Exception as exc:   # stored as Kubernetes reports it; tried again later
            failure = str(exc)
        for pod in deletion_order(pods)[:max(0, len(pods) - wanted)]:
            self.delete_pod(namespace, pod["metadata"]["name"])
        if not self.store.put_status(strategy.RESOURCE, controller, observed_status(
                controller, self.owned(controller), failure)) or failure:
            raise Again
