"""A Service's endpoints (pure): the ready pods its selector matches (all of them,
ready or not, with publishNotReadyAddresses), with each service port's targetPort
resolved (by number, or by the name of a container port), and the pod's hostname when
its subdomain is the Service's name, as the endpoints controller gives them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, List, Optional, Tuple

if TYPE_CHECKING:
    from topo.plan.model import PodTemplate, ServicePort, ServiceSpec

# A pod as the Services see it: (name, node, ip, template, ready).
PodRow = Tuple[str, str, str, "PodTemplate", bool]


@dataclass(frozen=True)
class Endpoint:
    pod: str
    node: str
    ip: str
    ports: tuple  # ((service port, protocol, target port), ...)
    hostname: str = None   # the pod's hostname, if its subdomain names the Service


def selects(selector: Tuple[Tuple[str, str], ...], labels: Dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector)


def target_port(service_port: ServicePort, template: PodTemplate) -> Optional[int]:
    """The pod's port for a service port, or None if a named port is not declared."""
    if isinstance(service_port.target_port, int):
        return service_port.target_port
    for container in template.containers:
        for port in container.ports:
            if port.name == service_port.target_port and \
                    port.protocol == service_port.protocol:
                return port.container_port
    return None


def service_endpoints(service: ServiceSpec, pods: List[PodRow]) -> List[Endpoint]:
    """pods: [(name, node, ip, template, ready)] -> [Endpoint], in pod order."""
    found = []
    for name, node, ip, template, ready in pods:
        if not (ready or service.publish_not_ready) or \
                not selects(service.selector, template.label_dict()):
            continue
        ports = tuple((p.port, p.protocol, target_port(p, template)) for p in service.ports)
        ports = tuple(p for p in ports if p[2] is not None)
        if ports:
            hostname = template.hostname if template.subdomain == service.name else None
            found.append(Endpoint(name, node, ip, ports, hostname))
    return found
