"""The job controller: each Job runs pods of its template until `completions` of them
have succeeded, at most `parallelism` at once, as Kubernetes' does. A pod that
fails counts against backoffLimit and is replaced; past the limit the Job fails
(BackoffLimitExceeded) and its running pods are deleted. Pods are made through the
API, owned by the Job; finished pods stay (their logs are the Job's output) until
the Job is deleted and the garbage collector takes them. What it observed goes to
the status, with the Complete or Failed condition `kubectl wait` reads.
Not done: the exponential delay between retries, completionMode Indexed, suspend,
activeDeadlineSeconds and ttlSecondsAfterFinished are stored but not acted on."""
from services.endpoints import pod_ready
from topo.api.render import timestamp
from topo.api.strategies import job as strategy
from topo.manager.loop import Again
from topo.manager.replicas import all_keys, controlled_by, new_pod, own_or_owner_key

PODS = "pods"


def phase(pod):
    return (pod.get("status") or {}).get("phase")


def finished_condition(job):
    """The Job's Complete or Failed condition that holds, or None."""
    return next((c for c in (job.get("status") or {}).get("conditions") or ()
                 if c["type"] in ("Complete", "Failed") and c["status"] == "True"), None)


def _condition(kind, reason, message, now):
    return {"type": kind, "status": "True", "lastProbeTime": timestamp(now),
            "lastTransitionTime": timestamp(now), "reason": reason, "message": message}


def plan(job, pods):
    """(pods to make, names of pods to delete, the finish: None, "Complete" or
    "Failed") from the Job and its pods as stored now."""
    spec = job["spec"]
    active = [p for p in pods if phase(p) not in ("Succeeded", "Failed")]
    succeeded = sum(1 for p in pods if phase(p) == "Succeeded")
    failed = sum(1 for p in pods if phase(p) == "Failed")
    if finished_condition(job) is not None:
        return 0, [], None
    if succeeded >= spec["completions"]:
        return 0, [], "Complete"
    if failed > spec["backoffLimit"]:
        return 0, [p["metadata"]["name"] for p in active], "Failed"
    wanted = min(spec["parallelism"], spec["completions"] - succeeded)
    surplus = sorted(active, key=lambda p: p["metadata"]["creationTimestamp"],
                     reverse=True)[:max(0, len(active) - wanted)]
    return max(0, wanted - len(active)), [p["metadata"]["name"] for p in surplus], None


def observed_status(job, pods, finish, now):
    """The status clients read: counts of its pods (zeros left out), when it started
    and finished, and its Complete or Failed condition."""
    status = dict(job.get("status") or {})
    status.setdefault("startTime", timestamp(now))
    counts = {"active": sum(1 for p in pods if phase(p) not in ("Succeeded", "Failed")),
              "succeeded": sum(1 for p in pods if phase(p) == "Succeeded"),
              "failed": sum(1 for p in pods if phase(p) == "Failed"),
              "ready": sum(1 for p in pods if pod_ready(p))}
    if finish is not None or finished_condition(job) is not None:
        counts["active"] = counts["ready"] = 0
    for field, count in counts.items():
        if count:
            status[field] = count
        else:
            status.pop(field, None)
    if finish == "Complete":
        status["completionTime"] = timestamp(now)
        status["conditions"] = [
            _condition("SuccessCriteriaMet", "CompletionsReached",
                       "Reached expected number of succeeded pods", now),
            _condition("Complete", "CompletionsReached",
                       "Reached expected number of succeeded pods", now)]
    elif finish == "Failed":
        status["conditions"] = [
            _condition("FailureTarget", "BackoffLimitExceeded",
                       "Job has reached the specified backoff limit", now),
            _condition("Failed", "BackoffLimitExceeded",
                       "Job has reached the specified backoff limit", now)]
    return status


class JobController:
    watches = (strategy.RESOURCE, PODS)

    def __init__(self, store, create_pods, delete_pod, clock):
        """create_pods(namespace, bodies), delete_pod(namespace, name): writes through
        the API (create_pods raises at the first the API refuses); clock(): the time
        now."""
        self.store, self.create_pods, self.delete_pod = store, create_pods, delete_pod
        self.clock = clock

    def keys(self, resource, obj):
        return own_or_owner_key(strategy, resource, obj)

    def all_keys(self):
        return all_keys(self.store, strategy.RESOURCE)

    def owned(self, job):
        return controlled_by(self.store, PODS, job)

    def reconcile(self, key):
        namespace, name = key
        job = self.store.get(strategy.RESOURCE, namespace, name)
        if job is None:
            return
        pods = self.owned(job)
        missing, doomed, finish = plan(job, pods)
        failure = None
        for pod_name in doomed:
            self.delete_pod(namespace, pod_name)
        try:
            if missing:
                self.create_pods(namespace, [new_pod(job) for _ in range(missing)])
        except Exception as exc:   # tried again later
            failure = exc
        job = self.store.get(strategy.RESOURCE, namespace, name)
        if job is None:
            return
        if not self.store.put_status(strategy.RESOURCE, job, observed_status(
                job, self.owned(job), finish, self.clock())) or failure:
            raise Again
