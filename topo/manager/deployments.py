"""The deployment controller: each Deployment owns one ReplicaSet per template it has
had, as Kubernetes' does. The ReplicaSet of the current template (named after the
Deployment and the hash of its template, which labels its pods) is made when the
template changes, and sized step by step as its pods become available, while the old
ones shrink (RollingUpdate: within maxSurge and maxUnavailable, topo/manager/rollout.py;
Recreate: the old ones to nothing first). A template that comes back (`kubectl rollout
undo`) makes its old ReplicaSet the current one again. Each ReplicaSet carries its
revision, the Deployment the current one's; old ReplicaSets beyond
revisionHistoryLimit go once empty. What it observed goes to the status, with the
conditions `kubectl rollout status` reads. The ReplicaSets' pods are the replica set
controller's (topo/manager/replicas.py); what a deleted Deployment owned, the garbage
collector's."""
import copy
import hashlib
import json

from topo.api import events
from topo.api.render import timestamp
from topo.api.strategies import deployment as strategy
from topo.api.strategies import replica_set
from topo.errors import KubemnError
from topo.manager import rollout
from topo.manager.loop import Again
from topo.manager.replicas import adopted_by, controller_of, reference_to
from topo.plan.generated_names import SUFFIX_ALPHABET

HASH_LABEL = "pod-template-hash"
REVISION = strategy.REVISION
DESIRED = "deployment.kubernetes.io/desired-replicas"
MAX = "deployment.kubernetes.io/max-replicas"
SETS = replica_set.RESOURCE


def template_hash(template):
    """The pod-template-hash: a short name of the template, which changes with it."""
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).digest()
    return "".join(SUFFIX_ALPHABET[b % len(SUFFIX_ALPHABET)] for b in digest[:10])


def without_hash(template):
    """A ReplicaSet's template as its Deployment's was (the hash label taken out)."""
    out = copy.deepcopy(template)
    labels = (out.get("metadata") or {}).get("labels") or {}
    labels.pop(HASH_LABEL, None)
    return out


def revision(obj):
    try:
        return int((obj["metadata"].get("annotations") or {}).get(REVISION, 0))
    except ValueError:
        return 0


def selects(deployment, labels):
    return deployment["spec"]["selector"].get("matchLabels", {}).items() <= labels.items()


def new_replica_set(deployment, replicas, number):
    """The ReplicaSet of the Deployment's template, of revision number."""
    metadata, spec = deployment["metadata"], deployment["spec"]
    pod_hash = template_hash(spec["template"])
    template = copy.deepcopy(spec["template"])
    template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = pod_hash
    selector = copy.deepcopy(spec["selector"])
    selector.setdefault("matchLabels", {})[HASH_LABEL] = pod_hash
    return {"apiVersion": "apps/v1", "kind": replica_set.KIND,
            "metadata": {"name": "%s-%s" % (metadata["name"], pod_hash),
                         "namespace": metadata["namespace"],
                         "labels": dict(template["metadata"]["labels"]),
                         "annotations": sizes_noted(deployment, {REVISION: str(number)}),
                         "ownerReferences": [reference_to(deployment)]},
            "spec": {"replicas": replicas, "selector": selector, "template": template}}


def sizes_noted(deployment, annotations):
    """The annotations with the Deployment's size and its most pods in a rollout."""
    surge, _ = rollout.limits(deployment)
    replicas = deployment["spec"]["replicas"]
    return dict(annotations, **{DESIRED: str(replicas), MAX: str(replicas + surge)})


def _condition(kind, ok, reason, message, now, old):
    """A condition; its times kept while it says the same."""
    was = next((c for c in old if c["type"] == kind), None)
    status = "True" if ok else "False"
    same = was is not None and was["status"] == status
    unchanged = same and was.get("reason") == reason and was.get("message") == message
    return {"type": kind, "status": status,
            "lastUpdateTime": was["lastUpdateTime"] if unchanged else timestamp(now),
            "lastTransitionTime": was["lastTransitionTime"] if same else timestamp(now),
            "reason": reason, "message": message}


