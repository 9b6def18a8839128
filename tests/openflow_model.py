"""An in-memory OpenFlow switch for unit tests: runs the flows and groups that the
controller generates (controllers/pipeline.py) for one packet, so that tests say
what happens to a packet ("a SYN to the VIP leaves by node2's port, rewritten to
10.244.2.5:8080") rather than what the flows look like, as faucet's tests do.

What it models, no more: matches (exact, CIDR for IPv4 addresses, (value, mask) for
ct_state, ct_mark and tcp_flags), table misses (drop), the actions of controllers/flows.py
(output, controller, goto, resubmit, group, dec_ttl, set_field, ct, learn), select groups (the
test names the bucket), and a small conntrack: connections per zone, committed by
`ct(commit)`, with destination or source NAT (the null binding's search for a free
source port included), a mark, and the states new, established (after a reply) and
reply.
"""
import copy
import ipaddress
import socket
from dataclasses import dataclass, field

from controllers import tables as t
from controllers.flows import flow

PORT_FIELDS = {6: ("tcp_src", "tcp_dst"), 17: ("udp_src", "udp_dst")}
MAX_DEPTH = 64


def packet(src, dst, proto="tcp", sport=40000, dport=80, in_port=1, eth_src=None,
           eth_dst="0a:00:00:00:00:fe", ttl=64, tcp_flags=None):
    """An IPv4 packet as the switch sees it, fields by OpenFlow name (tcp_flags, when
    given, as an int: 0x01 FIN, 0x02 SYN, 0x04 RST, 0x10 ACK)."""
    number = {"tcp": 6, "udp": 17, "icmp": 1}[proto]
    fields = {"in_port": in_port, "eth_type": 0x0800, "eth_src": eth_src or "0a:58:00:00:00:01",
              "eth_dst": eth_dst, "ip_proto": number, "ipv4_src": src, "ipv4_dst": dst,
              "nw_ttl": ttl}
    if number in PORT_FIELDS:
        fields[PORT_FIELDS[number][0]], fields[PORT_FIELDS[number][1]] = sport, dport
    if tcp_flags is not None:
        fields["tcp_flags"] = tcp_flags
    return fields


def reply_to(sent, in_port):
    """The reply to a packet as it arrived: addresses and ports swapped."""
    fields = {k: v for k, v in sent.items() if not k.startswith(("reg", "ct_"))}
    fields["in_port"] = in_port
    fields["ipv4_src"], fields["ipv4_dst"] = sent["ipv4_dst"], sent["ipv4_src"]
    fields["eth_src"], fields["eth_dst"] = sent["eth_dst"], sent["eth_src"]
    ports = PORT_FIELDS.get(sent["ip_proto"])
    if ports:
        fields[ports[0]], fields[ports[1]] = sent[ports[1]], sent[ports[0]]
    return fields


def reply_from(delivered, in_port, gateway_mac):
    """What the receiving pod sends back, routed by its node to the fabric gateway."""
    fields = reply_to(delivered, in_port)
    fields["eth_dst"] = gateway_mac
    return fields


@dataclass
class Result:
    outputs: list = field(default_factory=list)   # [(port, packet fields)]
    packet_ins: list = field(default_factory=list)  # [(table, packet fields)] sent up
    tables: list = field(default_factory=list)    # the tables the packet went through

    @property
    def to_controller(self):
        return bool(self.packet_ins)

    @property
    def dropped(self):
        return not self.outputs and not self.to_controller

    def only_output(self):
        assert len(self.outputs) == 1, "expected one output, got %r" % (self.outputs,)
        return self.outputs[0]


def _tuple(fields):
    ports = PORT_FIELDS.get(fields.get("ip_proto"), (None, None))
    return (fields.get("ip_proto"), fields["ipv4_src"], fields.get(ports[0]),
            fields["ipv4_dst"], fields.get(ports[1]))


def _reverse(five):
    proto, src, sport, dst, dport = five
    return (proto, dst, dport, src, sport)


@dataclass
class Connection:
    original: tuple
    reply: tuple          # the reply's tuple as it arrives, after NAT
    mark: int = 0
    replied: bool = False


class Conntrack:
    """Connections per zone, looked up by either direction's tuple."""

    def __init__(self):
        self.zones = {}

    def find(self, zone, five):
        for connection in self.zones.get(zone, []):
            if five == connection.original:
                return connection, False
            if five == connection.reply:
                return connection, True
        return None, False

    def commit(self, zone, original, nat):
        """A new connection; nat: None, ("dst", ip, port), ("src", ip) or ("src",)
        (the null binding). A source NAT whose reply tuple another connection holds
        takes the next free source port, as conntrack's unique-tuple search does; a
        commit without NAT takes the tuple as it is (and a reply finds the older
        connection first)."""
        translated = list(original)
        if nat and nat[0] == "dst":
            translated[3], translated[4] = nat[1], nat[2]
        elif nat and nat[0] == "src":
            if len(nat) > 1:
                translated[1] = nat[1]
            held = {c.reply for c in self.zones.get(zone, [])}
            while translated[2] is not None and _reverse(tuple(translated)) in held:
                translated[2] += 1
        connection = Connection(original, _reverse(tuple(translated)))
        self.zones.setdefault(zone, []).append(connection)
        return connection


