"""Who opened a connection the fabric translated twice (pure): Open vSwitch's
conntrack dump read, the client behind a node's source NAT and the frontend it
dialled found, the Service named from its NodePort or its own address."""
from topo.observe.address_names import AddressNames
from topo.observe.flow_log import compact, matches, names_of, service_addresses, with_origin
from topo.observe.switch_conntrack import origin, parse_dump

# As dpctl/dump-conntrack printed them for a curl from the internet to node1's NodePort.
DUMP = """\
tcp,orig=(src=203.0.113.1,dst=192.168.0.1,sport=35830,dport=30080),reply=(src=10.244.1.5,\
dst=203.0.113.1,sport=8080,dport=35830),zone=19201,mark=3,protoinfo=(state=TIME_WAIT)
udp,orig=(src=10.244.1.4,dst=10.96.0.10,sport=56543,dport=53),reply=(src=10.244.2.2,\
dst=10.244.1.4,sport=53,dport=56543),zone=19201,mark=2
tcp,orig=(src=203.0.113.1,dst=10.244.1.5,sport=35830,dport=8080),reply=(src=10.244.1.5,\
dst=192.168.0.1,sport=8080,dport=41000),zone=19202,protoinfo=(state=TIME_WAIT)
tcp,orig=(src=10.0.0.9,dst=10.0.0.8,sport=1,dport=2),reply=(src=10.0.0.8,dst=10.0.0.9,\
sport=2,dport=1),zone=7
icmp,orig=(src=10.244.1.4,dst=10.244.2.2,id=1,type=8,code=0),reply=(src=10.244.2.2,\
dst=10.244.1.4,id=1,type=0,code=0),zone=19201
"""

SERVICE = {"metadata": {"namespace": "default", "name": "web-nodeport"},
           "spec": {"clusterIP": "10.96.0.3", "type": "NodePort",
                    "ports": [{"port": 80, "nodePort": 30080, "protocol": "TCP"}]}}
BALANCED = {"metadata": {"namespace": "default", "name": "web-lb"},
            "spec": {"clusterIP": "10.96.0.4", "externalIPs": ["198.51.100.9"],
                     "ports": [{"port": 80, "nodePort": 30090}]},
            "status": {"loadBalancer": {"ingress": [{"ip": "198.51.100.1"}]}}}
HEADLESS = {"metadata": {"namespace": "default", "name": "db"},
            "spec": {"clusterIP": "None", "ports": [{"port": 5432}]}}


def names():
    services, frontends = service_addresses([SERVICE, BALANCED, HEADLESS],
                                            ["192.168.0.1", "192.168.0.2"])
    return names_of([("10.244.1.5", "default", "web-1")], services,
                    [("node1", ["192.168.0.1"]), ("node2", ["192.168.0.2"])], "203.0.113.1",
                    frontends)


def test_only_kubemns_zones_with_ports_are_read():
    entries = parse_dump(DUMP)
    assert [(e.protocol, e.zone) for e in entries] == [("TCP", 19201), ("UDP", 19201),
                                                       ("TCP", 19202)]
    assert entries[2].reply.dport == 41000


def test_the_client_behind_a_nodes_address_and_the_nodeport_it_dialled():
    entries = parse_dump(DUMP)
    # The endpoint's node saw 192.168.0.1:41000 -> 10.244.1.5:8080 (the source port
    # is the one the source NAT chose).
    found = origin(entries, "TCP", ("192.168.0.1", 41000), ("10.244.1.5", 8080))
    assert found == (("203.0.113.1", 35830), ("192.168.0.1", 30080))
    assert origin(entries, "TCP", ("192.168.0.1", 41001), ("10.244.1.5", 8080)) is None
    assert origin(entries, "UDP", ("192.168.0.1", 41000), ("10.244.1.5", 8080)) is None


def test_a_nodeport_names_its_service_and_the_line_shows_the_client():
    entry = {"time": 0, "node": "node1", "event": "BEGAN", "verdict": "FORWARDED",
             "protocol": "TCP", "source": {"ip": "192.168.0.1", "port": 41000},
             "destination": {"ip": "10.244.1.5", "port": 8080}}
    with_origin(entry, ("203.0.113.1", 35830), ("192.168.0.2", 30080), names())
    assert entry["service"] == "default/web-nodeport"
    assert entry["client"] == {"ip": "203.0.113.1", "port": 35830, "name": "internet"}
    assert entry["translated_from"]["name"] == "node:node2"
    assert "[service default/web-nodeport: node:node2 (192.168.0.2:30080) from internet " \
           "(203.0.113.1:35830)]" in compact(entry)
    assert matches(entry, ip="203.0.113.1") and matches(entry, ip="10.244.1.5")
    assert not matches(entry, ip="10.244.1.6")


def test_a_load_balancer_or_external_address_names_its_service_by_itself():
    known = names()
    assert known["198.51.100.1"] == known["198.51.100.9"] == "svc:default/web-lb"
    assert known[("192.168.0.1", 30090, "TCP")] == "svc:default/web-lb"
    assert "None" not in known
    entry = {"protocol": "TCP"}
    with_origin(entry, ("203.0.113.1", 1), ("198.51.100.1", 80), known)
    assert entry["service"] == "default/web-lb"


def test_names_are_read_again_when_stale_or_sooner_when_an_address_is_missing():
    now, reads = [0.0], []

    def read():
        reads.append(now[0])
        return {"10.96.0.4": "svc:default/new"} if now[0] >= 0.05 else {"10.0.0.1": "node:a"}
    known = AddressNames(read, clock=lambda: now[0])
    assert known.get("10.0.0.1") == "node:a" and reads == [0.0]
    now[0] = 0.01
    assert "10.96.0.4" not in known and reads == [0.0]   # missing, but read a moment ago
    now[0] = 0.05
    assert known["10.96.0.4"] == "svc:default/new" and reads == [0.0, 0.05]
    now[0] = 0.06
    assert known.get("10.0.0.1", "?") == "?" and reads == [0.0, 0.05]
    now[0] = 0.2
    known.get("10.96.0.4")
    assert reads == [0.0, 0.05, 0.2]   # stale
