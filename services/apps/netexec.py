"""An HTTP and UDP server for pods, in the spirit of Kubernetes' agnhost netexec.

HTTP:  /            the pod's hostname      /hostname   the pod's hostname
       /clientip    the client's ip:port    /echo?msg=X X
       /healthz     200 ok                  /shutdown   exits the server
UDP:   'hostname', 'echo X', 'clientip' as above, one datagram each way.
Sockets are bound before anything else, so the container listens as soon as it runs.
"""
import argparse
import os
import socket
import sys
import threading
import socketserver
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        url = urlparse(self.path)
        client = "%s:%d" % self.client_address[:2]
        if url.path in ("/", "/hostname"):
            self.reply(200, socket.gethostname())
        elif url.path == "/clientip":
            self.reply(200, client)
        elif url.path == "/echo":
            self.reply(200, parse_qs(url.query).get("msg", [""])[0])
        elif url.path == "/healthz":
            self.reply(200, "ok")
        elif url.path == "/shutdown":
            self.reply(200, "shutting down")
            os._exit(0)
        else:
            self.reply(404, "404 page not found")

    def do_HEAD(self):
        """GET's headers (wget --spider asks so), never a /shutdown."""
        self.head_only = True
        if urlparse(self.path).path == "/shutdown":
            self.reply(405, "method not allowed")
            return
        self.do_GET()

    head_only = False

    def reply(self, status, text):
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.head_only:
            return
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        sys.stdout.write("%s %s\n" % (self.client_address[0], fmt % args))
        sys.stdout.flush()


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self):
        # HTTPServer.server_bind looks up the host's FQDN, which waits for a DNS
        # server a pod may not have; the bare hostname is all we need.
        socketserver.TCPServer.server_bind(self)
        self.server_name = socket.gethostname()
        self.server_port = self.server_address[1]


def udp_answer(message, client):
    text = message.decode(errors="replace").strip()
    if text == "hostname":
        return socket.gethostname()
    if text == "clientip":
        return "%s:%d" % client[:2]
    if text.startswith("echo "):
        return text[5:]
    return ""


def serve_udp(sock):
    while True:
        data, client = sock.recvfrom(65535)
        sock.sendto(udp_answer(data, client).encode(), client)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--http-port", type=int, action="append", default=[])
    parser.add_argument("--udp-port", type=int, action="append", default=[])
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    servers = [Server(("0.0.0.0", port), Handler) for port in args.http_port]
    udp = []
    for port in args.udp_port:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("0.0.0.0", port))
        udp.append(sock)
    print("netexec: serving HTTP on %s, UDP on %s" % (args.http_port, args.udp_port),
          flush=True)
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    threads += [threading.Thread(target=serve_udp, args=(s,), daemon=True) for s in udp]
    for thread in threads:
        thread.start()
    threading.Event().wait()


if __name__ == "__main__":
    main()
