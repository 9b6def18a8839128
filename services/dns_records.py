"""Cluster DNS records (pure), as CoreDNS's kubernetes plugin serves them:

  <service>.<namespace>.svc.cluster.local         A    the ClusterIP, or for a
                                                       headless Service its ready pods
  _<port>._<proto>.<service>.<namespace>.svc...   SRV  0 100 <port> <service FQDN>
                                                       for each named port
"""
from services.endpoints import service_endpoints

CLUSTER_DOMAIN = "cluster.local"


def service_fqdn(service):
    return "%s.%s.svc.%s." % (service.name, service.namespace, CLUSTER_DOMAIN)


def dns_records(services, allocator, pods):
    """services: {ref: ServiceSpec}; pods: {namespace: [(name, node, ip, template,
    ready)]}. Returns {fqdn: {"A": [ip...], "SRV": [[priority, weight, port, target]]}}."""
    records = {}
    for key, service in sorted(services.items()):
        fqdn = service_fqdn(service)
        cluster_ip = allocator.cluster_ips.get(key)
        if cluster_ip:
            addresses = [cluster_ip]
        else:
            endpoints = service_endpoints(service, pods.get(service.namespace, []))
            addresses = sorted({e.ip for e in endpoints})
        records[fqdn] = {"A": addresses, "SRV": []}
        for port in service.ports:
            if port.name:
                name = "_%s._%s.%s" % (port.name, port.protocol.lower(), fqdn)
                records[name] = {"A": [], "SRV": [[0, 100, port.port, fqdn]]}
    return records
