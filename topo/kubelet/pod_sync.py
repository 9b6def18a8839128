"""The kubelet's watch of the store: every change of a pod bound to a node names it,
as does every change of the node (its machine has come, or it is gone), and the
kubelet reconciles it from what is stored now (actions(), pure; carried out by
Objects.sync_pod). One watch serves every node's kubelet: the nodes share the
machine, and each pod names its node."""
from topo.api.strategies.pod import terminating

PODS, NODES = "pods", "nodes"
# What the kubelet does for one pod name.
STOP = "stop"          # the pod it runs is not the stored one (gone, or made anew)
DROP = "drop"          # forget the start it was waiting for
COLLECT = "collect"    # bound to a node that is gone: the pod garbage collector's delete
RETIRE = "retire"      # terminating: leave the endpoints, drain, stop, then FORGET
FORGET = "forget"      # stopped: the store may let it go (a delete with grace 0)
RELABEL = "relabel"    # running: its labels are the stored ones
START = "start"        # bound and not running: start it (in waves, a tick later),
                       # once its node's machine runs


def actions(stored, running, waiting, draining, nodes, machines):
    """stored: the pod as the store has it (None: gone); running, waiting: the uid of
    the pod the kubelet runs, or waits to start, under its name (None: none);
    draining: it drains one; nodes: the nodes the store has; machines: those whose
    machine runs. -> [action], in order."""
    uid = stored["metadata"]["uid"] if stored else None
    node = stored["spec"].get("nodeName") if stored else None
    done = []
    if running is not None and running != uid:
        done.append(STOP)
        running = None
    if waiting is not None and (waiting != uid or stored is not None and
                                terminating(stored)):
        done.append(DROP)
        waiting = None
    if node is None:
        return done
    if node not in nodes:
        return done + [COLLECT]
    if terminating(stored):
        return done + ([RETIRE] if running else [] if draining else [FORGET])
    if running:
        return done + [RELABEL]
    return done + ([] if waiting or node not in machines else [START])


def _key(obj):
    return "%s/%s" % (obj["metadata"]["namespace"], obj["metadata"]["name"])


class PodSync:
    watches = (PODS, NODES)

    def __init__(self, store, kubelet):
        """kubelet: what sync_pod(namespace, name) and kubelet_pods() (the keys of the
        pods it runs, drains or waits to start) are called on."""
        self.store, self.kubelet = store, kubelet

    def keys(self, resource, obj):
        if resource == NODES:
            name = obj["metadata"]["name"]
            return [_key(p) for p in self.store.list(PODS)[1] if p["spec"].get("nodeName") == name]
        return [_key(obj)] if obj["spec"].get("nodeName") else []

    def all_keys(self):
        """The bound pods, and those the kubelet has that the store may have let go."""
        return sorted({_key(p) for p in self.store.list(PODS)[1] if p["spec"].get("nodeName")}
                      | set(self.kubelet.kubelet_pods()))

    def reconcile(self, key):
        namespace, name = key.split("/", 1)
        self.kubelet.sync_pod(namespace, name)
