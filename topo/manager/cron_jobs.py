"""The cronjob controller: each CronJob makes a Job of its jobTemplate at each time
its schedule names (UTC, the machine's clock), as Kubernetes' does: named
`<cronjob>-<scheduled minute since the epoch>`, owned by it. Only the latest time
missed is made up for (a cluster that was not running runs a schedule's job once, not
once per minute it missed). concurrencyPolicy Forbid skips a time while a Job runs;
Replace deletes the running Jobs first. Finished Jobs beyond the history limits go,
oldest first, and the garbage collector takes their pods. The status names the
running Jobs and the last schedule and success. It asks its loop to come back at the
next scheduled time (Later)."""
import calendar
import copy
import time

from topo.api.render import timestamp
from topo.api.strategies import cron_job as strategy
from topo.api.strategies import job as job_strategy
from topo.manager.jobs import finished_condition
from topo.manager.loop import Later
from topo.manager.replicas import all_keys, controlled_by, own_or_owner_key, reference_to
from topo.plan import cron_schedule

JOBS = job_strategy.RESOURCE


def seconds(stamp):
    return calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ"))


def new_job(cron, scheduled):
    """The Job of cron's jobTemplate for the scheduled time."""
    metadata, template = cron["metadata"], cron["spec"]["jobTemplate"]
    job_metadata = copy.deepcopy(template.get("metadata") or {})
    job_metadata.update(name="%s-%d" % (metadata["name"], scheduled // 60),
                        namespace=metadata["namespace"],
                        ownerReferences=[reference_to(cron)])
    job_metadata.setdefault("annotations", {})["batch.kubernetes.io/cronjob-scheduled-"
                                               "timestamp"] = timestamp(scheduled)
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": job_metadata,
            "spec": copy.deepcopy(template["spec"])}


def reference(job):
    metadata = job["metadata"]
    return {"apiVersion": "batch/v1", "kind": "Job", "name": metadata["name"],
            "namespace": metadata["namespace"], "uid": metadata["uid"],
            "resourceVersion": metadata["resourceVersion"]}


def surplus(cron, finished):
    """The finished Jobs beyond the history limits, oldest first."""
    doomed = []
    for kind, field in (("Complete", "successfulJobsHistoryLimit"),
                        ("Failed", "failedJobsHistoryLimit")):
        ended = [j for j in finished if finished_condition(j)["type"] == kind]
        doomed += ended[:max(0, len(ended) - cron["spec"][field])]
    return doomed


class CronJobController:
    watches = (strategy.RESOURCE, JOBS)

    def __init__(self, store, create, delete, clock):
        """create(resource, namespace, body), delete(resource, namespace, name): writes
        through the API; clock(): the time now."""
        self.store, self.create, self.delete, self.clock = store, create, delete, clock

    def keys(self, resource, obj):
        return own_or_owner_key(strategy, resource, obj)

    def all_keys(self):
        return all_keys(self.store, strategy.RESOURCE)

    def owned(self, cron):
        return controlled_by(self.store, JOBS, cron)

    def reconcile(self, key):
        namespace, name = key
        cron = self.store.get(strategy.RESOURCE, namespace, name)
        if cron is None:
            return
        jobs, now = self.owned(cron), self.clock()
        active = [j for j in jobs if finished_condition(j) is None]
        finished = [j for j in jobs if finished_condition(j) is not None]
        for job in surplus(cron, finished):
            self.delete(JOBS, namespace, job["metadata"]["name"])
        fields = cron_schedule.parse(cron["spec"]["schedule"])
        status = dict(cron.get("status") or {})
        since = seconds(status.get("lastScheduleTime") or
                        cron["metadata"]["creationTimestamp"])
        due = cron_schedule.last_due(fields, since, now)
        if due is not None and not cron["spec"].get("suspend"):
            status["lastScheduleTime"] = timestamp(due)
            if active and cron["spec"]["concurrencyPolicy"] == "Forbid":
                pass   # this time is skipped
            else:
                if cron["spec"]["concurrencyPolicy"] == "Replace":
                    for job in active:
                        self.delete(JOBS, namespace, job["metadata"]["name"])
                body = new_job(cron, due)
                if self.store.get(JOBS, namespace, body["metadata"]["name"]) is None:
                    self.create(JOBS, namespace, body)
        jobs = self.owned(cron)
        running = [reference(j) for j in jobs if finished_condition(j) is None]
        status.pop("active", None)
        if running:
            status["active"] = running
        done = [j["status"]["completionTime"] for j in jobs
                if (finished_condition(j) or {}).get("type") == "Complete"
                and j["status"].get("completionTime")]
        if done:
            status["lastSuccessfulTime"] = max(done)
        self.store.put_status(strategy.RESOURCE, cron, status)
        upcoming = cron_schedule.next_after(fields, now)
        if upcoming is not None:
            raise Later(upcoming - now + 0.5)
