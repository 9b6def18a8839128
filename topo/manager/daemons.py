"""The daemon set controller: each DaemonSet keeps one pod of its template on every
node its template's nodeSelector matches and whose taints it tolerates, as
Kubernetes' does. A new node gets its pod, a node that is gone or no longer matches
loses it, a second pod on a node goes.
Each pod is made through the API, owned by the DaemonSet, labelled with the hash of
the template it was made of, and bound to its node from the start (kubemn's
scheduler honours spec.nodeName; Kubernetes' controller says the same with a node
affinity the scheduler follows). A template change rolls the pods over node by node,
at most maxUnavailable of them unready at once (updateStrategy RollingUpdate; OnDelete
waits for each pod's deletion). What it observed goes to the status; pods whose
owner is gone are the garbage collector's."""
import hashlib
import json

from services.endpoints import pod_ready
from topo.api.strategies import daemon_set as strategy
from topo.manager.loop import Again
from topo.manager.replicas import all_keys, new_pod, own_or_owner_key, owned_pods
from topo.manager.scheduler import tolerates

PODS, NODES, REVISIONS = "pods", "nodes", "controllerrevisions.apps"
HASH_LABEL = "controller-revision-hash"


def template_hash(daemon):
    """A short, stable name of the template the pods are made of."""
    text = json.dumps(daemon["spec"]["template"], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def wanted_nodes(daemon, nodes, running=False):
    """The names of the nodes whose labels the template's nodeSelector matches and
    whose taints its tolerations tolerate: those with effect NoSchedule or NoExecute
    for a new pod; running=True: a pod there keeps running unless a NoExecute taint is
    not tolerated (a cordon, or the node not Ready, concerns no daemon pod: Kubernetes
    gives them tolerations of both)."""
    template = daemon["spec"]["template"].get("spec") or {}
    selector, tolerations = template.get("nodeSelector") or {}, template.get("tolerations") or ()
    effects = ("NoExecute",) if running else ("NoSchedule", "NoExecute")
    return [n["metadata"]["name"] for n in nodes
            if selector.items() <= (n["metadata"].get("labels") or {}).items() and
            all(any(tolerates(t, taint) for t in tolerations)
                for taint in (n.get("spec") or {}).get("taints") or ()
                if taint.get("effect") in effects)]


def max_unavailable(daemon, desired):
    """updateStrategy.rollingUpdate.maxUnavailable as a count (a percentage of the
    desired nodes, rounded up), at least one."""
    value = ((daemon["spec"].get("updateStrategy") or {}).get("rollingUpdate") or {}) \
        .get("maxUnavailable", 1)
    if isinstance(value, str) and value.endswith("%"):
        value = -(-desired * int(value[:-1]) // 100)
    return max(1, int(value))


def plan(daemon, nodes, pods):
    """(nodes that need a pod, pods to delete), from what is stored now."""
    wanted, current = wanted_nodes(daemon, nodes), template_hash(daemon)
    staying = set(wanted_nodes(daemon, nodes, running=True))
    by_node = {}
    for pod in sorted(pods, key=lambda p: p["metadata"]["creationTimestamp"]):
        by_node.setdefault(pod["spec"].get("nodeName"), []).append(pod)
    missing = [node for node in wanted if node not in by_node]
    doomed = [p for node, on_node in by_node.items() for p in
              (on_node if node not in staying else on_node[1:])]
    if (daemon["spec"].get("updateStrategy") or {}).get("type") != "OnDelete":
        kept = [by_node[node][0] for node in wanted if node in by_node]
        old = [p for p in kept if (p["metadata"].get("labels") or {}).get(HASH_LABEL)
               != current]
        # The unready old pods go at once; ready ones while the budget allows.
        unavailable = len(missing) + sum(1 for p in kept if not pod_ready(p))
        budget = max_unavailable(daemon, len(wanted)) - unavailable
        doomed += [p for p in old if not pod_ready(p)]
        doomed += [p for p in old if pod_ready(p)][:max(0, budget)]
    return missing, doomed


def observed_status(daemon, nodes, pods):
    wanted, current = set(wanted_nodes(daemon, nodes)), template_hash(daemon)
    placed = [p for p in pods if p["spec"].get("nodeName") in wanted]
    ready = sum(1 for p in placed if pod_ready(p))
    return {"currentNumberScheduled": len({p["spec"]["nodeName"] for p in placed}),
            "numberMisscheduled": len({p["spec"].get("nodeName") for p in pods} - wanted),
            "desiredNumberScheduled": len(wanted), "numberReady": ready,
            "updatedNumberScheduled": sum(
                1 for p in placed
                if (p["metadata"].get("labels") or {}).get(HASH_LABEL) == current),
            "numberAvailable": ready, "numberUnavailable": len(wanted) - ready,
            "observedGeneration": daemon["metadata"].get("generation", 1)}


class DaemonSetController:
    watches = (strategy.RESOURCE, PODS, NODES, REVISIONS)

    def __init__(self, store, create_pod, delete_pod, history=None):
        """create_pod(namespace, body), delete_pod(namespace, name): writes through the
        API; create_pod raises what the API refuses; history: its ControllerRevisions'
        keeper (revisions.History)."""
        self.store, self.create_pod, self.delete_pod = store, create_pod, delete_pod
        self.history = history

    def keys(self, resource, obj):
        if resource == NODES:
            return self.all_keys()
        return own_or_owner_key(strategy, resource, obj)

    def all_keys(self):
        return all_keys(self.store, strategy.RESOURCE)

    def owned(self, daemon):
        return owned_pods(self.store, daemon)

    def reconcile(self, key):
        namespace, name = key
        daemon = self.store.get(strategy.RESOURCE, namespace, name)
        if daemon is None:
            return
        nodes = self.store.list(NODES)[1]
        owned = self.owned(daemon)
        if self.history is not None:
            self.history.sync(daemon, {"%s-%s" % (name, (p["metadata"].get("labels") or {})
                                                  .get(HASH_LABEL)) for p in owned})
        missing, doomed = plan(daemon, nodes, owned)
        for pod in doomed:
            self.delete_pod(namespace, pod["metadata"]["name"])
        failed = False
        for node in missing:
            pod = new_pod(daemon)
            pod["metadata"].setdefault("labels", {})[HASH_LABEL] = template_hash(daemon)
            pod["spec"]["nodeName"] = node
            try:
                self.create_pod(namespace, pod)
            except Exception:   # tried again later
                failed = True
        status = observed_status(daemon, nodes, self.owned(daemon))
        if not self.store.put_status(strategy.RESOURCE, daemon, status) or failed:
            raise Again
