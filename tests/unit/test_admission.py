"""The LimitRanger and ResourceQuota admission plugins (topo/api/admission.py), the
disruption controller's budget (topo/manager/disruption.py), and the checks of
LimitRanges, ResourceQuotas, PodDisruptionBudgets and APIServices."""
import pytest

from topo.api import admission
from topo.api.status import ApiError
from topo.api.strategies import (api_service, limit_range, pod_disruption_budget,
                                 resource_quota)
from topo.manager.disruption import budget_status, selected


def pod(name, requests=None, limits=None, phase="Pending", labels=None, ready=False):
    resources = {k: v for k, v in (("requests", requests), ("limits", limits)) if v}
    return {"metadata": {"name": name, "namespace": "team", "labels": labels or {}},
            "spec": {"containers": [{"name": "c", "image": "busybox",
                                     "resources": resources}]},
            "status": {"phase": phase, "conditions": [
                {"type": "Ready", "status": "True" if ready else "False"}]}}


RANGE = {"spec": {"limits": [{"type": "Container", "default": {"cpu": "500m"},
                              "defaultRequest": {"cpu": "100m", "memory": "64Mi"},
                              "max": {"cpu": "1"}}]}}


def test_a_pods_containers_get_the_limit_ranges_defaults_said_in_an_annotation():
    admitted = admission.limit_ranger(pod("web"), [RANGE])
    assert admitted["spec"]["containers"][0]["resources"] == {
        "requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "500m"}}
    assert admitted["metadata"]["annotations"]["kubernetes.io/limit-ranger"] == \
        "LimitRanger plugin set: cpu, memory request for container c; cpu limit for " \
        "container c"
    with pytest.raises(ApiError) as refused:
        admission.limit_ranger(pod("big", limits={"cpu": "2"}), [RANGE])
    assert refused.value.code == 403 and refused.value.message == \
        'pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2'


def test_a_create_beyond_a_quota_is_refused_naming_it_and_its_figures():
    quota = {"metadata": {"name": "small"}, "spec": {"hard": {"pods": "2",
                                                              "count/configmaps": "5"}}}
    objects = {"pods": [pod("a"), pod("b"), pod("done", phase="Succeeded")]}
    assert admission.used_status(quota["spec"]["hard"], objects) == {
        "pods": "2", "count/configmaps": "0"}
    with pytest.raises(ApiError) as refused:
        admission.check_quotas("pods", pod("c"), [quota], objects)
    assert refused.value.code == 403 and refused.value.message == (
        'pods "c" is forbidden: exceeded quota: small, requested: pods=1, used: pods=2, '
        'limited: pods=2')
    admission.check_quotas("configmaps", {"metadata": {"name": "x"}}, [quota], objects)


def test_a_quota_of_compute_resources_sums_them_and_wants_every_pod_to_say_its_own():
    quota = {"metadata": {"name": "compute"}, "spec": {"hard": {
        "requests.cpu": "1", "limits.memory": "1Gi"}}}
    objects = {"pods": [pod("a", requests={"cpu": "250m"}, limits={"memory": "512Mi"})]}
    assert admission.used_status(quota["spec"]["hard"], objects) == {
        "requests.cpu": "250m", "limits.memory": "512Mi"}
    with pytest.raises(ApiError, match="failed quota: compute: must specify "
                                       "limits.memory,requests.cpu"):
        admission.check_quotas("pods", pod("b"), [quota], objects)
    with pytest.raises(ApiError, match="exceeded quota: compute, requested: "
                                       "requests.cpu=1, used: requests.cpu=250m"):
        admission.check_quotas("pods", pod("c", {"cpu": "1"}, {"memory": "1Mi"}), [quota],
                               objects)


def test_a_budget_allows_what_its_healthy_pods_can_spare():
    budget = {"metadata": {"name": "web", "namespace": "team", "generation": 1},
              "spec": {"minAvailable": "50%", "selector": {"matchLabels": {"app": "web"}}}}
    pods = selected(budget, [pod("w%d" % n, labels={"app": "web"}, ready=n < 3)
                             for n in range(4)] + [pod("other", ready=True)])
    status = budget_status(budget, pods, 0)
    assert (status["expectedPods"], status["currentHealthy"], status["desiredHealthy"],
            status["disruptionsAllowed"]) == (4, 3, 2, 1)
    assert status["conditions"][0]["reason"] == "SufficientPods"
    tight = dict(budget, spec=dict(budget["spec"], minAvailable=None, maxUnavailable=1))
    del tight["spec"]["minAvailable"]
    assert budget_status(tight, pods, 0)["disruptionsAllowed"] == 0


@pytest.mark.parametrize("strategy, obj, field", [
    (pod_disruption_budget, {"spec": {"minAvailable": 1, "maxUnavailable": 1}}, "spec"),
    (pod_disruption_budget, {"spec": {"minAvailable": "150%"}}, "spec.minAvailable"),
    (limit_range, {"spec": {"limits": [{"type": "Node"}]}}, "spec.limits[0].type"),
    (limit_range, {"spec": {"limits": [{"type": "Container", "min": {"cpu": "2"},
                                        "max": {"cpu": "1"}}]}}, "spec.limits[0].min[cpu]"),
    (resource_quota, {"spec": {"hard": {"pods": "many"}}}, "spec.hard[pods]"),
    (api_service, {"spec": {"group": "metrics.k8s.io", "version": "v1beta1",
                            "groupPriorityMinimum": 100, "versionPriority": 100}},
     "metadata.name"),
])
def test_what_the_api_server_refuses_is_refused_naming_the_field(strategy, obj, field):
    with pytest.raises(ApiError) as refused:
        strategy.for_create(dict(obj, metadata={"name": "bad", "namespace": "team"}), 0)
    assert refused.value.code == 422
    assert refused.value.details["causes"][0]["field"] == field


def test_an_api_service_of_another_server_is_kept_unavailable_a_local_one_available():
    remote = api_service.for_create({"metadata": {"name": "v1beta1.metrics.k8s.io"}, "spec": {
        "group": "metrics.k8s.io", "version": "v1beta1", "groupPriorityMinimum": 100,
        "versionPriority": 100, "service": {"namespace": "kube-system",
                                            "name": "metrics-server"}}}, 0)
    assert remote["status"]["conditions"][0]["reason"] == "ServiceNotFound"
    (local,) = api_service.built_in([("apps", "v1")])
    stored = api_service.for_create(local, 0)
    assert stored["metadata"]["name"] == "v1.apps"
    assert stored["status"]["conditions"][0]["status"] == "True"
