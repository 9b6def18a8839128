"""The Service environment variables the kubelet gives every container (pure):
for each Service of the pod's namespace that has a ClusterIP when the pod starts
(and the `kubernetes` Service of default, for every pod):

    WEB_SERVICE_HOST=10.96.0.2  WEB_SERVICE_PORT=80  WEB_SERVICE_PORT_HTTP=80
    WEB_PORT=tcp://10.96.0.2:80  WEB_PORT_80_TCP=tcp://10.96.0.2:80
    WEB_PORT_80_TCP_PROTO=tcp  WEB_PORT_80_TCP_PORT=80  WEB_PORT_80_TCP_ADDR=10.96.0.2
"""
from typing import List, Tuple


def _env_name(name):
    return name.upper().replace("-", "_")


def one_service(service: dict) -> List[Tuple[str, str]]:
    """[(name, value)] of one Service (an API object), in the kubelet's order."""
    spec = service["spec"]
    cluster_ip, ports = spec.get("clusterIP"), spec.get("ports") or []
    if not cluster_ip or cluster_ip == "None" or not ports:
        return []
    prefix = _env_name(service["metadata"]["name"])
    first = ports[0]
    env = [(prefix + "_SERVICE_HOST", cluster_ip),
           (prefix + "_SERVICE_PORT", str(first["port"]))]
    for port in ports:
        if port.get("name"):
            env.append(("%s_SERVICE_PORT_%s" % (prefix, _env_name(port["name"])),
                        str(port["port"])))
    env.append((prefix + "_PORT", "%s://%s:%d" % (first.get("protocol", "TCP").lower(),
                                                   cluster_ip, first["port"])))
    for port in ports:
        protocol = port.get("protocol", "TCP")
        proto = protocol.lower()
        base = "%s_PORT_%d_%s" % (prefix, port["port"], protocol)
        env += [(base, "%s://%s:%d" % (proto, cluster_ip, port["port"])),
                (base + "_PROTO", proto), (base + "_PORT", str(port["port"])),
                (base + "_ADDR", cluster_ip)]
    return env


def service_environment(services: List[dict], namespace: str) -> Tuple[Tuple[str, str], ...]:
    """services: the Services the API serves. The variables of a pod in namespace,
    Services in name order."""
    env = []
    for service in sorted(services, key=lambda s: s["metadata"]["name"]):
        where = service["metadata"]["namespace"]
        master = where == "default" and service["metadata"]["name"] == "kubernetes"
        if where == namespace or master:
            env += one_service(service)
    return tuple(env)
