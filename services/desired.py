"""Services as the controller is told them (pure): each Service's frontends (ClusterIP,
LoadBalancer address, NodePorts) with the endpoints of each port."""
from __future__ import annotations

from typing import TYPE_CHECKING, Dict, List, Tuple
from services.endpoints import PodRow, service_endpoints

if TYPE_CHECKING:
    from topo.plan.model import ServiceSpec


def service_states(services: Dict[str, ServiceSpec], allocator,
                   pods: Dict[str, List[PodRow]]) -> Tuple[List[dict], Dict[str, list]]:
    """services: {ref: ServiceSpec}; pods: {namespace: [(name, node, ip, template,
    ready)]}. Returns the controller's "services" list and "endpoint_sets": ports
    with the same endpoints name one set, so a thousand Services of the same pods
    cost one list of endpoints."""
    states, sets = [], {}
    keys_of = {}  # (namespace, selector, ports) -> endpoint set keys, one per port
    for name, service in sorted(services.items()):
        selection = (service.namespace, service.selector, service.ports)
        if selection not in keys_of:
            keys_of[selection] = _endpoint_set_keys(
                service, pods.get(service.namespace, []), sets)
        node_ports = allocator.node_ports.get(name, {})
        lb_ip = allocator.lb_ips.get(name)
        ports = [{"protocol": port.protocol, "port": port.port,
                  "node_port": node_ports.get((port.port, port.protocol), 0),
                  "endpoint_set": key}
                 for port, key in zip(service.ports, keys_of[selection])]
        states.append({"name": "%s/%s" % (service.namespace, service.name),
                       "cluster_ip": allocator.cluster_ips.get(name) or "",
                       "external_ips": [lb_ip] if lb_ip else [],
                       "external_policy": service.external_traffic_policy,
                       "affinity_timeout": service.affinity_timeout,
                       "ports": ports})
    endpoint_sets = {key: [{"ip": ip, "port": port, "node": node} for ip, port, node in members]
                     for members, key in sets.items()}
    return states, endpoint_sets


def _endpoint_set_keys(service, pods, sets):
    """The key in sets ({members: key}, extended here) of each port's endpoints."""
    endpoints = service_endpoints(service, pods)
    keys = []
    for port in service.ports:
        members = tuple((e.ip, target, e.node) for e in endpoints
                        for number, protocol, target in e.ports
                        if (number, protocol) == (port.port, port.protocol))
        keys.append(sets.setdefault(members, str(len(sets))))
    return keys
