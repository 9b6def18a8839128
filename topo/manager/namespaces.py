"""The namespace controller: a namespace that is terminating has its contents deleted
through the API (each by its kind's own rules), and once nothing of it is left in the
store, its `kubernetes` finalizer is done and the namespace goes. What the API does
not let a client delete (Endpoints, ReplicaSets: their owners' doing) is waited for."""
from topo.api.strategies import namespace as strategy
from topo.manager.loop import Again


class NamespaceController:
    def __init__(self, store, delete, contents, deletable):
        """delete(resource, namespace, name): a delete through the API. contents: the
        store's namespaced resources; deletable: those this controller deletes, owners
        first (a Deployment before the pods it would otherwise replace)."""
        self.store, self.delete = store, delete
        self.contents, self.deletable = tuple(contents), tuple(deletable)
        self.watches = (strategy.RESOURCE,) + self.contents

    def keys(self, resource, obj):
        metadata = obj["metadata"]
        return [metadata["name"] if resource == strategy.RESOURCE else metadata["namespace"]]

    def all_keys(self):
        return [ns["metadata"]["name"] for ns in self.store.list(strategy.RESOURCE)[1]]

    def reconcile(self, name):
        namespace = self.store.get(strategy.RESOURCE, "", name)
        if namespace is None or not strategy.terminating(namespace):
            return
        if not any(self.store.list(resource, name)[1] for resource in self.contents):
            self.store.remove(strategy.RESOURCE, "", name)
            return
        for resource in self.deletable:
            for obj in self.store.list(resource, name)[1]:
                self.delete(resource, name, obj["metadata"]["name"])
        raise Again   # until what was deleted, and what it owned, has left the store
