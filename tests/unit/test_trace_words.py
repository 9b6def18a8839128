"""What trace says each component did (pure): a capture point's verb by where it is,
an OpenFlow rule's by what it does, a logged drop's hop."""
from controllers import tables as t
from controllers.flows import Ct, flow
from topo.inspect.trace_words import drop_line, hop_verb, rule_line, rule_verb
from topo.inspect.tracepath import Point


def test_each_capture_point_says_what_happened_there():
    sent = Point("client1 eth0", [], "eth0", "source", "pod")
    assert hop_verb(sent, True) == "sent"
    assert hop_verb(Point("node1 veth1", [], "veth1", "source"), False) == "received"
    assert hop_verb(Point("node1 cbr0", [], "cbr0", "source"), False) == "bridged"
    assert hop_verb(Point("node1 eth0", [], "eth0", "source"), False) == "forwarded"
    assert hop_verb(Point("node2 eth0", [], "eth0", "destination"), False) == "received"
    assert hop_verb(Point("node2 veth2", [], "veth2", "destination"), False) == "forwarded"
    assert hop_verb(Point("server2 eth0", [], "eth0", "destination", "pod"), False) == \
        "delivered"


def test_each_rule_says_what_it_did_to_the_packet():
    cases = [
        (flow(t.SERVICE, 200, {}, [("group", 7)]), "load-balanced"),
        (flow(t.DNAT, 100, {}, [("ct", Ct(True, t.ZONE_SERVICE, t.SNAT,
                                          ("dst", "10.244.1.5", 8080), None))]), "translated"),
        (flow(t.SNAT, 100, {}, [("ct", Ct(True, t.ZONE_SNAT, t.ROUTE,
                                          ("src", "192.168.0.1"), None))]), "source-NATed"),
        (flow(t.SERVICE, 10, {}, [("ct", Ct(True, t.ZONE_SERVICE, t.SNAT, ("src",),
                                            None))]), "committed"),
        (flow(t.CONNTRACK, 0, {}, [("ct", Ct(False, t.ZONE_SERVICE, t.SERVICE, ("plain",),
                                             None))]), "tracked"),
        (flow(t.ROUTE, 100, {}, [("dec_ttl",), ("output", 2)]), "routed"),
        (flow(t.ROUTE, 90, {}, [("output", 3)]), "forwarded"),
        (flow(t.CLASSIFY, 95, {}, [("output", "CONTROLLER")]), "sent up"),
        (flow(t.CLASSIFY, 90, {}, [("goto", t.UNSNAT)]), "classified"),
        (flow(t.SNAT, 0, {}, [("goto", t.ROUTE)]), "passed"),
        (flow(t.ROUTE, 1, {}, []), "dropped"),
    ]
    for rule, verb in cases:
        assert rule_verb(rule) == verb, rule
    assert rule_line(cases[0][0]).split()[:2] == ["SERVICE", "load-balanced"]


def test_a_logged_drop_names_the_nodes_policy_chain_or_the_controller():
    policy = {"node": "node2", "reason": "no NetworkPolicy allows ingress to x/a",
              "policies": ["x/deny"], "chain": "ingress_10_244_2_3"}
    assert drop_line(policy) == ("node2 policy table", "dropped",
                                 "chain ingress_10_244_2_3: no NetworkPolicy allows "
                                 "ingress to x/a")
    fabric = {"node": "kmn-s1", "reason": "the fabric drops the internet's packets"}
    assert drop_line(fabric) == ("kmn-s1 controller", "dropped",
                                 "the fabric drops the internet's packets")
