"""The scheduler against an in-memory store (no root, no Mininet): it binds each pod
that names no node to the least-loaded node its nodeSelector allows with room left,
leaves a pod no node takes Pending with the reason, and tries it again when room is
made."""
from tests.helpers.fake_api import step
from topo.api.store import Store
from topo.api.strategies import pod
from topo.manager.loop import ControlLoop
from topo.manager.scheduler import Scheduler


def node(name, room=10, labels=None, unschedulable=False):
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "labels": dict(labels or {})},
            "spec": {"unschedulable": True} if unschedulable else {},
            "status": {"allocatable": {"pods": str(room)},
                       "conditions": [{"type": "Ready", "status": "True"}]}}


def new_pod(name, selector=None, node_name=None, scheduler=None):
    spec = {"containers": [{"name": "c", "image": "busybox"}]}
    if scheduler:
        spec["schedulerName"] = scheduler
    if selector:
        spec["nodeSelector"] = selector
    if node_name:
        spec["nodeName"] = node_name
    return pod.for_create({"apiVersion": "v1", "kind": "Pod",
                           "metadata": {"name": name, "namespace": "default"},
                           "spec": spec}, 0)


class World:
    def __init__(self, *nodes):
        self.store = Store()
        for obj in nodes:
            self.store.put("nodes", obj)
        self.bindings, self.events = [], []
        self.loop = ControlLoop(self.store, Scheduler(self.store, self.bind,
                                                      self.events.extend, lambda: 7),
                                resync=3600)

    def bind(self, namespace, name, node_name):
        self.bindings.append((name, node_name))
        self.store.put("pods", pod.for_binding(self.store.get("pods", namespace, name),
                                               node_name, 7))

    def add(self, *pods):
        for obj in pods:
            self.store.put("pods", obj)
        step([self.loop])

    def node_of(self, name):
        return self.store.get("pods", "default", name)["spec"].get("nodeName")

    def unschedulable(self, name):
        return [c["message"] for c in self.store.get("pods", "default", name)["status"].get(
            "conditions", ()) if c.get("reason") == "Unschedulable"]


def test_pods_go_to_the_least_loaded_node():
    world = World(node("node1"), node("node2"))
    world.add(new_pod("a"), new_pod("b"), new_pod("c"), new_pod("d"))
    nodes = [world.node_of(n) for n in "abcd"]
    assert sorted(nodes) == ["node1", "node1", "node2", "node2"]


def test_a_pod_that_names_its_node_is_not_scheduled():
    world = World(node("node1"), node("node2"))
    world.add(new_pod("a", node_name="node2"))
    assert world.bindings == [] and world.node_of("a") == "node2"


def test_a_pod_for_another_scheduler_is_left_to_it():
    world = World(node("node1"))
    world.add(new_pod("mine", scheduler="my-scheduler"))
    assert world.bindings == [] and world.node_of("mine") is None
    assert world.unschedulable("mine") == []


def test_the_node_selector_and_a_cordoned_node_are_respected():
    world = World(node("node1", labels={"disk": "ssd"}), node("node2", unschedulable=True),
                  node("node3"))
    world.add(new_pod("fast", selector={"disk": "ssd"}), new_pod("x"), new_pod("y"))
    assert world.node_of("fast") == "node1"
    assert {world.node_of("x"), world.node_of("y")} == {"node1", "node3"}


def test_a_pod_no_node_takes_stays_pending_with_the_reason_until_a_node_fits():
    world = World(node("node1"))
    world.add(new_pod("picky", selector={"zone": "b"}))
    assert world.node_of("picky") is None
    assert world.unschedulable("picky") == [
        "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector."]
    world.store.put("nodes", node("node2", labels={"zone": "b"}))
    step([world.loop])
    assert world.node_of("picky") == "node2"


def test_a_full_node_takes_no_more_and_a_pod_that_goes_makes_room():
    world = World(node("node1", room=2))
    world.add(new_pod("a"), new_pod("b"), new_pod("c"))
    assert [world.node_of(n) for n in "abc"] == ["node1", "node1", None]
    assert world.unschedulable("c") == ["0/1 nodes are available: 1 Too many pods."]
    world.store.remove("pods", "default", "a")
    step([world.loop])
    assert world.node_of("c") == "node1"


