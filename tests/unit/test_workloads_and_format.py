"""Deployments' replica changes, images to commands, kubectl formatting, Services."""
import random
from dataclasses import replace

import pytest

from services.allocation import ServiceAllocator
from services.endpoints import service_endpoints
from topo.errors import KubemnError
from topo.images import container_argv, image_name
from topo.kubectl_format import age, endpoints_text
from topo.manifest import parse_texts
from topo.model import Container, ContainerPort, PodSpec
from topo.workloads import replica_changes

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
    create, delete = replica_changes(WEB, [], set(), random.Random(1))
    assert delete == [] and len(create) == 2
    for spec in create:
        prefix, template_hash, suffix = spec.name.rsplit("-", 2)
        assert prefix == "web" and len(template_hash) == 10 and len(suffix) == 5
        assert spec.owner == "web"
    assert create[0].name != create[1].name


def test_surplus_replicas_go_newest_first_and_old_templates_are_replaced():
    owned = [("web-a", _pod("web-a", WEB.template), 1.0),
             ("web-b", _pod("web-b", WEB.template), 2.0),
             ("web-c", _pod("web-c", WEB.template), 3.0)]
    assert replica_changes(WEB, owned, set()) == ([], ["web-c"])
    older = replace(WEB.template, containers=(Container("c", "nginx:1.24"),))
    create, delete = replica_changes(WEB, [("web-old", _pod("web-old", older), 1.0)], set())
    assert delete == ["web-old"] and len(create) == 2


def _pod(name, template):
    return PodSpec(name, template, owner="web")


@pytest.mark.parametrize("image,name", [
    ("nginx", "nginx"), ("docker.io/library/nginx:1.25", "nginx"),
    ("registry.k8s.io/e2e-test-images/agnhost:2.39", "e2e-test-images/agnhost"),
    ("localhost:5000/busybox@sha256:abc", "busybox")])
def test_image_names(image, name):
    assert image_name(image) == name


def test_containers_run_their_command_or_a_builtin_app():
    assert container_argv(Container("c", "busybox", ("sh", "-c"), ("echo hi",))) == [
        "sh", "-c", "echo hi"]
    assert container_argv(Container("c", "busybox")) == ["sleep", "infinity"]
    assert container_argv(Container("c", "nginx:1.25"))[-2:] == ["--http-port", "80"]
    agnhost = container_argv(Container("c", "registry.k8s.io/e2e-test-images/agnhost:2.39",
                                       args=("netexec", "--http-port=9376")))
    assert agnhost[-1] == "--http-port=9376"
    custom = container_argv(Container("c", "example/app", ports=(
        ContainerPort(5000), ContainerPort(5001, "UDP"))))
    assert custom[-4:] == ["--http-port", "5000", "--udp-port", "5001"]


def test_kubectl_ages_and_abbreviated_endpoints():
    assert [age(s) for s in (5, 119, 200, 600, 4000, 30000, 200000, 900000)] == [
        "5s", "119s", "3m20s", "10m", "66m", "8h", "2d7h", "10d"]
    assert endpoints_text(["a:1", "b:1", "c:1", "d:1", "e:1"]) == "a:1,b:1,c:1 + 2 more..."
    assert endpoints_text([]) == "<none>"


def _service(text):
    return parse_texts([("t", "apiVersion: v1\nkind: Service\n" + text)]).services[0]


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
    with pytest.raises(KubemnError, match="already allocated to dns"):
        allocator.allocate(clash)
    outside = _service("metadata: {name: far}\nspec: {clusterIP: 10.0.0.1, ports: [{port: 1}]}\n")
    with pytest.raises(KubemnError, match="outside the service CIDR"):
        allocator.check(outside)
    taken = _service("metadata: {name: np}\nspec: {type: NodePort, ports: [{port: 81, "
                     "nodePort: 30000}]}\n")
    with pytest.raises(KubemnError, match="nodePort 30000/TCP is already allocated to web"):
        allocator.check(taken)


def test_endpoints_are_ready_selected_pods_with_named_ports_resolved():
    service = _service("metadata: {name: web}\nspec: {selector: {app: web}, ports: "
                       "[{port: 80, targetPort: http}]}\n")
    pods = [("a", "node1", "10.244.1.2", WEB.template, True),
            ("b", "node2", "10.244.2.2", WEB.template, False)]
    (endpoint,) = service_endpoints(service, pods)
    assert (endpoint.pod, endpoint.ip, endpoint.ports) == ("a", "10.244.1.2", ((80, "TCP", 80),))
