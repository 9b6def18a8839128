"""Clauses -> one node's nftables table (pure), replaced atomically on a change.

Where each check happens (policies act on pod addresses, after the fabric's
Service DNAT, so a Service client is judged as if it had dialled the pod):
- ingress of a pod: on its node, for every new connection forwarded to it (bridged
  across cbr0 or routed from eth0);
- egress of a pod: on the node of the destination pod when the destination is a
  pod (directly, or the endpoint a Service picked); on its own node when the
  destination is outside the pod and Service ranges. Each connection is judged once.
Replies of allowed connections pass (conntrack), a pod and its own node may always
talk (the node's own packets never cross the forward hook), and so may a pod and
itself, through its loopback or through its Service (the fabric's masquerade
address, which only such connections carry)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from topo.policy.spec import IPBlock

if TYPE_CHECKING:
    from topo.policy.clauses import Clause, PodInfo

TABLE = "kubemn-policy"
PROTOCOL_NUMBERS = {"TCP": "tcp", "UDP": "udp", "SCTP": "sctp"}
# A dropped packet is logged to this NFLOG group of its node (the flow log listens),
# its prefix naming the direction, the pod and the policies isolating it.
DROP_LOG_GROUP = 1
PREFIX_BYTES = 127   # the kernel keeps a log prefix of up to 127 bytes


def chain_name(direction: str, pod: PodInfo) -> str:
    return chain_of(direction, pod.ip)


def chain_of(direction: str, ip: str) -> str:
    """The chain of a pod's address for a direction ("ingress" or "egress")."""
    return "%s_%s" % (direction, ip.replace(".", "_"))


def _set(items):
    return "{ %s }" % ", ".join(items)


def _address_matches(field, peers):
    """nft matches for peers, or [""] for any address; [] when peers is empty."""
    if peers is None:
        return [""]
    matches = []
    ips = [p for p in peers if not isinstance(p, IPBlock)]
    if ips:
        matches.append("ip %s %s " % (field, _set(ips)))
    for block in (p for p in peers if isinstance(p, IPBlock)):
        text = "ip %s %s " % (field, block.cidr)
        if block.excepts:
            text += "ip %s != %s " % (field, _set(block.excepts))
        matches.append(text)
    return matches


def _port_matches(ports):
    if ports is None:
        return [""]
    return ["meta l4proto %s th dport %s " % (PROTOCOL_NUMBERS[proto],
                                              first if first == last else "%d-%d" % (first,
                                                                                     last))
            for proto, first, last in ports]


def drop_prefix(direction: str, pod_ip: str, policies: list[str]) -> str:
    """The log prefix of a drop: "ingress 10.244.1.2 deny-all,allow-db" (the
    policies isolating the pod, its namespace's; those beyond the kernel's bytes
    counted as "+N")."""
    prefix = "%s %s " % (direction, pod_ip)
    for index, name in enumerate(policies):
        rest = len(policies) - index - 1
        tail = ",+%d" % rest if rest else ""
        candidate = prefix + ("," if index else "") + name
        if len((candidate + tail).encode()) > PREFIX_BYTES:
            return prefix + ("," if index else "") + "+%d" % (rest + 1)
        prefix = candidate
    return prefix


def parse_drop_prefix(prefix: str) -> tuple[str, str, list[str]] | None:
    """(direction, pod ip, policy names) of a drop_prefix, or None for another's."""
    words = prefix.split(" ")
    if len(words) != 3 or words[0] not in ("ingress", "egress"):
        return None
    return words[0], words[1], [name for name in words[2].split(",") if name]


def chain_rules(clauses: list[Clause], field: str, prefix: str) -> list[str]:
    """A direction's chain: return (allowed, on to the other direction) on any
    clause, else log (the prefix) and drop."""
    rules = []
    for clause in clauses:
        for address in _address_matches(field, clause.peers):
            for port in _port_matches(clause.ports):
                rules.append('%s%sreturn comment "%s"' % (address, port, clause.policy))
    rules.append('log group %d prefix "%s" counter drop comment "no policy allows"'
                 % (DROP_LOG_GROUP, prefix))
    return rules


def node_table(node: object, in_cluster: Iterable[str], hairpin_ip: str, pods: list[PodInfo],
               ingress: dict[str, list[Clause] | None],
               egress: dict[str, list[Clause] | None],
               isolators: dict[tuple[str, str], list[str]]) -> str:
    """The policy table of node (its name, ip, pod_cidr and bridge_ip). pods: every
    pod of the cluster; ingress, egress: {pod ip: clauses or None}; isolators:
    {(direction, pod ip): names of the policies isolating it}; in_cluster: the pod and
    Service ranges; hairpin_ip: the source of a pod reaching itself."""
    local = [p for p in pods if p.node == node.name]
    lines = ["table inet %s" % TABLE, "delete table inet %s" % TABLE,
             "table inet %s {" % TABLE]
    chains, egress_map, ingress_map = [], [], []
    for pod in pods:
        if egress.get(pod.ip) is not None:
            name = chain_name("egress", pod)
            egress_map.append("%s : jump %s" % (pod.ip, name))
            chains.append((name, chain_rules(egress[pod.ip], "daddr", drop_prefix(
                "egress", pod.ip, isolators[("egress", pod.ip)])), pod.ref))
    for pod in local:
        if ingress.get(pod.ip) is not None:
            name = chain_name("ingress", pod)
            ingress_map.append("%s : jump %s" % (pod.ip, name))
            chains.append((name, chain_rules(ingress[pod.ip], "saddr", drop_prefix(
                "ingress", pod.ip, isolators[("ingress", pod.ip)])), pod.ref))
    lines += ["    chain forward {",
              "        type filter hook forward priority filter; policy accept;",
              "        ct state established,related accept",
              "        ip daddr %s accept" % _set([node.ip, node.bridge_ip]),
              "        ip saddr %s accept" % hairpin_ip]
    if egress_map:
        lines += ["        ip daddr %s ip saddr vmap %s" % (node.pod_cidr, _set(egress_map)),
                  "        ip saddr %s ip daddr != %s ip saddr vmap %s"
                  % (node.pod_cidr, _set(in_cluster), _set(egress_map))]
    if ingress_map:
        lines.append("        ip daddr vmap %s" % _set(ingress_map))
    lines.append("    }")
    for name, rules, ref in chains:
        lines.append("    chain %s {  # %s" % (name, ref))
        lines += ["        " + rule for rule in rules]
        lines.append("    }")
    lines.append("}")
    return "\n".join(lines) + "\n"
