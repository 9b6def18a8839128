"""What the kubelet does for a pod, from the store as it is now (pure): a bound pod is
started once; a terminating one drains and stops, then the store lets it go; one the
store no longer has, or has anew under its name, stops at once; a running one takes
its stored labels. A node's watch names the pods bound to it and those it still
has."""
from topo.api.store import Store
from topo.api.strategies import pod
from topo.kubelet.pod_sync import DROP, FORGET, RELABEL, RETIRE, START, STOP, PodSync, actions


def stored(uid="u1", node="node1", deleting=False):
    obj = {"kind": "Pod", "metadata": {"name": "web", "namespace": "default", "uid": uid},
           "spec": {"nodeName": node} if node else {}, "status": {}}
    if deleting:
        obj["metadata"].update(deletionTimestamp="2026-01-01T00:00:30Z",
                               deletionGracePeriodSeconds=30)
    return obj


def test_a_bound_pod_is_started_once():
    assert actions(stored(), None, None, False) == [START]
    assert actions(stored(), None, "u1", False) == []   # waiting already


def test_a_pod_not_bound_to_its_node_is_none_of_its_business():
    assert actions(None, None, None, False) == []   # sync_pod gives it none such


def test_a_running_pod_takes_its_stored_labels():
    assert actions(stored(), "u1", None, False) == [RELABEL]


def test_a_terminating_pod_drains_and_stops_then_the_store_lets_it_go():
    assert pod.terminating(stored(deleting=True))
    assert actions(stored(deleting=True), "u1", None, False) == [RETIRE]
    assert actions(stored(deleting=True), None, None, True) == []   # draining
    assert actions(stored(deleting=True), None, None, False) == [FORGET]
    assert actions(stored(deleting=True), None, "u1", False) == [DROP, FORGET]


def test_a_pod_the_store_let_go_or_made_anew_stops_at_once():
    assert actions(None, "u1", None, False) == [STOP]
    assert actions(None, None, "u1", False) == [DROP]
    assert actions(stored(uid="u2"), "u1", None, False) == [STOP, START]


class Kubelet:
    """A node's kubelet as its watch sees it: a name, the pods it has."""

    def __init__(self, name, has=()):
        self.name, self.has = name, set(has)

    def knows(self, key):
        return key in self.has

    def kubelet_pods(self):
        return sorted(self.has)


def test_a_nodes_watch_names_its_own_pods_and_those_it_still_runs():
    store = Store()
    mine, elsewhere = stored(node="node1"), stored(node="node2")
    elsewhere["metadata"]["name"] = "other"
    for obj in (mine, elsewhere):
        store.put("pods", obj)
    watch = PodSync(store, Kubelet("node1"))
    assert watch.keys("pods", mine) == ["default/web"]
    assert watch.keys("pods", elsewhere) == []
    assert watch.all_keys() == ["default/web"]
    # A pod it runs, made anew on another node: its watch still names it (to stop it).
    running_here = PodSync(store, Kubelet("node1", has={"default/other"}))
    assert running_here.keys("pods", elsewhere) == ["default/other"]
