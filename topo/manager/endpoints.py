"""The endpoints controllers, as Kubernetes has them: for each Service with a selector,
the ready pods it selects (services/endpoints.py) are written back to the store as
its Endpoints (EndpointsController) and its EndpointSlices, one slice per set of
ports, a pod that lacks a named targetPort serving the others
(EndpointSliceController). A Service without a selector keeps the Endpoints its
clients write, and each of their subsets is mirrored into an EndpointSlice (which is
what the fabric serves), unless they say skip-mirror (the API server's own). A
Service that is gone takes its Endpoints and slices with it. Two loops, so that the
slices the fabric waits for are not behind the Endpoints."""
import hashlib

from services.endpoints import selects, service_endpoints
from topo.manager.label_index import LabelIndex
from topo.plan.generated_names import SUFFIX_ALPHABET

SERVICES, PODS = "services", "pods"
ENDPOINTS, SLICES = "endpoints", "endpointslices.discovery.k8s.io"
SERVICE_NAME = "kubernetes.io/service-name"
MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
CONTROLLER = "endpointslice-controller.k8s.io"
MIRRORING = "endpointslicemirroring-controller.k8s.io"
SKIP_MIRROR = "endpointslice.kubernetes.io/skip-mirror"


def slice_name(service_name, group=0):
    """<service>-<5 characters>, as the EndpointSlice controller's generateName makes
    it, but stable: the same slice keeps its name from one write to the next."""
    seed = service_name if group == 0 else "%s/%d" % (service_name, group)
    digest = hashlib.sha256(seed.encode()).digest()
    return "%s-%s" % (service_name, "".join(SUFFIX_ALPHABET[b % len(SUFFIX_ALPHABET)]
                                           for b in digest[:5]))


def _metadata(service, name, labels=None):
    metadata = {"name": name, "namespace": service["metadata"]["namespace"],
                "creationTimestamp": service["metadata"]["creationTimestamp"]}
    if labels:
        metadata["labels"] = labels
    return metadata


def _target(pods, endpoint):
    pod = pods[endpoint.pod]["metadata"]
    return {"kind": "Pod", "name": pod["name"], "namespace": pod["namespace"],
            "uid": pod.get("uid", "")}


def _port_names(service):
    return {(p["port"], p.get("protocol", "TCP")): p.get("name", "")
            for p in service["spec"].get("ports", ())}


def _port_groups(service, endpoints):
    """{((name, target, protocol), ...): [Endpoint]}, in the order first seen."""
    names = _port_names(service)
    groups = {}
    for endpoint in endpoints:
        ports = tuple((names[(port, protocol)], target, protocol)
                      for port, protocol, target in endpoint.ports)
        groups.setdefault(ports, []).append(endpoint)
    return groups


def _port_list(ports):
    return [dict({"port": target, "protocol": protocol}, **({"name": name} if name else {}))
            for name, target, protocol in ports]


def endpoint_subsets(service, endpoints, pods):
    """The subsets of the Service's Endpoints: one per set of ports. pods: {name: Pod
    object}."""
    subsets = []
    for ports, members in _port_groups(service, endpoints).items():
        addresses = []
        for endpoint in members:
            address = {"ip": endpoint.ip, "nodeName": endpoint.node,
                       "targetRef": _target(pods, endpoint)}
            if endpoint.hostname:
                address["hostname"] = endpoint.hostname
            addresses.append(address)
        subsets.append({"addresses": addresses, "ports": _port_list(sorted(ports))})
    return subsets


def endpoints_object(service, subsets):
    """The Service's Endpoints, of endpoint_subsets."""
    metadata = _metadata(service, service["metadata"]["name"])
    return dict({"apiVersion": "v1", "kind": "Endpoints", "metadata": metadata},
                **({"subsets": subsets} if subsets else {}))


def _named(ports):
    """A slice's ports: each with a name, "" when it has none."""
    return [dict(p, name=p.get("name", "")) for p in ports]


