"""The Services as the fabric and the cluster DNS serve them (pure), read from what the
API serves, as kube-proxy and CoreDNS read it: each Service's addresses and ports
from the Service object, its endpoints from its EndpointSlices (ready endpoints, each
slice port matched to the service port of the same name).

A loopback endpoint (the `kubernetes` Service's: kubemn's API listens on the
machine's loopback, out of the pods' reach) is no endpoint the fabric can reach: it
is left out, and a connection to the Service is refused."""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional

from services.endpoints import Endpoint
from topo.plan.model import Namespaced

SERVICE_NAME = "kubernetes.io/service-name"
DEFAULT_AFFINITY_SECONDS = 10800


@dataclass(frozen=True)
class ServedPort:
    name: str
    port: int
    protocol: str
    node_port: int = 0


@dataclass(frozen=True)
class ServedService(Namespaced):
    namespace: str
    name: str
    ports: tuple                   # (ServedPort, ...)
    endpoints: tuple = ()          # (Endpoint, ...): ready, in the slices' order
    cluster_ip: Optional[str] = None   # None: headless or ExternalName
    lb_ip: Optional[str] = None
    external_name: Optional[str] = None
    external_policy: str = "Cluster"
    affinity_timeout: int = 0      # seconds of ClientIP affinity; 0: none


def _reachable(address):
    return not address.startswith("127.")   # 127.0.0.0/8, the loopback


def _slice_endpoints(piece, ports):
    """The ready endpoints of one EndpointSlice, with its ports matched to ports."""
    by_name = {(p.name or "", p.protocol): p.port for p in ports}
    matched = tuple((by_name[(p.get("name") or "", p.get("protocol", "TCP"))],
                     p.get("protocol", "TCP"), p["port"])
                    for p in piece.get("ports") or () if
                    (p.get("name") or "", p.get("protocol", "TCP")) in by_name)
    found = []
    for entry in piece.get("endpoints") or ():
        if entry.get("conditions", {}).get("ready") is False or not matched:
            continue
        target = entry.get("targetRef") or {}
        for address in entry["addresses"]:
            if _reachable(address):
                found.append(Endpoint(target.get("name", ""), entry.get("nodeName"), address,
                                      matched, entry.get("hostname")))
    return found


def served_service(service: dict, slices: List[dict], seen=None) -> ServedService:
    """seen: {(id of a slice's endpoints, of its ports, the Service's ports): what
    they give}, for slices that share their lists (the controller writes a thousand
    slices of the same endpoints for a thousand Services of the same pods)."""
    spec, metadata = service["spec"], service["metadata"]
    ports = tuple(ServedPort(p.get("name", ""), p["port"], p.get("protocol", "TCP"),
                             p.get("nodePort", 0)) for p in spec.get("ports", ()))
    seen = {} if seen is None else seen
    found = []
    for piece in slices:
        key = (id(piece.get("endpoints")), id(piece.get("ports")), ports)
        if key not in seen:   # the piece is kept beside: it keeps its lists, and their ids
            seen[key] = (piece, _slice_endpoints(piece, ports))
        found += seen[key][1]
    endpoints = tuple(found)
    cluster_ip = spec.get("clusterIP")
    ingress = service.get("status", {}).get("loadBalancer", {}).get("ingress") or [{}]
    affinity = 0
    if spec.get("sessionAffinity") == "ClientIP":
        affinity = spec.get("sessionAffinityConfig", {}).get("clientIP", {}).get(
            "timeoutSeconds", DEFAULT_AFFINITY_SECONDS)
    return ServedService(metadata["namespace"], metadata["name"], ports, endpoints,
                         cluster_ip if cluster_ip not in (None, "", "None") else None,
                         ingress[0].get("ip"), spec.get("externalName"),
                         spec.get("externalTrafficPolicy", "Cluster"), affinity)


def served_services(services: List[dict], slices: List[dict]) -> List[ServedService]:
    """Every Service, by namespace and name, with the slices labelled with its name."""
    by_service = {}
    for piece in slices:
        name = piece["metadata"].get("labels", {}).get(SERVICE_NAME)
        if name:
            by_service.setdefault((piece["metadata"]["namespace"], name), []).append(piece)
    seen = {}
    found = [served_service(s, by_service.get((s["metadata"]["namespace"],
                                               s["metadata"]["name"]), []), seen)
             for s in services]
    return sorted(found, key=lambda s: (s.namespace, s.name))
