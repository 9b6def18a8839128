"""The cluster DNS server that kubemn runs in kube-system pods, in the part of
CoreDNS's role that the Kubernetes network model needs: Services by name.

It answers from a JSON file of records that kubemn rewrites whenever Services or
their endpoints change (services/dns_records.py), reloaded when it changes, and pod
names (a-b-c-d.<namespace>.pod.cluster.local) from the name itself, as kubeadm's
CoreDNS does, over UDP and TCP. Names outside the cluster domain (and reverse names it
does not know) go where the Corefile's `forward` says (kubeadm's: the nameservers of
the DNS pod's own resolv.conf, which is its node's: the internet host), and their
answers come back as the upstream gave them; without `forward`, NXDOMAIN.

It follows the coredns ConfigMap (the settings file kubemn writes from its Corefile,
services/corefile.py): prints CoreDNS's start-up and reload lines, logs each query
in the log plugin's format while the Corefile has `log`, and names the plugins it
does not serve.

  python -m services.apps.clusterdns --records FILE [--settings FILE] [--port 53]
"""
import argparse
import json
import os
import socket
import socketserver
import struct
import sys
import threading
import time

import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from services.dns_records import CLUSTER_DOMAIN, pod_address

TTL = 5
FORWARD_TIMEOUT = 2.0


class WatchedJson:
    """A JSON file kubemn rewrites, reloaded when its modification time changes (one
    being replaced keeps the last good value)."""

    def __init__(self, path, value):
        self.path, self.value, self.stamp = path, value, None
        self.lock = threading.Lock()

    def loaded(self, raw):
        """The value of the file's new content."""
        return raw

    def current(self):
        try:
            stamp = os.stat(self.path).st_mtime_ns
        except OSError:
            return self.value
        with self.lock:
            if stamp != self.stamp:
                try:
                    with open(self.path) as handle:
                        raw = json.load(handle)
                except (OSError, ValueError):
                    return self.value
                self.stamp = stamp
                self.value = self.loaded(raw)
            return self.value


class Records(WatchedJson):
    """The records file."""

    def __init__(self, path):
        super().__init__(path, {})

    def loaded(self, raw):
        return {k.lower(): v for k, v in raw.items()}


class Settings(WatchedJson):
    """The settings file; a change is said as CoreDNS says a reload."""

    def __init__(self, path):
        super().__init__(path, {"log": False, "forward": [], "unsupported": [],
                                "sha512": ""})
        self.announced = False

    def start(self):
        """CoreDNS's start-up lines, with the settings of now (kubeadm's by default)."""
        self.current()
        if not self.announced:
            announce(self.value, True)
            self.announced = True

    def loaded(self, raw):
        if raw.get("sha512") != self.value.get("sha512"):
            announce(raw, not self.announced)
            self.announced = True
        return raw


def announce(settings, first):
    lines = [] if first else ["[INFO] Reloading"]
    lines.append("[INFO] plugin/reload: Running configuration SHA512 = %s"
                 % settings.get("sha512", ""))
    lines += ["[WARNING] plugin/%s is not served by kubemn's cluster DNS: ignored" % name
              for name in settings.get("unsupported", [])]
    lines.append("[INFO] Reloading complete" if not first else
                 "CoreDNS-1.11.1\nlinux/amd64, go1.20.7, ae2bbc2 (kubemn)")
    say("\n".join(lines))


def say(text):
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def query_log_line(client, query_wire, reply_wire, protocol, seconds):
    """One query as CoreDNS's log plugin prints it."""
    query = dns.message.from_wire(query_wire)
    question = query.question[0]
    reply = dns.message.from_wire(reply_wire)
    flags = dns.flags.to_text(reply.flags).lower().replace(" ", ",")
    return '[INFO] %s:%d - %d "%s %s %s %s %d %s %d" %s %s %d %.9fs' % (
        client[0], client[1], query.id, dns.rdatatype.to_text(question.rdtype),
        dns.rdataclass.to_text(question.rdclass), question.name.to_text(), protocol,
        len(query_wire), "true" if query.ednsflags & dns.flags.DO else "false",
        query.payload if query.edns >= 0 else 512, dns.rcode.to_text(reply.rcode()),
        flags, len(reply_wire), seconds)


def serve_query(data, client, records, settings, protocol):
    """The reply to one query (or None), logged when the Corefile says `log`."""
    started = time.monotonic()
    reply = answer(data, records.current())
    now = settings.current()
    if reply is not None and now.get("forward"):
        servers = upstreams(now["forward"])
        if falls_through(reply):
            reply = forward(data, servers) or servfail(data)
        else:
            reply = chase_upstream(reply, servers)
    if reply is not None and now.get("log"):
        say(query_log_line(client, data, reply, protocol, time.monotonic() - started))
    return reply


def falls_through(reply_wire):
    """Whether a local NXDOMAIN goes upstream: a name outside the cluster domain, or
    a reverse name (kubeadm's Corefile: `fallthrough in-addr.arpa ip6.arpa`)."""
    reply = dns.message.from_wire(reply_wire)
    if reply.rcode() != dns.rcode.NXDOMAIN or not reply.question:
        return False
    return not reply.question[0].name.to_text().lower().endswith("." + CLUSTER_DOMAIN + ".")


