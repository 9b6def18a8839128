"""A node's kubelet watch of the store: every change of a pod bound to its node names
it (as the kubelet's watch with fieldSelector spec.nodeName does), and so does a
change of a pod it runs, waits to start or drains (gone from the store, or made anew
elsewhere under its name); the kubelet reconciles the pod from what is stored now
(actions(), pure; carried out by NodeKubelet.sync_pod). A change of a ConfigMap or
Secret that a volume of its pods reads names the object: their volumes follow it."""
from topo.api.strategies.pod import terminating
from topo.manager.loop import name_key

PODS = "pods"
SOURCES = ("configmaps", "secrets")
SOURCE_KEY = "%s:%s/%s"   # never a pod's key: a namespace has no ':'
# What the kubelet does for one pod name.
STOP = "stop"          # the pod it runs is not the stored one (gone, or made anew)
DROP = "drop"          # forget the start it was waiting for
RETIRE = "retire"      # terminating: leave the endpoints, drain, stop, then FORGET
FORGET = "forget"      # stopped: the store may let it go (a delete with grace 0)
RELABEL = "relabel"    # running: its labels are the stored ones
START = "start"        # bound and not running: start it (in waves, a tick later)


def actions(stored, running, waiting, draining):
    """stored: the pod as the store has it, if it is bound to this kubelet's node
    (None: gone, or another node's); running, waiting: the uid of the pod the kubelet
    runs, or waits to start, under its name (None: none); draining: it drains one.
    -> [action], in order."""
    uid = stored["metadata"]["uid"] if stored else None
    done = []
    if running is not None and running != uid:
        done.append(STOP)
        running = None
    if waiting is not None and (waiting != uid or stored is not None and
                                terminating(stored)):
        done.append(DROP)
        waiting = None
    if stored is None:
        return done
    if terminating(stored):
        return done + ([RETIRE] if running else [] if draining else [FORGET])
    if running:
        return done + [RELABEL]
    return done + ([] if waiting else [START])


class PodSync:
    # The ConfigMaps and Secrets too: the volumes that read them follow their changes.
    watches = (PODS,) + SOURCES

    def __init__(self, store, kubelet):
        """kubelet: a NodeKubelet (its node's name; sync_pod(namespace, name);
        knows(key) and kubelet_pods(): a pod, the pods, it runs, drains or waits to
        start, as 'namespace/name')."""
        self.store, self.kubelet = store, kubelet

    def keys(self, resource, obj):
        if resource in SOURCES:
            metadata = obj["metadata"]
            return [SOURCE_KEY % (resource, metadata["namespace"], metadata["name"])] \
                if self.kubelet.reads(metadata["namespace"], resource, metadata["name"]) \
                else []
        key = name_key(obj)
        return [key] if obj["spec"].get("nodeName") == self.kubelet.name or \
            self.kubelet.knows(key) else []

    def all_keys(self):
        """Its node's pods, and those it has that the store may have let go."""
        return sorted({name_key(p) for p in self.store.list(PODS)[1]
                       if p["spec"].get("nodeName") == self.kubelet.name}
                      | set(self.kubelet.kubelet_pods()))

    def reconcile(self, key):
        if ":" in key:
            resource, rest = key.split(":", 1)
            self.kubelet.refresh_volumes(*rest.split("/", 1), resource=resource)
            return
        namespace, name = key.split("/", 1)
        self.kubelet.sync_pod(namespace, name)
