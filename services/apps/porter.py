"""agnhost porter: for each environment variable SERVE_PORT_<n> (or SERVE_TCP_PORT_<n>)
an HTTP server on port n answering the variable's value to any request, and for
SERVE_UDP_PORT_<n> a UDP server answering it to any datagram. --json-response
answers {"Method": ..., "Body": ...} instead. SERVE_TLS_PORT_ and SERVE_SCTP_PORT_
ports are named in the log and not served (no TLS certificate or SCTP here)."""
import argparse
import json
import os
import socket
import sys
import threading
import time

from services.apps import http_server

TCP_PREFIXES = ("SERVE_PORT_", "SERVE_TCP_PORT_")
UDP_PREFIX = "SERVE_UDP_PORT_"
UNSERVED_PREFIXES = ("SERVE_TLS_PORT_", "SERVE_SCTP_PORT_")


def served_ports(environ):
    """([(tcp port, value)], [(udp port, value)], [unserved variable names])."""
    tcp, udp, unserved = [], [], []
    for key, value in sorted(environ.items()):
        for prefix in TCP_PREFIXES:
            if key.startswith(prefix) and key[len(prefix):].isdigit():
                tcp.append((int(key[len(prefix):]), value))
        if key.startswith(UDP_PREFIX) and key[len(UDP_PREFIX):].isdigit():
            udp.append((int(key[len(UDP_PREFIX):]), value))
        if key.startswith(UNSERVED_PREFIXES):
            unserved.append(key)
    return tcp, udp, unserved


def body(value, method, as_json):
    """(content type, body) of an answer."""
    if as_json:
        return "application/json", json.dumps({"Method": method, "Body": value},
                                              separators=(",", ":"))
    return "text/plain; charset=utf-8", value


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
    tcp, udp, unserved = served_ports(os.environ)
    for port, value in tcp:
        def respond(handler, value=value):
            kind, text = body(value, handler.command, args.json_response)
            return 200, kind, text, ()
        threading.Thread(target=http_server.serve, args=(port, respond), daemon=True).start()
    for port, value in udp:
        threading.Thread(target=_serve_udp, args=(port, value), daemon=True).start()
    for key in unserved:
        _log("%s: not served by kubemn (no TLS or SCTP here)" % key)
    threading.Event().wait()


if __name__ == "__main__":
    main()
