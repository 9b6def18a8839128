"""Field ownership and server-side apply (topo/api/field_manager.py), as Kubernetes'
structured-merge-diff keeps them."""
import pytest

from topo.api import field_manager as fm

DEPLOYMENT = {"apiVersion": "apps/v1", "kind": "Deployment",
              "metadata": {"name": "web", "namespace": "default", "uid": "u",
                           "labels": {"app": "web"}},
              "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                       "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                           "containers": [{"name": "nginx", "image": "nginx:1.25",
                                           "ports": [{"containerPort": 80}]}]}}},
              "status": {"replicas": 2}}


def owners(obj):
    return {e["manager"] + "/" + e["operation"]: {fm.path_string(p) for p in paths}
            for e, paths in fm.entries(obj)}


def applied(obj, manager, config, force=False, now=0):
    merged, managed = fm.apply(obj, config, manager, "apps/v1", now, force)
    merged["metadata"] = dict(merged["metadata"], managedFields=managed)
    return merged


def test_an_objects_fields_are_written_as_fields_v1_with_items_by_their_keys():
    paths = fm.field_set(DEPLOYMENT)
    tree = fm.to_fields_v1(paths)
    container = tree["f:spec"]["f:template"]["f:spec"]["f:containers"][
        'k:{"name":"nginx"}']
    assert container["."] == {} and container["f:image"] == {}
    assert 'k:{"containerPort":80,"protocol":"TCP"}' in container["f:ports"]
    assert "f:status" not in tree and "f:uid" not in tree["f:metadata"]
    assert fm.from_fields_v1(tree) == paths
    assert fm.path_string(('f:spec', 'f:template', 'f:spec', 'f:containers',
                           'k:{"name":"nginx"}', 'f:image')) == \
        '.spec.template.spec.containers[name="nginx"].image'


def test_an_apply_creates_then_a_second_identical_apply_changes_nothing():
    config = {k: v for k, v in DEPLOYMENT.items() if k != "status"}
    first = applied(None, "kubectl", config)
    again = applied(first, "kubectl", config, now=60)
    assert {k: v for k, v in again.items() if k != "metadata"} == \
        {k: v for k, v in first.items() if k != "metadata"}
    assert again["metadata"]["managedFields"] == first["metadata"]["managedFields"]
    assert list(owners(first)) == ["kubectl/Apply"]   # the time of the first kept


def test_a_field_left_out_of_the_next_apply_is_removed_unless_another_owns_it():
    config = {"apiVersion": "apps/v1", "kind": "Deployment",
              "metadata": {"name": "web", "labels": {"app": "web", "tier": "front"}},
              "spec": {"replicas": 3}}
    first = applied(dict(DEPLOYMENT, metadata=dict(DEPLOYMENT["metadata"])), "ops", config)
    assert first["spec"]["replicas"] == 3 and first["status"] == {"replicas": 2}
    less = dict(config, metadata={"name": "web", "labels": {"app": "web"}}, spec={})
    second = applied(first, "ops", less)
    assert second["metadata"]["labels"] == {"app": "web"}
    assert "replicas" not in second["spec"]
    assert second["spec"]["template"] == DEPLOYMENT["spec"]["template"]   # never its


def test_another_managers_field_changed_is_a_conflict_unless_forced():
    live = applied(DEPLOYMENT, "kubectl", {"spec": {"replicas": 2}})
    with pytest.raises(fm.ApplyConflict) as caught:
        applied(live, "hpa", {"spec": {"replicas": 5}})
    assert fm.conflict_message(caught.value.conflicts) == \
        'Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas'
    same = applied(live, "hpa", {"spec": {"replicas": 2}})   # the same value: shared
    assert owners(same)["kubectl/Apply"] == owners(same)["hpa/Apply"] == {".spec.replicas"}
    forced = applied(live, "hpa", {"spec": {"replicas": 5}}, force=True)
    assert forced["spec"]["replicas"] == 5 and owners(forced) == {
        "hpa/Apply": {".spec.replicas"}}


def test_list_items_merge_by_their_keys_and_conflicts_name_the_item():
    config = {"spec": {"template": {"spec": {"containers": [
        {"name": "sidecar", "image": "busybox"}]}}}}
    live = applied(DEPLOYMENT, "istio", config)
    names = [c["name"] for c in live["spec"]["template"]["spec"]["containers"]]
    assert names == ["nginx", "sidecar"]
    live = dict(live, metadata=dict(live["metadata"], managedFields=fm.update(
        None, DEPLOYMENT, "kubectl-client-side-apply", "apps/v1", 0) +
        live["metadata"]["managedFields"]))
    with pytest.raises(fm.ApplyConflict) as caught:
        applied(live, "istio", {"spec": {"template": {"spec": {"containers": [
            {"name": "sidecar", "image": "busybox"}, {"name": "nginx", "image": "x"}]}}}})
    assert fm.conflict_message(caught.value.conflicts) == (
        'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using '
        'apps/v1: .spec.template.spec.containers[name="nginx"].image')


def test_an_update_owns_what_it_changed_and_nobody_what_it_removed():
    managed = fm.update(None, DEPLOYMENT, "kubectl-create", "apps/v1", 0)
    live = dict(DEPLOYMENT, metadata=dict(DEPLOYMENT["metadata"], managedFields=managed))
    scaled = dict(live, spec=dict(live["spec"], replicas=4))
    scaled["metadata"] = {k: v for k, v in live["metadata"].items() if k != "labels"}
    after = dict(scaled, metadata=dict(scaled["metadata"], managedFields=fm.update(
        live, scaled, "kubectl-scale", "apps/v1", 1)))
    found = owners(after)
    assert found["kubectl-scale/Update"] == {".spec.replicas"}
    assert ".spec.replicas" not in found["kubectl-create/Update"]
    assert not any(p.startswith(".metadata.labels") for p in found["kubectl-create/Update"])


def test_two_conflicts_are_listed_by_manager():
    live = applied(DEPLOYMENT, "a", {"spec": {"replicas": 2, "paused": False}})
    with pytest.raises(fm.ApplyConflict) as caught:
        applied(live, "b", {"spec": {"replicas": 1, "paused": True}})
    assert fm.conflict_message(caught.value.conflicts) == (
        'Apply failed with 2 conflicts: conflicts with "a":\n- .spec.paused\n'
        '- .spec.replicas')
    assert [c["field"] for c in fm.conflict_causes(caught.value.conflicts)] == \
        [".spec.paused", ".spec.replicas"]
