"""A Kubernetes node as a Mininet host: eth0 on the fabric, a cbr0 bridge holding
the first address of its PodCIDR, IP forwarding on, default route into the fabric."""
from mininet.node import Host

from topo.plan.naming import cni_mac
from topo.runtime import shell

BRIDGE = "cbr0"


class KubeNode(Host):
    """Mininet Host extended through config(), as Mininet's own node classes are."""

    def __init__(self, name, plan=None, gateway_ip=None, **params):
        super().__init__(name, **params)
        self.plan = plan
        self.gateway_ip = gateway_ip

    def config(self, **params):
        result = super().config(**params)
        prefix = self.plan.pod_cidr.split("/")[1]
        shell.run(self, " && ".join([
            "sysctl -qw net.ipv4.ip_forward=1",
            # The userspace datapath drops TCP with offloaded (unfilled) checksums.
            "ethtool -K eth0 tx off >/dev/null",
            # A fixed MAC: by default a bridge takes its lowest port's, and changes it
            # (under the pods' ARP caches) when that pod goes away.
            "ip link add %s address %s type bridge" % (BRIDGE, cni_mac(self.plan.bridge_ip)),
            "ip addr add %s/%s dev %s" % (self.plan.bridge_ip, prefix, BRIDGE),
            "ip link set %s up" % BRIDGE,
            "ip link set lo up",
            "ip route replace default via %s dev eth0" % self.gateway_ip,
        ]))
        return result
