"""`trace`'s pure half: its request, the packets it keeps, the fabric path, and the
text it prints from what it observed (topo/inspect/tracepath.py)."""
import pytest

from topo.errors import KubemnError
from topo.inspect.tracepath import (Observed, Point, first_of_each_direction, parse_request,
                                    render, switch_path)


@pytest.mark.parametrize("line,parsed", [
    ("client1 web:80", ("client1", "web", 80, "tcp")),
    ("client1 server2", ("client1", "server2", None, "icmp")),
    ("internet node1:30080 --proto udp", ("internet", "node1", 30080, "udp")),
])
def test_requests(line, parsed):
    assert parse_request(line) == parsed


@pytest.mark.parametrize("line,message", [
    ("client1", "usage: trace SRC DST"), ("a b:0", "expected 1-65535"),
    ("a b:x", "expected 1-65535"), ("a b:80 --proto sctp", "expected tcp, udp or icmp"),
    ("a b --proto udp", "udp needs a port"), ("a b:80 --proto", "--proto needs"),
])
def test_bad_requests_say_what_is_wrong(line, message):
    with pytest.raises(KubemnError, match=message):
        parse_request(line)


def test_the_fabric_path_climbs_to_the_spine_and_down():
    links = [("spine", "leaf1"), ("spine", "leaf2")]
    assert switch_path(links, "leaf1", "leaf2") == ["leaf1", "spine", "leaf2"]
    assert switch_path(links, "leaf1", "leaf1") == ["leaf1"]
    assert switch_path([], "s1", "elsewhere") == ["s1"]


def test_each_direction_and_each_rewriting_is_kept_once():
    def pkt(src, dst, sport, dport):
        return {"src": src, "dst": dst, "sport": sport, "dport": dport}
    packets = [pkt("10.244.1.4", "10.96.0.20", 40000, 80),
               pkt("10.244.1.4", "10.96.0.20", 40000, 80),       # a retransmission
               pkt("169.254.169.5", "10.244.1.4", 40000, 8080),  # the hairpin, rewritten
               pkt("10.244.1.4", "169.254.169.5", 8080, 40000)]  # the answer
    assert first_of_each_direction(packets, "tcp", 40000) == [packets[0], packets[2],
                                                              packets[3]]
    pings = [{"src": "a", "dst": "b", "icmp_id": 7, "icmp_type": 8},
             {"src": "a", "dst": "b", "icmp_id": 9, "icmp_type": 8}]
    assert first_of_each_direction(pings, "icmp", 7) == pings[:1]


def _packet(src, dst, sport, dport, ttl=64, flags="S"):
    return {"src": src, "dst": dst, "sport": sport, "dport": dport, "ttl": ttl,
            "flags": flags}


def test_a_service_trace_reads_in_order_with_routing_rules_nat_and_answer():
    source = [Point(label, [], "eth0", "source") for label in (
        "client1 eth0", "node1 cbr0", "node1 eth0")]
    target = [Point(label, [], "eth0", "destination") for label in (
        "node2 eth0", "web-1 eth0")]
    forward = [(source[0], _packet("10.244.1.4", "10.96.0.20", 40000, 80)),
               (source[1], _packet("10.244.1.4", "10.96.0.20", 40000, 80)),
               (source[2], _packet("10.244.1.4", "10.96.0.20", 40000, 80, 63)),
               (target[0], _packet("10.244.1.4", "10.244.2.5", 40000, 8080, 62)),
               (target[1], _packet("10.244.1.4", "10.244.2.5", 40000, 8080, 61))]
    backward = [(target[1], _packet("10.244.2.5", "10.244.1.4", 8080, 40000, 64, "SA")),
                (source[0], _packet("10.96.0.20", "10.244.1.4", 80, 40000, 61, "SA"))]
    observed = Observed(
        "client1", "10.96.0.20:80", "tcp", "10.244.1.4", "10.96.0.20", forward, backward,
        reply=_packet("10.96.0.20", "10.244.1.4", 80, 40000, 61, "SA"),
        routing=("node1 cbr0", "node1 routing", "10.96.0.20 via 192.168.0.254 dev eth0"),
        switches=("node1 eth0", [("s1", ["SERVICE: to web", "DNAT: 10.244.2.5:8080"],
                                  "Datapath actions: 2")]),
        ingress="s1")
    lines = render(observed).splitlines()
    assert lines[0] == "trace client1 -> 10.96.0.20:80 (tcp): one packet from 10.244.1.4"
    labels = [line[5:33].strip() for line in lines if line[:4].strip().rstrip(".").isdigit()]
    assert labels == ["client1 eth0", "node1 cbr0", "node1 routing", "node1 eth0", "s1",
                      "node2 eth0", "web-1 eth0"]
    assert "       DNAT: 10.244.2.5:8080" in lines and "       Datapath actions: 2" in lines
    assert "     NAT: 10.96.0.20:80 -> 10.244.2.5:8080" in lines
    assert "     un-NAT: 10.244.2.5 -> 10.96.0.20" in lines
    assert lines[-1].startswith("     answered: 10.96.0.20:80 -> 10.244.1.4:40000 [SA]")


def test_a_dropped_packet_says_where_it_was_last_seen_and_what_policy_says():
    point = Point("client1 eth0", [], "eth0", "source")
    observed = Observed("client1", "10.244.2.5:80", "tcp", "10.244.1.4", "10.244.2.5",
                        [(point, _packet("10.244.1.4", "10.244.2.5", 40000, 80))], [],
                        policy="     NetworkPolicy: DROPPED by node2's forward hook: ...")
    lines = render(observed).splitlines()
    assert lines[-2] == "     DROPPED: no answer; last seen at client1 eth0"
    assert lines[-1].startswith("     NetworkPolicy: DROPPED by node2")
