"""A StatefulSet's or DaemonSet's history (topo/manager/revisions.py): a revision per
template, numbered as each became current, the oldest beyond the limit dropped."""
from topo.manager.revisions import history_plan, revision_body, revision_name


def owner(image, limit=None):
    spec = {"selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                         "spec": {"containers": [{"name": "c", "image": image}]}}}
    if limit is not None:
        spec["revisionHistoryLimit"] = limit
    return {"apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": "web", "namespace": "default", "uid": "u1"}, "spec": spec}


def test_a_new_template_is_the_next_revision_and_a_rollback_renumbers_the_old_one():
    first = revision_body(owner("nginx:1"), 1)
    assert first["data"]["spec"]["template"]["$patch"] == "replace"
    assert first["metadata"]["ownerReferences"][0]["uid"] == "u1"
    assert history_plan(owner("nginx:1"), [first], set()) == (None, None, [])
    make, renumber, drop = history_plan(owner("nginx:2"), [first], set())
    assert make["revision"] == 2 and make["metadata"]["name"] == revision_name(
        owner("nginx:2")) != first["metadata"]["name"]
    second = make
    assert history_plan(owner("nginx:1"), [first, second], set()) == (
        None, (first["metadata"]["name"], 3), [])


def test_the_oldest_beyond_the_limit_go_unless_a_pod_has_them():
    revisions = [revision_body(owner("nginx:%d" % n), n) for n in range(1, 5)]
    current = owner("nginx:4", limit=1)
    _, _, drop = history_plan(current, revisions, set())
    assert drop == [r["metadata"]["name"] for r in revisions[:2]]
    _, _, drop = history_plan(current, revisions, {revisions[0]["metadata"]["name"]})
    assert drop == [revisions[1]["metadata"]["name"]]
