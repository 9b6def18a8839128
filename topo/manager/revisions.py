"""A StatefulSet's or DaemonSet's history as ControllerRevisions, as Kubernetes'
controllers keep it: each template it has had is a revision named <owner>-<hash>,
numbered in the order it became current (one that comes back, by a rollback, gets the
next number), its data the template to patch back (`kubectl rollout undo`); the
oldest beyond spec.revisionHistoryLimit (10) go, but never the current one or one a
pod still has. history_plan() is pure."""
import copy

from topo.api.strategies import controller_revision as strategy
from topo.manager.daemons import HASH_LABEL, template_hash
from topo.manager.replicas import controlled_by, reference_to

HISTORY_LIMIT = 10


def revision_name(owner):
    return "%s-%s" % (owner["metadata"]["name"], template_hash(owner))


def revision_body(owner, number):
    """The ControllerRevision of owner's template now, numbered number."""
    metadata = owner["metadata"]
    labels = dict((owner["spec"].get("selector") or {}).get("matchLabels") or {})
    labels[HASH_LABEL] = template_hash(owner)
    template = dict(copy.deepcopy(owner["spec"]["template"]), **{"$patch": "replace"})
    return {"apiVersion": strategy.API_VERSION, "kind": strategy.KIND,
            "metadata": {"name": revision_name(owner), "namespace": metadata["namespace"],
                         "labels": labels, "ownerReferences": [reference_to(owner)]},
            "data": {"spec": {"template": template}}, "revision": number}


def history_plan(owner, revisions, in_use):
    """(a revision to make or None, (name, number) to renumber or None, [names to
    delete]) for owner's revisions (its ControllerRevisions) and in_use (the names of
    the revisions its pods have)."""
    name = revision_name(owner)
    highest = max((r["revision"] for r in revisions), default=0)
    current = next((r for r in revisions if r["metadata"]["name"] == name), None)
    make = revision_body(owner, highest + 1) if current is None else None
    renumber = (name, highest + 1) if current is not None and \
        current["revision"] != highest else None
    limit = owner["spec"].get("revisionHistoryLimit", HISTORY_LIMIT)
    old = sorted((r for r in revisions if r["metadata"]["name"] != name and
                  r["metadata"]["name"] not in in_use), key=lambda r: r["revision"])
    drop = [r["metadata"]["name"] for r in old[:max(0, len(old) - limit)]]
    return make, renumber, drop


class History:
    """Keeps owners' ControllerRevisions through the API (create(namespace, body),
    update(namespace, body), delete(namespace, name))."""

    def __init__(self, store, create, update, delete):
        self.store, self.create, self.update, self.delete = store, create, update, delete

    def sync(self, owner, in_use):
        namespace = owner["metadata"]["namespace"]
        revisions = controlled_by(self.store, strategy.RESOURCE, owner)
        make, renumber, drop = history_plan(owner, revisions, in_use)
        if make is not None:
            self.create(namespace, make)
        if renumber is not None:
            current = next(r for r in revisions if r["metadata"]["name"] == renumber[0])
            self.update(namespace, dict(current, revision=renumber[1]))
        for name in drop:
            self.delete(namespace, name)
