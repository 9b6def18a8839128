"""The pod garbage collector: a pod bound to a node the store no longer has is
deleted at once (grace 0: no kubelet is left to stop it), as the controller manager's
PodGC deletes orphaned pods; a Deployment's are then made again elsewhere."""
from topo.manager.loop import name_key

PODS, NODES = "pods", "nodes"


class PodGarbageCollector:
    watches = (PODS, NODES)

    def __init__(self, store, delete_pod):
        """delete_pod(namespace, name): the delete, with grace 0, through the API."""
        self.store, self.delete_pod = store, delete_pod

    def keys(self, resource, obj):
        if resource == PODS:
            return [name_key(obj)] if self._orphan(obj) else []
        return self._orphans_of(obj["metadata"]["name"])

    def all_keys(self):
        return sorted(name_key(p) for p in self.store.list(PODS)[1] if self._orphan(p))

    def _orphans_of(self, node):
        if self.store.get(NODES, "", node) is not None:
            return []
        return [name_key(p) for p in self.store.list(PODS)[1] if p["spec"].get("nodeName") == node]

    def _orphan(self, pod):
        node = pod["spec"].get("nodeName")
        return bool(node) and self.store.get(NODES, "", node) is None

    def reconcile(self, key):
        namespace, name = key.split("/", 1)
        pod = self.store.get(PODS, namespace, name)
        if pod is not None and self._orphan(pod):
            self.delete_pod(namespace, name)