class Switch:
    """One switch's flows and groups (a controllers.pipeline.SwitchConfig)."""

    def __init__(self, config, conntrack=None):
        self.flows = list(config.flows)
        self.groups = dict(config.groups)
        self.conntrack = conntrack or Conntrack()

    def send(self, fields, bucket=0):
        """Runs a packet from table 0; bucket: which bucket a select group takes."""
        result = Result()
        self._run_table(0, dict(fields), result, bucket, 0)
        return result

    # --- tables ---------------------------------------------------------------------
    def lookup(self, table, fields):
        candidates = [f for f in self.flows if f.table == table and _matches(f.match, fields)]
        return max(candidates, key=lambda f: f.priority) if candidates else None

    def _run_table(self, table, fields, result, bucket, depth):
        assert depth < MAX_DEPTH, "a loop in the pipeline"
        result.tables.append(table)
        found = self.lookup(table, fields)
        if found is not None:
            self._apply(found.actions, fields, result, bucket, depth, table)

    def _apply(self, actions, fields, result, bucket, depth, table=None):
        for action in actions:
            kind = action[0]
            if kind == "output":
                port = fields["in_port"] if action[1] == "IN_PORT" else action[1]
                if port == "CONTROLLER":
                    result.packet_ins.append((table, copy.deepcopy(fields)))
                else:
                    result.outputs.append((port, copy.deepcopy(fields)))
            elif kind == "controller":
                result.packet_ins.append((table, copy.deepcopy(fields)))
            elif kind == "goto":
                return self._run_table(action[1], fields, result, bucket, depth + 1)
            elif kind == "resubmit":
                self._run_table(action[1], fields, result, bucket, depth + 1)
            elif kind == "group":
                buckets = self.groups[action[1]].buckets
                self._apply(buckets[bucket % len(buckets)], fields, result, bucket, depth + 1,
                            table)
            elif kind == "dec_ttl":
                fields["nw_ttl"] -= 1
            elif kind == "set_field":
                fields[action[1]] = action[2]
            elif kind == "ct":
                return self._ct(action[1], fields, result, bucket, depth)
            elif kind == "learn":
                self._learn(action[1], fields)
            else:
                raise AssertionError("the model does not know the action %r" % (action,))

    # --- conntrack and learning -------------------------------------------------------
    def _ct(self, ct, fields, result, bucket, depth):
        five = _tuple(fields)
        connection, is_reply = self.conntrack.find(ct.zone, five)
        if connection is None and ct.commit:
            connection = self.conntrack.commit(ct.zone, five, ct.nat if ct.nat and
                                               ct.nat[0] != "plain" else None)
            state = t.CT_NEW
        elif connection is None:
            state = t.CT_NEW
        elif is_reply:
            connection.replied = True
            state = t.CT_EST | t.CT_RPL
        else:
            state = t.CT_EST if connection.replied else t.CT_NEW
        if connection is not None and ct.nat:
            _translate(fields, connection, is_reply)
        if connection is not None and ct.mark:
            value, mask = ct.mark
            connection.mark = (connection.mark & ~mask) | (value & mask)
        fields["ct_state"] = state | t.CT_TRK
        fields["ct_zone"] = ct.zone
        fields["ct_mark"] = connection.mark if connection is not None else 0
        if ct.table is not None:
            self._run_table(ct.table, fields, result, bucket, depth + 1)

    def _learn(self, learn, fields):
        ports = PORT_FIELDS[learn.ip_proto]
        match = {"eth_type": 0x0800, "ip_proto": learn.ip_proto,
                 "ipv4_src": fields["ipv4_src"], "ipv4_dst": fields["ipv4_dst"],
                 ports[1]: fields[ports[1]]}
        self.flows.append(flow(learn.table, learn.priority, match, [
            ("set_field", t.REG_ENDPOINT_IP, fields[t.REG_ENDPOINT_IP]),
            ("set_field", t.REG_ENDPOINT_PORT, fields[t.REG_ENDPOINT_PORT])]))


def _translate(fields, connection, is_reply):
    """Rewrites the packet to the other side of the connection's NAT."""
    ports = PORT_FIELDS.get(fields.get("ip_proto"), (None, None))
    if is_reply:
        # The reply goes back to the original's source, from its destination.
        _, src, sport, dst, dport = connection.original
        fields["ipv4_src"], fields["ipv4_dst"] = dst, src
        if ports[0]:
            fields[ports[0]], fields[ports[1]] = dport, sport
    else:
        _, src, sport, dst, dport = _reverse(connection.reply)
        fields["ipv4_src"], fields["ipv4_dst"] = src, dst
        if ports[0]:
            fields[ports[0]], fields[ports[1]] = sport, dport


def _matches(match, fields):
    for name, wanted in match:
        have = fields.get(name)
        if isinstance(wanted, tuple):          # (value, mask)
            if have is None or have & wanted[1] != wanted[0] & wanted[1]:
                return False
        elif name in ("ipv4_src", "ipv4_dst") and "/" in str(wanted):
            if have is None or ipaddress.IPv4Address(have) not in \
                    ipaddress.IPv4Network(wanted):
                return False
        elif name.startswith("reg") and isinstance(wanted, int):
            if (have or 0) != wanted:
                return False
        elif have != wanted:
            return False
    return True


def ip_int(ip):
    return int.from_bytes(socket.inet_aton(ip), "big")
