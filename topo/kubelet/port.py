"""The kubelet's port on each node: an HTTPS server listening on the node's own
address, port 10250, inside the node's network namespace (out of the machine's
reach, as the rest of the emulated network), answering what topo/kubelet/endpoints.py
says. The API server's nodes/NAME/proxy relays to it, as to a real kubelet."""
import http.server
import socket
import ssl
import threading

from services.apps.http_server import STOP_POLL, TlsPodServer
from topo.kubelet.endpoints import PORT, answer
from topo.runtime.netns import network_namespace_of


class _Handler(http.server.BaseHTTPRequestHandler):
    server_version = "kubemn-kubelet"

    def do_GET(self):
        status, kind, text, path = answer(self.path, *self.server.read(self.server.node))
        data = text.encode()
        if path is not None:
            try:
                with open(path, "rb") as handle:
                    data = handle.read()
            except OSError:
                status, data = 404, b"404 page not found\n"
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class KubeletPort:
    """One node's server; read(node) -> (its pods as the API serves them, {log file
    name: path})."""

    def __init__(self, node, pid, ip, cert, key, read):
        with network_namespace_of(pid):
            listener = socket.create_server((ip, PORT))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        # Each connection's handshake in its own thread, as the pods' TLS servers do.
        self.server = TlsPodServer((ip, PORT), _Handler, context, bind_and_activate=False)
        self.server.socket.close()
        self.server.socket = listener   # made in the node's network namespace
        self.server.node, self.server.read = node, read
        self.thread = threading.Thread(target=self.server.serve_forever, args=(STOP_POLL,),
                                       daemon=True, name="kubemn-kubelet-port-%s" % node)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
