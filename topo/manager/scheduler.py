"""The scheduler: binds each pod that names no node (and names it as its scheduler,
as the default) to a Ready node its nodeSelector allows and that has a pod address
free (a cordoned node takes none): the
one with the fewest of its peers, the pods of the Services, ReplicationControllers and
ReplicaSets that select it (terminating ones aside, as the default scheduler's
SelectorSpread counts them), then the least-loaded (topo/plan/scheduler.py). It binds
as the scheduler's binding does (spec.nodeName, through the API); the node's kubelet
takes it from there. A pod no node takes stays Pending, its PodScheduled condition
False with the reason, and is tried again whenever a node or a bound pod changes (room
may have been made)."""
from topo.api.render import timestamp
from topo.api.strategies.node import ready
from topo.api.strategies.pod import terminating
from topo.errors import KubemnError
from topo.plan.scheduler import choose_node
from topo.policy.spec import parse_selector

PODS, NODES = "pods", "nodes"
NAME = "default-scheduler"   # the pods whose spec.schedulerName is this are its own


def _ours(pod):
    return not pod["spec"].get("nodeName") and pod["spec"].get("schedulerName", NAME) == NAME


def _label_map(selector):
    """A selector written as a map of labels (an empty one selects nothing)."""
    return lambda labels: bool(selector) and selector.items() <= labels.items()


# The kinds whose pods the scheduler spreads: resource -> (object -> its labels -> bool).
SPREAD_BY = (("services", lambda obj: _label_map(obj["spec"].get("selector") or {})),
             ("replicationcontrollers", lambda obj: _label_map(obj["spec"]["selector"])),
             ("replicasets.apps", lambda obj: parse_selector(obj["spec"]["selector"],
                                                             "spec.selector").matches))


def peer_counts(selecting, placed):
    """{node: how many of placed ([(node, labels)]: the namespace's bound pods not
    terminating) every one of selecting ([labels -> bool]) selects}. None selecting:
    the pod has no peers."""
    counts = {}
    if selecting:
        for node, labels in placed:
            if all(selects(labels) for selects in selecting):
                counts[node] = counts.get(node, 0) + 1
    return counts


def _key(obj):
    return "%s/%s" % (obj["metadata"]["namespace"], obj["metadata"]["name"])


def unschedulable_status(pod, message, now):
    """The status of a pod no node takes, as the scheduler writes it."""
    status = dict(pod.get("status") or {})
    status["conditions"] = [c for c in status.get("conditions", ())
                            if c["type"] != "PodScheduled"] + [{
        "type": "PodScheduled", "status": "False", "lastProbeTime": None,
        "lastTransitionTime": timestamp(now), "reason": "Unschedulable", "message": message}]
    return status


def _unschedulable_message(pod):
    return next((c.get("message") for c in (pod.get("status") or {}).get("conditions", ())
                 if c["type"] == "PodScheduled" and c.get("reason") == "Unschedulable"),
                None)


class Scheduler:
    watches = (PODS, NODES)
    store_only = True   # its bindings are plain store writes: a step's wake watchers once

    def __init__(self, store, bind, now):
        """bind(namespace, name, node): the binding's write."""
        self.store, self.bind, self.now = store, bind, now
        self.unbound = set()   # keys of the pods last seen without a node
        # (the pods' revision read, {node: pods bound to it},
        #  {namespace: [(node, labels) of its bound pods not terminating]})
        self.load = (None, {}, {})

    def keys(self, resource, obj):
        if resource == PODS and _ours(obj):
            self.unbound.add(_key(obj))
            return [_key(obj)]
        if resource == PODS:
            self.unbound.discard(_key(obj))
        return sorted(self.unbound)   # a node or a bound pod changed: room may be made

    def all_keys(self):
        self.unbound = {_key(p) for p in self.store.list(PODS)[1] if _ours(p)}
        return sorted(self.unbound)

    def _bound(self):
        revision = self.store.changed_at(PODS)
        if self.load[0] != revision:
            counts, placed = {}, {}
            for pod in self.store.list(PODS)[1]:
                node = pod["spec"].get("nodeName")
                if node:
                    counts[node] = counts.get(node, 0) + 1
                    if not terminating(pod):
                        placed.setdefault(pod["metadata"]["namespace"], []).append(
                            (node, pod["metadata"].get("labels") or {}))
            self.load = (revision, counts, placed)
        return self.load[1:]

    def _peers(self, pod, placed):
        namespace, labels = pod["metadata"]["namespace"], pod["metadata"].get("labels") or {}
        selectors = [selector(obj) for resource, selector in SPREAD_BY
                     for obj in self.store.list(resource, namespace)[1]]
        selecting = [selects for selects in selectors if selects(labels)]
        return peer_counts(selecting, placed.get(namespace, ()))

    def reconcile(self, key):
        namespace, name = key.split("/", 1)
        pod = self.store.get(PODS, namespace, name)
        if pod is None or not _ours(pod) or terminating(pod):
            self.unbound.discard(key)
            return
        nodes = [n for n in self.store.list(NODES)[1]
                 if ready(n) and not n["spec"].get("unschedulable")]
        bound, placed = self._bound()
        counts = {n["metadata"]["name"]: bound.get(n["metadata"]["name"], 0) for n in nodes}
        free = {n["metadata"]["name"]: int(n["status"]["allocatable"]["pods"]) -
                counts[n["metadata"]["name"]] for n in nodes}
        labels = {n["metadata"]["name"]: n["metadata"].get("labels", {}) for n in nodes}
        try:
            node = choose_node(None, counts, free,
                               tuple((pod["spec"].get("nodeSelector") or {}).items()), labels,
                               self._peers(pod, placed))
        except KubemnError as exc:
            if _unschedulable_message(pod) != str(exc):
                self.store.put_status(PODS, pod, unschedulable_status(pod, str(exc),
                                                                      self.now()))
            return
        self.bind(namespace, name, node)
        self.unbound.discard(key)
