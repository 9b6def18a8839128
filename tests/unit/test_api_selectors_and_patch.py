"""Label and field selectors, and the three patch types, as the API server reads them."""
import pytest

from topo.api.patch import PatchError, json_patch, merge_patch, strategic_merge
from topo.api.selectors import (SelectorError, field_selector, label_selector,
                                match_labels_selector)

WEB = {"app": "web", "tier": "front"}


@pytest.mark.parametrize("selector,matches", [
    ("", True), ("app=web", True), ("app==web", True), ("app!=web", False),
    ("app=db", False), ("app in (db, web)", True), ("app notin (web)", False),
    ("tier", True), ("!tier", False), ("!canary", True),
    ("app=web,tier in (front,back),!canary", True), ("app=web,tier=back", False),
])
def test_a_label_selector_matches_as_kubectl_means_it(selector, matches):
    assert label_selector(selector)(WEB) is matches


@pytest.mark.parametrize("selector", ["a b c", "app=we b", "-app=web", "app in (a,-b-)"])
def test_a_malformed_label_selector_is_refused(selector):
    with pytest.raises(SelectorError):
        label_selector(selector)


def test_a_label_selector_object_with_expressions_and_the_empty_one():
    selector = {"matchLabels": {"app": "web"},
                "matchExpressions": [{"key": "tier", "operator": "In", "values": ["front"]},
                                     {"key": "canary", "operator": "DoesNotExist"}]}
    assert match_labels_selector(selector)(WEB)
    assert not match_labels_selector(selector)(dict(WEB, canary="yes"))
    assert match_labels_selector({})({}) and match_labels_selector(None)(WEB)


def test_field_selectors_on_name_node_and_phase():
    pod = {"metadata": {"name": "web-1", "namespace": "default"},
           "spec": {"nodeName": "node2"}, "status": {"phase": "Running"}}
    assert field_selector("metadata.name=web-1,spec.nodeName=node2")(pod)
    assert not field_selector("status.phase!=Running")(pod)
    with pytest.raises(SelectorError, match="field label not supported: spec.color"):
        field_selector("spec.color=blue")


def test_events_are_selected_by_their_source_component_as_the_e2e_framework_asks():
    event = {"involvedObject": {"kind": "Node", "name": "node1", "namespace": ""},
             "source": {"component": "kubelet", "host": "node1"}}
    asked = field_selector("involvedObject.kind=Node,involvedObject.name=node1,"
                           "involvedObject.namespace=,source=kubelet")
    assert asked(event)
    assert not asked(dict(event, source={"component": "default-scheduler"}))


def test_the_e2e_frameworks_node_selector_counts_a_node_without_the_field_schedulable():
    schedulable = field_selector("spec.unschedulable=false")
    assert schedulable({"metadata": {"name": "node1"}, "spec": {"podCIDR": "10.244.1.0/24"}})
    assert not schedulable({"metadata": {"name": "node2"}, "spec": {"unschedulable": True}})
    assert field_selector("spec.unschedulable=true")({"spec": {"unschedulable": True}})
    assert field_selector("status.podIP=10.244.1.4")({"status": {"podIP": "10.244.1.4"}})


def test_a_merge_patch_merges_maps_and_null_removes():
    target = {"metadata": {"labels": {"a": "1", "b": "2"}}, "spec": {"ports": [1, 2]}}
    patched = merge_patch(target, {"metadata": {"labels": {"a": None, "c": "3"}},
                                   "spec": {"ports": [9]}})
    assert patched == {"metadata": {"labels": {"b": "2", "c": "3"}}, "spec": {"ports": [9]}}
    assert target["metadata"]["labels"] == {"a": "1", "b": "2"}


def test_a_json_patch_adds_replaces_removes_moves_and_tests():
    doc = {"spec": {"ports": [{"port": 80}], "type": "ClusterIP"}}
    patched = json_patch(doc, [
        {"op": "replace", "path": "/spec/ports/0/port", "value": 81},
        {"op": "add", "path": "/spec/ports/-", "value": {"port": 443}},
        {"op": "copy", "from": "/spec/type", "path": "/spec/kind"},
        {"op": "move", "from": "/spec/kind", "path": "/spec/was"},
        {"op": "remove", "path": "/spec/type"},
        {"op": "test", "path": "/spec/was", "value": "ClusterIP"}])
    assert patched == {"spec": {"ports": [{"port": 81}, {"port": 443}], "was": "ClusterIP"}}
    for bad in ([{"op": "test", "path": "/spec/type", "value": "NodePort"}],
                [{"op": "remove", "path": "/spec/nothing"}], [{"op": "jump", "path": "/"}],
                {"op": "add"}):
        with pytest.raises(PatchError):
            json_patch(doc, bad)


def test_a_json_patch_add_without_a_value_puts_null_as_the_api_servers_does():
    """Kubernetes' NetworkPolicy e2e test labels a pod with {"op": "add", "path":
    "/metadata/labels/isolated"}: the label's value becomes ""."""
    patched = json_patch({"metadata": {"labels": {}}},
                         [{"op": "add", "path": "/metadata/labels/isolated"}])
    assert patched == {"metadata": {"labels": {"isolated": None}}}
    from topo.api.registry import _check_body
    from topo.api.resources import BY_PLURAL
    assert _check_body(BY_PLURAL[("", "pods")], "default", dict(patched, metadata=dict(
        patched["metadata"], name="server")))["metadata"]["labels"] == {"isolated": ""}


def test_a_strategic_merge_merges_containers_by_name_and_ports_by_number():
    target = {"spec": {"containers": [
        {"name": "web", "image": "nginx:1", "ports": [{"containerPort": 80, "name": "http"}]},
        {"name": "sidecar", "image": "busybox"}]}}
    patch = {"spec": {"$setElementOrder/containers": [{"name": "web"}, {"name": "sidecar"}],
                      "containers": [
                          {"name": "web", "image": "nginx:2",
                           "ports": [{"containerPort": 443}]},
                          {"name": "sidecar", "$patch": "delete"}]}}
    patched = strategic_merge(target, patch)
    assert patched == {"spec": {"containers": [
        {"name": "web", "image": "nginx:2",
         "ports": [{"containerPort": 80, "name": "http"}, {"containerPort": 443}]}]}}


def test_a_strategic_merge_replaces_plain_lists_and_honours_retain_keys():
    target = {"command": ["a", "b"], "strategy": {"type": "RollingUpdate",
                                                  "rollingUpdate": {"maxSurge": 1}}}
    patched = strategic_merge(target, {"command": ["c"], "strategy": {
        "$retainKeys": ["type"], "type": "Recreate"}})
    assert patched == {"command": ["c"], "strategy": {"type": "Recreate"}}
