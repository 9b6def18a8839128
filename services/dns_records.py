"""Cluster DNS records (pure), as CoreDNS's kubernetes plugin serves them:

  <service>.<namespace>.svc.cluster.local         A    the ClusterIP, or for a
                                                       headless Service its ready pods
  _<port>._<proto>.<service>.<namespace>.svc...   SRV  0 100 <port> <service FQDN>
                                                       for each named port
  <a-b-c-d>.<namespace>.pod.cluster.local         A    a.b.c.d, for any such name
                                                       (kubeadm's Corefile: `pods
                                                       insecure`)
"""
import ipaddress
import re

from services.endpoints import service_endpoints

CLUSTER_DOMAIN = "cluster.local"
POD_NAME = re.compile(r"^(\d{1,3})-(\d{1,3})-(\d{1,3})-(\d{1,3})\.[a-z0-9]([-a-z0-9]*[a-z0-9])?"
                      r"\.pod\.%s\.$" % re.escape(CLUSTER_DOMAIN))


def pod_address(name):
    """The address a pod name (10-244-1-3.default.pod.cluster.local.) stands for, or
    None: CoreDNS's `pods insecure` answers it without looking for the pod."""
    found = POD_NAME.match(name.lower())
    if found is None:
        return None
    try:
        return str(ipaddress.IPv4Address(".".join(found.groups()[:4])))
    except ValueError:
        return None


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
