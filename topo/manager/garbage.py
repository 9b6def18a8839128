"""The garbage collector: an object whose owners are all gone goes too, as Kubernetes'
collector deletes the dependents of a deleted owner in the background. It follows the
owner kinds kept in the store (an owner whose kind it does not follow keeps its
dependents alive); `kubectl delete --cascade=orphan` has the API take the references
away first (topo/api/registry.py), so nothing is collected. An owner of a kind without
a namespace (a Node) owns dependents in any namespace (its kubelet's Lease)."""
from topo.api.resources import BY_STORE_KEY


def references(obj):
    return obj["metadata"].get("ownerReferences") or ()


class GarbageCollector:
    def __init__(self, store, owners, dependents, delete):
        """owners: {kind: store resource} of the owners followed; dependents: the store
        resources collected; delete(resource, namespace, name): a delete through the
        API."""
        self.store, self.owners, self.dependents = store, dict(owners), tuple(dependents)
        self.delete = delete
        # The owner kinds that have no namespace (a Node), as the API serves them.
        self.cluster_scoped = {kind for kind, resource in self.owners.items()
                               if not BY_STORE_KEY[resource].namespaced}
        self.watches = tuple(dict.fromkeys(tuple(self.owners.values()) + self.dependents))

    def keys(self, resource, obj):
        """A dependent (a ReplicaSet is one, and an owner too): itself; an owner: what
        refers to it, if it has gone (an owner still stored, its status written, say,
        leaves its dependents as they are)."""
        metadata = obj["metadata"]
        namespace = metadata.get("namespace", "")
        found = []
        if resource in self.dependents and any(r.get("kind") in self.owners
                                               for r in references(obj)):
            found.append((resource, namespace, metadata["name"]))
        if resource not in self.owners.values():
            return found
        uid = metadata.get("uid")
        stored = self.store.get(resource, namespace, metadata["name"])
        if stored is not None and stored["metadata"]["uid"] == uid:
            return found
        scope = None if obj.get("kind") in self.cluster_scoped else namespace
        return found + [(dependent, d["metadata"].get("namespace", ""), d["metadata"]["name"])
                        for dependent in self.dependents
                        for d in self.store.list(dependent, scope)[1]
                        if any(r.get("uid") == uid for r in references(d))]

    def all_keys(self):
        return [(resource, d["metadata"].get("namespace", ""), d["metadata"]["name"])
                for resource in self.dependents for d in self.store.list(resource)[1]
                if any(r.get("kind") in self.owners for r in references(d))]

    def owner_exists(self, namespace, reference):
        if reference["kind"] in self.cluster_scoped:
            namespace = ""
        owner = self.store.get(self.owners[reference["kind"]], namespace, reference["name"])
        return owner is not None and owner["metadata"]["uid"] == reference.get("uid")

    def reconcile(self, key):
        resource, namespace, name = key
        obj = self.store.get(resource, namespace, name)
        if obj is None or not references(obj):
            return
        if all(r.get("kind") in self.owners and not self.owner_exists(namespace, r)
               for r in references(obj)):
            self.delete(resource, namespace, name)
