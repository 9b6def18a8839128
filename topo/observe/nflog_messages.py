"""The packets nftables' `log group` statements send to a listener of the group in
their network namespace (pure): the requests that bind a socket to a group and ask
for the packets' first bytes, and the logged packets read back (the rule's prefix,
the packet's addresses, ports and TCP flags). The layout is the kernel's
include/uapi/linux/netfilter/nfnetlink_log.h."""
import socket
import struct
from dataclasses import dataclass

from topo.observe.conntrack_messages import PROTOCOLS
from topo.observe.netlink import NFGENMSG, attributes, messages, nfnetlink_request

NFNL_SUBSYS_ULOG = 4
NFULNL_MSG_PACKET, NFULNL_MSG_CONFIG = 0, 1
NFULA_CFG_CMD, NFULA_CFG_MODE, NFULA_CFG_QTHRESH = 1, 2, 5
NFULNL_CFG_CMD_BIND = 1
NFULNL_COPY_PACKET = 2
NFULA_PAYLOAD, NFULA_PREFIX = 9, 10
COPIED = 64          # bytes of each packet: its IPv4 header and the ports and flags after
TCP_FLAGS = ((0x02, "SYN"), (0x10, "ACK"), (0x01, "FIN"), (0x04, "RST"), (0x08, "PSH"),
             (0x20, "URG"))


@dataclass(frozen=True)
class LoggedPacket:
    prefix: str          # the rule's
    protocol: str        # "TCP", "UDP", "ICMP", or the number
    src: str
    dst: str
    sport: int = 0
    dport: int = 0       # for ICMP, its type
    tcp_flags: tuple = ()


def bind_requests(group):
    """The requests that make a socket the group's listener, copying COPIED bytes of
    each packet, each packet sent at once (the kernel's default gathers up to 100 for
    up to a second: the log's times would be late)."""
    config = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG
    return [nfnetlink_request(config, group, [(NFULA_CFG_CMD, bytes([NFULNL_CFG_CMD_BIND]))]),
            nfnetlink_request(config, group, [
                (NFULA_CFG_MODE, struct.pack("!IBB", COPIED, NFULNL_COPY_PACKET, 0)),
                (NFULA_CFG_QTHRESH, struct.pack("!I", 1))], sequence=2)]


def _flags(bits):
    return tuple(name for bit, name in TCP_FLAGS if bits & bit)


def parse_payload(prefix, payload):
    """The LoggedPacket of an IPv4 packet's first bytes, or None for another family's
    or one too short."""
    if len(payload) < 20 or payload[0] >> 4 != 4:
        return None
    header = (payload[0] & 0x0f) * 4
    number = payload[9]
    src, dst = socket.inet_ntoa(payload[12:16]), socket.inet_ntoa(payload[16:20])
    transport = payload[header:]
    protocol = PROTOCOLS.get(number, str(number))
    if protocol in ("TCP", "UDP", "SCTP") and len(transport) >= 4:
        sport, dport = struct.unpack_from("!HH", transport)
        flags = _flags(transport[13]) if protocol == "TCP" and len(transport) >= 14 else ()
        return LoggedPacket(prefix, protocol, src, dst, sport, dport, flags)
    if protocol == "ICMP" and transport:
        return LoggedPacket(prefix, protocol, src, dst, 0, transport[0])
    return LoggedPacket(prefix, protocol, src, dst)


def parse_packets(data):
    """The LoggedPackets of one read from a group's socket."""
    found = []
    for kind, _, body in messages(data):
        if kind != (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET or len(body) < NFGENMSG.size:
            continue
        attrs = attributes(body[NFGENMSG.size:])
        prefix = attrs.get(NFULA_PREFIX, b"").split(b"\0", 1)[0].decode(errors="replace")
        packet = parse_payload(prefix, attrs.get(NFULA_PAYLOAD, b""))
        if packet is not None:
            found.append(packet)
    return found
