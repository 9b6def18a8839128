"""What every cluster starts with, as kubeadm's do: the `kubernetes` Service in
default at the Service CIDR's first address, and cluster DNS in kube-system, pods
behind the kube-dns Service at the tenth."""
from __future__ import annotations

import ipaddress
import sys

from topo.plan.model import Manifests

SYSTEM_NAMESPACE = "kube-system"
DNS_LABELS = (("k8s-app", "kube-dns"),)
DNS_REPLICAS = 2


def dns_ip(service_cidr: str) -> str:
    return str(ipaddress.IPv4Network(service_cidr).network_address + 10)


def dns_addon(service_cidr: str, records_path: str, settings_path: str) -> Manifests:
    """The coredns Deployment and kube-dns Service (kube-system)."""
    labels = dict(DNS_LABELS)
    container = {
        "name": "coredns", "image": "registry.k8s.io/coredns/coredns:v1.11.1",
        "command": [sys.executable, "-m", "services.apps.clusterdns", "--records",
                    records_path, "--settings", settings_path],
        "ports": [{"containerPort": 53, "protocol": "UDP", "name": "dns"},
                  {"containerPort": 53, "protocol": "TCP", "name": "dns-tcp"}],
        "readinessProbe": {"tcpSocket": {"port": 53}, "periodSeconds": 1}}
    # dnsPolicy Default, as kubeadm's coredns: its resolv.conf is its node's, where
    # the Corefile's `forward . /etc/resolv.conf` sends names outside the cluster.
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment",
                  "metadata": {"name": "coredns", "namespace": SYSTEM_NAMESPACE,
                               "labels": labels},
                  "spec": {"replicas": DNS_REPLICAS, "selector": {"matchLabels": labels},
                           "template": {"metadata": {"labels": labels},
                                        "spec": {"containers": [container],
                                                 "dnsPolicy": "Default"}}}}
    service = {"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": "kube-dns", "namespace": SYSTEM_NAMESPACE,
                            "labels": dict(DNS_LABELS)},
               "spec": {"selector": dict(DNS_LABELS), "clusterIP": dns_ip(service_cidr),
                        "ports": [{"name": "dns", "port": 53, "targetPort": "dns",
                                   "protocol": "UDP"},
                                  {"name": "dns-tcp", "port": 53, "targetPort": "dns-tcp",
                                   "protocol": "TCP"}]}}
    return Manifests(api_objects=(deployment, service, kubernetes_service(service_cidr)))


def kubernetes_service(service_cidr: str) -> dict:
    """The API's Service. kubemn's API listens on the machine's loopback only, out of
    the pods' reach: the API shows that address as its endpoint, the fabric has none
    for it, and a connection to it from a pod is refused."""
    first = str(next(ipaddress.IPv4Network(service_cidr).hosts()))
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "kubernetes", "namespace": "default",
                         "labels": {"component": "apiserver", "provider": "kubernetes"}},
            "spec": {"clusterIP": first, "ports": [{"name": "https", "port": 443,
                                                    "targetPort": 6443, "protocol": "TCP"}]}}
