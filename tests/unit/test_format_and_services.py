"""kubectl formatting, Services' addresses."""
import pytest
import yaml

from services.allocation import AllocationError, ServiceAllocator
from topo.api.format import age, endpoints_text
from topo.plan.manifest import parse_service

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


