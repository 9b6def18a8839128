"""What the kubelet does for a pod, from the store as it is now (pure): a bound pod is
started once, when its node's machine runs; a terminating one drains and stops, then
the store lets it go; one the store no longer has, or has anew under its name, stops
at once; one bound to a node that is gone is collected; a running one takes its
stored labels."""
from topo.api.strategies import pod
from topo.kubelet.pod_sync import (COLLECT, DROP, FORGET, RELABEL, RETIRE, START, STOP,
                                   actions)

NODES = ("node1", "node2")


def stored(uid="u1", node="node1", deleting=False):
    obj = {"metadata": {"name": "web", "namespace": "default", "uid": uid},
           "spec": {"nodeName": node} if node else {}, "status": {}}
    if deleting:
        obj["metadata"].update(deletionTimestamp="2026-01-01T00:00:30Z",
                               deletionGracePeriodSeconds=30)
    return obj


def test_a_bound_pod_is_started_once():
    assert actions(stored(), None, None, False, NODES, NODES) == [START]
    assert actions(stored(), None, "u1", False, NODES, NODES) == []   # waiting already


def test_an_unbound_pod_is_the_schedulers():
    assert actions(stored(node=None), None, None, False, NODES, NODES) == []


def test_a_running_pod_takes_its_stored_labels():
    assert actions(stored(), "u1", None, False, NODES, NODES) == [RELABEL]


def test_a_terminating_pod_drains_and_stops_then_the_store_lets_it_go():
    assert pod.terminating(stored(deleting=True))
    assert actions(stored(deleting=True), "u1", None, False, NODES, NODES) == [RETIRE]
    assert actions(stored(deleting=True), None, None, True, NODES, NODES) == []   # draining
    assert actions(stored(deleting=True), None, None, False, NODES, NODES) == [FORGET]
    assert actions(stored(deleting=True), None, "u1", False, NODES, NODES) == [DROP, FORGET]


def test_a_pod_the_store_let_go_or_made_anew_stops_at_once():
    assert actions(None, "u1", None, False, NODES, NODES) == [STOP]
    assert actions(None, None, "u1", False, NODES, NODES) == [DROP]
    assert actions(stored(uid="u2"), "u1", None, False, NODES, NODES) == [STOP, START]


def test_a_pod_bound_to_a_node_that_is_gone_is_collected():
    assert actions(stored(node="node9"), None, None, False, NODES, NODES) == [COLLECT]


def test_a_pod_bound_to_a_node_without_its_machine_yet_waits_for_it():
    assert actions(stored(node="node3"), None, None, False, NODES + ("node3",), NODES) == []
    assert actions(stored(node="node3"), None, None, False, NODES + ("node3",),
                   NODES + ("node3",)) == [START]
