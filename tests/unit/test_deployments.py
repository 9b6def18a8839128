"""The deployment controller, the replica set controller and the garbage collector
against an in-memory store (no root, no Mininet): a Deployment owns one ReplicaSet per
template, rolls from the old to the new within maxSurge and maxUnavailable (Recreate:
the old pods gone first), takes an old template back as the newest revision, keeps
revisionHistoryLimit old ReplicaSets, reports what it observed; its ReplicaSets and
their pods are collected with it. Writes go through the kinds' strategies, as the
API's would (the integration tests go through the real API)."""
import copy

import pytest

from tests.helpers.fake_api import FakeApi, step
from topo.api.status import ApiError
from topo.api.store import Store
from topo.api.strategies import deployment as strategy
from topo.api.strategies import replica_set
from topo.api.strategies.pod_template import defaulted
from topo.manager import rollout
from topo.manager.deployments import (HASH_LABEL, REVISION, DeploymentController,
                                      template_hash)
from topo.manager.garbage import GarbageCollector
from topo.manager.loop import ControlLoop
from topo.manager.replicas import replica_set_manager

STRATEGIES = {strategy.RESOURCE: strategy, replica_set.RESOURCE: replica_set}


def deployment(replicas=3, image="nginx:1.25", **spec):
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": dict({"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                          "template": {"metadata": {"labels": {"app": "web"}},
                                       "spec": {"containers": [{"name": "c",
                                                                "image": image}]}}}, **spec)}


class Writes:
    """The controllers' writes, through the kinds' strategies as the API's are."""

    def __init__(self, store):
        self.store, self.events = store, []

    def create(self, resource, namespace, body):
        if self.store.get(resource, namespace, body["metadata"]["name"]) is not None:
            raise ApiError(409, "exists")
        self.store.put(resource, STRATEGIES[resource].for_create(body, 0))

    def update(self, resource, namespace, body, owner=None):
        current = self.store.get(resource, namespace, body["metadata"]["name"])
        self.store.put(resource, STRATEGIES[resource].for_update(body, current, 0))

    def delete(self, resource, namespace, name):
        self.store.remove(resource, namespace, name)


class Cluster:
    """A store with the three controllers' loops; pods run when run_all() says."""

    def __init__(self, body):
        self.store = Store()
        self.pods = FakeApi(self.store)
        self.writes = Writes(self.store)
        self.store.put(strategy.RESOURCE, strategy.for_create(body, 0))
        controllers = [
            DeploymentController(self.store, self.writes.create, self.writes.update,
                                 self.writes.delete, self.writes.events.extend, lambda: 0),
            replica_set_manager(self.store, self.pods.create_many, self.pods.update,
                                self.pods.delete),
            GarbageCollector(self.store, {"Deployment": strategy.RESOURCE,
                                          "ReplicaSet": replica_set.RESOURCE},
                             ("pods", replica_set.RESOURCE), self.pods.delete_any)]
        self.loops = [ControlLoop(self.store, c, resync=3600) for c in controllers]
        self.step()

    def step(self):
        step(self.loops, times=6)

    def deployment(self):
        return self.store.get(strategy.RESOURCE, "default", "web")

    def change(self, **spec):
        current = self.deployment()
        body = copy.deepcopy(current)
        body["spec"].update(spec)
        self.store.put(strategy.RESOURCE, strategy.for_update(body, current, 0))
        self.step()

    def new_image(self, image):
        template = copy.deepcopy(self.deployment()["spec"]["template"])
        template["spec"]["containers"][0]["image"] = image
        self.change(template=template)

    def sets(self):
        return {r["metadata"]["name"]: r for r in self.store.list(replica_set.RESOURCE)[1]}

    def pod_list(self):
        return self.store.list("pods", "default")[1]

    def run_all(self, ready=True):
        for pod in self.pod_list():
            if pod["status"]["phase"] == "Pending":
                self.pods.run(pod["metadata"]["name"], ready=ready)
        self.step()

    def images(self):
        return sorted(p["spec"]["containers"][0]["image"] for p in self.pod_list())