def test_the_scheduler_says_what_it_did_in_events_once_each():
    world = World(node("node1", room=1))
    world.add(new_pod("a"), new_pod("b"))
    step([world.loop])   # b tried again, with the same reason: no second event
    said = [(e["involvedObject"]["name"], e["reason"], e["message"]) for e in world.events]
    assert said == [("a", "Scheduled", "Successfully assigned default/a to node1"),
                    ("b", "FailedScheduling", "0/1 nodes are available: 1 Too many pods.")]
    assert {e["source"]["component"] for e in world.events} == {"default-scheduler"}


def replica_set(name, labels):
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"selector": {"matchLabels": labels}}}


def labelled(name, labels, node_name=None):
    obj = new_pod(name, node_name=node_name)
    obj["metadata"]["labels"] = labels
    return obj


def test_the_pods_of_one_replica_set_are_spread_before_the_load_is_balanced():
    world = World(node("node1"), node("node2"), node("node3"))
    world.store.put("replicasets.apps", replica_set("web", {"app": "web"}))
    # node2 and node3 are busy with other pods; node1 already has a web pod.
    world.add(labelled("web-0", {"app": "web"}, "node1"),
              *[new_pod("busy-%d" % i, node_name="node%d" % (2 + i % 2)) for i in range(6)])
    world.add(labelled("web-1", {"app": "web"}), labelled("web-2", {"app": "web"}))
    assert sorted([world.node_of("web-1"), world.node_of("web-2")]) == ["node2", "node3"]


def test_a_terminating_peer_is_not_counted():
    world = World(node("node1"), node("node2"))
    world.store.put("services", {"apiVersion": "v1", "kind": "Service",
                                 "metadata": {"name": "web", "namespace": "default"},
                                 "spec": {"selector": {"app": "web"}}})
    world.add(labelled("old", {"app": "web"}, "node1"), new_pod("busy", node_name="node2"))
    old = world.store.get("pods", "default", "old")
    world.store.put("pods", pod.for_delete(old, 7, 30))
    world.add(labelled("new", {"app": "web"}))
    # old still holds its place on node1 (the load is even), but is no peer.
    assert world.node_of("new") == "node1"


def tainted(name, *taints, **kwargs):
    obj = node(name, **kwargs)
    obj["spec"]["taints"] = [dict(zip(("key", "value", "effect"), t)) for t in taints]
    return obj


def test_a_taint_keeps_off_the_pods_that_do_not_tolerate_it():
    world = World(tainted("node1", ("gpu", "yes", "NoSchedule"), labels={"gpu": "yes"}),
                  tainted("node2", ("old", "", "PreferNoSchedule")))
    tolerant = new_pod("tolerant", selector={"gpu": "yes"})
    tolerant["spec"]["tolerations"] = [{"key": "gpu", "operator": "Equal", "value": "yes",
                                        "effect": "NoSchedule"}]
    picky = new_pod("picky", selector={"gpu": "yes"})
    world.add(tolerant, picky, new_pod("plain"))
    assert world.node_of("tolerant") == "node1" and world.node_of("picky") is None
    assert world.node_of("plain") == "node2"   # a PreferNoSchedule taint does not keep it
    assert world.unschedulable("picky") == [
        "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, "
        "1 node(s) had taint {gpu: yes}, that the pod didn't tolerate."]


def test_a_cordoned_or_not_ready_node_takes_only_the_pods_that_tolerate_it():
    not_ready = node("node2")
    not_ready["status"]["conditions"] = [{"type": "Ready", "status": "False"}]
    world = World(node("node1", unschedulable=True), not_ready)
    daemon = new_pod("daemon")
    daemon["spec"]["tolerations"] = [{"key": "node.kubernetes.io/unschedulable",
                                      "operator": "Exists", "effect": "NoSchedule"}]
    world.add(new_pod("plain"), daemon)
    assert world.node_of("plain") is None and world.node_of("daemon") == "node1"
    assert world.unschedulable("plain") == [
        "0/2 nodes are available: 1 node(s) had taint {node.kubernetes.io/not-ready: }, "
        "that the pod didn't tolerate, 1 node(s) were unschedulable."]
