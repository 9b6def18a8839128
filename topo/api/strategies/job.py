"""Jobs: checked by the manifest rules (the template a pod that restarts OnFailure or
Never; counts not negative), stored with the API server's defaults (one completion,
one at a time, six failures allowed) and its selector: the Job's own uid, which the
template's labels carry, as `batch.kubernetes.io/controller-uid` (unless the client
chose one with manualSelector). What the template, the selector and the completions
are cannot change. The status is the job controller's (topo/manager/jobs.py): a
client's write keeps the one stored. A delete removes them; the garbage collector
takes their pods."""
import copy
import uuid

from topo.api.strategies.common import controlled, keep_immutable, parsed, stored_metadata
from topo.api.strategies.pod_template import defaulted
from topo.plan.manifest import parse_job

RESOURCE = "jobs.batch"   # the store's key
KIND = "Job"
UID_LABEL = "batch.kubernetes.io/controller-uid"
NAME_LABEL = "batch.kubernetes.io/job-name"
IMMUTABLE = ("template", "selector", "completions")


def for_create(obj, now, current=None):
    body = obj   # an update may carry the selector made at the create
    if current is not None and obj["spec"].get("selector") == current["spec"]["selector"]:
        body = dict(obj, spec={k: v for k, v in obj["spec"].items() if k != "selector"})
    parallelism, completions, backoff_limit, _ = parsed(parse_job, body)
    metadata = stored_metadata(obj, current, now)
    metadata["uid"] = current["metadata"]["uid"] if current else str(uuid.uuid4())
    spec = copy.deepcopy(obj["spec"])
    spec.update(parallelism=parallelism, completions=completions, backoffLimit=backoff_limit)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    spec["template"] = defaulted(spec["template"])
    if not spec.get("manualSelector"):
        owned = {UID_LABEL: metadata["uid"], NAME_LABEL: metadata["name"],
                 "controller-uid": metadata["uid"], "job-name": metadata["name"]}
        labels = spec["template"].setdefault("metadata", {}).setdefault("labels", {})
        labels.update(owned)
        spec["selector"] = {"matchLabels": {UID_LABEL: metadata["uid"]}}
    keep_immutable(obj, spec, current, IMMUTABLE)
    return controlled("batch/v1", KIND, metadata, spec, current, {})


def for_update(obj, current, now):
    return for_create(obj, now, current)


def for_delete(current, now):
    return None
