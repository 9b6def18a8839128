"""The Node strategy (pure): a node is stored with the labels its kubelet gives it and
the podCIDR it asks for; a client may change its labels, unschedulable and taints;
its podCIDR, once set, never changes; its status is its kubelet's."""
import pytest

from topo.api.status import ApiError
from topo.api.strategies import node

NOW = 1_700_000_000.0


def new(name="node5", **spec):
    return node.for_create({"apiVersion": "v1", "kind": "Node",
                            "metadata": {"name": name, "labels": {"rack": "a"}},
                            "spec": spec}, NOW)


def test_a_node_is_stored_with_its_kubelets_labels_and_no_status_yet():
    stored = new()
    assert stored["metadata"]["labels"]["kubernetes.io/hostname"] == "node5"
    assert stored["metadata"]["labels"]["rack"] == "a"
    assert stored["status"] == {} and not node.ready(stored)
    assert stored["spec"] == {}


def test_a_name_kubemn_cannot_give_a_machine_is_refused_naming_the_field():
    with pytest.raises(ApiError) as caught:
        new(name="Node_5")
    assert caught.value.code == 422 and "metadata.name" in caught.value.message


def test_cordon_and_labels_change_the_pod_cidr_is_set_once():
    stored = new()
    cidr_set = node.for_update(dict(stored, spec={"podCIDR": "10.244.5.0/24"}), stored, NOW)
    assert cidr_set["spec"] == {"podCIDR": "10.244.5.0/24", "podCIDRs": ["10.244.5.0/24"]}
    cordoned = node.for_update(dict(cidr_set, spec={"unschedulable": True}), cidr_set, NOW)
    assert cordoned["spec"]["unschedulable"] is True
    assert cordoned["spec"]["podCIDR"] == "10.244.5.0/24"   # left out: kept
    with pytest.raises(ApiError) as caught:
        node.for_update(dict(cidr_set, spec={"podCIDR": "10.244.9.0/24"}), cidr_set, NOW)
    assert caught.value.code == 422 and "podCIDR" in caught.value.message


def test_the_status_is_the_kubelets_alone():
    stored = new()
    ready = {"conditions": [{"type": "Ready", "status": "True"}]}
    reported = node.for_status(dict(stored, status=ready, spec={"unschedulable": True}),
                               stored, NOW)
    assert node.ready(reported) and reported["spec"] == {}
    kept = node.for_update(dict(reported, status={}), reported, NOW)
    assert kept["status"] == ready
