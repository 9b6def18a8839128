"""The stateful set controller: each StatefulSet keeps spec.replicas pods of its
template with stable names, <name>-0, <name>-1, ... (from spec.ordinals.start), each
pod's hostname its name and its subdomain the StatefulSet's serviceName, so that a
headless Service of that name gives each pod a DNS name, <pod>.<service>, as
Kubernetes' controller does:

- OrderedReady (the default): a pod is made only once every lower one runs and is
  Ready, and one goes (the highest first) only once all the others are; Parallel
  makes and deletes them all at once;
- a pod that failed, or was deleted, is made again under its name (once the old one
  has gone from the store);
- RollingUpdate: after a template change the pods from the highest ordinal down to
  spec.updateStrategy.rollingUpdate.partition are deleted and made again of the new
  template, one at a time, each Ready before the next; OnDelete waits for each pod's
  deletion.

Revisions are named <name>-<hash of the template> and each pod is labelled with its
own; the status says which pods are current and updated, as `kubectl rollout status`
reads it, and each pod made or deleted an event (SuccessfulCreate, SuccessfulDelete).
Pods whose owner is gone are the garbage collector's."""
from services.endpoints import pod_ready
from topo.api import events
from topo.api.strategies import stateful_set as strategy
from topo.api.strategies.pod import terminating
from topo.manager.daemons import HASH_LABEL, template_hash
from topo.manager.loop import Again
from topo.manager.replicas import all_keys, controlled_by, new_pod, own_or_owner_key

PODS = "pods"
REVISIONS = "controllerrevisions.apps"
POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
INDEX_LABEL = "apps.kubernetes.io/pod-index"


def update_revision(stateful_set):
    """The name of the revision its template is now."""
    return "%s-%s" % (stateful_set["metadata"]["name"], template_hash(stateful_set))


def revision_of(pod):
    return (pod["metadata"].get("labels") or {}).get(HASH_LABEL)


def ordinal_of(stateful_set, pod):
    """The ordinal in pod's name (<name>-<ordinal>), or None."""
    prefix, name = stateful_set["metadata"]["name"] + "-", pod["metadata"]["name"]
    suffix = name[len(prefix):] if name.startswith(prefix) else ""
    return int(suffix) if suffix.isdigit() else None


def wanted_ordinals(stateful_set):
    start = (stateful_set["spec"].get("ordinals") or {}).get("start", 0)
    return range(start, start + stateful_set["spec"]["replicas"])


def pod_for(stateful_set, ordinal):
    """Its pod of ordinal, of the template it has now."""
    pod = new_pod(stateful_set)
    name = "%s-%d" % (stateful_set["metadata"]["name"], ordinal)
    metadata = pod["metadata"]
    del metadata["generateName"]
    metadata["name"] = name
    metadata.setdefault("labels", {}).update({
        HASH_LABEL: update_revision(stateful_set), POD_NAME_LABEL: name,
        INDEX_LABEL: str(ordinal)})
    pod["spec"]["hostname"] = name
    if stateful_set["spec"].get("serviceName"):
        pod["spec"]["subdomain"] = stateful_set["spec"]["serviceName"]
    return pod


