"""The replication manager: each ReplicationController (and, the same machinery, each
ReplicaSet) keeps spec.replicas pods of its template running, as Kubernetes' does.
It counts the active pods it controls (an ownerReference with controller: true and
its uid), adopts the pods its selector
matches that no controller has (the ones `--cascade=orphan` left), creates the
missing ones through
the API (named after it, with its template's labels and an ownerReference to it),
deletes the surplus (unscheduled first, then pending, not ready, the newest), and
writes what it observed to the status. Pods whose owner is gone are the garbage
collector's (topo/manager/garbage.py)."""
import copy

from services.endpoints import pod_ready
from topo.api.store import controller_of
from topo.api.strategies import replica_set
from topo.api.strategies import replication_controller
from topo.errors import KubemnError
from topo.manager.loop import Again
from topo.policy.spec import parse_selector

PODS = "pods"


def own_or_owner_key(strategy, resource, obj):
    """The key a change names for a controller of strategy's kind: the controller's
    own, or, for what it owns (its controller reference of that kind), its owner's."""
    metadata = obj["metadata"]
    if resource == strategy.RESOURCE:
        return [(metadata["namespace"], metadata["name"])]
    owner = controller_of(obj)
    return [(metadata["namespace"], owner["name"])] \
        if owner and owner.get("kind") == strategy.KIND else []


def active(pod):
    return pod.get("status", {}).get("phase") not in ("Succeeded", "Failed") and \
        not pod["metadata"].get("deletionTimestamp")


def all_keys(store, resource):
    """(namespace, name) of every object of a controller's kind."""
    return [(c["metadata"]["namespace"], c["metadata"]["name"])
            for c in store.list(resource)[1]]


def controlled_by(store, resource, controller):
    """The objects of resource that controller manages (their controller reference has
    its uid), oldest first."""
    metadata = controller["metadata"]
    return sorted(store.controlled(resource, metadata["namespace"], metadata["uid"]),
                  key=lambda o: (o["metadata"]["creationTimestamp"], o["metadata"]["name"]))


def owned_pods(store, controller):
    """The active pods controller manages."""
    return [p for p in controlled_by(store, PODS, controller) if active(p)]


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


def adopted_by(obj, controller):
    """A copy of an orphan with controller's reference added (an adoption)."""
    adopted = copy.deepcopy(obj)
    adopted["metadata"]["ownerReferences"] = list(
        adopted["metadata"].get("ownerReferences") or ()) + [reference_to(controller)]
    return adopted


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


def selects_by_map(controller, labels):
    """A ReplicationController's selector: a map of labels."""
    return controller["spec"]["selector"].items() <= labels.items()


def selects_by_label_selector(controller, labels):
    """A ReplicaSet's: matchLabels and matchExpressions."""
    return parse_selector(controller["spec"]["selector"], "spec.selector").matches(labels)


class ReplicationManager:
    def __init__(self, store, create_pods, update_pod, delete_pod,
                 strategy=replication_controller, selects=selects_by_map):
        """create_pods(namespace, bodies), update_pod(namespace, body, owner) and
        delete_pod(namespace, name): writes through the API; create_pods makes them in
        order and raises at the first the API refuses, update_pod refuses an owner
        deleted meanwhile. strategy: the kind
        managed (its RESOURCE and KIND); selects(controller, labels): its selector's
        rule."""
        self.store, self.create_pods, self.delete_pod = store, create_pods, delete_pod
        self.update_pod = update_pod
        self.strategy, self.selects = strategy, selects
        self.watches = (strategy.RESOURCE, PODS)

    def keys(self, resource, obj):
        metadata = obj["metadata"]
        if resource == self.strategy.RESOURCE:
            return [(metadata["namespace"], metadata["name"])]
        owner = controller_of(obj)
        return [(metadata["namespace"], owner["name"])] \
            if owner and owner.get("kind") == self.strategy.KIND else self._selecting(obj)

    def _selecting(self, pod):
        """The controllers that may adopt an orphan pod (their selector matches it)."""
        if controller_of(pod) or not active(pod):
            return []
        namespace, labels = pod["metadata"]["namespace"], pod["metadata"].get("labels") or {}
        return [(namespace, c["metadata"]["name"])
                for c in self.store.list(self.strategy.RESOURCE, namespace)[1]
                if self.selects(c, labels)]

    def all_keys(self):
        return all_keys(self.store, self.strategy.RESOURCE)

    def owned(self, controller):
        return owned_pods(self.store, controller)

    def adopt_orphans(self, controller):
        """Adopts the orphans; False if the controller has gone meanwhile (a delete that
        orphans its pods, which would be adopted again, then collected)."""
        orphans = self.store.controlled(PODS, controller["metadata"]["namespace"], None)
        for pod in sorted(orphans, key=lambda p: p["metadata"]["name"]):
            if active(pod) and \
                    self.selects(controller, pod["metadata"].get("labels") or {}):
                try:
                    self.update_pod(controller["metadata"]["namespace"],
                                    adopted_by(pod, controller), controller)
                except KubemnError:
                    return False
        return True

    def reconcile(self, key):
        namespace, name = key
        controller = self.store.get(self.strategy.RESOURCE, namespace, name)
        if controller is None:
            return
        if not self.adopt_orphans(controller):
            return
        pods, failure = self.owned(controller), None
        wanted = controller["spec"]["replicas"]
        try:
            missing = wanted - len(pods)
            if missing > 0:
                self.create_pods(namespace, [new_pod(controller) for _ in range(missing)])
        except Exception as exc:   # stored as Kubernetes reports it; tried again later
            failure = str(exc)
        if len(pods) > wanted:   # (most changes are a pod's status: nothing to delete)
            for pod in deletion_order(pods)[:len(pods) - wanted]:
                self.delete_pod(namespace, pod["metadata"]["name"])
        if len(pods) != wanted:
            pods = self.owned(controller)
        if not self.store.put_status(self.strategy.RESOURCE, controller, observed_status(
                controller, pods, failure)) or failure:
            raise Again


def replica_set_manager(store, create_pods, update_pod, delete_pod):
    """The replica set controller: the replication manager's rules over ReplicaSets."""
    return ReplicationManager(store, create_pods, update_pod, delete_pod, replica_set,
                              selects_by_label_selector)
