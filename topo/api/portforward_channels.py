"""pods/NAME/portforward over a WebSocket of channels (v4.channel.k8s.io), as the
kubelet serves it to the official clients (Python's `portforward`, JavaScript's
PortForward): the request names its ports (`?ports=8080,9090`); port i has a data
channel 2i and an error channel 2i+1, each opened by the server with the port
number (two bytes, little-endian). Bytes on a data channel go to that port on the
pod's own localhost, and the pod's answer comes back on it; a connection that
cannot be made is said on the error channel. The WebSocket closes when every port's
connection has ended."""
import struct
import threading

from topo.api.connection import Connection
from topo.api.portforward import connect_to_pod, relay_from_pod
from topo.api.status import ApiError

PROTOCOL = "v4.channel.k8s.io"


def requested_ports(values):
    """The `ports` query values ('8080,9090', or one value each) -> [port], as the
    kubelet reads them (400 for one that is not a port)."""
    ports = []
    for value in values:
        for part in value.split(","):
            try:
                port = int(part)
            except ValueError:
                port = 0
            if not 0 < port < 65536:
                raise ApiError(400, "invalid port %r: ports must be numbers between 1 and "
                               "65535" % part)
            ports.append(port)
    if not ports:
        raise ApiError(400, "a port-forward over a WebSocket of channels names its ports "
                            "(?ports=8080)")
    return ports


class ChannelPortForward:
    """One client's port-forward: its ports' connections to the pod, each copied both
    ways over the WebSocket's channels."""

    def __init__(self, pod, handler, ports, log):
        self.pod, self.ports, self.log = pod, ports, log
        self.connection = Connection(handler)
        self.sockets = {}   # data channel -> socket to the pod
        self.open = len(ports)
        self.lock = threading.Lock()

    def run(self):
        for index, port in enumerate(self.ports):
            for channel in (2 * index, 2 * index + 1):
                self.connection.send_channel(channel, struct.pack("<H", port))
            self._connect(index, port)
        try:
            for payload in self.connection.binary_messages():
                sock = self.sockets.get(payload[0]) if payload else None
                if sock is not None and len(payload) > 1:
                    try:
                        sock.sendall(payload[1:])
                    except OSError:
                        pass   # the pod closed it: its copy says so
        except (EOFError, OSError) as exc:
            self.log("port-forward to %s ended: %s" % (self.pod.name, exc or "the client "
                                                                              "left"))
        finally:
            for sock in list(self.sockets.values()):
                sock.close()

    def _connect(self, index, port):
        try:
            sock = connect_to_pod(self.pod, port)
        except OSError as exc:
            self.connection.send_channel(2 * index + 1, (
                "error forwarding port %d to pod %s: %s" % (port, self.pod.name,
                                                            exc)).encode())
            self._ended()
            return
        self.sockets[2 * index] = sock
        relay_from_pod(sock, lambda data: self.connection.send_channel(2 * index, data),
                       self._ended)

    def _ended(self):
        """A port's connection is over; the last one closes the WebSocket."""
        with self.lock:
            self.open -= 1
            last = self.open == 0
        if last:
            self.connection.close()
