"""Address plan and allocation (pure).

Kubernetes' defaults where they exist: PodCIDR 10.244.0.0/16 with a /24 per node,
Services in 10.96.0.0/12; nodes sit on 192.168.0.0/24 and reach the rest of the
cluster through a fabric gateway that the controller answers for.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Collection, Iterable

from topo.errors import KubemnError

if TYPE_CHECKING:
    from topo.plan.model import ClusterSpec, NodeSpec

NODE_SUBNET_PREFIX = 24


@dataclass(frozen=True)
class NodePlan:
    name: str
    index: int       # 1-based; node i owns 10.244.i.0/24 by default
    ip: str          # address on the fabric
    prefixlen: int   # of the fabric subnet
    mac: str
    pod_cidr: str

    @property
    def bridge_ip(self) -> str:
        """cbr0 holds the PodCIDR's first address: the pods' default gateway."""
        return str(next(ipaddress.IPv4Network(self.pod_cidr).hosts()))


@dataclass(frozen=True)
class InternetPlan:
    """The host outside the cluster: a client on the internet, at the fabric edge."""
    ip: str
    prefixlen: int
    cidr: str
    gateway_ip: str
    mac: str


GATEWAY_MAC = "0a:00:00:00:00:fe"
INTERNET_MAC = "0a:00:00:00:ff:01"
# Hairpin and external Cluster-policy connections get this source (as OVN does).
MASQUERADE_IP = "169.254.169.5"


@dataclass(frozen=True)
class AddressPlan:
    nodes: tuple
    gateway_ip: str
    gateway_mac: str
    node_cidr: str
    pod_cidr: str
    service_cidr: str
    internet: InternetPlan = None
    load_balancer_cidr: str = "198.51.100.0/24"
    masquerade_ip: str = MASQUERADE_IP


def node_mac(index: int) -> str:
    return "0a:00:00:00:%02x:%02x" % (index >> 8, index & 0xFF)


def plan_addresses(cluster: ClusterSpec) -> AddressPlan:
    """ClusterSpec -> AddressPlan, or KubemnError on an impossible plan."""
    pod_net = ipaddress.IPv4Network(cluster.pod_cidr)
    node_net = ipaddress.IPv4Network(cluster.node_cidr)
    service_net = ipaddress.IPv4Network(cluster.service_cidr)
    internet_net = ipaddress.IPv4Network(cluster.internet_cidr)
    ranges = [("pod CIDR", pod_net), ("node CIDR", node_net), ("service CIDR", service_net),
              ("internet CIDR", internet_net),
              ("load balancer CIDR", ipaddress.IPv4Network(cluster.load_balancer_cidr)),
              ("masquerade address", ipaddress.IPv4Network(MASQUERADE_IP))]
    for i, (a_name, a) in enumerate(ranges):
        for b_name, b in ranges[i + 1:]:
            if a.overlaps(b):
                raise KubemnError("%s %s overlaps %s %s" % (a_name, a, b_name, b))
    internet_hosts = list(internet_net.hosts())
    if len(internet_hosts) < 2:
        raise KubemnError("internet CIDR %s is too small" % internet_net)
    if len(cluster.nodes) + 1 > len(list(node_net.hosts())):
        raise KubemnError("node CIDR %s is too small for %d nodes and the gateway"
                          % (node_net, len(cluster.nodes)))
    if pod_net.prefixlen > NODE_SUBNET_PREFIX:
        raise KubemnError("pod CIDR %s is smaller than one node's /%d"
                          % (pod_net, NODE_SUBNET_PREFIX))
    plans = []
    for node in cluster.nodes:
        plans.append(plan_node(cluster, plans, node))
    internet = InternetPlan(str(internet_hosts[0]), internet_net.prefixlen, str(internet_net),
                            str(internet_hosts[-1]), INTERNET_MAC)
    return AddressPlan(tuple(plans), str(list(node_net.hosts())[-1]), GATEWAY_MAC,
                       str(node_net), str(pod_net), str(service_net), internet,
                       cluster.load_balancer_cidr, MASQUERADE_IP)


def plan_node(cluster: ClusterSpec, existing: Iterable[NodePlan],
              node: NodeSpec) -> NodePlan:
    """The NodePlan of one more node beside the existing ones: the next index, the
    first free fabric address, and its podCIDR (the one it names, else x.x.i.0/24
    for index i when free, else the first free /24)."""
    if any(p.name == node.name for p in existing):
        raise KubemnError("node %r is defined twice" % node.name)
    pod_net = ipaddress.IPv4Network(cluster.pod_cidr)
    node_net = ipaddress.IPv4Network(cluster.node_cidr)
    index = max([p.index for p in existing], default=0) + 1
    hosts = list(node_net.hosts())[:-1]  # the last one is the fabric gateway
    used_ips = {p.ip for p in existing}
    ip = next((str(h) for h in hosts if str(h) not in used_ips), None)
    if ip is None:
        raise KubemnError("node CIDR %s is too small for %d nodes and the gateway"
                          % (node_net, len(existing) + 1))
    claimed = [(p.name, ipaddress.IPv4Network(p.pod_cidr)) for p in existing]
    if node.pod_cidr is not None:
        cidr = ipaddress.IPv4Network(node.pod_cidr)
        if not cidr.subnet_of(pod_net):
            raise KubemnError("node %s: podCIDR %s is outside the pod CIDR %s"
                              % (node.name, cidr, pod_net))
        if cidr.num_addresses < 4:
            raise KubemnError("node %s: podCIDR %s is too small" % (node.name, cidr))
        for other_name, other in claimed:
            if cidr.overlaps(other):
                raise KubemnError("node %s: podCIDR %s overlaps node %s's %s"
                                  % (node.name, cidr, other_name, other))
    else:
        subnets = list(pod_net.subnets(new_prefix=NODE_SUBNET_PREFIX))
        free = [c for c in subnets[1:] if not any(c.overlaps(o) for _, o in claimed)]
        if not free:
            raise KubemnError("pod CIDR %s has no room for %d nodes"
                              % (pod_net, len(existing) + 1))
        cidr = subnets[index] if index < len(subnets) and subnets[index] in free else free[0]
    return NodePlan(node.name, index, ip, node_net.prefixlen, node_mac(index), str(cidr))


# A Linux bridge takes at most this many ports (the kernel's BR_MAX_PORTS); a node's
# cbr0 has one a pod.
BRIDGE_PORTS = 1024


def pod_capacity(pod_cidr: str) -> int:
    """How many pods a node with this PodCIDR holds (PodAddressPool's addresses, as
    many as its bridge has ports for): its Node's capacity, which the scheduler keeps
    to."""
    addresses = ipaddress.IPv4Network(pod_cidr).num_addresses - 3   # network, cbr0, broadcast
    return min(addresses, BRIDGE_PORTS)


class PodAddressPool:
    """Hands out a node's pod addresses.

    Allocation walks forward from the last address handed out, so a freed address
    is reused only after the others: a replacement pod usually gets a new IP, as in
    Kubernetes.
    """

    def __init__(self, pod_cidr: str):
        self.network = ipaddress.IPv4Network(pod_cidr)
        hosts = list(self.network.hosts())
        self.addresses = [str(a) for a in hosts[1:]]  # the first belongs to cbr0
        self.capacity = pod_capacity(pod_cidr)
        self.in_use = set()
        self.cursor = 0

    def allocate(self, skip: Collection[str] = frozenset()) -> str:
        """The next free address; those in skip (still being cleaned up) wait."""
        if self.capacity < len(self.addresses) and len(self.in_use) >= self.capacity:
            raise KubemnError("pod CIDR %s: its node's bridge is full (a Linux bridge "
                              "takes %d ports, one a pod)" % (self.network, BRIDGE_PORTS))
        for step in range(len(self.addresses)):
            candidate = self.addresses[(self.cursor + step) % len(self.addresses)]
            if candidate not in self.in_use and candidate not in skip:
                self.cursor = (self.cursor + step + 1) % len(self.addresses)
                self.in_use.add(candidate)
                return candidate
        raise KubemnError("pod CIDR %s is full (%d pods)"
                          % (self.network, len(self.addresses)))

    def release(self, address: str) -> None:
        self.in_use.discard(address)

    @property
    def free(self) -> int:
        return self.capacity - len(self.in_use)
