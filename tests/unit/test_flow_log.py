"""The flow log's pure parts: the kernel's ctnetlink messages read as events, the
records named from the cluster's addresses, Hubble's filters, observe's options."""
import socket
import struct

import pytest

from topo.errors import KubemnError
from topo.observe import conntrack_messages as ct
from topo.observe.flow_log import FORMS, ServiceMatcher, compact, matches, names_of, record
from topo.observe.observe_command import (parse_observe, parse_observe_words, query_of,
                                          query_words)


def attr(kind, payload, nested=False):
    kind |= 0x8000 if nested else 0
    data = struct.pack("=HH", 4 + len(payload), kind) + payload
    return data + b"\0" * (-len(data) % 4)


def tuple_attr(kind, src, dst, proto, sport, dport):
    ip = attr(ct.CTA_TUPLE_IP, attr(ct.CTA_IP_V4_SRC, socket.inet_aton(src)) +
              attr(ct.CTA_IP_V4_DST, socket.inet_aton(dst)), True)
    ports = attr(ct.CTA_PROTO_NUM, bytes([proto])) + \
        attr(ct.CTA_PROTO_SRC_PORT, struct.pack("!H", sport)) + \
        attr(ct.CTA_PROTO_DST_PORT, struct.pack("!H", dport))
    return attr(kind, ip + attr(ct.CTA_TUPLE_PROTO, ports, True), True)


def message(kind, flags, original, reply, state=None, counters=None):
    body = struct.pack("=BBH", socket.AF_INET, 0, 0) + \
        tuple_attr(ct.CTA_TUPLE_ORIG, *original) + tuple_attr(ct.CTA_TUPLE_REPLY, *reply)
    if state is not None:
        body += attr(ct.CTA_PROTOINFO, attr(ct.CTA_PROTOINFO_TCP, attr(
            ct.CTA_PROTOINFO_TCP_STATE, bytes([state])), True), True)
    for which, (packets, octets) in zip((ct.CTA_COUNTERS_ORIG, ct.CTA_COUNTERS_REPLY),
                                        counters or ()):
        body += attr(which, attr(ct.CTA_COUNTERS_PACKETS, struct.pack("!Q", packets)) +
                     attr(ct.CTA_COUNTERS_BYTES, struct.pack("!Q", octets)), True)
    header = struct.pack("=IHHII", 16 + len(body), (ct.NFNL_SUBSYS_CTNETLINK << 8) | kind,
                         flags, 0, 0)
    return header + body


CLIENT = ("10.244.1.3", "10.244.2.2", 6, 40000, 8080)
ANSWER = ("10.244.2.2", "10.244.1.3", 6, 8080, 40000)
NAMES = names_of([("10.244.1.3", "default", "client1"), ("10.244.2.2", "default", "server2")],
                 [("10.96.0.20", "default", "web")], [("node1", ["10.0.0.1", "10.244.1.1"])],
                 "203.0.113.1")


def test_a_new_connection_its_state_changes_and_its_end_with_counts():
    data = message(ct.IPCTNL_MSG_CT_NEW, ct.NLM_F_CREATE, CLIENT, ANSWER, state=1) + \
        message(ct.IPCTNL_MSG_CT_NEW, 0, CLIENT, ANSWER, state=3) + \
        message(ct.IPCTNL_MSG_CT_DELETE, 0, CLIENT, ANSWER, counters=((6, 400), (5, 900)))
    began, answered, ended = ct.parse_messages(data)
    assert (began.kind, began.protocol, began.tcp_state) == ("NEW", "TCP", "SYN_SENT")
    assert began.original == ct.Tuple("10.244.1.3", "10.244.2.2", 40000, 8080)
    assert not began.translated
    assert (answered.kind, answered.tcp_state) == ("UPDATE", "ESTABLISHED")
    assert (ended.kind, ended.packets, ended.bytes) == ("DESTROY", (6, 5), (400, 900))


def test_a_reply_from_elsewhere_is_a_translation():
    [event] = ct.parse_messages(message(ct.IPCTNL_MSG_CT_NEW, ct.NLM_F_CREATE,
                                        ("10.244.1.3", "10.96.0.20", 6, 40000, 80),
                                        ANSWER, state=1))
    entry = record(event, "node1", NAMES, now=0)
    assert entry["destination"] == {"ip": "10.96.0.20", "port": 80, "name": "svc:default/web"}
    assert entry["translated"]["destination"] == {"ip": "10.244.2.2", "port": 8080,
                                                  "name": "default/server2"}
    assert "[NAT: reply default/server2 (10.244.2.2:8080)" in compact(entry)


def test_a_connections_first_reply_answers_it_or_refuses_it():
    # The nodes' conntrack reports a connection's first reply alone (its state then:
    # SYN_RECV for a SYN-ACK, CLOSE for a reset).
    events = ct.parse_messages(message(ct.IPCTNL_MSG_CT_NEW, 0, CLIENT, ANSWER, state=2) +
                               message(ct.IPCTNL_MSG_CT_NEW, 0, CLIENT, ANSWER, state=8))
    assert [record(e, "node1", NAMES, now=0)["event"] for e in events] == \
        ["ANSWERED", "REFUSED"]


def test_filters():
    [event] = ct.parse_messages(message(ct.IPCTNL_MSG_CT_NEW, ct.NLM_F_CREATE, CLIENT,
                                        ANSWER, state=1))
    entry = record(event, "node1", NAMES, now=0)
    assert matches(entry, pod="client1") and matches(entry, pod="default/server2")
    assert not matches(entry, pod="web") and not matches(entry, pod="kube-system/client1")
    assert matches(entry, namespace="default") and not matches(entry, namespace="node1")
    assert matches(entry, protocol="tcp", port=8080, node="node1")
    assert not matches(entry, protocol="udp") and not matches(entry, port=80)
    assert not matches(entry, node="node2")


