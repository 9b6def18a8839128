"""Services as the controller is told them (pure): each Service's frontends (ClusterIP,
LoadBalancer address, NodePorts) with the endpoints of each port."""
from __future__ import annotations

from typing import Dict, List, Optional, Set, Tuple

from services.served import ServedService


def service_states(services: List[ServedService], nodes: Optional[Set[str]] = None
                   ) -> Tuple[List[dict], Dict[str, list]]:
    """The controller's "services" list and "endpoint_sets": ports with the same
    endpoints name one set, so a thousand Services of the same pods cost one list of
    endpoints. nodes: the cluster's; an endpoint on another node (a client may write
    any nodeName) is on none, for the controller."""
    states, sets = [], {}
    for service in services:
        ports = [{"protocol": port.protocol, "port": port.port, "node_port": port.node_port,
                  "endpoint_set": _endpoint_set_key(service, port, sets, nodes)}
                 for port in service.ports]
        states.append({"name": "%s/%s" % (service.namespace, service.name),
                       "cluster_ip": service.cluster_ip or "",
                       "external_ips": [service.lb_ip] if service.lb_ip else [],
                       "external_policy": service.external_policy,
                       "affinity_timeout": service.affinity_timeout,
                       "ports": ports})
    endpoint_sets = {key: [{"ip": ip, "port": port, "node": node} for ip, port, node in members]
                     for members, key in sets.items()}
    return states, endpoint_sets


def _endpoint_set_key(service, port, sets, nodes):
    """The key in sets ({members: key}, extended here) of the port's endpoints."""
    members = tuple((e.ip, target, e.node if nodes is None or e.node in nodes else None)
                    for e in service.endpoints
                    for number, protocol, target in e.ports
                    if (number, protocol) == (port.port, port.protocol))
    return sets.setdefault(members, str(len(sets)))
