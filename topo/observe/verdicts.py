"""The flow log's verdicts other than FORWARDED (pure): a packet a NetworkPolicy
dropped (its node's policy table logged it: nflog_messages), one the fabric's
controller rejected for want of a Service's endpoints, and the internet host's
packet to a pod or Service address, which the fabric drops (the controller's word:
controllers/observations.py)."""
import time

from topo.observe.flow_log import end_of
from topo.policy.nft import chain_of, parse_drop_prefix


def _packet_entry(packet, node, names, now, verdict, reason):
    entry = {"time": time.time() if now is None else now, "node": node, "event": verdict,
             "verdict": verdict, "reason": reason, "protocol": packet.protocol,
             "source": end_of(packet.src, packet.sport, names),
             "destination": end_of(packet.dst, packet.dport, names)}
    if packet.tcp_flags:
        entry["tcp_flags"] = list(packet.tcp_flags)
    return entry


def dropped(packet, node, names, now=None):
    """The record of a packet node's NetworkPolicy table dropped (an
    nflog_messages.LoggedPacket with the drop's prefix), or None for another log's."""
    parsed = parse_drop_prefix(packet.prefix)
    if parsed is None:
        return None
    direction, pod_ip, policies = parsed
    pod = names.get(pod_ip, pod_ip)
    namespace = pod.split("/")[0] + "/" if "/" in pod else ""
    refs = [name if name.startswith("+") else namespace + name for name in policies]
    entry = _packet_entry(packet, node, names, now, "DROPPED", "no NetworkPolicy allows %s %s %s"
                          " (isolated by %s)" % (direction, "to" if direction == "ingress"
                                                 else "from", pod, ", ".join(refs)))
    entry["policies"] = refs
    entry["chain"] = chain_of(direction, pod_ip)   # of the node's table kubemn-policy
    return entry


def rejected(packet, switch, names, now=None):
    """The record of a packet the fabric's controller rejected at switch: it opened
    a connection to a Service's address and port that has no ready endpoint."""
    target = names.get(packet.dst, packet.dst)
    return _packet_entry(packet, switch, names, now, "REJECTED",
                         "no ready endpoint behind %s port %d/%s"
                         % (target, packet.dport, packet.protocol))


def fabric_dropped(packet, switch, names, now=None):
    """The record of the internet host's packet to a pod or Service address, which
    the fabric dropped at switch (only NodePorts, LoadBalancer and external addresses
    are open to the outside, as in a real cluster)."""
    return _packet_entry(packet, switch, names, now, "DROPPED",
                         "the fabric drops the internet's packets to pod and Service "
                         "addresses: from outside, only NodePorts, LoadBalancer and "
                         "external IPs are reachable")
