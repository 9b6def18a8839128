"""Services: checked by the manifest parser's rules (what `kubemn run -f` refuses, the
API refuses, with a 422 naming the field), their addresses allocated against the
Services already stored (ClusterIP, NodePorts, LoadBalancer address: the lowest
free, services/allocation.py; nothing but the store says what is taken, so a check
changes nothing), and stored with the defaults the API server fills in. An
update keeps the addresses allocated; a clusterIP cannot change. A delete removes
them (the endpoints controller removes their Endpoints and EndpointSlices)."""
from services.allocation import AllocationError, ServiceAllocator
from topo.api import render
from topo.api.status import invalid
from topo.api.store import Gone, Store
from topo.api.strategies.common import parsed, stored_metadata
from topo.plan.manifest import parse_service
from topo.plan.model import ref

RESOURCE = "services"   # the store's key


class ServiceStrategy:
    def __init__(self, store, service_cidr, load_balancer_cidr):
        self.store = store
        self.cidrs = (service_cidr, load_balancer_cidr)
        self.known = None   # (the Services' revision, the allocator that follows them)

    def _allocator(self):
        """What the stored Services hold, kept up to date from the store's changes (a
        burst of a thousand creates does not read a thousand lists), as a copy the
        caller may allocate from."""
        revision = self.store.changed_at(RESOURCE)
        if self.known is None:
            self.known = (revision, ServiceAllocator.from_services(
                *self.cidrs, self.store.list(RESOURCE)[1]))
        elif self.known[0] != revision:
            allocator = self.known[1]
            try:
                changes = self.store.changes_since((RESOURCE,), self.known[0], 0)[0]
            except Gone:
                self.known = None
                return self._allocator()
            for _, _, kind, obj in changes:
                if kind == "DELETED":
                    allocator.release(ref(obj["metadata"]["namespace"],
                                          obj["metadata"]["name"]))
                else:
                    allocator.record(obj)
            self.known = (revision, allocator)
        return self.known[1].copy()

    def for_create(self, obj, now, current=None):
        if current is not None:
            obj = drop_type_dependent_fields(obj, current)
        spec = parsed(parse_service, obj)
        name = obj["metadata"]["name"]
        old_ip = current["spec"].get("clusterIP") if current else None
        if current is not None and spec.cluster_ip is not None and \
                old_ip not in (None, "") and spec.cluster_ip != old_ip:
            raise invalid("Service", name, "spec.clusterIP", "Invalid value: %r: field is "
                          "immutable" % spec.cluster_ip)
        allocator = self._allocator()
        try:
            cluster_ip, node_ports = allocator.allocate(spec)
        except AllocationError as exc:
            raise invalid("Service", name, "spec", str(exc)) from None
        view = render.ServiceView(spec, cluster_ip, node_ports,
                                  allocator.lb_ips.get(spec.ref), now)
        stored = render.service_json(view)
        stored["metadata"] = stored_metadata(obj, current, now)
        return stored

    def for_update(self, obj, current, now):
        return self.for_create(obj, now, current)

    def for_delete(self, current, now):
        return None


def drop_type_dependent_fields(obj, current):
    """As the API server updates a Service: one switched to ExternalName loses the
    clusterIP(s) its client left as they were (or emptied); one switched to a type
    without NodePorts loses the nodePorts its client left as they were."""
    spec, old = dict(obj.get("spec") or {}), current["spec"]
    new_type, old_type = spec.get("type", "ClusterIP"), old.get("type", "ClusterIP")
    if new_type == "ExternalName" and old_type != "ExternalName":
        if spec.get("clusterIP") in (None, "", old.get("clusterIP")) and \
                spec.get("clusterIPs") in (None, [], old.get("clusterIPs")):
            spec.pop("clusterIP", None)
            spec.pop("clusterIPs", None)
    if new_type in ("ClusterIP", "ExternalName") and old_type in ("NodePort", "LoadBalancer") \
            and isinstance(spec.get("ports"), list):
        old_ports = {(p.get("port"), p.get("protocol", "TCP")): p.get("nodePort")
                     for p in old.get("ports") or ()}
        spec["ports"] = [
            {k: v for k, v in p.items() if k != "nodePort"}
            if isinstance(p, dict) and p.get("nodePort") == old_ports.get(
                (p.get("port"), p.get("protocol", "TCP"))) else p for p in spec["ports"]]
        if not spec["ports"]:
            del spec["ports"]
    return dict(obj, spec=spec)


def check_together(services, service_cidr, load_balancer_cidr):
    """Services (objects) checked as if created one after another into an empty
    store: a manifest's, before anything runs. Raises what a create would."""
    store = Store()
    strategy = ServiceStrategy(store, service_cidr, load_balancer_cidr)
    for obj in services:
        store.put(RESOURCE, strategy.for_create(obj, 0))