def plan(stateful_set, pods):
    """(ordinals to make a pod of, names of pods to delete), from what is stored now
    (pods: the ones it controls, terminating ones too)."""
    spec = stateful_set["spec"]
    ordered = spec["podManagementPolicy"] != "Parallel"
    by_ordinal = {ordinal_of(stateful_set, p): p for p in pods}
    wanted = wanted_ordinals(stateful_set)
    make, delete = [], []
    for ordinal in wanted:   # the lowest first
        pod = by_ordinal.get(ordinal)
        if pod is None:
            make.append(ordinal)
        elif terminating(pod):
            pass   # made again once it has gone
        elif pod.get("status", {}).get("phase") == "Failed":
            delete.append(pod["metadata"]["name"])
        elif pod_ready(pod):
            continue
        if ordered:   # one at a time: this one made, gone or Ready before the next
            return make, delete
    condemned = sorted((o, p) for o, p in by_ordinal.items() if o not in wanted)
    for _, pod in reversed(condemned):   # the highest first
        if not terminating(pod):
            delete.append(pod["metadata"]["name"])
        if ordered:
            return make, delete
    if condemned or make or delete:
        return make, delete
    update = spec["updateStrategy"]
    if update["type"] == "RollingUpdate":
        revision, partition = update_revision(stateful_set), update["rollingUpdate"]["partition"]
        for ordinal in reversed(wanted):
            pod = by_ordinal[ordinal]
            if ordinal < partition or terminating(pod) or not pod_ready(pod):
                break   # below the partition, or the last one not back yet
            if revision_of(pod) != revision:
                delete.append(pod["metadata"]["name"])
                break
    return make, delete


def observed_status(stateful_set, pods):
    """What `kubectl get sts` and `kubectl rollout status` read: the counts (zeros left
    out, as the API leaves them out), the revisions, the generation seen."""
    stored = stateful_set.get("status") or {}
    alive = [p for p in pods if not terminating(p)]
    update = update_revision(stateful_set)
    updated = sum(1 for p in alive if revision_of(p) == update)
    current = stored.get("currentRevision") or update
    if updated == len(alive) == stateful_set["spec"]["replicas"]:
        current = update   # the update is done
    ready = sum(1 for p in alive if pod_ready(p))
    status = {"replicas": len(alive), "readyReplicas": ready,
              "currentReplicas": sum(1 for p in alive if revision_of(p) == current),
              "updatedReplicas": updated, "availableReplicas": ready,
              "currentRevision": current, "updateRevision": update, "collisionCount": 0,
              "observedGeneration": stateful_set["metadata"].get("generation", 1)}
    return {k: v for k, v in status.items()
            if v or k in ("replicas", "availableReplicas", "collisionCount")}


class StatefulSetController:
    watches = (strategy.RESOURCE, PODS, REVISIONS)

    def __init__(self, store, create_pod, delete_pod, record, now, history=None):
        """create_pod(namespace, body), delete_pod(namespace, name): writes through the
        API; create_pod raises what the API refuses; record([event]): the event
        recorder's; history: its ControllerRevisions' keeper (revisions.History)."""
        self.store, self.create_pod, self.delete_pod = store, create_pod, delete_pod
        self.record, self.now, self.history = record, now, history

    def keys(self, resource, obj):
        return own_or_owner_key(strategy, resource, obj)

    def all_keys(self):
        return all_keys(self.store, strategy.RESOURCE)

    def owned(self, stateful_set):
        return [p for p in controlled_by(self.store, PODS, stateful_set)
                if ordinal_of(stateful_set, p) is not None]

    def reconcile(self, key):
        namespace, name = key
        stateful_set = self.store.get(strategy.RESOURCE, namespace, name)
        if stateful_set is None:
            return
        owned = self.owned(stateful_set)
        if self.history is not None:
            self.history.sync(stateful_set, {revision_of(p) for p in owned})
        make, delete = plan(stateful_set, owned)
        said = []
        for pod_name in delete:
            self.delete_pod(namespace, pod_name)
            said.append(events.stateful_pod(stateful_set, "delete", pod_name, self.now()))
        failed = False
        for ordinal in make:
            pod = pod_for(stateful_set, ordinal)
            try:
                self.create_pod(namespace, pod)
            except Exception as exc:   # tried again later
                failed = True
                said.append(events.stateful_pod(stateful_set, "create",
                                                pod["metadata"]["name"], self.now(), exc))
            else:
                said.append(events.stateful_pod(stateful_set, "create",
                                                pod["metadata"]["name"], self.now()))
        self.record(said)
        status = observed_status(stateful_set, self.owned(stateful_set))
        if not self.store.put_status(strategy.RESOURCE, stateful_set, status) or failed:
            raise Again
