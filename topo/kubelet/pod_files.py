"""The files a pod's sandbox is made from (pure): its own /etc/hostname, /etc/hosts
and /etc/resolv.conf, as the kubelet writes them, and the `ip -batch` commands with
which its pause process makes its network (topo/kubelet/pod.py runs them)."""
from __future__ import annotations

from services.dns_records import CLUSTER_DOMAIN
from topo.plan.naming import cni_mac


def host_names(hostname: str, subdomain: str | None, namespace: str) -> list[str]:
    """The pod's names in its /etc/hosts: with a subdomain, its FQDN
    <hostname>.<subdomain>.<namespace>.svc.<domain> first."""
    if not subdomain:
        return [hostname]
    return ["%s.%s.%s.svc.%s" % (hostname, subdomain, namespace, CLUSTER_DOMAIN), hostname]


def pod_files(hostname: str, names: list[str], ip: str, resolv_conf: str, pod_cidr: str,
              bridge_ip: str, veth: str, node_pid: int) -> dict[str, str]:
    """{file name: text}: hostname, hosts and resolv.conf for the pod's /etc, and
    network: eth0 made in the pod with its peer (veth) straight in the node's
    network namespace (node_pid), its address in pod_cidr, the default route via the
    node's bridge."""
    prefix = pod_cidr.split("/")[1]
    return {"hostname": hostname + "\n",
            "hosts": "# Kubernetes-managed hosts file (kubemn).\n"
                     "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                     "%s\t%s\n" % (ip, "\t".join(names)),
            "resolv.conf": resolv_conf,
            "network": "".join(line + "\n" for line in [
                "link add eth0 address %s type veth peer name %s netns %d"
                % (cni_mac(ip), veth, node_pid),
                "link set lo up",
                "addr add %s/%s dev eth0" % (ip, prefix),
                "link set eth0 up",
                "route add default via %s dev eth0" % bridge_ip])}