def test_observe_options_and_bad_input_in_one_line():
    options = parse_observe("--last 5 -f --pod client1 --protocol TCP --port 80 -o json "
                            "--verdict dropped")
    assert (options.last, options.follow, options.output) == (5, True, "json")
    assert options.filters == {"pod": "client1", "namespace": None, "protocol": "tcp",
                               "port": 80, "node": None, "verdict": "DROPPED", "ip": None}
    for line, said in (("--port 70000", "out of range"), ("--last -1", "0 or more"),
                       ("--protocol gre", "invalid choice"), ("--bogus", "unrecognized"),
                       ("-o yaml", "invalid choice"), ("--verdict lost", "invalid choice"),
                       ("--ip 10.0.0", "not an IPv4 address")):
        with pytest.raises(KubemnError, match=said):
            parse_observe(line)


def test_a_connection_to_an_endpoint_from_where_one_to_a_service_began_went_through_it():
    to_vip = ("10.244.1.3", "10.96.0.20", 6, 40000, 80)
    services = ServiceMatcher()
    [first] = ct.parse_messages(message(ct.IPCTNL_MSG_CT_NEW, ct.NLM_F_CREATE, to_vip,
                                        to_vip[1::-1] + (6, 80, 40000), state=1))
    [second] = ct.parse_messages(message(ct.IPCTNL_MSG_CT_NEW, ct.NLM_F_CREATE, CLIENT,
                                         ANSWER, state=1))
    services.follow(record(first, "node1", NAMES, now=1.0))
    entry = services.follow(record(second, "node2", NAMES, now=1.01))
    assert entry["service"] == "default/web"
    assert entry["translated_from"] == {"ip": "10.96.0.20", "port": 80,
                                        "name": "svc:default/web"}
    assert "[service default/web: svc:default/web (10.96.0.20:80)]" in compact(entry)
    late = services.follow(record(second, "node2", NAMES, now=30.0))
    assert "service" not in late


def test_updates_to_states_not_asked_for_are_not_read():
    data = message(ct.IPCTNL_MSG_CT_NEW, 0, CLIENT, ANSWER, state=2) + \
        message(ct.IPCTNL_MSG_CT_NEW, 0, CLIENT, ANSWER, state=3) + \
        message(ct.IPCTNL_MSG_CT_NEW, ct.NLM_F_CREATE, CLIENT, ANSWER, state=1)
    assert [(e.kind, e.tcp_state) for e in ct.parse_messages(data, {"ESTABLISHED"})] == \
        [("UPDATE", "ESTABLISHED"), ("NEW", "SYN_SENT")]


def test_connections_to_services_are_forgotten_after_their_period():
    services = ServiceMatcher(seconds=10.0)
    for second in range(30):
        services.follow({"event": "BEGAN", "protocol": "TCP", "time": float(second),
                         "source": {"ip": "10.244.1.3", "port": 1000 + second},
                         "destination": {"ip": "10.96.0.20", "port": 80,
                                         "name": "svc:default/web"}})
    assert len(services.to_services) <= 21


def test_observe_options_travel_as_the_flow_endpoints_query_and_back():
    options = parse_observe("-f --last 3 --pod client1 --verdict dropped --port 80")
    query = query_of(options)
    assert query == {"last": "3", "follow": "true", "pod": "client1", "verdict": "DROPPED",
                     "port": "80"}
    again = parse_observe_words(query_words({k: [v] for k, v in query.items()}))
    assert (again.last, again.follow, again.filters) == (3, True, options.filters)
    for query, said in (({"output": ["json"]}, "unknown parameter 'output'"),
                        ({"follow": ["yes"]}, "follow must be true or false"),
                        ({"port": ["0"]}, "out of range")):
        with pytest.raises(KubemnError, match=said):
            parse_observe_words(query_words(query))


def test_a_ping_is_not_translated_unless_nat_changed_its_addresses():
    echo = ct.ConntrackEvent("NEW", "ICMP", ct.Tuple("10.244.1.4", "10.244.1.3", 0, 7),
                             ct.Tuple("10.244.1.3", "10.244.1.4", 0, 7))
    assert not echo.translated
    masqueraded = ct.ConntrackEvent("NEW", "ICMP", ct.Tuple("10.244.1.4", "203.0.113.1", 0, 7),
                                    ct.Tuple("203.0.113.1", "192.168.0.1", 0, 7))
    assert masqueraded.translated


def test_the_table_form_has_hubbles_columns_under_a_header():
    [event] = ct.parse_messages(message(ct.IPCTNL_MSG_CT_NEW, ct.NLM_F_CREATE, CLIENT,
                                        ANSWER, state=1))
    show, header = FORMS["table"]
    row = show(record(event, "node1", NAMES, now=0))
    assert header.split() == ["TIME", "NODE", "EVENT", "VERDICT", "SOURCE", "DESTINATION",
                              "SUMMARY"]
    assert row.split()[1:4] == ["node1", "BEGAN", "FORWARDED"]
    assert row.index("default/client1") == header.index("SOURCE")
    assert row.index("default/server2") == header.index("DESTINATION")
    assert row.rstrip().endswith("TCP")
    assert FORMS["compact"][1] is None and FORMS["json"][1] is None
