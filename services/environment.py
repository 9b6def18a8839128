"""The Service environment variables the kubelet gives every container (pure):
for each Service of the pod's namespace that has a ClusterIP when the pod starts
(and the `kubernetes` Service of default, for every pod):

    WEB_SERVICE_HOST=10.96.0.2  WEB_SERVICE_PORT=80  WEB_SERVICE_PORT_HTTP=80
    WEB_PORT=tcp://10.96.0.2:80  WEB_PORT_80_TCP=tcp://10.96.0.2:80
    WEB_PORT_80_TCP_PROTO=tcp  WEB_PORT_80_TCP_PORT=80  WEB_PORT_80_TCP_ADDR=10.96.0.2
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Dict, List, Tuple

if TYPE_CHECKING:
    from topo.plan.model import ServiceSpec


def _env_name(name):
    return name.upper().replace("-", "_")


def one_service(service: ServiceSpec, cluster_ip: str) -> List[Tuple[str, str]]:
    """[(name, value)] of one Service, in the kubelet's order."""
    if not cluster_ip or cluster_ip == "None" or not service.ports:
        return []
    prefix = _env_name(service.name)
    first = service.ports[0]
    env = [(prefix + "_SERVICE_HOST", cluster_ip), (prefix + "_SERVICE_PORT", str(first.port))]
    for port in service.ports:
        if port.name:
            env.append(("%s_SERVICE_PORT_%s" % (prefix, _env_name(port.name)), str(port.port)))
    env.append((prefix + "_PORT", "%s://%s:%d" % (first.protocol.lower(), cluster_ip,
                                                   first.port)))
    for port in service.ports:
        proto = port.protocol.lower()
        base = "%s_PORT_%d_%s" % (prefix, port.port, port.protocol)
        env += [(base, "%s://%s:%d" % (proto, cluster_ip, port.port)),
                (base + "_PROTO", proto), (base + "_PORT", str(port.port)),
                (base + "_ADDR", cluster_ip)]
    return env


def service_environment(services: Dict[str, ServiceSpec], cluster_ips: Dict[str, str],
                        namespace: str) -> Tuple[Tuple[str, str], ...]:
    """services: {ref: ServiceSpec}; cluster_ips: {ref: address}. The variables of a
    pod in namespace, Services in name order."""
    env = []
    for key, service in sorted(services.items(), key=lambda item: item[1].name):
        master = service.namespace == "default" and service.name == "kubernetes"
        if service.namespace == namespace or master:
            env += one_service(service, cluster_ips.get(key))
    return tuple(env)
