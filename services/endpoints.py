"""A Service's endpoints (pure), as the endpoints controller works them out from the
API's objects: the pods of its namespace that its selector matches, that have an
address and are ready (all of them, ready or not, with publishNotReadyAddresses),
with each service port's targetPort resolved (by number, or by the name of a
container port), and the pod's hostname when its subdomain is the Service's name."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional


@dataclass(frozen=True)
class Endpoint:
    pod: str
    node: str
    ip: str
    ports: tuple  # ((service port, protocol, target port), ...)
    hostname: str = None   # the pod's hostname, if its subdomain names the Service


def selects(selector: Dict[str, str], labels: Dict[str, str]) -> bool:
    """A Service's selector: every pair matches; an empty one selects nothing (a
    Service without a selector has the Endpoints its clients write)."""
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def pod_ready(pod: dict) -> bool:
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in pod.get("status", {}).get("conditions", ()))


def target_port(service_port: dict, pod: dict) -> Optional[int]:
    """The pod's port for a service port, or None if a named port is not declared."""
    target = service_port.get("targetPort", service_port["port"])
    if isinstance(target, int):
        return target
    protocol = service_port.get("protocol", "TCP")
    for container in pod["spec"].get("containers", ()):
        for port in container.get("ports", ()):
            if port.get("name") == target and port.get("protocol", "TCP") == protocol:
                return port["containerPort"]
    return None


def service_endpoints(service: dict, pods: List[dict]) -> List[Endpoint]:
    """service: a Service object; pods: Pod objects of its namespace -> [Endpoint], in
    pod order."""
    spec = service["spec"]
    selector = spec.get("selector") or {}
    everyone = spec.get("publishNotReadyAddresses", False)
    found = []
    for pod in pods:
        status = pod.get("status", {})
        if not status.get("podIP") or not (everyone or pod_ready(pod)) or \
                pod["metadata"].get("deletionTimestamp") or \
                not selects(selector, pod["metadata"].get("labels") or {}):
            continue
        ports = tuple((p["port"], p.get("protocol", "TCP"), target_port(p, pod))
                      for p in spec.get("ports", ()))
        ports = tuple(p for p in ports if p[2] is not None)
        if ports:
            pod_spec = pod["spec"]
            hostname = pod_spec.get("hostname") \
                if pod_spec.get("subdomain") == service["metadata"]["name"] else None
            found.append(Endpoint(pod["metadata"]["name"], pod_spec.get("nodeName"),
                                  status["podIP"], ports, hostname))
    return found
