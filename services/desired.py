"""Services as the controller is told them (pure): each Service's frontends (ClusterIP,
LoadBalancer address, NodePorts) with the endpoints of each port."""
from services.endpoints import service_endpoints


def service_states(services, allocator, pods):
    """services: {ref: ServiceSpec}; pods: {namespace: [(name, node, ip, template,
    ready)]}. Returns the "services" list of the controller's state document."""
    states = []
    for name, service in sorted(services.items()):
        endpoints = service_endpoints(service, pods.get(service.namespace, []))
        node_ports = allocator.node_ports.get(name, {})
        lb_ip = allocator.lb_ips.get(name)
        ports = []
        for port in service.ports:
            ports.append({
                "protocol": port.protocol, "port": port.port,
                "node_port": node_ports.get((port.port, port.protocol), 0),
                "endpoints": [{"ip": e.ip, "port": target, "node": e.node}
                              for e in endpoints
                              for number, protocol, target in e.ports
                              if (number, protocol) == (port.port, port.protocol)]})
        states.append({"name": "%s/%s" % (service.namespace, service.name),
                       "cluster_ip": allocator.cluster_ips.get(name) or "",
                       "external_ips": [lb_ip] if lb_ip else [],
                       "external_policy": service.external_traffic_policy,
                       "affinity_timeout": service.affinity_timeout,
                       "ports": ports})
    return states
