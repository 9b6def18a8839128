"""A trace as the browser view draws it (pure): the places in order, named as the
map names them, the Service between the client's node and the endpoint's."""
from topo.inspect.tracepath import Observed, Point
from topo.ui.trace_path import trace_path


def point(label, side, role="node"):
    return Point(label, [], label.split()[-1], side, role)


FORWARD = [point("client2 eth0", "source", "pod"), point("node2 veth1", "source"),
           point("node2 cbr0", "source"), point("node2 eth0", "source"),
           point("node1 eth0", "destination"), point("node1 veth2", "destination"),
           point("x/web-1 eth0", "destination", "pod")]


def observed(reply):
    return Observed("client2", "10.96.0.2:80", "tcp", "10.244.2.4", "10.96.0.2",
                    [(p, {}) for p in FORWARD], [], reply)


def test_a_connection_through_a_service_is_drawn_through_it():
    drawn = trace_path(observed({"flags": "SA"}), "svc:x/web")
    assert drawn == {"path": ["default/client2", "node:node2", "svc:x/web", "node:node1",
                              "x/web-1"], "verdict": "answered"}


def test_how_it_ended():
    assert trace_path(observed(None))["verdict"] == "DROPPED"
    assert trace_path(observed({"flags": "RA"}))["verdict"] == "REJECTED"
    assert trace_path(observed({"icmp_type": 3}))["path"][-1] == "x/web-1"
