"""The job controller and the Job strategy against an in-memory store (no root, no
Mininet): a Job runs `parallelism` pods at a time until `completions` have succeeded,
replaces a failed pod until backoffLimit is passed and then fails, reports what it
observed; its pods are collected with it. The API's pod writes are the store's here
(the integration tests go through the real API with kubectl and the Python client)."""
import copy

import pytest

from tests.helpers.fake_api import FakeApi, step
from topo.api.status import ApiError
from topo.api.store import Store
from topo.api.strategies import job as strategy
from topo.manager.garbage import GarbageCollector
from topo.manager.jobs import JobController
from topo.manager.loop import ControlLoop


def job(completions=1, parallelism=1, backoff_limit=6, restart="Never"):
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": "pi", "namespace": "default"},
            "spec": {"completions": completions, "parallelism": parallelism,
                     "backoffLimit": backoff_limit,
                     "template": {"spec": {"restartPolicy": restart, "containers": [
                         {"name": "c", "image": "busybox", "command": ["true"]}]}}}}


class Cluster:
    def __init__(self, body):
        self.store = Store()
        self.api = FakeApi(self.store)
        self.store.put(strategy.RESOURCE, strategy.for_create(body, 0))
        controller = JobController(self.store, self.api.create_many, self.api.delete,
                                   lambda: 0)
        collector = GarbageCollector(self.store, {strategy.KIND: strategy.RESOURCE},
                                     ("pods",), self.api.delete_any)
        self.loops = [ControlLoop(self.store, c, resync=3600) for c in (controller, collector)]
        step(self.loops)

    def job(self):
        return self.store.get(strategy.RESOURCE, "default", "pi")

    def pods(self, phase=None):
        return sorted(p["metadata"]["name"] for p in self.store.list("pods", "default")[1]
                      if phase is None or p["status"]["phase"] == phase)

    def finish(self, phase="Succeeded"):
        """The running ones end in phase."""
        for name in self.pods("Pending"):
            self.api.run(name, ready=False, phase=phase)
        step(self.loops)


def test_a_job_runs_its_parallelism_until_its_completions_have_succeeded():
    cluster = Cluster(job(completions=5, parallelism=2))
    assert len(cluster.pods("Pending")) == 2
    assert cluster.job()["status"]["active"] == 2
    for done in (2, 4):
        cluster.finish()
        assert len(cluster.pods("Succeeded")) == done
    assert len(cluster.pods("Pending")) == 1   # one more completion wanted, not two
    cluster.finish()
    status = cluster.job()["status"]
    assert status["succeeded"] == 5 and "active" not in status and "completionTime" in status
    assert [c["type"] for c in status["conditions"]] == ["SuccessCriteriaMet", "Complete"]
    step(cluster.loops)
    assert len(cluster.pods()) == 5   # finished pods stay, with their logs


def test_failed_pods_are_replaced_until_the_backoff_limit_then_the_job_fails():
    cluster = Cluster(job(backoff_limit=1, parallelism=2, completions=3))
    cluster.finish("Failed")
    assert len(cluster.pods("Failed")) == 2
    status = cluster.job()["status"]
    assert status["failed"] == 2
    assert [(c["type"], c["reason"]) for c in status["conditions"]][-1] == \
        ("Failed", "BackoffLimitExceeded")
    assert cluster.pods("Pending") == []   # nothing runs past the limit


def test_a_failed_pod_within_the_limit_is_replaced():
    cluster = Cluster(job(backoff_limit=3))
    cluster.finish("Failed")
    assert len(cluster.pods("Pending")) == 1 and "conditions" not in cluster.job()["status"]
    cluster.finish()
    assert cluster.job()["status"]["conditions"][-1]["type"] == "Complete"


def test_a_deleted_jobs_pods_are_collected():
    cluster = Cluster(job(parallelism=2, completions=2))
    cluster.store.remove(strategy.RESOURCE, "default", "pi")
    step(cluster.loops)
    assert cluster.pods() == []


def test_the_strategy_makes_the_selector_of_the_jobs_uid_and_labels_its_pods():
    stored = strategy.for_create(job(), 0)
    uid = stored["metadata"]["uid"]
    assert stored["spec"]["selector"] == {"matchLabels": {strategy.UID_LABEL: uid}}
    labels = stored["spec"]["template"]["metadata"]["labels"]
    assert labels[strategy.UID_LABEL] == uid and labels["job-name"] == "pi"
    assert (stored["spec"]["backoffLimit"], stored["spec"]["parallelism"]) == (6, 1)
    again = strategy.for_update(copy.deepcopy(job()), stored, 1)   # a client's PUT
    assert again["spec"] == stored["spec"] and again["metadata"]["uid"] == uid
    patched = strategy.for_update(copy.deepcopy(stored), stored, 1)   # a PATCH: selector
    assert patched["spec"] == stored["spec"]                          # and all


@pytest.mark.parametrize("change, field", [
    (lambda body: body["spec"]["template"]["spec"].update(restartPolicy="Always"),
     "spec.template.spec.restartPolicy"),
    (lambda body: body["spec"].update(selector={"matchLabels": {"a": "b"}}), "spec.selector"),
    (lambda body: body["spec"].update(completions=-1), "spec.completions")])
def test_the_strategy_refuses_what_the_api_server_refuses(change, field):
    body = job()
    change(body)
    with pytest.raises(ApiError) as refused:
        strategy.for_create(body, 0)
    assert refused.value.code == 422 and field in refused.value.message


def test_a_jobs_template_cannot_change():
    stored = strategy.for_create(job(), 0)
    changed = job()
    changed["spec"]["template"]["spec"]["containers"][0]["image"] = "alpine"
    with pytest.raises(ApiError) as refused:
        strategy.for_update(changed, stored, 1)
    assert "spec.template" in refused.value.message and "immutable" in refused.value.message