def _slice(service, piece_name, entries, ports, manager):
    name = service["metadata"]["name"]
    metadata = _metadata(service, piece_name, {SERVICE_NAME: name, MANAGED_BY: manager})
    metadata["generateName"] = name + "-"
    metadata["ownerReferences"] = [{"apiVersion": "v1", "kind": "Service", "name": name,
                                    "controller": True, "blockOwnerDeletion": True}]
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": metadata, "addressType": "IPv4", "endpoints": entries,
            "ports": ports if entries else None}


def mirrored_slices(service, endpoints):
    """A client's Endpoints as EndpointSlices, one a subset (ready and not-ready
    addresses both, as the mirroring controller writes them)."""
    name = service["metadata"]["name"]
    out = []
    for index, subset in enumerate(endpoints.get("subsets") or ()):
        entries = []
        for field, ready in (("addresses", True), ("notReadyAddresses", False)):
            for address in subset.get(field) or ():
                entry = {"addresses": [address["ip"]],
                         "conditions": {"ready": ready, "serving": ready,
                                        "terminating": False}}
                for key in ("nodeName", "hostname", "targetRef"):
                    if address.get(key):
                        entry[key] = address[key]
                entries.append(entry)
        out.append(_slice(service, slice_name(name + "-mirror", index), entries,
                          _named(subset.get("ports") or []), MIRRORING))
    return out


def slice_contents(service, endpoints, pods):
    """[(ports, entries)] of the Service's EndpointSlices: one per set of ports (one,
    without ports or endpoints, when nothing is selected)."""
    groups = _port_groups(service, endpoints) or {(): []}
    out = []
    for ports, members in groups.items():
        entries = []
        for endpoint in members:
            entry = {"addresses": [endpoint.ip],
                     "conditions": {"ready": True, "serving": True, "terminating": False},
                     "nodeName": endpoint.node, "targetRef": _target(pods, endpoint)}
            if endpoint.hostname:
                entry["hostname"] = endpoint.hostname
            entries.append(entry)
        out.append((_named(_port_list(ports)), entries))
    return out


def endpoint_slices(service, contents):
    """The Service's EndpointSlices, of slice_contents."""
    name = service["metadata"]["name"]
    return [_slice(service, slice_name(name, index), entries, ports, CONTROLLER)
            for index, (ports, entries) in enumerate(contents)]


def _subsets_of(service, pods):
    return endpoint_subsets(service, service_endpoints(service, pods),
                            {p["metadata"]["name"]: p for p in pods})


def _slice_contents_of(service, pods):
    return slice_contents(service, service_endpoints(service, pods),
                          {p["metadata"]["name"]: p for p in pods})


def _ref(namespace, name):
    return "%s/%s" % (namespace, name)