def test_a_deployment_makes_a_replica_set_of_its_template_which_makes_its_pods():
    cluster = Cluster(deployment(3))
    (name, made), = cluster.sets().items()
    stored = cluster.deployment()
    pod_hash = template_hash(stored["spec"]["template"])
    assert name == "web-" + pod_hash
    assert made["metadata"]["ownerReferences"][0]["uid"] == stored["metadata"]["uid"]
    assert made["spec"]["selector"]["matchLabels"] == {"app": "web", HASH_LABEL: pod_hash}
    assert made["metadata"]["annotations"][REVISION] == "1"
    assert len(cluster.pod_list()) == 3
    for pod in cluster.pod_list():
        assert pod["metadata"]["labels"] == {"app": "web", HASH_LABEL: pod_hash}
        assert pod["metadata"]["name"].startswith(name + "-")
    cluster.run_all()
    status = cluster.deployment()["status"]
    assert {k: status.get(k) for k in ("replicas", "updatedReplicas", "availableReplicas",
                                       "observedGeneration")} == {
        "replicas": 3, "updatedReplicas": 3, "availableReplicas": 3, "observedGeneration": 1}
    assert [(c["type"], c["reason"]) for c in status["conditions"]] == [
        ("Available", "MinimumReplicasAvailable"), ("Progressing", "NewReplicaSetAvailable")]
    assert cluster.deployment()["metadata"]["annotations"][REVISION] == "1"
    assert [e["message"] for e in cluster.writes.events] == [
        "Scaled up replica set %s from 0 to 3" % name]


def test_the_generation_is_observed_only_once_the_controller_has_seen_it():
    cluster = Cluster(deployment(1))
    cluster.run_all()
    current = cluster.deployment()
    body = copy.deepcopy(current)
    body["spec"]["replicas"] = 2
    cluster.store.put(strategy.RESOURCE, strategy.for_update(body, current, 0))
    changed = cluster.deployment()
    assert changed["metadata"]["generation"] == 2
    assert changed["status"]["observedGeneration"] == 1   # not yet: rollout status waits
    cluster.step()
    assert cluster.deployment()["status"]["observedGeneration"] == 2


@pytest.mark.parametrize("surge, unavailable", [(1, 0), (0, 2), ("25%", "25%")])
def test_a_rolling_update_stays_within_max_surge_and_max_unavailable(surge, unavailable):
    replicas = 4
    cluster = Cluster(deployment(replicas, strategy={"type": "RollingUpdate", "rollingUpdate": {
        "maxSurge": surge, "maxUnavailable": unavailable}}))
    cluster.run_all()
    most_pods, least_available = 0, replicas
    cluster.new_image("nginx:1.26")
    for _ in range(20):
        pods = cluster.pod_list()
        most_pods = max(most_pods, len(pods))
        ready = [p for p in pods if p["status"]["phase"] == "Running"]
        least_available = min(least_available, len(ready))
        if cluster.images() == ["nginx:1.26"] * replicas:
            break
        cluster.run_all()
    assert cluster.images() == ["nginx:1.26"] * replicas
    surge_count, unavailable_count = rollout.limits(cluster.deployment())
    assert most_pods <= replicas + surge_count
    assert least_available >= replicas - unavailable_count
    sizes = sorted(r["spec"]["replicas"] for r in cluster.sets().values())
    assert sizes == [0, replicas]


def test_a_rolling_update_waits_for_the_new_pods_to_be_available():
    cluster = Cluster(deployment(2, strategy={"type": "RollingUpdate", "rollingUpdate": {
        "maxSurge": 1, "maxUnavailable": 0}}))
    cluster.run_all()
    cluster.new_image("nginx:1.26")
    cluster.run_all(ready=False)   # the new pod runs but never becomes ready
    cluster.step()
    assert cluster.images() == ["nginx:1.25", "nginx:1.25", "nginx:1.26"]


def test_recreate_removes_the_old_pods_before_it_makes_new_ones():
    cluster = Cluster(deployment(2, strategy={"type": "Recreate"}))
    cluster.run_all()
    seen = []
    cluster.step = lambda: [(loop.step(), seen.append(set(cluster.images())))
                            for _ in range(6) for loop in cluster.loops]
    cluster.new_image("nginx:1.26")
    assert {"nginx:1.25", "nginx:1.26"} not in seen and set() in seen
    assert cluster.images() == ["nginx:1.26", "nginx:1.26"]


