"""The pod garbage collector against an in-memory store: a pod bound to a node the
store no longer has is deleted; one bound to a node there is, or to none, stays."""
from tests.helpers.fake_api import step
from topo.api.store import Store
from topo.api.strategies import node, pod
from topo.manager.loop import ControlLoop
from topo.manager.pod_gc import PodGarbageCollector


def bound(name, node_name=None):
    spec = {"containers": [{"name": "c", "image": "busybox"}]}
    if node_name:
        spec["nodeName"] = node_name
    return pod.for_create({"apiVersion": "v1", "kind": "Pod",
                           "metadata": {"name": name, "namespace": "default"},
                           "spec": spec}, 0)


def test_the_pods_of_a_node_that_is_gone_are_deleted():
    store, deleted = Store(), []
    for name in ("node1", "node2"):
        store.put("nodes", node.for_create({"kind": "Node", "metadata": {"name": name}}, 0))
    for obj in (bound("a", "node1"), bound("b", "node2"), bound("c")):
        store.put("pods", obj)
    loop = ControlLoop(store, PodGarbageCollector(
        store, lambda namespace, name: (deleted.append(name),
                                        store.remove("pods", namespace, name))),
        resync=3600)
    step([loop])
    assert deleted == []
    store.remove("nodes", "", "node2")
    step([loop])
    assert deleted == ["b"]
    store.put("pods", bound("d", "node9"))   # bound to a node never there
    step([loop])
    assert deleted == ["b", "d"]
