"""The kernel's conntrack events, as ctnetlink sends them to a listener of a network
namespace (pure): a connection that began (NEW), changed (UPDATE: its TCP state) or
was forgotten (DESTROY), with its two directions' address tuples (the reply's differs
from the original's where NAT translated it), its TCP state, and, with DESTROY only,
its packets and bytes each way (net.netfilter.nf_conntrack_acct). The layout is the
kernel's include/uapi/linux/netfilter/nfnetlink_conntrack.h."""
import socket
import struct
from dataclasses import dataclass

from topo.observe.netlink import NFGENMSG, attributes, messages

# A namespace's sysctl: a connection's packets and bytes counted (with DESTROY).
ACCOUNTING = "/proc/sys/net/netfilter/nf_conntrack_acct"
NFNL_SUBSYS_CTNETLINK = 1
IPCTNL_MSG_CT_NEW, IPCTNL_MSG_CT_DELETE = 0, 2
NLM_F_CREATE = 0x400
# Multicast groups a listener joins (nl_groups bits are 1 << (group - 1)).
NFNLGRP_CONNTRACK_NEW, NFNLGRP_CONNTRACK_UPDATE, NFNLGRP_CONNTRACK_DESTROY = 1, 2, 3
GROUPS = sum(1 << (group - 1) for group in (NFNLGRP_CONNTRACK_NEW, NFNLGRP_CONNTRACK_UPDATE,
                                            NFNLGRP_CONNTRACK_DESTROY))

CTA_TUPLE_ORIG, CTA_TUPLE_REPLY, CTA_STATUS, CTA_PROTOINFO = 1, 2, 3, 4
CTA_COUNTERS_ORIG, CTA_COUNTERS_REPLY, CTA_ID, CTA_ZONE = 9, 10, 12, 18
CTA_TUPLE_IP, CTA_TUPLE_PROTO = 1, 2
CTA_IP_V4_SRC, CTA_IP_V4_DST = 1, 2
CTA_PROTO_NUM, CTA_PROTO_SRC_PORT, CTA_PROTO_DST_PORT = 1, 2, 3
CTA_PROTO_ICMP_ID, CTA_PROTO_ICMP_TYPE, CTA_PROTO_ICMP_CODE = 4, 5, 6
CTA_PROTOINFO_TCP, CTA_PROTOINFO_TCP_STATE = 1, 1
CTA_COUNTERS_PACKETS, CTA_COUNTERS_BYTES = 1, 2

PROTOCOLS = {socket.IPPROTO_TCP: "TCP", socket.IPPROTO_UDP: "UDP",
             socket.IPPROTO_ICMP: "ICMP", socket.IPPROTO_SCTP: "SCTP"}
# The kernel's enum tcp_conntrack, by value.
TCP_STATES = ("NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT",
              "LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2")


@dataclass(frozen=True)
class Tuple:
    """One direction of a connection: addresses and ports (for ICMP, the echo id as
    both ports' stand-in: 0 and its id)."""
    src: str
    dst: str
    sport: int
    dport: int


@dataclass(frozen=True)
class ConntrackEvent:
    kind: str            # "NEW", "UPDATE" or "DESTROY"
    protocol: str        # "TCP", "UDP", "ICMP", or the number
    original: Tuple
    reply: Tuple
    id: int = 0          # the kernel's id of the connection (pairs NEW with DESTROY)
    zone: int = 0
    tcp_state: str = ""  # "" for other protocols
    packets: tuple = (0, 0)   # (original direction, reply), with DESTROY
    bytes: tuple = (0, 0)

    @property
    def translated(self):
        """True where NAT changed the reply's addresses or ports from the original's
        mirror image."""
        o, r = self.original, self.reply
        if self.protocol == "ICMP":   # its id stands in both directions' same place
            return (r.src, r.dst, r.dport) != (o.dst, o.src, o.dport)
        return (r.src, r.dst, r.sport, r.dport) != (o.dst, o.src, o.dport, o.sport)


def _tuple(data):
    """(protocol number, Tuple) of a CTA_TUPLE_* nest (IPv4; None for another
    family)."""
    nest = attributes(data)
    ip, proto = attributes(nest.get(CTA_TUPLE_IP, b"")), \
        attributes(nest.get(CTA_TUPLE_PROTO, b""))
    if CTA_IP_V4_SRC not in ip or CTA_PROTO_NUM not in proto:
        return None, None
    number = proto[CTA_PROTO_NUM][0]

    def port(kind):
        value = proto.get(kind)
        return struct.unpack("!H", value)[0] if value and len(value) == 2 else 0
    if CTA_PROTO_ICMP_ID in proto:
        sport, dport = 0, port(CTA_PROTO_ICMP_ID)
    else:
        sport, dport = port(CTA_PROTO_SRC_PORT), port(CTA_PROTO_DST_PORT)
    return number, Tuple(socket.inet_ntoa(ip[CTA_IP_V4_SRC]),
                         socket.inet_ntoa(ip[CTA_IP_V4_DST]), sport, dport)


def _counters(data):
    nest = attributes(data or b"")
    packets, octets = nest.get(CTA_COUNTERS_PACKETS), nest.get(CTA_COUNTERS_BYTES)
    return (struct.unpack("!Q", packets)[0] if packets and len(packets) == 8 else 0,
            struct.unpack("!Q", octets)[0] if octets and len(octets) == 8 else 0)


def parse_event(message_type, flags, body, updates=None):
    """The ConntrackEvent of one netlink message (its type, flags and what follows
    its header), or None for what is not an IPv4 connection's event (another
    family's, another subsystem's message) or an UPDATE to a TCP state not in updates
    (None: every one; the rest of such a message is not read)."""
    if message_type >> 8 != NFNL_SUBSYS_CTNETLINK or len(body) < NFGENMSG.size:
        return None
    kind = message_type & 0xff
    if kind == IPCTNL_MSG_CT_DELETE:
        name = "DESTROY"
    elif kind == IPCTNL_MSG_CT_NEW:
        name = "NEW" if flags & NLM_F_CREATE else "UPDATE"
    else:
        return None
    found = attributes(body[NFGENMSG.size:])
    state = ""
    info = attributes(attributes(found.get(CTA_PROTOINFO, b"")).get(CTA_PROTOINFO_TCP, b""))
    if CTA_PROTOINFO_TCP_STATE in info:
        value = info[CTA_PROTOINFO_TCP_STATE][0]
        state = TCP_STATES[value] if value < len(TCP_STATES) else str(value)
    if name == "UPDATE" and updates is not None and state not in updates:
        return None
    number, original = _tuple(found.get(CTA_TUPLE_ORIG, b""))
    _, reply = _tuple(found.get(CTA_TUPLE_REPLY, b""))
    if original is None or reply is None:
        return None
    ident = found.get(CTA_ID)
    zone = found.get(CTA_ZONE)
    orig_counts = _counters(found.get(CTA_COUNTERS_ORIG))
    reply_counts = _counters(found.get(CTA_COUNTERS_REPLY))
    return ConntrackEvent(
        name, PROTOCOLS.get(number, str(number)), original, reply,
        struct.unpack("!I", ident)[0] if ident and len(ident) == 4 else 0,
        struct.unpack("!H", zone)[0] if zone and len(zone) == 2 else 0, state,
        (orig_counts[0], reply_counts[0]), (orig_counts[1], reply_counts[1]))


def parse_messages(data, updates=None):
    """The ConntrackEvents of one read from a ctnetlink socket (several messages;
    updates: as parse_event's)."""
    events = (parse_event(kind, flags, body, updates)
              for kind, flags, body in messages(data))
    return [event for event in events if event is not None]