def observed_status(deployment, new, old, now, created=False):
    """The status from the ReplicaSets as stored (zeros left out, as the API leaves
    them out), with the Available and Progressing conditions."""
    every = ([new] if new else []) + old
    count = {field: sum((r.get("status") or {}).get(field, 0) for r in every)
             for field in ("replicas", "readyReplicas", "availableReplicas")}
    replicas = deployment["spec"]["replicas"]
    updated = (new.get("status") or {}).get("replicas", 0) if new else 0
    status = dict(count, observedGeneration=deployment["metadata"].get("generation", 1),
                  updatedReplicas=updated, unavailableReplicas=max(
                      0, sum(rollout.wanted(r) for r in every) - count["availableReplicas"]))
    status = {k: v for k, v in status.items() if v}
    _, unavailable = rollout.limits(deployment) \
        if deployment["spec"]["strategy"]["type"] == "RollingUpdate" else (0, 0)
    old_conditions = (deployment.get("status") or {}).get("conditions") or []
    available = count["availableReplicas"] >= replicas - unavailable
    name = new["metadata"]["name"] if new else deployment["metadata"]["name"]
    complete = updated == replicas == count["replicas"] == count["availableReplicas"]
    if complete:
        progress = ("NewReplicaSetAvailable", 'ReplicaSet "%s" has successfully progressed.'
                    % name)
    elif created:
        progress = ("NewReplicaSetCreated", 'Created new replica set "%s"' % name)
    else:
        progress = ("ReplicaSetUpdated", 'ReplicaSet "%s" is progressing.' % name)
    status["conditions"] = [
        _condition("Available", available, "MinimumReplicasAvailable" if available else
                   "MinimumReplicasUnavailable", "Deployment has minimum availability."
                   if available else "Deployment does not have minimum availability.",
                   now, old_conditions),
        _condition("Progressing", True, progress[0], progress[1], now, old_conditions)]
    return status


