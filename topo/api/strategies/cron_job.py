"""CronJobs: checked by the manifest rules (their jobTemplate a Job's; the schedule
cron's five fields or a macro, read as topo/plan/cron_schedule.py reads it), stored
with the API server's defaults (concurrency Allow, three successful and one failed
Job kept, not suspended). The status is the cronjob controller's
(topo/manager/cron_jobs.py): a client's write keeps the one stored. A delete removes
them; the garbage collector takes their Jobs, and theirs their pods."""
import copy

from topo.api.status import invalid
from topo.api.strategies.common import controlled, parsed, stored_metadata
from topo.plan import cron_schedule
from topo.plan.manifest import parse_cron_job

RESOURCE = "cronjobs.batch"   # the store's key
KIND = "CronJob"


def for_create(obj, now, current=None):
    parsed(parse_cron_job, obj)
    spec = copy.deepcopy(obj["spec"])
    try:
        cron_schedule.parse(spec["schedule"])
    except cron_schedule.ScheduleError as exc:
        raise invalid(KIND, obj["metadata"]["name"], "spec.schedule",
                      "Invalid value: %r: %s" % (spec["schedule"], exc)) from None
    spec.setdefault("concurrencyPolicy", "Allow")
    spec.setdefault("suspend", False)
    spec.setdefault("successfulJobsHistoryLimit", 3)
    spec.setdefault("failedJobsHistoryLimit", 1)
    return controlled("batch/v1", KIND, stored_metadata(obj, current, now), spec, current, {})


def for_update(obj, current, now):
    return for_create(obj, now, current)


def for_delete(current, now):
    return None
