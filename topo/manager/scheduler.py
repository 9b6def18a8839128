"""The scheduler: binds each pod that names no node (and names it as its scheduler,
as the default) to the least-loaded node its nodeSelector allows and that has a pod
address free (topo/plan/scheduler.py), as the scheduler's binding does (spec.nodeName,
through the API); the node's kubelet takes it from there. A pod no node takes stays
Pending, its PodScheduled condition False with the reason, and is tried again whenever
a node or a bound pod changes (room may have been made)."""
from topo.api.render import timestamp
from topo.api.strategies.pod import terminating
from topo.errors import KubemnError
from topo.plan.scheduler import choose_node

PODS, NODES = "pods", "nodes"
NAME = "default-scheduler"   # the pods whose spec.schedulerName is this are its own


def _ours(pod):
    return not pod["spec"].get("nodeName") and pod["spec"].get("schedulerName", NAME) == NAME


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
        self.load = (None, {})   # (the pods' revision read, {node: pods bound to it})

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

    def _bound_counts(self):
        revision = self.store.changed_at(PODS)
        if self.load[0] != revision:
            counts = {}
            for pod in self.store.list(PODS)[1]:
                node = pod["spec"].get("nodeName")
                if node:
                    counts[node] = counts.get(node, 0) + 1
            self.load = (revision, counts)
        return self.load[1]

    def reconcile(self, key):
        namespace, name = key.split("/", 1)
        pod = self.store.get(PODS, namespace, name)
        if pod is None or not _ours(pod) or terminating(pod):
            self.unbound.discard(key)
            return
        nodes = [n for n in self.store.list(NODES)[1] if not n["spec"].get("unschedulable")]
        bound = self._bound_counts()
        counts = {n["metadata"]["name"]: bound.get(n["metadata"]["name"], 0) for n in nodes}
        free = {n["metadata"]["name"]: int(n["status"]["allocatable"]["pods"]) -
                counts[n["metadata"]["name"]] for n in nodes}
        labels = {n["metadata"]["name"]: n["metadata"].get("labels", {}) for n in nodes}
        try:
            node = choose_node(None, counts, free,
                               tuple((pod["spec"].get("nodeSelector") or {}).items()), labels)
        except KubemnError as exc:
            if _unschedulable_message(pod) != str(exc):
                self.store.put_status(PODS, pod, unschedulable_status(pod, str(exc),
                                                                      self.now()))
            return
        self.bind(namespace, name, node)
        self.unbound.discard(key)