class DeploymentController:
    watches = (strategy.RESOURCE, SETS)

    def __init__(self, store, create, update, delete, record, clock):
        """create(resource, namespace, body), update(resource, namespace, body, owner)
        and delete(resource, namespace, name): writes through the API (create raises
        what it refuses, update refuses an owner deleted meanwhile); record(events):
        the cluster's events; clock(): the time now."""
        self.store, self.create, self.update, self.delete = store, create, update, delete
        self.record, self.clock = record, clock

    def keys(self, resource, obj):
        metadata = obj["metadata"]
        namespace = metadata["namespace"]
        if resource == strategy.RESOURCE:
            return [(namespace, metadata["name"])]
        owner = controller_of(obj)
        if owner is not None:
            return [(namespace, owner["name"])] if owner.get("kind") == strategy.KIND else []
        labels = metadata.get("labels") or {}
        return [(namespace, d["metadata"]["name"])
                for d in self.store.list(strategy.RESOURCE, namespace)[1]
                if selects(d, labels)]

    def all_keys(self):
        return [(d["metadata"]["namespace"], d["metadata"]["name"])
                for d in self.store.list(strategy.RESOURCE)[1]]

    def owned(self, deployment):
        """Its ReplicaSets, oldest first; the orphans it selects adopted."""
        uid, namespace = deployment["metadata"]["uid"], deployment["metadata"]["namespace"]
        found = []
        for replica_set_obj in self.store.list(SETS, namespace)[1]:
            owner = controller_of(replica_set_obj)
            if owner is None and selects(deployment,
                                         replica_set_obj["metadata"].get("labels") or {}):
                self.update(SETS, namespace, adopted_by(replica_set_obj, deployment),
                            deployment)
                raise Again   # looked at again with it stored as adopted
            if owner is not None and owner.get("uid") == uid:
                found.append(replica_set_obj)
        return sorted(found, key=lambda r: (r["metadata"]["creationTimestamp"], revision(r)))

    def reconcile(self, key):
        namespace, name = key
        deployment = self.store.get(strategy.RESOURCE, namespace, name)
        if deployment is None:
            return
        try:
            sets = self.owned(deployment)
        except KubemnError:   # the Deployment went meanwhile
            return
        new = next((r for r in sets if without_hash(r["spec"]["template"]) ==
                    deployment["spec"]["template"]), None)
        old = [r for r in sets if r is not new]
        created = False
        if not deployment["spec"].get("paused"):
            new, created = self._current(deployment, new, old)
            self._step(deployment, new, old)
            self._clean_up(deployment, old)
        self._note_revision(deployment, new)
        stored = self.store.get(strategy.RESOURCE, namespace, name)
        if stored is not None and not self.store.put_status(
                strategy.RESOURCE, stored, observed_status(stored, new, old, self.clock(),
                                                           created)):
            raise Again

    def _current(self, deployment, new, old):
        """The current ReplicaSet (made if missing, unless Recreate's old pods still
        run), at the newest revision; whether it was made now."""
        number = max([revision(r) for r in old], default=0) + 1
        namespace = deployment["metadata"]["namespace"]
        if new is None:
            replicas = deployment["spec"]["replicas"]
            if deployment["spec"]["strategy"]["type"] == "Recreate":
                if any(rollout.wanted(r) or (r.get("status") or {}).get("replicas")
                       for r in old):
                    return None, False   # made once the old pods have gone
            else:
                surge, _ = rollout.limits(deployment)
                replicas = max(0, min(replicas, replicas + surge -
                                      sum(rollout.wanted(r) for r in old)))
            body = new_replica_set(deployment, replicas, number)
            self.create(SETS, namespace, body)
            self._scaled(deployment, body["metadata"]["name"], 0, replicas)
            return self.store.get(SETS, namespace, body["metadata"]["name"]), True
        if revision(new) < number:   # a template come back, the newest revision again
            self._resize(deployment, new, rollout.wanted(new), number)
            return self.store.get(SETS, namespace, new["metadata"]["name"]), False
        return new, False

    def _step(self, deployment, new, old):
        """Resizes the ReplicaSets one step towards the Deployment's; new: None while
        Recreate waits for the old pods to go."""
        replicas = deployment["spec"]["replicas"]
        if deployment["spec"]["strategy"]["type"] == "Recreate":
            for replica_set_obj in old:
                if rollout.wanted(replica_set_obj):
                    self._resize(deployment, replica_set_obj, 0)
            if new is not None and not any((r.get("status") or {}).get("replicas")
                                           for r in old):
                self._resize(deployment, new, replicas)
            return
        if new is None:
            return
        surge, unavailable = rollout.limits(deployment)
        size = rollout.new_size(replicas, surge, new, [new] + old)
        if size != rollout.wanted(new):
            self._resize(deployment, new, size)
            return   # the old ones shrink as its pods become available
        by_name = {r["metadata"]["name"]: r for r in old}
        for name, size in rollout.old_sizes(replicas, unavailable, new, old).items():
            self._resize(deployment, by_name[name], size)

    def _resize(self, deployment, replica_set_obj, replicas, number=None):
        """A ReplicaSet's new size (and revision), with the sizes noted."""
        body = copy.deepcopy(replica_set_obj)
        annotations = body["metadata"].get("annotations") or {}
        if number is not None:
            annotations[REVISION] = str(number)
        body["metadata"]["annotations"] = sizes_noted(deployment, annotations)
        was = rollout.wanted(replica_set_obj)
        body["spec"]["replicas"] = replicas
        if body != replica_set_obj:
            self.update(SETS, body["metadata"]["namespace"], body, deployment)
            self._scaled(deployment, body["metadata"]["name"], was, replicas)

    def _scaled(self, deployment, name, was, replicas):
        if was != replicas:
            self.record([events.scaling_event(deployment, name, was, replicas,
                                              self.clock())])

    def _clean_up(self, deployment, old):
        """Old ReplicaSets beyond revisionHistoryLimit go, the oldest revisions first,
        once they have no pods."""
        empty = sorted((r for r in old if not rollout.wanted(r) and
                        not (r.get("status") or {}).get("replicas")), key=revision)
        keep = deployment["spec"].get("revisionHistoryLimit", 10)
        for replica_set_obj in empty[:max(0, len(empty) - keep)]:
            self.delete(SETS, replica_set_obj["metadata"]["namespace"],
                        replica_set_obj["metadata"]["name"])

    def _note_revision(self, deployment, new):
        """The Deployment's revision annotation is its current ReplicaSet's."""
        stored = self.store.get(SETS, deployment["metadata"]["namespace"],
                                new["metadata"]["name"]) if new else None
        if stored is None:
            return
        number = str(revision(stored))
        annotations = deployment["metadata"].get("annotations") or {}
        if annotations.get(REVISION) != number:
            body = copy.deepcopy(deployment)
            body["metadata"]["annotations"] = dict(annotations, **{REVISION: number})
            self.update(strategy.RESOURCE, deployment["metadata"]["namespace"], body, None)
