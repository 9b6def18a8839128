"""The service account controller, as Kubernetes' keeps it: each namespace that is
not terminating has a ServiceAccount called `default` (pods run as it when they name
none); one deleted is made again."""
from topo.errors import KubemnError
from topo.manager.per_namespace import PerNamespace

ACCOUNTS = "serviceaccounts"
DEFAULT = "default"


class ServiceAccountsController(PerNamespace):
    RESOURCE, NAME = ACCOUNTS, DEFAULT

    def __init__(self, store, create):
        """create(namespace, body): a ServiceAccount through the API."""
        self.store, self.create = store, create

    def reconcile(self, namespace):
        if not self.open(namespace):
            return
        if self.store.get(ACCOUNTS, namespace, DEFAULT) is None:
            try:
                self.create(namespace, {"metadata": {"name": DEFAULT}})
            except KubemnError:   # tried again, unless made meanwhile
                if self.store.get(ACCOUNTS, namespace, DEFAULT) is None:
                    raise
