"""The daemon set controller against an in-memory store (no root, no Mininet): one pod
of the template on each node the nodeSelector matches, bound to it; a new node gets
one, a node that goes loses it; a template change rolls over one node at a time; the
status counts what it observed; a deleted DaemonSet's pods are collected."""
import pytest

from tests.helpers.fake_api import FakeApi, step, with_collector
from topo.api.status import ApiError
from topo.api.store import Store
from topo.api.strategies import daemon_set as strategy
from topo.manager.daemons import HASH_LABEL, DaemonSetController


def daemon(node_selector=None, image="busybox"):
    spec = {"containers": [{"name": "agent", "image": image}]}
    if node_selector:
        spec["nodeSelector"] = node_selector
    return {"apiVersion": "apps/v1", "kind": strategy.KIND,
            "metadata": {"name": "agent", "namespace": "default"},
            "spec": {"selector": {"matchLabels": {"app": "agent"}},
                     "template": {"metadata": {"labels": {"app": "agent"}}, "spec": spec}}}


def node(name, **labels):
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels}}


def start(body, *nodes):
    store = Store()
    api = FakeApi(store)
    for each in nodes:
        store.put("nodes", each)
    store.put(strategy.RESOURCE, strategy.for_create(body, 0))
    loops = with_collector(store, api, DaemonSetController(store, api.create, api.delete),
                           strategy)
    return store, api, loops


def placed(store):
    return sorted((p["spec"]["nodeName"], p["metadata"]["labels"][HASH_LABEL])
                  for p in store.list("pods")[1])


def status(store):
    return store.get(strategy.RESOURCE, "default", "agent")["status"]


def run_all(store, api, loops):
    for pod in store.list("pods")[1]:
        api.run(pod["metadata"]["name"])
    step(loops)


def test_each_matching_node_gets_one_pod_bound_to_it_and_a_new_node_its_own():
    store, api, loops = start(daemon({"disk": "ssd"}), node("node1", disk="ssd"),
                              node("node2"), node("node3", disk="ssd"))
    assert [n for n, _ in placed(store)] == ["node1", "node3"]
    run_all(store, api, loops)
    assert (status(store)["desiredNumberScheduled"], status(store)["numberReady"]) == (2, 2)
    store.put("nodes", node("node4", disk="ssd"))
    step(loops)
    assert [n for n, _ in placed(store)] == ["node1", "node3", "node4"]


def test_a_node_that_goes_or_stops_matching_loses_its_pod():
    store, api, loops = start(daemon({"disk": "ssd"}), node("node1", disk="ssd"),
                              node("node2", disk="ssd"))
    store.remove("nodes", "", "node1")
    store.put("nodes", node("node2", disk="hdd"))
    step(loops)
    assert placed(store) == []


def test_a_template_change_rolls_over_one_node_at_a_time():
    store, api, loops = start(daemon(), node("node1"), node("node2"))
    run_all(store, api, loops)
    first = {h for _, h in placed(store)}
    changed = strategy.for_update(daemon(image="nginx"),
                                  store.get(strategy.RESOURCE, "default", "agent"), 1)
    store.put(strategy.RESOURCE, changed)
    step(loops)
    hashes = [h for _, h in placed(store)]
    assert len(hashes) == 2 and sum(h in first for h in hashes) == 1   # one at a time
    for _ in range(3):
        run_all(store, api, loops)
    assert len(placed(store)) == 2 and not {h for _, h in placed(store)} & first
    assert status(store)["updatedNumberScheduled"] == 2


def test_a_deleted_daemon_sets_pods_are_collected():
    store, api, loops = start(daemon(), node("node1"), node("node2"))
    store.remove(strategy.RESOURCE, "default", "agent")
    step(loops)
    assert placed(store) == []


@pytest.mark.parametrize("selector", [{}, {"matchLabels": {"app": "other"}}])
def test_a_selector_that_is_empty_or_misses_the_template_is_refused(selector):
    body = daemon()
    body["spec"]["selector"] = selector
    with pytest.raises(ApiError) as refused:
        strategy.for_create(body, 0)
    assert refused.value.code == 422 and "selector" in refused.value.message


def tainted(name, effect):
    obj = node(name)
    obj["spec"] = {"taints": [{"key": "dedicated", "value": "db", "effect": effect}]}
    return obj


def test_a_taint_not_tolerated_keeps_new_pods_off_and_noexecute_takes_them_away():
    store, api, loops = start(daemon(), node("node1"), node("node2"))
    assert [n for n, _ in placed(store)] == ["node1", "node2"]
    store.put("nodes", tainted("node1", "NoSchedule"))   # its pod stays
    store.put("nodes", tainted("node3", "NoSchedule"))   # a new node gets none
    step(loops)
    assert [n for n, _ in placed(store)] == ["node1", "node2"]
    assert status(store)["desiredNumberScheduled"] == 1
    store.put("nodes", tainted("node2", "NoExecute"))   # its pod goes
    step(loops)
    assert [n for n, _ in placed(store)] == ["node1"]


def test_a_tolerated_taint_keeps_nothing_off():
    body = daemon()
    body["spec"]["template"]["spec"]["tolerations"] = [{"key": "dedicated",
                                                        "operator": "Exists"}]
    store, api, loops = start(body, tainted("node1", "NoExecute"), node("node2"))
    assert [n for n, _ in placed(store)] == ["node1", "node2"]
