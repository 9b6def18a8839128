"""The scheduler: binds each pod that names no node (and names it as its scheduler,
as the default) to a node that may take it (not cordoned, its taints tolerated, Ready,
its labels matching the pod's nodeSelector, a pod address free): the one with the
fewest of its peers, the pods of the Services, ReplicationControllers and ReplicaSets
that select it (terminating ones aside, as the default scheduler's SelectorSpread
counts them), then the least-loaded (topo/plan/scheduler.py). It binds as the
scheduler's binding does (spec.nodeName, through the API); the node's kubelet takes it
from there. A pod no node takes stays Pending, its PodScheduled condition False with
the reason, and is tried again whenever a node or a bound pod changes (room may have
been made). It says so in events, as the default scheduler does (Scheduled,
FailedScheduling)."""
from topo.api import events
from topo.api.render import timestamp
from topo.api.strategies.node import ready
from topo.api.strategies.pod import terminating
from topo.errors import KubemnError
from topo.manager.loop import name_key
from topo.plan.scheduler import choose_node
from topo.policy.spec import parse_selector

PODS, NODES = "pods", "nodes"
NAME = "default-scheduler"   # the pods whose spec.schedulerName is this are its own
UNSCHEDULABLE = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}
NOT_READY = {"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}


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
    """{node: how many of placed ({labels as a frozenset of items: {node: count}}: the
    namespace's bound pods not terminating, by their labels) every one of selecting
    ([labels -> bool]) selects}. None selecting: the pod has no peers."""
    counts = {}
    if selecting:
        for labels, on_nodes in placed.items():
            if all(selects(dict(labels)) for selects in selecting):
                for node, count in on_nodes.items():
                    counts[node] = counts.get(node, 0) + count
    return counts


def _place(counts, placed, pod, node):
    """One more bound pod on node, in counts and (unless terminating) placed."""
    counts[node] = counts.get(node, 0) + 1
    if not terminating(pod):
        group = placed.setdefault(pod["metadata"]["namespace"], {}).setdefault(
            frozenset((pod["metadata"].get("labels") or {}).items()), {})
        group[node] = group.get(node, 0) + 1


def tolerates(toleration, taint):
    """A pod's toleration tolerates a node's taint (Kubernetes' ToleratesTaint): the
    same effect, or any; Exists: the key, or every key; Equal: the key and value."""
    if toleration.get("effect") and toleration["effect"] != taint.get("effect"):
        return False
    if toleration.get("operator", "Equal") == "Exists":
        return not toleration.get("key") or toleration["key"] == taint["key"]
    return toleration.get("key") == taint["key"] and \
        toleration.get("value", "") == taint.get("value", "")


def refusal(pod, node):
    """Why node takes no pod now, or not this one, in the default scheduler's words
    (None: it may), its filters in their order: a cordoned node is unschedulable, a
    taint with effect NoSchedule or NoExecute must be tolerated (a node not Ready has
    the not-ready taint). A toleration of the unschedulable taint lets a pod go to a
    cordoned node, as a DaemonSet's does."""
    tolerations = pod["spec"].get("tolerations") or ()

    def tolerated(taint):
        return any(tolerates(t, taint) for t in tolerations)
    if node["spec"].get("unschedulable") and not tolerated(UNSCHEDULABLE):
        return "node(s) were unschedulable"
    taints = list(node["spec"].get("taints") or ()) + ([] if ready(node) else [NOT_READY])
    for taint in taints:
        if taint.get("effect") in ("NoSchedule", "NoExecute") and not tolerated(taint):
            return "node(s) had taint {%s: %s}, that the pod didn't tolerate" % (
                taint["key"], taint.get("value", ""))
    return None


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

    def __init__(self, store, bind, record, now):
        """bind(namespace, name, node): the binding's write; record([event]): stores
        what it says of a pod (Scheduled, FailedScheduling)."""
        self.store, self.bind, self.record, self.now = store, bind, record, now
        self.unbound = set()   # keys of the pods last seen without a node
        # (the pods' revision read, {node: pods bound to it},
        #  {namespace: {labels: {node: its bound pods not terminating with them}}})
        self.load = (None, {}, {})

    def keys(self, resource, obj):
        if resource == PODS and _ours(obj):
            self.unbound.add(name_key(obj))
            return [name_key(obj)]
        if resource == PODS:
            self.unbound.discard(name_key(obj))
        return sorted(self.unbound)   # a node or a bound pod changed: room may be made

    def all_keys(self):
        self.unbound = {name_key(p) for p in self.store.list(PODS)[1] if _ours(p)}
        return sorted(self.unbound)

    def _bound(self):
        revision = self.store.changed_at(PODS)
        if self.load[0] != revision:
            counts, placed = {}, {}
            for pod in self.store.list(PODS)[1]:
                if pod["spec"].get("nodeName"):
                    _place(counts, placed, pod, pod["spec"]["nodeName"])
            self.load = (revision, counts, placed)
        return self.load[1:]

    def _peers(self, pod, placed):
        namespace, labels = pod["metadata"]["namespace"], pod["metadata"].get("labels") or {}
        selectors = [selector(obj) for resource, selector in SPREAD_BY
                     for obj in self.store.list(resource, namespace)[1]]
        selecting = [selects for selects in selectors if selects(labels)]
        return peer_counts(selecting, placed.get(namespace, {}))

    def reconcile(self, key):
        namespace, name = key.split("/", 1)
        pod = self.store.get(PODS, namespace, name)
        if pod is None or not _ours(pod) or terminating(pod):
            self.unbound.discard(key)
            return
        nodes = self.store.list(NODES)[1]
        bound, placed = self._bound()
        counts = {n["metadata"]["name"]: bound.get(n["metadata"]["name"], 0) for n in nodes}
        free = {n["metadata"]["name"]: int((n["status"].get("allocatable") or {}).get(
            "pods", 0)) - counts[n["metadata"]["name"]] for n in nodes}
        labels = {n["metadata"]["name"]: n["metadata"].get("labels", {}) for n in nodes}
        refusals = {n["metadata"]["name"]: refusal(pod, n) for n in nodes}
        excluded = {node_name: why for node_name, why in refusals.items() if why}
        try:
            node = choose_node(None, counts, free,
                               tuple((pod["spec"].get("nodeSelector") or {}).items()), labels,
                               self._peers(pod, placed), excluded)
        except KubemnError as exc:
            if _unschedulable_message(pod) != str(exc):
                now = self.now()
                self.store.put_status(PODS, pod, unschedulable_status(pod, str(exc), now))
                self.record([events.failed_scheduling(pod, str(exc), now)])
            return
        read = self.store.changed_at(PODS)
        self.bind(namespace, name, node)
        self.record([events.scheduled(pod, node, self.now())])
        self.unbound.discard(key)
        if read == self.load[0]:   # nobody else wrote a pod meanwhile: no need to read all
            _place(bound, placed, pod, node)   # again, the binding is the one change
            self.load = (self.store.changed_at(PODS), bound, placed)
