"""The replication manager and the garbage collector against an in-memory store (no
root, no Mininet): a ReplicationController keeps spec.replicas pods of its template,
adopts the orphans it selects, reports what it observed; the pods of a deleted one
are collected, unless orphaned first. The API's writes are the store's here (the
integration tests go through the real API)."""
import pytest

from tests.helpers.fake_api import FakeApi, step, with_collector
from topo.api.status import ApiError
from topo.api.store import Store
from topo.api.strategies import replication_controller as strategy
from topo.api.strategies.pod_template import defaulted
from topo.manager.replicas import ReplicationManager, deletion_order

TEMPLATE = {"metadata": {"labels": {"app": "hello"}},
            "spec": {"containers": [{"name": "web", "image": "busybox"}]}}


def controller(replicas, name="hello", app="hello"):
    template = dict(TEMPLATE, metadata={"labels": {"app": app}})
    return {"apiVersion": "v1", "kind": strategy.KIND,
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"replicas": replicas, "template": template}}


def start(*controllers, room=100):
    store = Store()
    api = FakeApi(store, room)
    for body in controllers:
        store.put(strategy.RESOURCE, strategy.for_create(body, 0))
    manager = ReplicationManager(store, api.create_many, api.update, api.delete)
    return store, api, with_collector(store, api, manager, strategy)


def pods(store, owner=None):
    found = store.list("pods", "default")[1]
    return sorted(p["metadata"]["name"] for p in found if owner is None or any(
        r["name"] == owner for r in p["metadata"].get("ownerReferences") or ()))


def scale(store, replicas, name="hello"):
    current = store.get(strategy.RESOURCE, "default", name)
    store.put(strategy.RESOURCE, strategy.for_update(
        dict(current, spec=dict(current["spec"], replicas=replicas)), current, 0))


def test_the_missing_pods_are_made_of_the_template_and_owned_by_their_controller():
    store, _, _ = start(controller(3))
    made = store.list("pods", "default")[1]
    assert len(made) == 3
    uid = store.get(strategy.RESOURCE, "default", "hello")["metadata"]["uid"]
    for pod in made:
        assert pod["metadata"]["name"].startswith("hello-")
        assert pod["metadata"]["labels"] == {"app": "hello"}
        assert pod["spec"] == defaulted(TEMPLATE)["spec"]
        (owner,) = pod["metadata"]["ownerReferences"]
        assert (owner["kind"], owner["name"], owner["uid"], owner["controller"]) == \
            (strategy.KIND, "hello", uid, True)


def test_a_scale_down_deletes_the_surplus_and_a_finished_pod_is_replaced():
    store, api, loops = start(controller(3))
    first, second, third = pods(store)
    api.run(first)
    api.run(second, ready=False)
    scale(store, 1)
    step(loops)
    assert pods(store) == [first]   # pending and not ready go first
    api.run(first, phase="Succeeded")
    step(loops)
    assert len(pods(store)) == 2 and first in pods(store)


def test_the_surplus_goes_unscheduled_first_then_not_ready_then_the_newest():
    def pod(name, created, node=None, phase="Running", ready=True):
        return {"metadata": {"name": name, "creationTimestamp": created},
                "spec": {"nodeName": node} if node else {},
                "status": {"phase": phase, "conditions": [
                    {"type": "Ready", "status": "True" if ready else "False"}]}}
    order = deletion_order([pod("old-ready", "1", "n"), pod("new-ready", "2", "n"),
                            pod("unready", "0", "n", ready=False),
                            pod("pending", "0", "n", phase="Pending", ready=False),
                            pod("unscheduled", "0", phase="Pending", ready=False)])
    assert [p["metadata"]["name"] for p in order] == \
        ["unscheduled", "pending", "unready", "new-ready", "old-ready"]


def test_the_status_reports_the_pods_and_the_generation_observed():
    store, api, loops = start(controller(2))
    api.run(pods(store)[0])
    step(loops)
    status = store.get(strategy.RESOURCE, "default", "hello")["status"]
    assert status == {"replicas": 2, "fullyLabeledReplicas": 2, "readyReplicas": 1,
                      "availableReplicas": 1, "observedGeneration": 1}
    scale(store, 0)
    step(loops)
    stored = store.get(strategy.RESOURCE, "default", "hello")
    assert stored["status"] == {"replicas": 0, "observedGeneration": 2}
    assert stored["metadata"]["generation"] == 2


