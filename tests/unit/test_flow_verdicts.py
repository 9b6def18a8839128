"""The flow log's verdicts (pure): NFLOG's messages of a NetworkPolicy's drop read back
and named, the fabric controller's rejects read back and named, --verdict."""
import json
import socket
import struct

from controllers.observations import from_the_internet, message
from controllers.state import parse_state
from controllers.tables import CLASSIFY, SERVICE
from topo.observe import nflog_messages as nflog
from topo.observe.flow_log import compact, matches, names_of
from topo.observe.verdicts import dropped, fabric_dropped, rejected
from topo.observe.netlink import error_of, messages
from topo.policy.nft import drop_prefix

NAMES = names_of([("10.244.1.3", "default", "client1"), ("10.244.2.2", "default", "web-1")],
                 [("10.96.0.20", "default", "web")], [("node1", ["10.0.0.1", "10.244.1.1"])],
                 "203.0.113.1")


def ipv4_tcp(src, dst, sport, dport, flags):
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 1, 0, 64, socket.IPPROTO_TCP, 0,
                         socket.inet_aton(src), socket.inet_aton(dst))
    return header + struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 0x50, flags, 64240, 0, 0)


def nflog_packet(prefix, payload):
    def attr(kind, data):
        data = struct.pack("=HH", 4 + len(data), kind) + data
        return data + b"\0" * (-len(data) % 4)
    body = struct.pack("=BBH", socket.AF_INET, 0, socket.htons(1)) + \
        attr(1, struct.pack("!HBx", 0x0800, 2)) + \
        attr(nflog.NFULA_PREFIX, prefix.encode() + b"\0") + attr(nflog.NFULA_PAYLOAD, payload)
    kind = (nflog.NFNL_SUBSYS_ULOG << 8) | nflog.NFULNL_MSG_PACKET
    return struct.pack("=IHHII", 16 + len(body), kind, 0, 0, 0) + body


def test_binding_a_group_asks_for_it_and_for_each_packets_first_bytes():
    bind, mode = nflog.bind_requests(1)
    (kind, flags, body), = messages(bind)
    assert kind == (nflog.NFNL_SUBSYS_ULOG << 8) | nflog.NFULNL_MSG_CONFIG
    assert struct.unpack("!H", body[2:4]) == (1,)   # the group, big-endian
    assert body[-4:] == bytes([nflog.NFULNL_CFG_CMD_BIND, 0, 0, 0])   # padded to 4
    (_, _, body), = messages(mode)
    assert struct.unpack("!IBB", body[8:14]) == (nflog.COPIED, nflog.NFULNL_COPY_PACKET, 0)
    assert struct.unpack("=HH", body[-8:-4]) == (8, nflog.NFULA_CFG_QTHRESH)
    assert struct.unpack("!I", body[-4:]) == (1,)   # each packet at once
    ack = struct.pack("=IHHII", 36, 2, 0, 1, 0) + struct.pack("=i", -16) + bind[:16]
    assert error_of(ack) == 16


def test_a_policy_drop_is_read_back_with_its_pod_its_policies_and_the_packets_flags():
    prefix = drop_prefix("ingress", "10.244.2.2", ["deny-all", "allow-db"])
    data = nflog_packet(prefix, ipv4_tcp("10.244.1.3", "10.244.2.2", 40000, 80, 0x02))
    (packet,) = nflog.parse_packets(data)
    assert (packet.protocol, packet.sport, packet.dport, packet.tcp_flags) == \
        ("TCP", 40000, 80, ("SYN",))
    entry = dropped(packet, "node2", NAMES, now=0)
    assert (entry["verdict"], entry["node"]) == ("DROPPED", "node2")
    assert entry["source"]["name"] == "default/client1"
    assert entry["destination"]["name"] == "default/web-1"
    assert entry["policies"] == ["default/deny-all", "default/allow-db"]
    assert entry["chain"] == "ingress_10_244_2_2"
    assert entry["reason"] == ("no NetworkPolicy allows ingress to default/web-1 "
                               "(isolated by default/deny-all, default/allow-db)")
    line = compact(entry)
    assert "DROPPED" in line and "SYN" in line and "default/deny-all" in line
    assert matches(entry, verdict="dropped") and not matches(entry, verdict="FORWARDED")


def test_a_log_not_of_a_drop_makes_no_record():
    data = nflog_packet("something else", ipv4_tcp("10.244.1.3", "10.244.2.2", 1, 2, 0x02))
    (packet,) = nflog.parse_packets(data)
    assert dropped(packet, "node1", NAMES) is None


def test_a_reject_for_want_of_endpoints_names_the_service_and_its_port():
    frame = bytes(12) + b"\x08\x00" + ipv4_tcp("10.244.1.3", "10.96.0.20", 40001, 80, 0x02)
    told = json.loads(message("REJECTED", 1, frame))
    assert (told["event"], told["switch"]) == ("REJECTED", 1)
    packet = nflog.parse_payload("", bytes.fromhex(told["frame"])[14:])
    entry = rejected(packet, "s1", NAMES, now=0)
    assert (entry["verdict"], entry["node"]) == ("REJECTED", "s1")
    assert entry["destination"]["name"] == "svc:default/web"
    assert entry["reason"] == "no ready endpoint behind svc:default/web port 80/TCP"


def test_what_is_not_ipv4_is_not_read():
    assert nflog.parse_payload("", b"\x60" + bytes(39)) is None
    assert nflog.parse_payload("", b"\x45" + bytes(5)) is None


def test_the_internet_hosts_packet_to_a_pod_is_a_fabric_drop_and_its_arp_is_not():
    state = parse_state({"generation": 1, "switches": [{"dpid": 1}],
                         "gateway": {"ip": "192.168.0.254", "mac": "0a:00:00:00:00:fe"},
                         "internet": {"ip": "203.0.113.1", "mac": "0a:00:00:00:00:09",
                                      "cidr": "203.0.113.0/24", "dpid": 1, "port": 9,
                                      "gateway_ip": "203.0.113.254"},
                         "cluster_cidrs": ["10.244.0.0/16"]})
    frame = bytes(12) + b"\x08\x00" + ipv4_tcp("203.0.113.1", "10.244.1.3", 40002, 80, 0x02)
    assert from_the_internet(state, 1, 9, CLASSIFY, frame)
    assert not from_the_internet(state, 1, 9, CLASSIFY, bytes(12) + b"\x08\x06" + bytes(28))
    assert not from_the_internet(state, 1, 3, CLASSIFY, frame)       # a node's port
    assert not from_the_internet(state, 1, 9, SERVICE, frame)
    entry = fabric_dropped(nflog.parse_payload("", frame[14:]), "s1", NAMES, now=0)
    assert (entry["verdict"], entry["source"]["name"]) == ("DROPPED", "internet")
    assert "only NodePorts, LoadBalancer and external IPs are reachable" in entry["reason"]