class _ServiceWatcher:
    """What both controllers share: keys (a Service's changes name it, a pod's the
    Services of its namespace that select it now or did before) and the pods a
    Service selects, found by their labels (label_index.py): a pod's change costs
    what its Services have, not what the namespace has."""
    watches = (SERVICES, PODS)
    store_only = True

    def __init__(self, store):
        self.store = store
        self.pods = LabelIndex(store, PODS)
        self.selected = (None, {})   # (the pods' revision, {selection: what it gives})
        self.by_label = (None, {})   # (the Services' revision, {namespace: index})

    def selection(self, service, make):
        """make(service, the pods it selects), worked out once for Services that select
        alike (a thousand Services of the same pods cost one selection) while the pods
        stay; a pod's hostname depends on the Service's name, so those with one are
        not shared."""
        spec, namespace = service["spec"], service["metadata"]["namespace"]
        pods = self.pods.select(namespace, spec.get("selector"))
        if any(p["spec"].get("subdomain") for p in pods):
            return make(service, pods)
        revision = self.store.changed_at(PODS)
        if self.selected[0] != revision:
            self.selected = (revision, {})
        key = (make, namespace, tuple(sorted((spec.get("selector") or {}).items())),
               repr(spec.get("ports")), spec.get("publishNotReadyAddresses", False))
        if key not in self.selected[1]:
            self.selected[1][key] = make(service, pods)
        return self.selected[1][key]

    def keys(self, resource, obj):
        namespace = obj["metadata"]["namespace"]
        if resource != PODS:
            return [_ref(namespace, obj["metadata"]["name"])]
        before, now = self.pods.changed(obj), obj["metadata"].get("labels") or {}
        index = self._services_by_label(namespace)
        names = {s["metadata"]["name"] for labels in (now, before or {})
                 for pair in labels.items() for s in index.get(pair, ())
                 if selects(s["spec"]["selector"], labels)}
        return [_ref(namespace, name) for name in sorted(names)]

    def _services_by_label(self, namespace):
        """{(label, value): [Service]} of namespace's Services that have a selector,
        each under its selector's first pair: those that may select a pod are found
        from its labels (a pod's change costs what its Services have, not what the
        namespace has)."""
        revision = self.store.changed_at(SERVICES)
        if self.by_label[0] != revision:
            self.by_label = (revision, {})
        index = self.by_label[1].get(namespace)
        if index is None:
            index = self.by_label[1][namespace] = {}
            for service in self.store.list(SERVICES, namespace)[1]:
                selector = service["spec"].get("selector")
                if selector:
                    index.setdefault(min(selector.items()), []).append(service)
        return index

    def all_keys(self):
        self.pods.forget()
        return [_ref(s["metadata"]["namespace"], s["metadata"]["name"])
                for s in self.store.list(SERVICES)[1]]


class EndpointsController(_ServiceWatcher):
    """The Endpoints of each Service with a selector; a gone Service's go too."""

    def reconcile(self, key):
        namespace, name = key.split("/", 1)
        service = self.store.get(SERVICES, namespace, name)
        if service is None:
            self.store.remove(ENDPOINTS, namespace, name)
        elif service["spec"].get("selector"):
            self.store.put(ENDPOINTS, endpoints_object(service, self.selection(
                service, _subsets_of)), shared=True)


class EndpointSliceController(_ServiceWatcher):
    """The EndpointSlices of each Service: from the pods its selector picks, or
    mirrored from the Endpoints a client wrote for a Service without one."""
    watches = (SERVICES, PODS, ENDPOINTS)

    def __init__(self, store):
        super().__init__(store)
        self.written = None   # {(namespace, service): {slice names}}, read once

    def _ours(self, namespace, name):
        if self.written is None:
            self.written = {}
            for piece in self.store.list(SLICES)[1]:
                labels = piece["metadata"].get("labels", {})
                if labels.get(MANAGED_BY) in (CONTROLLER, MIRRORING):
                    self.written.setdefault(
                        (piece["metadata"]["namespace"], labels.get(SERVICE_NAME)),
                        set()).add(piece["metadata"]["name"])
        return self.written.setdefault((namespace, name), set())

    def reconcile(self, key):
        namespace, name = key.split("/", 1)
        service = self.store.get(SERVICES, namespace, name)
        if service is None:
            slices = []
        elif not service["spec"].get("selector"):
            # Its Endpoints are its clients' to write: mirrored, not written.
            written = self.store.get(ENDPOINTS, namespace, name)
            skip = written is None or \
                written["metadata"].get("labels", {}).get(SKIP_MIRROR) == "true"
            slices = [] if skip else mirrored_slices(service, written)
        else:
            slices = endpoint_slices(service, self.selection(
                service, _slice_contents_of))
        ours = self._ours(namespace, name)
        for piece in slices:
            self.store.put(SLICES, piece, shared=True)
        kept = {s["metadata"]["name"] for s in slices}
        for stale in ours - kept:
            self.store.remove(SLICES, namespace, stale)
        ours.clear()
        ours.update(kept)
        if not kept:
            del self.written[(namespace, name)]
