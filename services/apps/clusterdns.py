"""The cluster DNS server that kubemn runs in kube-system pods, in the part of
CoreDNS's role that the Kubernetes network model needs: Services by name.

It answers from a JSON file of records that kubemn rewrites whenever Services or
their endpoints change (services/dns_records.py), reloaded when it changes, and pod
names (a-b-c-d.<namespace>.pod.cluster.local) from the name itself, as kubeadm's
CoreDNS does, over UDP and TCP. Names outside the cluster domain get NXDOMAIN at once: nothing is forwarded.

  python -m services.apps.clusterdns --records FILE [--port 53]
"""
import argparse
import json
import os
import socket
import socketserver
import struct
import threading

import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from services.dns_records import pod_address

TTL = 5


class Records:
    """The records file, reloaded when its modification time changes."""

    def __init__(self, path):
        self.path = path
        self.stamp = None
        self.records = {}
        self.lock = threading.Lock()

    def current(self):
        try:
            stamp = os.stat(self.path).st_mtime_ns
        except OSError:
            return self.records
        with self.lock:
            if stamp != self.stamp:
                try:
                    with open(self.path) as handle:
                        self.records = {k.lower(): v for k, v in json.load(handle).items()}
                    self.stamp = stamp
                except (OSError, ValueError):
                    pass  # a file being replaced: keep the last good records
            return self.records


def answer(query_wire, records):
    """The response to one query, as wire bytes (a FORMERR if it cannot be read)."""
    try:
        query = dns.message.from_wire(query_wire)
    except Exception:  # garbage: answer nothing rather than crash
        return None
    response = dns.message.make_response(query)
    response.flags |= dns.flags.AA | dns.flags.RA  # as CoreDNS answers
    if len(query.question) != 1:
        response.set_rcode(dns.rcode.FORMERR)
        return response.to_wire()
    question = query.question[0]
    name = question.name.to_text().lower()
    found = records.get(name)
    if found is None and pod_address(name):
        found = {"A": [pod_address(name)], "SRV": []}
    if found is None:
        response.set_rcode(dns.rcode.NXDOMAIN)
        return response.to_wire()
    if question.rdtype == dns.rdatatype.A and found["A"]:
        response.answer.append(dns.rrset.from_text_list(
            question.name, TTL, dns.rdataclass.IN, dns.rdatatype.A, found["A"]))
    elif question.rdtype == dns.rdatatype.SRV and found["SRV"]:
        response.answer.append(dns.rrset.from_text_list(
            question.name, TTL, dns.rdataclass.IN, dns.rdatatype.SRV,
            ["%d %d %d %s" % tuple(srv) for srv in found["SRV"]]))
    return response.to_wire()


def serve_udp(sock, records):
    while True:
        data, client = sock.recvfrom(65535)
        reply = answer(data, records.current())
        if reply is not None:
            sock.sendto(reply, client)


class TcpHandler(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            header = self.request.recv(2)
            if len(header) < 2:
                return
            (length,) = struct.unpack("!H", header)
            data = b""
            while len(data) < length:
                chunk = self.request.recv(length - len(data))
                if not chunk:
                    return
                data += chunk
            reply = answer(data, self.server.records.current())
            if reply is None:
                return
            self.request.sendall(struct.pack("!H", len(reply)) + reply)


class TcpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", required=True)
    parser.add_argument("--port", type=int, default=53)
    args = parser.parse_args(argv)
    records = Records(args.records)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("0.0.0.0", args.port))
    tcp = TcpServer(("0.0.0.0", args.port), TcpHandler)
    tcp.records = records
    print("clusterdns: serving %s on port %d" % (args.records, args.port), flush=True)
    threading.Thread(target=tcp.serve_forever, daemon=True).start()
    serve_udp(udp, records)


if __name__ == "__main__":
    main()
