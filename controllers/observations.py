"""What the fabric's controller tells the flow log: each packet it rejected (a new
connection to a Service frontend without a ready endpoint) or dropped (the internet
host's packets to pod or Service addresses, which the CLASSIFY table sends it for
that), one datagram a packet to the run's flow-log socket (KUBEMN_FLOW_LOG_SOCKET),
as JSON: what it did, the switch's dpid, the frame's first bytes in hex. Nothing
waits and nothing is kept: without a listener, or with its buffer full, the datagram
is let go of (the flow log counts what the kernel drops for it only)."""
import json
import os

import eventlet.patcher

from controllers.tables import CLASSIFY

# Ryu runs under eventlet's green sockets, whose sends wait; the controller must not.
socket = eventlet.patcher.original("socket")

SOCKET_VARIABLE = "KUBEMN_FLOW_LOG_SOCKET"
FRAME_BYTES = 80   # Ethernet, IPv4 and the transport's ports and flags, with options


ETH_IPV4 = b"\x08\x00"


def message(event, dpid, frame):
    """The datagram of a frame the controller REJECTED or DROPPED at switch dpid
    (pure)."""
    return json.dumps({"event": event, "switch": dpid,
                       "frame": bytes(frame[:FRAME_BYTES]).hex()}).encode()


def from_the_internet(state, dpid, in_port, table_id, frame):
    """Whether the packet-in is the internet host's IPv4 packet that CLASSIFY sent
    up to be dropped (pure: its ARP comes the same way, and is answered)."""
    internet = state.internet
    return (table_id == CLASSIFY and internet is not None and internet.dpid == dpid and
            internet.port == in_port and bytes(frame[12:14]) == ETH_IPV4)


class Observations:
    def __init__(self, path=None):
        self.path = path if path is not None else os.environ.get(SOCKET_VARIABLE)
        self.sock = None
        if self.path:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self.sock.setblocking(False)

    def tell(self, event, dpid, frame):
        if self.sock is None:
            return
        try:
            self.sock.sendto(message(event, dpid, frame), self.path)
        except OSError:
            pass   # nobody listens, or its buffer is full: the flow log is best effort
