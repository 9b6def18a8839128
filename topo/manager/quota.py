"""The resource quota controller, as Kubernetes' keeps a ResourceQuota's status: what
its namespace uses of each resource the quota limits (topo/api/admission.usage),
after every change of what it counts."""
from topo.api.admission import used_status
from topo.api.strategies import resource_quota as strategy
from topo.manager.loop import Again, name_key

COUNTED = ("pods", "services", "configmaps", "secrets", "replicationcontrollers")


class QuotaController:
    watches = (strategy.RESOURCE,) + COUNTED

    def __init__(self, store, namespace_objects):
        """namespace_objects(namespace, quotas): {store key: [objects]} they count."""
        self.store, self.namespace_objects = store, namespace_objects

    def keys(self, resource, obj):
        if resource == strategy.RESOURCE:
            return [name_key(obj)]
        return [name_key(q) for q in self.store.list(strategy.RESOURCE,
                                                     obj["metadata"]["namespace"])[1]]

    def all_keys(self):
        return [name_key(q) for q in self.store.list(strategy.RESOURCE)[1]]

    def reconcile(self, key):
        namespace, name = key.split("/", 1)
        quota = self.store.get(strategy.RESOURCE, namespace, name)
        if quota is None:
            return
        hard = quota["spec"].get("hard") or {}
        status = {"hard": dict(hard),
                  "used": used_status(hard, self.namespace_objects(namespace, [quota]))}
        if status != quota.get("status") and \
                not self.store.put_status(strategy.RESOURCE, quota, status):
            raise Again   # changed meanwhile: read it again