def test_an_old_template_brought_back_makes_its_replica_set_the_newest_revision():
    cluster = Cluster(deployment(1))
    cluster.run_all()
    first = cluster.deployment()["spec"]["template"]
    cluster.new_image("nginx:1.26")
    cluster.run_all()
    cluster.run_all()
    cluster.change(template=first)   # `kubectl rollout undo`
    cluster.run_all()
    cluster.run_all()
    back = cluster.sets()["web-" + template_hash(first)]
    assert back["spec"]["replicas"] == 1
    assert back["metadata"]["annotations"][REVISION] == "3"
    assert cluster.deployment()["metadata"]["annotations"][REVISION] == "3"
    assert cluster.images() == ["nginx:1.25"] and len(cluster.sets()) == 2


def test_old_replica_sets_beyond_the_revision_history_limit_go_once_empty():
    cluster = Cluster(deployment(1, revisionHistoryLimit=1))
    for image in ("nginx:1.26", "nginx:1.27", "nginx:1.28"):
        cluster.run_all()
        cluster.new_image(image)
        cluster.run_all()
        cluster.run_all()
    revisions = sorted(int(r["metadata"]["annotations"][REVISION])
                       for r in cluster.sets().values())
    assert revisions == [3, 4]


def test_scaling_resizes_the_current_replica_set_alone():
    cluster = Cluster(deployment(2))
    cluster.run_all()
    cluster.change(replicas=5)
    assert [r["spec"]["replicas"] for r in cluster.sets().values()] == [5]
    assert len(cluster.pod_list()) == 5
    cluster.change(replicas=1)
    assert len(cluster.pod_list()) == 1


def test_a_deleted_deployment_takes_its_replica_sets_and_their_pods():
    cluster = Cluster(deployment(2))
    cluster.run_all()
    cluster.store.remove(strategy.RESOURCE, "default", "web")
    cluster.step()
    assert cluster.sets() == {} and cluster.pod_list() == []


def test_an_orphaned_replica_set_is_adopted_by_a_deployment_that_selects_it():
    cluster = Cluster(deployment(2))
    cluster.run_all()
    (name, owned), = cluster.sets().items()
    orphan = copy.deepcopy(owned)
    orphan["metadata"]["ownerReferences"] = []
    cluster.store.put(replica_set.RESOURCE, orphan)   # as --cascade=orphan leaves it
    cluster.store.remove(strategy.RESOURCE, "default", "web")
    cluster.step()
    assert list(cluster.sets()) == [name] and len(cluster.pod_list()) == 2
    cluster.store.put(strategy.RESOURCE, strategy.for_create(deployment(2), 1))
    cluster.step()
    adopted = cluster.sets()[name]
    assert adopted["metadata"]["ownerReferences"][0]["uid"] == \
        cluster.deployment()["metadata"]["uid"]
    assert len(cluster.pod_list()) == 2   # the same pods, not new ones


def test_limits_round_surge_up_and_unavailability_down():
    body = strategy.for_create(deployment(10), 0)
    assert rollout.limits(body) == (3, 2)
    body["spec"]["strategy"]["rollingUpdate"] = {"maxSurge": 0, "maxUnavailable": "5%"}
    assert rollout.limits(body) == (0, 1)   # both zero: one may be unavailable


def test_the_strategy_defaults_and_refuses_naming_the_field():
    stored = strategy.for_create(deployment(2), 0)
    assert stored["spec"]["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {
        "maxUnavailable": "25%", "maxSurge": "25%"}}
    assert stored["spec"]["revisionHistoryLimit"] == 10
    container = stored["spec"]["template"]["spec"]["containers"][0]
    assert container["imagePullPolicy"] == "IfNotPresent"
    assert defaulted(stored["spec"]["template"]) == stored["spec"]["template"]
    bad = deployment(2)
    bad["spec"]["template"]["metadata"]["labels"] = {"app": "other"}
    with pytest.raises(ApiError) as refused:
        strategy.for_create(bad, 0)
    assert refused.value.code == 422 and "spec.template.metadata.labels" in \
        refused.value.message
    kept = dict(stored, status={"replicas": 2})
    assert strategy.for_update(deployment(3), kept, 1)["status"] == {"replicas": 2}
    moved = deployment(2)
    moved["spec"]["selector"] = {"matchLabels": {"app": "web", "tier": "front"}}
    moved["spec"]["template"]["metadata"]["labels"]["tier"] = "front"
    with pytest.raises(ApiError) as refused:
        strategy.for_update(moved, stored, 1)
    assert "spec.selector" in refused.value.message and "immutable" in refused.value.message
