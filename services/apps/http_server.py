"""The HTTP serving that the images' stand-ins share: a threaded server that binds
without looking up the pod's FQDN, and a handler that answers every method from one
function."""
import socket
import socketserver
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# serve_forever's poll for kubemn's own listeners: shutdown() waits up to this, and a
# cluster stops a dozen of them.
STOP_POLL = 0.05


class PodServer(ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self):
        # HTTPServer.server_bind looks up the host's FQDN, which waits for a DNS
        # server a pod may not have; the bare hostname is all we need.
        socketserver.TCPServer.server_bind(self)
        self.server_name = socket.gethostname()
        self.server_port = self.server_address[1]


def responder(respond, log=None):
    """A handler class: respond(handler) -> (status, content type, body, extra
    headers) answers every method, HEAD with the headers only, and no Server header
    but the respond's own (as Go's servers). log(handler, line), if given, gets each
    request's log line."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            status, kind, body, extra = respond(self)
            data = body.encode()
            self.send_response_only(status)
            self.send_header("Date", self.date_time_string())
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            for name, value in extra:
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET

        def log_message(self, fmt, *args):
            if log is not None:
                log(self, fmt % args)

    return Handler


class TlsPodServer(PodServer):
    """Over TLS: each connection's handshake happens in its own thread, on its first
    read, so a slow client holds up no other."""

    def __init__(self, address, handler, context, bind_and_activate=True):
        self.context = context
        super().__init__(address, handler, bind_and_activate)

    def get_request(self):
        sock, address = self.socket.accept()
        return self.context.wrap_socket(sock, server_side=True,
                                        do_handshake_on_connect=False), address


def self_signed_argv(cert, key, common_name):
    """openssl's command for a self-signed certificate for 127.0.0.1 (an EC key, a
    year), written to cert and key."""
    return ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:prime256v1", "-nodes", "-days", "365", "-subj",
            "/CN=" + common_name, "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", key, "-out", cert]


def serve(port, respond, log=None, tls=None):
    """tls: an ssl.SSLContext to serve with, or None."""
    handler = responder(respond, log)
    server = TlsPodServer(("0.0.0.0", port), handler, tls) if tls else \
        PodServer(("0.0.0.0", port), handler)
    server.serve_forever()
