"""The service account controller, as Kubernetes' keeps it: each namespace that is
not terminating has a ServiceAccount called `default` (pods run as it when they name
none); one deleted is made again."""
from topo.errors import KubemnError

NAMESPACES, ACCOUNTS = "namespaces", "serviceaccounts"
DEFAULT = "default"


class ServiceAccountsController:
    watches = (NAMESPACES, ACCOUNTS)

    def __init__(self, store, create):
        """create(namespace, body): a ServiceAccount through the API."""
        self.store, self.create = store, create

    def keys(self, resource, obj):
        metadata = obj["metadata"]
        if resource == NAMESPACES:
            return [metadata["name"]]
        return [metadata["namespace"]] if metadata["name"] == DEFAULT else []

    def all_keys(self):
        return [n["metadata"]["name"] for n in self.store.list(NAMESPACES)[1]]

    def reconcile(self, namespace):
        found = self.store.get(NAMESPACES, "", namespace)
        if found is None or (found.get("status") or {}).get("phase") == "Terminating":
            return
        if self.store.get(ACCOUNTS, namespace, DEFAULT) is None:
            try:
                self.create(namespace, {"metadata": {"name": DEFAULT}})
            except KubemnError:   # tried again, unless made meanwhile
                if self.store.get(ACCOUNTS, namespace, DEFAULT) is None:
                    raise
