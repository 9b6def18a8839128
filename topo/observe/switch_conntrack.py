"""Who really opened a connection the fabric translated twice (pure): a connection to
a NodePort, a LoadBalancer or an external address reaches its endpoint's node from a
node's address (externalTrafficPolicy Cluster: the fabric's source NAT), and a pod
reaching itself through its Service from the hairpin address. Open vSwitch's
conntrack holds both translations (`ovs-appctl dpctl/dump-conntrack`): in the source
NAT zone, the client behind the node's address; in the Service zone, the frontend it
dialled."""
import re
from dataclasses import dataclass

from controllers.tables import ZONE_SERVICE, ZONE_SNAT
from topo.observe.conntrack_messages import Tuple

_DIRECTION = r"\(src=([\d.]+),dst=([\d.]+),sport=(\d+),dport=(\d+)\)"
_LINE = re.compile(r"^(\w+),orig=%s,reply=%s,zone=(\d+)" % (_DIRECTION, _DIRECTION))


@dataclass(frozen=True)
class SwitchEntry:
    protocol: str   # "TCP", "UDP", ...
    original: Tuple
    reply: Tuple
    zone: int


def parse_dump(text):
    """The SwitchEntries of kubemn's zones in a dpctl/dump-conntrack (ICMP's and other
    protocols without ports are left out)."""
    found = []
    for line in text.splitlines():
        match = _LINE.match(line)
        if match is None:
            continue
        fields = match.groups()
        zone = int(fields[9])
        if zone not in (ZONE_SERVICE, ZONE_SNAT):
            continue
        original = Tuple(fields[1], fields[2], int(fields[3]), int(fields[4]))
        reply = Tuple(fields[5], fields[6], int(fields[7]), int(fields[8]))
        found.append(SwitchEntry(fields[0].upper(), original, reply, zone))
    return found


def origin(entries, protocol, source, destination):
    """(client, frontend) as Tuple-like (ip, port) pairs of a connection the
    endpoint's node saw from source to destination ((ip, port) each), or None where
    the switch holds no such translation."""
    client = None
    for entry in entries:
        reply = entry.reply
        if entry.zone == ZONE_SNAT and entry.protocol == protocol and \
                (reply.src, reply.sport, reply.dst, reply.dport) == (*destination, *source):
            client = (entry.original.src, entry.original.sport)
            break
    if client is None:
        return None
    for entry in entries:
        original, reply = entry.original, entry.reply
        if entry.zone == ZONE_SERVICE and entry.protocol == protocol and \
                (original.src, original.sport) == client and \
                (reply.src, reply.sport) == destination:
            return client, (original.dst, original.dport)
    return None
