"""pods/NAME/portforward: kubectl port-forward's SPDY session, tunnelled through a
WebSocket (kubectl 1.31 and newer), or on the upgraded connection itself (bare
SPDY/3.1, as client-go spoke it before, the e2e suite of v1.20). For each connection
kubectl accepts on its side, it opens an error stream and a data stream naming the
pod's port; kubemn connects to that port on the pod's own localhost (inside the
pod's network namespace, as the kubelet does) and copies bytes both ways until either
side closes."""
import socket
import subprocess
import threading

from topo.api import spdy, websocket
from topo.api.connection import Connection
from topo.runtime.netns import network_namespace_of
from topo.runtime.processes import enter_argv
from topo.servers.remote import KUBEMN_PYTHON, KUBEMN_ROOT

CHUNK = 32 * 1024
PROTOCOL = "SPDY/3.1+portforward.k8s.io"     # the WebSocket's subprotocol
SPDY_PROTOCOL = "portforward.k8s.io"          # X-Stream-Protocol-Version on bare SPDY


def connect_in_namespace(pid, port, timeout=5):
    """A TCP connection to 127.0.0.1:port inside process pid's network namespace."""
    with network_namespace_of(pid):
        sock = socket.create_connection(("127.0.0.1", port), timeout)
    sock.settimeout(None)
    return sock


def connect_to_pod(pod, port):
    """A socket to port on the pod's own localhost: in its namespace here, or, for a
    pod on another server, relayed from there (topo/servers/relay.py over ssh)."""
    if not pod.machine.remote:
        return connect_in_namespace(pod.pause.pid, port)
    ours, theirs = socket.socketpair()
    try:
        relay = subprocess.Popen(pod.machine.server.prefix() + enter_argv(pod.pause.pid) + [
            "env", "PYTHONPATH=" + KUBEMN_ROOT, KUBEMN_PYTHON, "-m", "topo.servers.relay",
            str(port)], stdin=theirs, stdout=theirs, stderr=subprocess.DEVNULL)
    finally:
        theirs.close()
    threading.Thread(target=relay.wait, daemon=True).start()   # reaped when it ends
    said = ours.recv(1)
    if said != b"\0":
        error = ours.recv(4096).decode(errors="replace") if said else "the relay ended"
        ours.close()
        raise OSError(error)
    return ours


def relay_from_pod(sock, send, done):
    """On a thread of its own: what the pod writes on sock, to send(data), until the
    pod closes it (or it breaks); then done()."""
    def copy():
        try:
            while True:
                data = sock.recv(CHUNK)
                if not data:
                    break
                send(data)
        except OSError:
            pass
        done()
    threading.Thread(target=copy, daemon=True, name="kubemn-portforward").start()


class WebSocketBytes:
    """SPDY's bytes in a WebSocket's binary messages."""

    def __init__(self, handler):
        self.connection = Connection(handler)

    def send(self, data):
        self.connection.send(websocket.BINARY, data)

    def chunks(self):
        return self.connection.binary_messages()


class RawBytes:
    """SPDY's bytes on the upgraded connection itself."""

    def __init__(self, handler):
        self.rfile, self.wfile = handler.rfile, handler.wfile
        self.lock = threading.Lock()

    def send(self, data):
        with self.lock:
            self.wfile.write(data)
            self.wfile.flush()

    def chunks(self):
        while True:
            data = self.rfile.read1(CHUNK)
            if not data:
                return
            yield data


class PortForwardSession:
    """One kubectl port-forward: SPDY frames both ways over transport (WebSocketBytes
    or RawBytes)."""

    def __init__(self, pod, transport, log):
        self.pod, self.log = pod, log
        self.transport = transport
        self.codec = spdy.HeaderCodec()
        self.streams = {}      # stream id -> (type, port, request id)
        self.sockets = {}      # data stream id -> socket to the pod
        self.errors = {}       # request id -> error stream id

    def send(self, data):
        self.transport.send(data)

    def run(self):
        buffer = b""
        try:
            for payload in self.transport.chunks():
                frames, buffer = spdy.parse_frames(buffer + payload)
                for frame in frames:
                    self.on_frame(frame)
        except (EOFError, OSError, websocket.WebSocketError, spdy.SpdyError) as exc:
            self.log("port-forward to %s ended: %s"
                     % (self.pod.name, exc or "kubectl closed it"))
        finally:
            for sock in list(self.sockets.values()):
                sock.close()

    def on_frame(self, frame):
        if not frame.control:
            self.on_data(frame)
        elif frame.kind == spdy.SYN_STREAM:
            stream, headers = spdy.syn_stream_headers(frame, self.codec)
            self.on_new_stream(stream, headers)
        elif frame.kind == spdy.RST_STREAM:
            sock = self.sockets.pop(frame.stream, None)
            if sock is not None:
                sock.close()
        elif frame.kind == spdy.PING:
            self.send(spdy.control_frame(spdy.PING, 0, frame.payload))

    def on_new_stream(self, stream, headers):
        kind, request = headers.get("streamtype"), headers.get("requestid", "")
        try:
            port = int(headers.get("port", ""))
        except ValueError:
            port = 0
        self.streams[stream] = (kind, port, request)
        self.send(spdy.syn_reply(stream, self.codec))
        if kind == "error":
            self.errors[request] = stream
        elif kind == "data":
            self.open(stream, port, request)

    def open(self, stream, port, request):
        try:
            sock = connect_to_pod(self.pod, port)
        except OSError as exc:
            error_stream = self.errors.get(request)
            message = "error forwarding port %d to pod %s: %s" % (port, self.pod.name, exc)
            if error_stream is not None:
                self.send(spdy.data_frame(error_stream, message.encode(), fin=True))
            self.send(spdy.data_frame(stream, b"", fin=True))
            return
        self.sockets[stream] = sock
        relay_from_pod(sock, lambda data: self.send(spdy.data_frame(stream, data)),
                       lambda: self.send(spdy.data_frame(stream, b"", fin=True)))

    def on_data(self, frame):
        sock = self.sockets.get(frame.stream)
        if sock is None:
            return   # the error stream's close, or a stream already gone
        try:
            if frame.payload:
                sock.sendall(frame.payload)
            if frame.fin:
                sock.shutdown(socket.SHUT_WR)
        except OSError:
            self.sockets.pop(frame.stream, None)
            sock.close()
            self.send(spdy.rst_stream(frame.stream))
