"""agnhost porter: for each environment variable SERVE_PORT_<n> (or SERVE_TCP_PORT_<n>)
an HTTP server on port n answering the variable's value to any request, for
SERVE_TLS_PORT_<n> the same over TLS (a self-signed certificate for 127.0.0.1, as the
image's localhost.crt), and for SERVE_UDP_PORT_<n> a UDP server answering it to any
datagram. --json-response answers {"Method": ..., "Body": ...} instead. The content
type is sniffed as Go's net/http sniffs it. SERVE_SCTP_PORT_ ports are named in the
log and not served (no SCTP here)."""
import argparse
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

from services.apps import http_server

TCP_PREFIXES = ("SERVE_PORT_", "SERVE_TCP_PORT_")
TLS_PREFIX = "SERVE_TLS_PORT_"
UDP_PREFIX = "SERVE_UDP_PORT_"
UNSERVED_PREFIXES = ("SERVE_SCTP_PORT_",)
# The tags by which Go's http.DetectContentType knows HTML (then a space or '>').
HTML = re.compile(r"^\s*<(!DOCTYPE HTML|HTML|HEAD|SCRIPT|IFRAME|H1|DIV|FONT|TABLE|A|STYLE|"
                  r"TITLE|B|BODY|BR|P|!--)[ >]", re.IGNORECASE)


def served_ports(environ):
    """([(tcp port, value)], [(tls port, value)], [(udp port, value)], [unserved
    variable names])."""
    tcp, tls, udp, unserved = [], [], [], []
    for key, value in sorted(environ.items()):
        for prefix, found in [(p, tcp) for p in TCP_PREFIXES] + [(TLS_PREFIX, tls),
                                                                 (UDP_PREFIX, udp)]:
            if key.startswith(prefix) and key[len(prefix):].isdigit():
                found.append((int(key[len(prefix):]), value))
        if key.startswith(UNSERVED_PREFIXES):
            unserved.append(key)
    return tcp, tls, udp, unserved


def body(value, method, as_json):
    """(content type, body) of an answer."""
    if as_json:
        return "application/json", json.dumps({"Method": method, "Body": value},
                                              separators=(",", ":"))
    return ("text/html" if HTML.match(value) else "text/plain") + "; charset=utf-8", value


def tls_context():
    """A server context with a certificate made for this porter (the API server's
    proxy, its usual client, does not verify it)."""
    with tempfile.TemporaryDirectory(prefix="kubemn-porter-") as folder:
        cert, key = os.path.join(folder, "localhost.crt"), os.path.join(folder, "localhost.key")
        subprocess.run(http_server.self_signed_argv(cert, key, "localhost"), check=True,
                       capture_output=True, stdin=subprocess.DEVNULL)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
    return context


def _log(text):
    sys.stderr.write("%s %s\n" % (time.strftime("%Y/%m/%d %H:%M:%S"), text))
    sys.stderr.flush()


def _serve_udp(port, value):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("0.0.0.0", port))
    _log("Started UDP server on port %d" % port)
    while True:
        _, client = sock.recvfrom(16)
        sock.sendto(value.encode(), client)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="agnhost porter")
    parser.add_argument("--json-response", action="store_true")
    args = parser.parse_args(argv)
    tcp, tls, udp, unserved = served_ports(os.environ)
    context = tls_context() if tls else None
    for port, value, over in [(p, v, None) for p, v in tcp] + [(p, v, context)
                                                                for p, v in tls]:
        def respond(handler, value=value):
            kind, text = body(value, handler.command, args.json_response)
            return 200, kind, text, ()
        threading.Thread(target=http_server.serve, args=(port, respond, None, over),
                         daemon=True).start()
    for port, value in udp:
        threading.Thread(target=_serve_udp, args=(port, value), daemon=True).start()
    for key in unserved:
        _log("%s: not served by kubemn (no SCTP here)" % key)
    threading.Event().wait()


if __name__ == "__main__":
    main()
