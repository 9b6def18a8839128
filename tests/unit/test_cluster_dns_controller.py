"""The cluster DNS records controller against an in-memory store (no root): a
Service's name is in the records once the Service is stored, without the fabric's
push; a headless Service's names follow its ready endpoints; a change that leaves
the records as they were writes nothing."""
from tests.helpers.api_objects import pod, service
from topo.api.store import Store
from topo.manager.cluster_dns import ClusterDnsRecords
from topo.manager.endpoints import EndpointSliceController
from topo.manager.loop import ControlLoop
from topo.plan.model import Container, PodTemplate

WEB = PodTemplate((("app", "web"),), (Container("c", "agnhost"),))
NAME = "nginx.default.svc.cluster.local."


def started(store):
    writes = []
    loops = [ControlLoop(store, EndpointSliceController(store), resync=3600),
             ControlLoop(store, ClusterDnsRecords(store, writes.append), resync=3600)]
    for loop in loops:
        loop.step()
    return writes, loops


def test_a_new_services_name_is_written_at_the_next_step():
    store = Store()
    writes, loops = started(store)
    assert NAME not in writes[-1]
    store.put("services", service("metadata: {name: nginx}\nspec: {selector: {app: web}, "
                                  "ports: [{port: 80}]}\n", "10.96.0.30"))
    loops[1].step()
    assert writes[-1][NAME]["A"] == ["10.96.0.30"]


def test_a_headless_services_names_follow_its_ready_endpoints_and_nothing_else_writes():
    store = Store()
    store.put("services", service("metadata: {name: nginx}\nspec: {clusterIP: None, "
                                  "selector: {app: web}, ports: [{port: 80}]}\n", None))
    writes, loops = started(store)
    assert writes[-1][NAME]["A"] == []
    store.put("pods", pod("a", "10.244.1.2", "node1", WEB))
    for loop in loops:
        loop.step()
    assert writes[-1][NAME]["A"] == ["10.244.1.2"]
    count = len(writes)
    store.put("pods", pod("other", "10.244.1.3", "node1",
                          PodTemplate((("app", "db"),), WEB.containers)))
    for loop in loops:
        loop.step()
    assert len(writes) == count
