"""Cluster DNS records (pure), as CoreDNS's kubernetes plugin serves them:

  <service>.<namespace>.svc.cluster.local         A    the ClusterIP, or for a
                                                       headless Service its ready pods
                                                  CNAME an ExternalName's name
  _<port>._<proto>.<service>.<namespace>.svc...   SRV  for each named port: 0 100
                                                       <port> <service FQDN>; for a
                                                       headless Service one a ready
                                                       pod, to its endpoint name
  <a-b-c-d>.<service>.<namespace>.svc...          A    a headless Service's endpoint
                                                       (<hostname>.<service>... for a
                                                       pod whose subdomain names it)
  <d.c.b.a>.in-addr.arpa                          PTR  a ClusterIP's Service, a
                                                       headless endpoint's name
  <a-b-c-d>.<namespace>.pod.cluster.local         A    a.b.c.d, for any such name
                                                       (kubeadm's Corefile: `pods
                                                       insecure`)
"""
from __future__ import annotations

import ipaddress
import re
from typing import Dict, List, Optional

from services.served import ServedService

CLUSTER_DOMAIN = "cluster.local"
POD_NAME = re.compile(r"^(\d{1,3})-(\d{1,3})-(\d{1,3})-(\d{1,3})\.[a-z0-9]([-a-z0-9]*[a-z0-9])?"
                      r"\.pod\.%s\.$" % re.escape(CLUSTER_DOMAIN))


def pod_address(name: str) -> Optional[str]:
    """The address a pod name (10-244-1-3.default.pod.cluster.local.) stands for, or
    None: CoreDNS's `pods insecure` answers it without looking for the pod."""
    found = POD_NAME.match(name.lower())
    if found is None:
        return None
    try:
        return str(ipaddress.IPv4Address(".".join(found.groups()[:4])))
    except ValueError:
        return None


def service_fqdn(service: ServedService) -> str:
    return "%s.%s.svc.%s." % (service.name, service.namespace, CLUSTER_DOMAIN)


def reverse_name(ip: str) -> str:
    return "%s.in-addr.arpa." % ".".join(reversed(ip.split(".")))


def dns_records(services: List[ServedService]) -> Dict[str, dict]:
    """Returns {fqdn: {"A": [ip...], "SRV": [[priority, weight, port, target]],
    "PTR": [name...]}}."""
    records = {}

    def add(name, kind, value):
        entry = records.setdefault(name, {"A": [], "SRV": [], "PTR": []})
        if value not in entry[kind]:
            entry[kind].append(value)

    for service in services:
        fqdn = service_fqdn(service)
        records.setdefault(fqdn, {"A": [], "SRV": [], "PTR": []})
        if service.external_name:
            records[fqdn]["CNAME"] = service.external_name + "."
            continue
        if service.cluster_ip:
            add(fqdn, "A", service.cluster_ip)
            add(reverse_name(service.cluster_ip), "PTR", fqdn)
            for port in service.ports:
                if port.name:
                    add(_srv_name(port, fqdn), "SRV", [0, 100, port.port, fqdn])
            continue
        endpoints = sorted(service.endpoints, key=lambda e: e.ip)
        for endpoint in endpoints:
            target = _endpoint_name(endpoint, fqdn)
            add(fqdn, "A", endpoint.ip)
            add(target, "A", endpoint.ip)
            add(reverse_name(endpoint.ip), "PTR", target)
        for port in service.ports:
            if not port.name:
                continue
            serving = [(e, target) for e in endpoints for number, protocol, target in e.ports
                       if (number, protocol) == (port.port, port.protocol)]
            for endpoint, target_port in serving:
                add(_srv_name(port, fqdn), "SRV", [0, 100 // len(serving), target_port,
                                                  _endpoint_name(endpoint, fqdn)])
    return records


def _endpoint_name(endpoint, fqdn):
    """A headless endpoint's name: its pod's hostname, or its dashed address."""
    return "%s.%s" % (endpoint.hostname or endpoint.ip.replace(".", "-"), fqdn)


def _srv_name(port, fqdn):
    return "_%s._%s.%s" % (port.name, port.protocol.lower(), fqdn)
