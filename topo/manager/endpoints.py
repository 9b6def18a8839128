"""The endpoints controller (Kubernetes' Endpoints, EndpointSlice and EndpointSlice
mirroring controllers in one): for each Service with a selector, the ready pods it
selects (services/endpoints.py) are written back to the store as its Endpoints and
its EndpointSlices, one slice per set of ports (a pod that lacks a named targetPort
serves the others). A Service without a selector keeps the Endpoints its clients
write, and each of their subsets is mirrored into an EndpointSlice (which is what the
fabric serves), unless they say skip-mirror (the API server's own). A Service that
is gone takes its Endpoints and slices with it."""
import hashlib

from services.endpoints import service_endpoints
from topo.plan.workloads import SUFFIX_ALPHABET

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


def endpoints_object(service, endpoints, pods):
    """The Service's Endpoints: a subset per set of ports. pods: {name: Pod object}."""
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
    metadata = _metadata(service, service["metadata"]["name"])
    return dict({"apiVersion": "v1", "kind": "Endpoints", "metadata": metadata},
                **({"subsets": subsets} if subsets else {}))


def _slice(service, piece_name, entries, ports, manager):
    name = service["metadata"]["name"]
    metadata = _metadata(service, piece_name, {SERVICE_NAME: name, MANAGED_BY: manager})
    metadata["generateName"] = name + "-"
    metadata["ownerReferences"] = [{"apiVersion": "v1", "kind": "Service", "name": name,
                                    "controller": True, "blockOwnerDeletion": True}]
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": metadata, "addressType": "IPv4", "endpoints": entries,
            "ports": [dict(p, name=p.get("name", "")) for p in ports] if entries else None}


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
                          subset.get("ports") or [], MIRRORING))
    return out


def endpoint_slices(service, endpoints, pods):
    """The Service's EndpointSlices: one per set of ports (one, without ports or
    endpoints, when nothing is selected)."""
    name = service["metadata"]["name"]
    groups = _port_groups(service, endpoints) or {(): []}
    out = []
    for index, (ports, members) in enumerate(groups.items()):
        entries = []
        for endpoint in members:
            entry = {"addresses": [endpoint.ip],
                     "conditions": {"ready": True, "serving": True, "terminating": False},
                     "nodeName": endpoint.node, "targetRef": _target(pods, endpoint)}
            if endpoint.hostname:
                entry["hostname"] = endpoint.hostname
            entries.append(entry)
        out.append(_slice(service, slice_name(name, index), entries, _port_list(ports),
                          CONTROLLER))
    return out


def _ref(namespace, name):
    return "%s/%s" % (namespace, name)


class EndpointsController:
    watches = (SERVICES, PODS, ENDPOINTS)

    def __init__(self, store):
        self.store = store

    def keys(self, resource, obj):
        namespace = obj["metadata"]["namespace"]
        if resource in (SERVICES, ENDPOINTS):
            return [_ref(namespace, obj["metadata"]["name"])]
        return [_ref(namespace, s["metadata"]["name"])
                for s in self.store.list(SERVICES, namespace)[1] if s["spec"].get("selector")]

    def all_keys(self):
        return [_ref(s["metadata"]["namespace"], s["metadata"]["name"])
                for s in self.store.list(SERVICES)[1]]

    def reconcile(self, key):
        namespace, name = key.split("/", 1)
        service = self.store.get(SERVICES, namespace, name)
        ours = [s for s in self.store.list(SLICES, namespace)[1]
                if s["metadata"].get("labels", {}).get(SERVICE_NAME) == name
                and s["metadata"]["labels"].get(MANAGED_BY) in (CONTROLLER, MIRRORING)]
        if service is None:
            self.store.remove(ENDPOINTS, namespace, name)
            slices = []
        elif not service["spec"].get("selector"):
            # Its Endpoints are its clients' to write: mirrored, not written.
            written = self.store.get(ENDPOINTS, namespace, name)
            skip = written is None or \
                written["metadata"].get("labels", {}).get(SKIP_MIRROR) == "true"
            slices = [] if skip else mirrored_slices(service, written)
        else:
            pods = self.store.list(PODS, namespace)[1]
            endpoints = service_endpoints(service, pods)
            by_name = {p["metadata"]["name"]: p for p in pods}
            self.store.put(ENDPOINTS, endpoints_object(service, endpoints, by_name))
            slices = endpoint_slices(service, endpoints, by_name)
        for piece in slices:
            self.store.put(SLICES, piece)
        kept = {s["metadata"]["name"] for s in slices}
        for stale in ours:
            if stale["metadata"]["name"] not in kept:
                self.store.remove(SLICES, namespace, stale["metadata"]["name"])