def upstreams(targets, resolv_conf="/etc/resolv.conf"):
    """The addresses `forward` names; a file stands for its nameservers."""
    servers = []
    for target in targets:
        if not target.startswith("/"):
            servers.append(target)
            continue
        try:
            with open(target if target != "/etc/resolv.conf" else resolv_conf) as handle:
                fields = [line.split() for line in handle]
        except OSError:
            continue
        servers += [f[1] for f in fields if f[:1] == ["nameserver"] and len(f) > 1]
    return servers


def forward(query_wire, servers):
    """The first upstream's reply to the query, as it gave it, or None."""
    for server in servers:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(FORWARD_TIMEOUT)
            try:
                sock.sendto(query_wire, (server, 53))
                return sock.recvfrom(65535)[0]
            except OSError:
                continue
    return None


def chase_upstream(reply_wire, servers):
    """An ExternalName's CNAME to a name outside the cluster, completed as CoreDNS
    completes it: the target's records of the asked type, from upstream."""
    reply = dns.message.from_wire(reply_wire)
    question = reply.question[0] if reply.question else None
    if question is None or question.rdtype == dns.rdatatype.CNAME or len(reply.answer) != 1 \
            or reply.answer[0].rdtype != dns.rdatatype.CNAME:
        return reply_wire
    target = reply.answer[0][0].target
    if target.to_text().lower().endswith("." + CLUSTER_DOMAIN + "."):
        return reply_wire
    upstream = forward(dns.message.make_query(target, question.rdtype).to_wire(), servers)
    if upstream is not None:
        reply.answer += dns.message.from_wire(upstream).answer
    return reply.to_wire()


def servfail(query_wire):
    response = dns.message.make_response(dns.message.from_wire(query_wire))
    response.set_rcode(dns.rcode.SERVFAIL)
    return response.to_wire()


def answer(query_wire, records):
    """The response to one query, as wire bytes: a FORMERR for a message without
    exactly one question, None for bytes that are no DNS message (dropped, as CoreDNS
    drops them)."""
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
    if found.get("CNAME"):
        # An ExternalName: its alias, and the target's addresses when they are ours.
        response.answer.append(dns.rrset.from_text_list(
            question.name, TTL, dns.rdataclass.IN, dns.rdatatype.CNAME, [found["CNAME"]]))
        target = records.get(found["CNAME"].lower(), {})
        if question.rdtype == dns.rdatatype.A and target.get("A"):
            response.answer.append(dns.rrset.from_text_list(
                found["CNAME"], TTL, dns.rdataclass.IN, dns.rdatatype.A, target["A"]))
        return response.to_wire()
    if question.rdtype == dns.rdatatype.A and found["A"]:
        response.answer.append(dns.rrset.from_text_list(
            question.name, TTL, dns.rdataclass.IN, dns.rdatatype.A, found["A"]))
    elif question.rdtype == dns.rdatatype.SRV and found["SRV"]:
        response.answer.append(dns.rrset.from_text_list(
            question.name, TTL, dns.rdataclass.IN, dns.rdatatype.SRV,
            ["%d %d %d %s" % tuple(srv) for srv in found["SRV"]]))
        # As CoreDNS: the targets' addresses come along.
        for target in sorted({srv[3] for srv in found["SRV"]}):
            addresses = records.get(target.lower(), {}).get("A")
            if addresses:
                response.additional.append(dns.rrset.from_text_list(
                    target, TTL, dns.rdataclass.IN, dns.rdatatype.A, addresses))
    elif question.rdtype == dns.rdatatype.PTR and found.get("PTR"):
        response.answer.append(dns.rrset.from_text_list(
            question.name, TTL, dns.rdataclass.IN, dns.rdatatype.PTR, found["PTR"]))
    return response.to_wire()


def serve_udp(sock, records, settings):
    while True:
        data, client = sock.recvfrom(65535)
        reply = serve_query(data, client, records, settings, "udp")
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
            reply = serve_query(data, self.client_address, self.server.records,
                                self.server.settings, "tcp")
            if reply is None:
                return
            self.request.sendall(struct.pack("!H", len(reply)) + reply)


class TcpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", required=True)
    parser.add_argument("--settings", default="")
    parser.add_argument("--port", type=int, default=53)
    args = parser.parse_args(argv)
    records = Records(args.records)
    settings = Settings(args.settings)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("0.0.0.0", args.port))
    tcp = TcpServer(("0.0.0.0", args.port), TcpHandler)
    tcp.records, tcp.settings = records, settings
    say(".:%d" % args.port)
    settings.start()
    threading.Thread(target=tcp.serve_forever, daemon=True).start()
    threading.Thread(target=_follow, args=(settings,), daemon=True).start()
    serve_udp(udp, records, settings)


def _follow(settings):
    """Reloads as CoreDNS's reload plugin does, even while no query comes."""
    while True:
        time.sleep(1)
        settings.current()


if __name__ == "__main__":
    main()
