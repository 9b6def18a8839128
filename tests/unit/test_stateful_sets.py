"""The stateful set controller and its strategy against an in-memory store (no root,
no Mininet): pods with stable names, hostnames and subdomains, made one at a time in
order (OrderedReady) or all at once (Parallel), removed from the highest ordinal,
made again under their names, rolled over from the highest ordinal down to the
partition; the status as `kubectl rollout status` reads it."""
import copy

import pytest

from tests.helpers.fake_api import FakeApi, step, with_collector
from topo.api.status import ApiError
from topo.api.store import Store
from topo.api.strategies import stateful_set as strategy
from topo.manager.stateful_sets import HASH_LABEL, StatefulSetController


def stateful_set(replicas=3, image="nginx", **spec):
    return {"apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": dict({"replicas": replicas, "serviceName": "nginx",
                          "selector": {"matchLabels": {"app": "web"}},
                          "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                              "containers": [{"name": "c", "image": image}]}}}, **spec)}


class World:
    def __init__(self, body):
        self.store = Store()
        self.api = FakeApi(self.store)
        self.store.put(strategy.RESOURCE, strategy.for_create(body, 0))
        self.deleted = []   # the names it deleted, in order
        self.events = []
        self.loops = with_collector(self.store, self.api,
                                    StatefulSetController(self.store, self.api.create,
                                                          self.delete, self.events.extend,
                                                          lambda: 7), strategy)

    def delete(self, namespace, name):
        self.deleted.append(name)
        self.api.delete(namespace, name)

    def pods(self):
        return sorted(p["metadata"]["name"] for p in self.store.list("pods")[1])

    def pod(self, name):
        return self.store.get("pods", "default", name)

    def run(self, *names):
        for name in names:
            self.api.run(name)
        step(self.loops)

    def run_all(self):
        for _ in range(10):
            pending = [p["metadata"]["name"] for p in self.store.list("pods")[1]
                       if p["status"]["phase"] == "Pending"]
            if not pending:
                return
            self.run(*pending)

    def change(self, **spec):
        current = self.stored()
        body = copy.deepcopy(current)
        body["spec"].update(spec)
        self.store.put(strategy.RESOURCE, strategy.for_update(body, current, 1))
        step(self.loops)

    def stored(self):
        return self.store.get(strategy.RESOURCE, "default", "web")

    def revisions(self):
        return [self.pod(n)["metadata"]["labels"][HASH_LABEL] for n in self.pods()]


def test_ordered_ready_makes_one_pod_at_a_time_each_with_its_stable_identity():
    world = World(stateful_set())
    assert world.pods() == ["web-0"]
    step(world.loops)
    assert world.pods() == ["web-0"]   # not Ready yet: web-1 waits
    world.run("web-0")
    assert world.pods() == ["web-0", "web-1"]
    world.run_all()
    assert world.pods() == ["web-0", "web-1", "web-2"]
    pod = world.pod("web-2")
    assert (pod["spec"]["hostname"], pod["spec"]["subdomain"]) == ("web-2", "nginx")
    assert pod["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"] == "web-2"
    assert pod["metadata"]["ownerReferences"][0]["kind"] == "StatefulSet"
    status = world.stored()["status"]
    assert (status["replicas"], status["readyReplicas"]) == (3, 3)


def test_parallel_makes_them_all_at_once():
    world = World(stateful_set(podManagementPolicy="Parallel"))
    assert world.pods() == ["web-0", "web-1", "web-2"]


def test_a_scale_down_takes_the_highest_ordinal_first_one_at_a_time():
    world = World(stateful_set())
    world.run_all()
    world.change(replicas=1)
    assert world.pods() == ["web-0"] and world.deleted == ["web-2", "web-1"]


def test_each_pod_made_or_deleted_is_an_event_of_the_stateful_set():
    world = World(stateful_set(replicas=2))
    world.run_all()
    world.change(replicas=0)
    said = [(e["reason"], e["message"]) for e in world.events]
    assert said[0] == ("SuccessfulCreate", "create Pod web-0 in StatefulSet web successful")
    assert said[-2:] == [("SuccessfulDelete", "delete Pod web-1 in StatefulSet web successful"),
                         ("SuccessfulDelete", "delete Pod web-0 in StatefulSet web successful")]
    assert {e["source"]["component"] for e in world.events} == {"statefulset-controller"}


def test_a_scale_down_waits_while_a_lower_pod_is_not_ready():
    world = World(stateful_set())
    world.run_all()
    world.api.run("web-0", ready=False)
    world.change(replicas=2)
    assert world.deleted == [] and world.pods() == ["web-0", "web-1", "web-2"]
    world.run("web-0")
    assert world.deleted == ["web-2"]


def test_a_deleted_pod_comes_back_under_its_name_once_the_old_one_has_gone():
    world = World(stateful_set())
    world.run_all()
    old = world.pod("web-1")
    terminating = dict(old, metadata=dict(old["metadata"],
                                          deletionTimestamp="2026-01-01T00:00:00Z"))
    world.store.put("pods", terminating)
    step(world.loops)
    assert world.pod("web-1")["metadata"]["uid"] == old["metadata"]["uid"]   # still going
    world.store.remove("pods", "default", "web-1")
    step(world.loops)
    assert world.pod("web-1")["metadata"]["uid"] != old["metadata"]["uid"]


def test_a_template_change_rolls_from_the_highest_ordinal_down_each_ready_first():
    world = World(stateful_set())
    world.run_all()
    before = world.revisions()[0]
    world.change(template={"metadata": {"labels": {"app": "web"}},
                           "spec": {"containers": [{"name": "c", "image": "nginx:2"}]}})
    after = world.stored()["status"]["updateRevision"]
    assert after != before and world.deleted == ["web-2"]   # made again, not Ready yet
    assert world.revisions() == [before, before, after]
    assert world.stored()["status"]["currentRevision"] == before
    world.run("web-2")
    assert world.deleted == ["web-2", "web-1"]
    world.run("web-1")
    world.run("web-0")
    assert world.deleted == ["web-2", "web-1", "web-0"]
    assert world.revisions() == [after] * 3
    status = world.stored()["status"]
    assert (status["currentRevision"], status["updatedReplicas"]) == (after, 3)


def test_a_partition_keeps_the_lower_ordinals_at_the_old_revision():
    world = World(stateful_set(updateStrategy={"type": "RollingUpdate",
                                               "rollingUpdate": {"partition": 2}}))
    world.run_all()
    before = world.revisions()[0]
    world.change(template={"metadata": {"labels": {"app": "web"}},
                           "spec": {"containers": [{"name": "c", "image": "nginx:2"}]}})
    for _ in range(3):
        world.run_all()
        step(world.loops)
    assert world.revisions()[:2] == [before, before] and world.revisions()[2] != before


def test_a_deleted_stateful_sets_pods_are_collected():
    world = World(stateful_set(podManagementPolicy="Parallel"))
    world.store.remove(strategy.RESOURCE, "default", "web")
    step(world.loops)
    assert world.pods() == []


def refused(body, current=None):
    with pytest.raises(ApiError) as error:
        if current is None:
            strategy.for_create(body, 0)
        else:
            strategy.for_update(body, current, 1)
    return error.value.message


def test_the_strategy_defaults_and_refuses_as_the_api_server_does():
    stored = strategy.for_create(stateful_set(), 0)
    spec = stored["spec"]
    assert (spec["podManagementPolicy"], spec["updateStrategy"]) == (
        "OrderedReady", {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}})
    assert 'spec.podManagementPolicy: Unsupported value: "Sometimes"' in refused(
        stateful_set(podManagementPolicy="Sometimes"))
    renamed = stateful_set(serviceName="other")
    assert "Forbidden: updates to statefulset spec for fields other than 'replicas'" in \
        refused(renamed, stored)
    scaled = stateful_set(replicas=5)
    assert strategy.for_update(scaled, stored, 1)["spec"]["replicas"] == 5
    claims = stateful_set(volumeClaimTemplates=[{"metadata": {"name": "data"}}])
    assert "spec.volumeClaimTemplates: Forbidden: kubemn has no persistent volumes" in \
        refused(claims)
