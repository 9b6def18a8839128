"""Cron schedules and the cronjob controller against an in-memory store (no root, no
Mininet): a CronJob makes a Job of its template at each scheduled minute (the latest
missed one only), honours concurrencyPolicy, keeps its history limits and asks to be
called again at the next time. Job writes go through the Job strategy, as the API's
would (the integration test runs one through kubectl)."""
import calendar
import time

import pytest

from tests.helpers.fake_api import step
from topo.api.status import ApiError
from topo.api.store import Store
from topo.api.strategies import cron_job as strategy
from topo.api.strategies import job as job_strategy
from topo.manager.cron_jobs import CronJobController
from topo.manager.loop import ControlLoop, Later
from topo.plan import cron_schedule

CREATED = calendar.timegm((2026, 12, 3, 10, 0, 0))   # a Thursday, 10:00 UTC


def at(hour, minute, day=3):
    return calendar.timegm((2026, 12, day, hour, minute, 0))


def when(schedule, after):
    return cron_schedule.next_after(cron_schedule.parse(schedule), after)


@pytest.mark.parametrize("schedule, after, expected", [
    ("*/5 * * * *", at(10, 1), at(10, 5)),
    ("0 * * * *", at(10, 0), at(11, 0)),
    ("@daily", at(10, 0), at(0, 0, day=4)),
    ("30 9 * * mon-fri", at(10, 0), at(9, 30, day=4)),          # Friday the 4th
    ("0 12 13 * fri", at(10, 0), at(12, 0, day=4)),             # the 13th or a Friday
    ("0 0 * * 7", at(10, 0), at(0, 0, day=6)),                  # 7 is Sunday
    ("15,45 10-11 * dec *", at(10, 20), at(10, 45))])
def test_a_schedule_names_the_times_cron_would(schedule, after, expected):
    assert when(schedule, after) == expected


@pytest.mark.parametrize("schedule", ["* * * *", "61 * * * *", "5-1 * * * *", "a b c d e"])
def test_a_bad_schedule_is_refused_naming_the_field(schedule):
    with pytest.raises(ApiError) as refused:
        strategy.for_create(cron("spec", schedule=schedule), CREATED)
    assert refused.value.code == 422 and "spec.schedule" in refused.value.message


def cron(name="tick", schedule="*/5 * * * *", **spec):
    return {"apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": name, "namespace": "default"},
            "spec": dict({"schedule": schedule, "jobTemplate": {"spec": {"template": {
                "spec": {"restartPolicy": "Never", "containers": [
                    {"name": "c", "image": "busybox", "command": ["date"]}]}}}}}, **spec)}


class Cluster:
    def __init__(self, body):
        self.store, self.now = Store(), CREATED
        self.store.put(strategy.RESOURCE, strategy.for_create(body, CREATED))
        self.controller = CronJobController(self.store, self.create, self.delete,
                                            lambda: self.now)
        self.loop = ControlLoop(self.store, self.controller, resync=3600)

    def create(self, resource, namespace, body):
        self.store.put(resource, job_strategy.for_create(body, self.now))

    def delete(self, resource, namespace, name):
        self.store.remove(resource, namespace, name)

    def at(self, moment):
        """Reconciles the CronJob at moment; the seconds it asks to wait."""
        self.now = moment
        with pytest.raises(Later) as later:
            self.controller.reconcile(("default", "tick"))
        return later.value.seconds

    def jobs(self):
        return sorted(j["metadata"]["name"] for j in self.store.list(job_strategy.RESOURCE)[1])

    def finish(self, name, kind="Complete"):
        job = self.store.get(job_strategy.RESOURCE, "default", name)
        self.store.put_status(job_strategy.RESOURCE, job, {
            "completionTime": "2026-12-03T10:06:00Z",
            "conditions": [{"type": kind, "status": "True"}]})


def test_a_job_is_made_at_each_scheduled_minute_and_the_loop_is_asked_back_then():
    cluster = Cluster(cron())
    assert cluster.at(at(10, 2)) == pytest.approx(180.5)
    assert cluster.jobs() == []
    cluster.at(at(10, 5, ))
    assert cluster.jobs() == ["tick-%d" % (at(10, 5) // 60)]
    job = cluster.store.get(job_strategy.RESOURCE, "default", cluster.jobs()[0])
    owner = job["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["name"]) == ("CronJob", "tick")
    cluster.at(at(10, 5) + 30)
    assert len(cluster.jobs()) == 1   # not twice for the same time
    status = cluster.store.get(strategy.RESOURCE, "default", "tick")["status"]
    assert status["lastScheduleTime"] == "2026-12-03T10:05:00Z"
    assert [a["name"] for a in status["active"]] == cluster.jobs()


def test_only_the_latest_missed_time_is_made_up_for():
    cluster = Cluster(cron())
    cluster.at(at(11, 1))
    assert cluster.jobs() == ["tick-%d" % (at(11, 0) // 60)]


def test_forbid_skips_a_time_while_a_job_runs_and_replace_deletes_it():
    cluster = Cluster(cron(concurrencyPolicy="Forbid"))
    cluster.at(at(10, 5))
    cluster.at(at(10, 10))
    assert len(cluster.jobs()) == 1
    replacing = Cluster(cron(concurrencyPolicy="Replace"))
    replacing.at(at(10, 5))
    replacing.at(at(10, 10))
    assert replacing.jobs() == ["tick-%d" % (at(10, 10) // 60)]


def test_finished_jobs_beyond_the_history_limit_go_oldest_first():
    cluster = Cluster(cron(successfulJobsHistoryLimit=1))
    for minute in (5, 10, 15):
        cluster.at(at(10, minute))
        cluster.finish("tick-%d" % (at(10, minute) // 60))
    cluster.at(at(10, 16))
    assert cluster.jobs() == ["tick-%d" % (at(10, 15) // 60)]
    status = cluster.store.get(strategy.RESOURCE, "default", "tick")["status"]
    assert "active" not in status and status["lastSuccessfulTime"] == "2026-12-03T10:06:00Z"


def test_a_suspended_cron_job_makes_no_job():
    cluster = Cluster(cron(suspend=True))
    cluster.at(at(10, 5))
    assert cluster.jobs() == []


def test_the_loop_calls_it_again_when_it_asked():
    cluster = Cluster(cron())
    cluster.now = at(10, 4, ) + 59.8
    cluster.loop.step()
    (due, key), = cluster.loop.later
    assert key == ("default", "tick") and due - time.monotonic() > 0.5   # at 10:05, not
    step([cluster.loop])                                                  # a retry's pause
    assert cluster.jobs() == []
