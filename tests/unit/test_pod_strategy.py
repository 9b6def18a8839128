"""The Pod strategy (pure): a create is stored as written with the API server's
defaults, Pending and unbound; an update may change the metadata only; the status is
the kubelet's write, the binding the scheduler's; a bound pod's delete is graceful."""
import pytest

from topo.api.status import ApiError
from topo.api.store import Store
from topo.api.strategies import pod

BODY = {"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.25",
                                 "ports": [{"containerPort": 80}],
                                 "readinessProbe": {"httpGet": {"port": 80}}}]}}


def stored(body=BODY, now=0):
    store = Store()
    return store.put(pod.RESOURCE, pod.for_create(body, now))


def test_a_new_pod_is_stored_with_the_api_servers_defaults_pending_and_unbound():
    obj = stored()
    spec, container = obj["spec"], obj["spec"]["containers"][0]
    assert (spec["restartPolicy"], spec["dnsPolicy"], spec["serviceAccountName"],
            spec["terminationGracePeriodSeconds"]) == ("Always", "ClusterFirst", "default", 30)
    assert container["imagePullPolicy"] == "IfNotPresent"
    assert container["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert container["readinessProbe"]["httpGet"] == {"port": 80, "path": "/",
                                                      "scheme": "HTTP"}
    assert "nodeName" not in spec
    assert obj["status"] == {"phase": "Pending", "qosClass": "BestEffort"}
    assert obj["metadata"]["labels"] == {"app": "web"}


def test_a_pod_kubemn_cannot_run_is_refused_naming_the_field():
    body = dict(BODY, spec={"containers": [{"name": "c", "image": "x",
                                            "ports": [{"containerPort": 70000}]}]})
    with pytest.raises(ApiError) as refused:
        pod.for_create(body, 0)
    assert refused.value.code == 422
    assert "spec.containers[0].ports[0].containerPort" in refused.value.message


def test_an_update_may_change_labels_but_not_the_spec():
    current = pod.for_binding(stored(), "node2", 5)
    relabelled = dict(BODY, metadata=dict(BODY["metadata"], labels={"app": "other"}))
    updated = pod.for_update(relabelled, current, 9)
    assert updated["metadata"]["labels"] == {"app": "other"}
    assert updated["spec"]["nodeName"] == "node2"   # a written pod names no node
    assert updated["metadata"]["creationTimestamp"] == current["metadata"]["creationTimestamp"]
    changed = dict(BODY, spec={"containers": [{"name": "c", "image": "nginx:1.26"}]})
    with pytest.raises(ApiError) as refused:
        pod.for_update(changed, current, 9)
    assert refused.value.code == 422 and "Forbidden: pod updates" in refused.value.message


def test_the_status_is_the_kubelets_write_and_the_client_cannot_change_it():
    current = stored()
    reported = pod.for_status(dict(current, status={"phase": "Running"}), current, 1)
    assert reported["status"] == {"phase": "Running"} and reported["spec"] == current["spec"]
    kept = pod.for_update(dict(BODY, status={"phase": "Failed"}), reported, 2)
    assert kept["status"] == {"phase": "Running"}


def test_a_binding_names_the_node_once():
    bound = pod.for_binding(stored(), "node1", 3)
    assert bound["spec"]["nodeName"] == "node1"
    assert [c["type"] for c in bound["status"]["conditions"]] == ["PodScheduled"]
    with pytest.raises(ApiError) as refused:
        pod.for_binding(bound, "node2", 4)
    assert refused.value.code == 409
    assert 'already assigned to node "node1"' in refused.value.message


def test_an_unbound_pod_goes_at_once_and_a_bound_one_terminates_first():
    assert pod.for_delete(stored(), 10) is None
    bound = pod.for_binding(stored(), "node1", 3)
    terminating = pod.for_delete(bound, 10)
    assert terminating["metadata"]["deletionTimestamp"] == "1970-01-01T00:00:40Z"
    assert terminating["metadata"]["deletionGracePeriodSeconds"] == 30
    assert pod.terminating(terminating) and not pod.terminating(bound)
    shorter = pod.for_delete(terminating, 11, grace=5)
    assert shorter["metadata"]["deletionGracePeriodSeconds"] == 5
    assert pod.for_delete(shorter, 12, grace=10) is shorter   # a longer one: no change
    assert pod.for_delete(shorter, 12, grace=0) is None       # --force: gone now
    finished = pod.for_status(dict(bound, status={"phase": "Succeeded"}), bound, 5)
    assert pod.for_delete(finished, 10) is None   # nothing left to stop
