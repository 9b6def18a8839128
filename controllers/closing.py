"""Closed Service connections leave conntrack soon after they close, so that a
client reusing the source port opens a new one, as on Linux: needed only where the
switches run Open vSwitch 3.1.0 (the system's, kubemn's fallback). kubemn's own
Open vSwitch lets a SYN replace the old entry as Linux does, and keeps closed
connections for its null binding (controllers/tables.py), so there the fabric
sends nothing here.

A client that opens connections to a Service fast enough reuses its source ports
while the connections that last used them are still in TIME_WAIT. The Linux
kernel's conntrack lets such a SYN replace the old entry. Open vSwitch 3.1.0's
userspace conntrack expires the old entry but keeps its NAT half (the reverse
tuple) until its sweeper comes by, every 20 s: the new connection gets another
source port, which the endpoint may still hold in its own TIME_WAIT with other
sequence numbers, and one client to one backend fell to 1% of the direct rate. An
entry can be flushed by its tuple only while it has not expired.

So the fabric sends a copy of each Service connection's FIN or RST from the
endpoint's side (the zone's NAT undone: server -> client) over a connection of its
own, with its own OpenFlow controller id (controllers/closing_channel.py keeps it,
away from Ryu, whose parsing of a message costs more than the flush), and the
flush by the connection's original tuple goes back FLUSH_DELAY later, once the
closing handshake is over. Pure: bytes in, bytes and flush requests out.
"""
from __future__ import annotations

import collections
import socket
import struct
from typing import Hashable

from controllers.tables import CLOSING_CONTROLLER_ID

ETHERNET_HEADER = 14
ETH_IPV4 = 0x0800
TCP = 6
# Long enough for the last ACK and a retransmitted FIN; short enough that a client
# reusing its ports at thousands a second finds them free.
FLUSH_DELAY = 0.5

# OpenFlow 1.3 and Open vSwitch's extensions, as far as the channel needs them.
OFP_VERSION = 4
OFPT_HELLO, OFPT_ECHO_REQUEST, OFPT_ECHO_REPLY, OFPT_EXPERIMENTER, OFPT_PACKET_IN = (
    0, 2, 3, 4, 10)
NX_VENDOR_ID = 0x00002320
NXT_SET_CONTROLLER_ID, NXT_CT_FLUSH = 20, 32
CT_ORIG_TUPLE, CT_ZONE_ID = 0, 2
TUPLE_SRC, TUPLE_DST, TUPLE_SRC_PORT, TUPLE_DST_PORT = 0, 1, 2, 3
HEADER = struct.Struct("!BBHI")   # version, type, length, xid

# The original tuple of a connection, as its zone knows it: client -> server.
Original = collections.namedtuple("Original", "proto client client_port server server_port")


def original_of_reply(data: bytes) -> Original | None:
    """The original tuple of the connection that an IPv4 TCP packet of the reply
    direction (after the zone's NAT was undone: server -> client) belongs to; None
    for anything else."""
    if len(data) < ETHERNET_HEADER + 20 or \
            struct.unpack_from("!H", data, 12)[0] != ETH_IPV4:
        return None
    ip = ETHERNET_HEADER
    header_length = (data[ip] & 0x0F) * 4
    if data[ip + 9] != TCP or header_length < 20 or len(data) < ip + header_length + 4:
        return None
    sport, dport = struct.unpack_from("!HH", data, ip + header_length)
    return Original(TCP, socket.inet_ntoa(data[ip + 16:ip + 20]), dport,
                    socket.inet_ntoa(data[ip + 12:ip + 16]), sport)


class Closing:
    """Connections waiting to be flushed, each once, in the order they closed."""

    def __init__(self, delay: float = FLUSH_DELAY):
        self.delay = delay
        self.pending = collections.OrderedDict()   # (zone, Original) -> (due, channel)

    def closed(self, zone: int | None, original: Original | None, channel: Hashable,
               now: float) -> None:
        if original is not None and zone is not None and (zone, original) not in self.pending:
            self.pending[(zone, original)] = (now + self.delay, channel)

    def due(self, now: float) -> list[tuple[Hashable, int, Original]]:
        """[(channel, zone, Original)] whose delay is over, taken off the queue."""
        ready = []
        while self.pending:
            (zone, original), (when, channel) = next(iter(self.pending.items()))
            if when > now:
                break
            del self.pending[(zone, original)]
            ready.append((channel, zone, original))
        return ready


# --- OpenFlow messages ----------------------------------------------------------------

def messages(buffer: bytes) -> tuple[list[tuple[int, int, bytes]], bytes]:
    """([(type, xid, message)], the bytes of an incomplete message left over)."""
    found, offset = [], 0
    while len(buffer) - offset >= HEADER.size:
        _, kind, length, xid = HEADER.unpack_from(buffer, offset)
        if length < HEADER.size:
            raise ValueError("an OpenFlow message of %d bytes" % length)
        if len(buffer) - offset < length:
            break
        found.append((kind, xid, buffer[offset:offset + length]))
        offset += length
    return found, buffer[offset:]


def packet_in(message: bytes) -> tuple[int, bytes]:
    """(table id, packet bytes) of an OpenFlow 1.3 packet-in."""
    table_id = message[15]
    match_length, = struct.unpack_from("!H", message, 26)
    data = 24 + (match_length + 7) // 8 * 8 + 2
    return table_id, message[data:]


def _message(kind, body=b"", xid=0):
    return HEADER.pack(OFP_VERSION, kind, HEADER.size + len(body), xid) + body


def hello() -> bytes:
    return _message(OFPT_HELLO)


def echo_reply(request: bytes) -> bytes:
    _, _, _, xid = HEADER.unpack_from(request)
    return _message(OFPT_ECHO_REPLY, request[HEADER.size:], xid)


def _nicira(subtype, body):
    return _message(OFPT_EXPERIMENTER, struct.pack("!II", NX_VENDOR_ID, subtype) + body)


def set_controller_id(controller_id: int = CLOSING_CONTROLLER_ID) -> bytes:
    return _nicira(NXT_SET_CONTROLLER_ID, struct.pack("!6xH", controller_id))


def _property(kind, value):
    """An OpenFlow property: type, length, value, padded to 8 bytes."""
    body = struct.pack("!HH", kind, 4 + len(value)) + value
    return body + bytes(-len(body) % 8)


def _mapped(ip):
    return bytes(10) + b"\xff\xff" + socket.inet_aton(ip)


def ct_flush(zone: int, original: Original) -> bytes:
    """Open vSwitch 3.1's NXT_CT_FLUSH of the connection whose original tuple is
    original, in zone."""
    tuple_ = (_property(TUPLE_SRC, _mapped(original.client)) +
              _property(TUPLE_DST, _mapped(original.server)) +
              _property(TUPLE_SRC_PORT, struct.pack("!H", original.client_port)) +
              _property(TUPLE_DST_PORT, struct.pack("!H", original.server_port)))
    nested = struct.pack("!HH4x", CT_ORIG_TUPLE, 8 + len(tuple_)) + tuple_
    return _nicira(NXT_CT_FLUSH, struct.pack("!B7x", original.proto) + nested +
                   _property(CT_ZONE_ID, struct.pack("!H", zone)))
