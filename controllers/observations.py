"""What the fabric's controller tells the flow log: each packet it rejected (a new
connection to a Service frontend without a ready endpoint), one datagram a packet to
the run's flow-log socket (KUBEMN_FLOW_LOG_SOCKET), as JSON: the switch's dpid, the
frame's first bytes in hex. Nothing waits and nothing is kept: without a listener,
or with its buffer full, the datagram is let go of (the flow log counts what the
kernel drops for it only)."""
import json
import os

import eventlet.patcher

# Ryu runs under eventlet's green sockets, whose sends wait; the controller must not.
socket = eventlet.patcher.original("socket")

SOCKET_VARIABLE = "KUBEMN_FLOW_LOG_SOCKET"
FRAME_BYTES = 80   # Ethernet, IPv4 and the transport's ports and flags, with options


def reject_message(dpid, frame):
    """The datagram of a frame the controller rejected at switch dpid (pure)."""
    return json.dumps({"event": "REJECTED", "switch": dpid,
                       "frame": bytes(frame[:FRAME_BYTES]).hex()}).encode()


class Observations:
    def __init__(self, path=None):
        self.path = path if path is not None else os.environ.get(SOCKET_VARIABLE)
        self.sock = None
        if self.path:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self.sock.setblocking(False)

    def rejected(self, dpid, frame):
        if self.sock is None:
            return
        try:
            self.sock.sendto(reject_message(dpid, frame), self.path)
        except OSError:
            pass   # nobody listens, or its buffer is full: the flow log is best effort
