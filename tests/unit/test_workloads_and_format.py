"""Deployments' replica changes, images to commands, kubectl formatting, Services."""
import random
from dataclasses import replace

import pytest
import yaml

from services.allocation import AllocationError, ServiceAllocator
from topo.api.format import age, endpoints_text
from topo.plan.manifest import parse_service, parse_texts
from topo.plan.model import Container, PodSpec
from topo.plan.workloads import resolve_limit, rollout_changes

WEB = parse_texts([("t", """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: nginx, ports: [{name: http, containerPort: 80}]}]}
""")]).deployments[0]


def test_replicas_are_created_with_kubernetes_style_names():
    create, delete = rollout_changes(WEB, [], set(), random.Random(1))
    assert delete == [] and len(create) == 2
    for spec in create:
        prefix, template_hash, suffix = spec.name.rsplit("-", 2)
        assert prefix == "web" and len(template_hash) == 10 and len(suffix) == 5
        assert spec.owner == "web"
    assert create[0].name != create[1].name


def test_surplus_replicas_go_newest_first():
    owned = [("web-a", _pod("web-a", WEB.template), 1.0, True),
             ("web-b", _pod("web-b", WEB.template), 2.0, True),
             ("web-c", _pod("web-c", WEB.template), 3.0, True)]
    assert rollout_changes(WEB, owned, set()) == ([], ["web-c"])


OLDER = replace(WEB.template, containers=(Container("c", "nginx:1.24"),))


def _rollout(deployment, steps=20):
    """Runs rollout steps as the cluster does, every new pod ready as soon as it
    exists; returns the (ready pods, old pods) seen after each step."""
    owned = [("web-old-%d" % i, _pod("web-old-%d" % i, OLDER), float(i), True)
             for i in range(deployment.replicas)]
    seen, clock = [], 10.0
    for _ in range(steps):
        create, delete = rollout_changes(deployment, owned, {p[0] for p in owned},
                                         random.Random(clock))
        if not create and not delete:
            break
        owned = [p for p in owned if p[0] not in delete]
        for spec in create:
            clock += 1
            owned.append((spec.ref, spec, clock, True))
        seen.append((sum(1 for p in owned if p[3]),
                     sum(1 for p in owned if p[1].template == OLDER)))
    return owned, seen


def test_a_rolling_update_keeps_replicas_minus_max_unavailable_ready_and_surges():
    deployment = replace(WEB, replicas=4, max_surge=1, max_unavailable=0)
    owned, seen = _rollout(deployment)
    assert all(p[1].template == WEB.template for p in owned) and len(owned) == 4
    assert all(4 <= total <= 5 for total, _ in seen)     # never below 4, never above 5
    assert seen[-1] == (4, 0)


def test_a_rolling_update_with_unavailability_and_no_surge_never_exceeds_replicas():
    deployment = replace(WEB, replicas=4, max_surge=0, max_unavailable="50%")
    owned, seen = _rollout(deployment)
    assert all(2 <= total <= 4 for total, _ in seen) and seen[-1] == (4, 0)


def test_a_rollout_waits_for_new_pods_to_be_ready_and_recreate_removes_all_first():
    deployment = replace(WEB, replicas=2, max_surge=1, max_unavailable=0)
    owned = [("web-old-%d" % i, _pod("web-old-%d" % i, OLDER), float(i), True)
             for i in range(2)]
    create, delete = rollout_changes(deployment, owned, set())
    assert len(create) == 1 and delete == []
    waiting = owned + [(create[0].ref, create[0], 9.0, False)]
    assert rollout_changes(deployment, waiting, set()) == ([], [])
    create, delete = rollout_changes(replace(WEB, strategy="Recreate"), owned, set())
    assert sorted(delete) == ["web-old-0", "web-old-1"] and len(create) == 2


def test_max_surge_rounds_up_and_max_unavailable_down():
    assert (resolve_limit("25%", 10, True), resolve_limit("25%", 10, False)) == (3, 2)
    assert resolve_limit(2, 10, True) == 2


def _pod(name, template):
    return PodSpec(name, template, owner="web")


def test_kubectl_ages_and_abbreviated_endpoints():
    assert [age(s) for s in (5, 119, 200, 600, 4000, 30000, 200000, 900000)] == [
        "5s", "119s", "3m20s", "10m", "66m", "8h", "2d7h", "10d"]
    assert endpoints_text(["a:1", "b:1", "c:1", "d:1", "e:1"]) == "a:1,b:1,c:1 + 2 more..."
    assert endpoints_text([]) == "<none>"


def _service(text):
    return parse_service(yaml.safe_load("apiVersion: v1\nkind: Service\n" + text))


def test_cluster_ips_and_node_ports_are_allocated_and_protected():
    allocator = ServiceAllocator("10.96.0.0/12")
    web = _service("metadata: {name: web}\nspec: {type: NodePort, ports: [{port: 80}]}\n")
    ip, ports = allocator.allocate(web)
    assert ip not in ("10.96.0.1", "10.96.0.10") and ports == {(80, "TCP"): 30000}
    fixed = _service("metadata: {name: dns}\nspec: {clusterIP: 10.96.0.10, ports: [{port: 53, "
                     "protocol: UDP}]}\n")
    assert allocator.allocate(fixed)[0] == "10.96.0.10"
    clash = _service("metadata: {name: other}\nspec: {clusterIP: 10.96.0.10, ports: "
                     "[{port: 1}]}\n")
    with pytest.raises(AllocationError, match="already allocated to dns"):
        allocator.allocate(clash)
    outside = _service("metadata: {name: far}\nspec: {clusterIP: 10.0.0.1, ports: [{port: 1}]}\n")
    with pytest.raises(AllocationError, match="outside the service CIDR"):
        allocator.check(outside)
    taken = _service("metadata: {name: np}\nspec: {type: NodePort, ports: [{port: 81, "
                     "nodePort: 30000}]}\n")
    with pytest.raises(AllocationError, match="nodePort 30000/TCP is already allocated to web"):
        allocator.check(taken)


