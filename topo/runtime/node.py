"""A Kubernetes node as a Mininet host: eth0 on the fabric, a cbr0 bridge holding
the first address of its PodCIDR, IP forwarding on, default route into the fabric,
and the node's own datapath (topo/plan/node_datapath.py) in its kernel."""
from mininet.node import Host

from topo.plan import node_datapath
from topo.plan.naming import cni_mac
from topo.runtime import shell

BRIDGE = "cbr0"
UPLINK = "eth0"


class KubeNode(Host):
    """Mininet Host extended through config(), as Mininet's own node classes are."""

    def __init__(self, name, plan=None, gateway_ip=None, cluster_cidrs=(), mtu=1500,
                 **params):
        super().__init__(name, **params)
        self.plan = plan
        self.gateway_ip = gateway_ip
        self.cluster_cidrs = tuple(cluster_cidrs)
        self.mtu = mtu   # less than the LAN's when the fabric crosses servers

    def datapath(self):
        return node_datapath.NodeDatapath(
            self.plan.ip, self.plan.pod_cidr, BRIDGE, cni_mac(self.plan.bridge_ip), UPLINK,
            self.gateway_ip, self.cluster_cidrs)

    def config(self, **params):
        result = super().config(**params)
        prefix = self.plan.pod_cidr.split("/")[1]
        path = self.datapath()
        shell.run(self, " && ".join([
            "sysctl -qw net.ipv4.ip_forward=1",
            # Bridged IPv4 crosses the node's netfilter hooks (conntrack, policy).
            "sysctl -qw net.bridge.bridge-nf-call-iptables=1",
            # The userspace datapath drops TCP with offloaded (unfilled) checksums.
            "ethtool -K %s tx off >/dev/null" % UPLINK,
            "ip link set %s mtu %d" % (UPLINK, self.mtu),
            # A fixed MAC: by default a bridge takes its lowest port's, and changes it
            # (under the pods' ARP caches) when that pod goes away.
            "ip link add %s address %s type bridge" % (BRIDGE, path.bridge_mac),
            "ip addr add %s/%s dev %s" % (self.plan.bridge_ip, prefix, BRIDGE),
            "ip link set %s up" % BRIDGE,
            "ip link set lo up",
            "ip route replace default via %s dev %s" % (self.gateway_ip, UPLINK),
        ] + node_datapath.route_commands(path)))
        shell.run_input(self, "nft -f -", node_datapath.ruleset(path))
        return result
