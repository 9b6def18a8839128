"""The cluster add-ons kubemn starts with every cluster, as kubeadm does: cluster DNS
in kube-system, pods behind the kube-dns Service at the Service CIDR's tenth address."""
import ipaddress
import sys

from topo.model import (Container, ContainerPort, DeploymentSpec, Manifests, PodTemplate,
                        Probe, ServicePort, ServiceSpec)

SYSTEM_NAMESPACE = "kube-system"
DNS_LABELS = (("k8s-app", "kube-dns"),)
DNS_REPLICAS = 2


def dns_ip(service_cidr):
    return str(ipaddress.IPv4Network(service_cidr).network_address + 10)


def resolv_conf(namespace, nameserver, domain="cluster.local"):
    """A pod's /etc/resolv.conf, as the kubelet writes it (dnsPolicy ClusterFirst)."""
    return ("search %s.svc.%s svc.%s %s\nnameserver %s\noptions ndots:5\n"
            % (namespace, domain, domain, domain, nameserver))


def dns_addon(service_cidr, records_path):
    """The coredns Deployment and kube-dns Service (kube-system)."""
    container = Container(
        "coredns", "registry.k8s.io/coredns/coredns:v1.11.1",
        command=(sys.executable, "-m", "services.apps.clusterdns", "--records", records_path),
        ports=(ContainerPort(53, "UDP", "dns"), ContainerPort(53, "TCP", "dns-tcp")),
        readiness_probe=Probe("tcpSocket", port=53, period=1))
    deployment = DeploymentSpec("coredns", DNS_REPLICAS, DNS_LABELS,
                                PodTemplate(DNS_LABELS, (container,)),
                                namespace=SYSTEM_NAMESPACE)
    service = ServiceSpec("kube-dns", DNS_LABELS,
                          (ServicePort(53, "dns", "UDP", "dns"),
                           ServicePort(53, "dns-tcp", "TCP", "dns-tcp")),
                          cluster_ip=dns_ip(service_cidr), namespace=SYSTEM_NAMESPACE)
    return Manifests(deployments=(deployment,), services=(service,))
