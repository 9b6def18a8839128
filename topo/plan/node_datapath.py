"""A node's own datapath, as kube-proxy and a CNI plugin leave it (pure): the
nftables ruleset and policy routes that make its kernel tell the truth about
source addresses.

- Replies through the fabric. The fabric (Open vSwitch) is the Service load
  balancer: it rewrites a connection to a Service into one to the chosen pod. When
  that pod sits on the client's own node, the node gets the connection back from the
  fabric with a source of its own (a local pod, or the node's own address after a
  NodePort's SNAT), and the pod's reply would take the short way (across cbr0, or
  into the node's own stack) and never be un-NATed. The node marks such connections
  in its conntrack and sends their replies back into the fabric: a bridged reply is
  lifted off cbr0 (its destination MAC made cbr0's) and routed, by its mark, out of
  eth0. So no ClusterIP connection needs SNAT, and backends see their clients.
- Egress masquerade: a pod's traffic to an address outside the cluster (not a pod,
  Service, node or LoadBalancer address) leaves with the node's address, as a real
  cluster's masquerade rule (ip-masq-agent's nonMasqueradeCIDRs) does.
- The events its conntrack sends a listener (the flow log): a connection's start, its
  first reply and its end, not each TCP state change (a third of the messages).
"""
from __future__ import annotations

from dataclasses import dataclass

TABLE = "kubemn"            # nftables tables of kubemn's own, in inet and bridge
CONNTRACK_EVENTS = "new,reply,destroy"   # what a listener of its conntrack is told
REPLY_MARK = 0x4B           # conntrack mark, then packet mark, of a fabric-hairpin
FABRIC_TABLE = 75           # routing table: everything into the fabric
FABRIC_RULE_PREF = 10       # policy rules, before the local table
LOCAL_RULE_PREF = 100       # where the local table's rule moves to


@dataclass(frozen=True)
class NodeDatapath:
    node_ip: str
    pod_cidr: str           # this node's PodCIDR
    bridge: str             # cbr0
    bridge_mac: str
    uplink: str             # eth0
    gateway_ip: str         # the fabric's gateway
    cluster_cidrs: tuple    # pod, Service, node and LoadBalancer ranges: no masquerade


def ruleset(path: NodeDatapath) -> str:
    """The nftables script (atomic: `nft -f`) of the node's datapath."""
    return """table inet {table}
delete table inet {table}
table inet {table} {{
    chain prerouting {{
        type filter hook prerouting priority -150; policy accept;
        iifname "{uplink}" ip saddr {{ {pod_cidr}, {node_ip} }} ct state new ct mark set {mark:#x}
        ct direction reply ct mark {mark:#x} meta mark set {mark:#x}
        ct state new ct event set {events}
    }}
    chain output {{
        type filter hook output priority -150; policy accept;
        ct state new ct event set {events}
    }}
    chain postrouting {{
        type nat hook postrouting priority srcnat; policy accept;
        oifname "{uplink}" ip saddr {pod_cidr} ip daddr != {{ {cluster} }} masquerade
    }}
}}
table bridge {table}
delete table bridge {table}
table bridge {table} {{
    chain prerouting {{
        type filter hook prerouting priority 1; policy accept;
        meta mark {mark:#x} ether daddr set {bridge_mac} meta pkttype set host
    }}
}}
""".format(table=TABLE, mark=REPLY_MARK, events=CONNTRACK_EVENTS, uplink=path.uplink,
           pod_cidr=path.pod_cidr, node_ip=path.node_ip, cluster=", ".join(path.cluster_cidrs),
           bridge_mac=path.bridge_mac)


def route_commands(path: NodeDatapath) -> list[str]:
    """ip commands: marked replies, and a pod's packets to its own node's address
    (a NodePort reached on the node itself), go into the fabric, even when their
    destination is the node's own address."""
    return [
        "ip rule add pref %d lookup local" % LOCAL_RULE_PREF,
        "ip rule del pref 0 lookup local",
        "ip rule add pref %d fwmark %#x lookup %d" % (FABRIC_RULE_PREF, REPLY_MARK, FABRIC_TABLE),
        "ip rule add pref %d iif %s to %s lookup %d" % (FABRIC_RULE_PREF, path.bridge,
                                                        path.node_ip, FABRIC_TABLE),
        "ip route replace default via %s dev %s table %d" % (path.gateway_ip, path.uplink,
                                                             FABRIC_TABLE),
        "sysctl -qw net.ipv4.conf.%s.accept_local=1" % path.uplink,
    ]