def test_a_create_the_api_refuses_is_reported_and_tried_again():
    store, api, loops = start(controller(3), room=2)
    status = store.get(strategy.RESOURCE, "default", "hello")["status"]
    assert status["replicas"] == 2
    (condition,) = status["conditions"]
    assert condition["type"] == "ReplicaFailure" and "room for 0 more" in condition["message"]
    api.room = 3
    loops[0].step()
    assert not loops[0].idle()   # a retry is due
    loops[0].later = [(0, key) for _, key in loops[0].later]
    step(loops)
    assert len(pods(store)) == 3
    assert "conditions" not in store.get(strategy.RESOURCE, "default", "hello")["status"]


def test_orphans_its_selector_matches_are_adopted_others_are_left_alone():
    store, api, loops = start(controller(0))
    api.create("default", {"metadata": {"generateName": "stray-",
                                        "labels": {"app": "hello"}}, "spec": {}})
    api.create("default", {"metadata": {"generateName": "other-",
                                        "labels": {"app": "db"}}, "spec": {}})
    api.create("default", {"metadata": {"generateName": "owned-", "labels": {"app": "hello"},
                                        "ownerReferences": [{
                                            "kind": "ReplicaSet", "name": "x", "uid": "u",
                                            "controller": True}]}, "spec": {}})
    scale(store, 1)
    step(loops)
    assert [p for p in pods(store) if p.startswith("hello-")] == []   # adopted instead
    assert len(pods(store, owner="hello")) == 1
    assert pods(store, owner="hello")[0].startswith("stray-")
    assert len(pods(store)) == 3


def test_the_pods_of_a_deleted_controller_are_collected():
    store, api, loops = start(controller(2), controller(1, "other", "other"))
    assert len(pods(store)) == 3
    store.remove(strategy.RESOURCE, "default", "hello")
    step(loops)
    assert pods(store) == pods(store, owner="other") and len(pods(store)) == 1


def test_a_controller_made_again_under_the_same_name_does_not_keep_the_old_pods():
    store, api, loops = start(controller(2))
    old = pods(store)
    store.remove(strategy.RESOURCE, "default", "hello")
    store.put(strategy.RESOURCE, strategy.for_create(controller(2), 1))
    step(loops)
    assert len(pods(store)) == 2 and not set(old) & set(pods(store))


def test_an_orphaned_pod_and_one_of_an_owner_not_followed_are_not_collected():
    store, api, loops = start(controller(1))
    (pod,) = pods(store)
    orphaned = store.get("pods", "default", pod)
    store.put("pods", dict(orphaned, metadata=dict(orphaned["metadata"], ownerReferences=[])))
    api.create("default", {"metadata": {"generateName": "rs-", "ownerReferences": [{
        "kind": "ReplicaSet", "name": "gone", "uid": "u", "controller": True}]}, "spec": {}})
    store.remove(strategy.RESOURCE, "default", "hello")
    step(loops)
    assert pod in pods(store) and any(p.startswith("rs-") for p in pods(store))


@pytest.mark.parametrize("spec, field", [
    ({"replicas": 1, "selector": {"app": "other"}, "template": TEMPLATE},
     "spec.template.metadata.labels"),
    ({"replicas": -1, "template": TEMPLATE}, "spec.replicas"),
    ({"replicas": 1, "template": {"metadata": TEMPLATE["metadata"], "spec": dict(
        TEMPLATE["spec"], restartPolicy="Never")}}, "spec.template.spec.restartPolicy"),
    ({"replicas": 1}, "spec.template")])
def test_the_strategy_refuses_what_the_api_server_refuses_naming_the_field(spec, field):
    body = controller(1)
    body["spec"] = spec
    with pytest.raises(ApiError) as refused:
        strategy.for_create(body, 0)
    assert refused.value.code == 422 and field in refused.value.message


def test_the_strategy_defaults_the_selector_and_keeps_the_controllers_status():
    stored = strategy.for_create(controller(1), 0)
    assert stored["spec"]["selector"] == {"app": "hello"}
    assert stored["metadata"]["labels"] == {"app": "hello"}
    observed = dict(stored, status={"replicas": 1})
    assert strategy.for_update(controller(2), observed, 1)["status"] == {"replicas": 1}


def test_a_controller_write_for_an_owner_deleted_meanwhile_is_refused():
    """A delete with --cascade=orphan strips the pods' references, then removes the
    controller: an adoption racing it would give the orphans back to a gone owner,
    and the garbage collector would take them."""
    from topo.api.registry import _check_still_stored
    store, _, _ = start(controller(0))
    stored = store.get(strategy.RESOURCE, "default", "hello")
    _check_still_stored(store, stored)   # still there: no error
    store.remove(strategy.RESOURCE, "default", "hello")
    with pytest.raises(ApiError) as refused:
        _check_still_stored(store, stored)
    assert refused.value.code == 409 and "has just been deleted" in refused.value.message
