"""The endpoints controller against an in-memory store (no root, no Mininet): each
Service with a selector gets the ready pods it selects as its Endpoints and
EndpointSlices; what the fabric and the DNS read back from them (services/served.py)."""
from services.served import served_services
from tests.helpers.api_objects import pod, service
from topo.api.store import Store
from topo.manager.endpoints import (ENDPOINTS, SLICES, EndpointsController,
                                    EndpointSliceController)
from topo.manager.loop import ControlLoop
from topo.plan.model import Container, ContainerPort, PodTemplate

WEB = PodTemplate((("app", "web"),), (Container("c", "agnhost", ports=(
    ContainerPort(8080, "TCP", "http"),)),))
BARE = PodTemplate((("app", "web"),), (Container("c", "agnhost"),))   # no named port
WEB_SERVICE = "metadata: {name: web}\nspec: {selector: {app: web}, ports: [{port: 80, " \
    "targetPort: http, name: http}, {port: 81, targetPort: 9000, name: raw}]}\n"


class Both:
    """The Endpoints and the EndpointSlice controllers' loops, stepped together."""

    def __init__(self, store):
        self.loops = [ControlLoop(store, EndpointsController(store), resync=3600),
                      ControlLoop(store, EndpointSliceController(store), resync=3600)]

    def step(self, wait=0.0):
        for loop in self.loops:
            loop.step(wait)

    def wait_synced(self, revision, timeout):
        return all(loop.wait_synced(revision, timeout) for loop in self.loops)


def start(*objects):
    store = Store()
    for obj in objects:
        store.put(obj["kind"].lower() + "s", obj)
    loop = Both(store)
    loop.step()
    return store, loop


def addresses(store, name, namespace="default"):
    endpoints = store.get(ENDPOINTS, namespace, name)
    return sorted(a["ip"] for s in endpoints.get("subsets", ()) for a in s["addresses"])


def served(store, name):
    (found,) = [s for s in served_services(store.list("services")[1], store.list(SLICES)[1])
                if s.name == name]
    return found


def test_the_ready_pods_a_service_selects_are_its_endpoints_with_named_ports_resolved():
    store, loop = start(service(WEB_SERVICE, "10.96.0.20"),
                        pod("a", "10.244.1.2", "node1", WEB),
                        pod("b", "10.244.2.2", "node2", WEB, ready=False),
                        pod("c", "10.244.2.3", "node2", PodTemplate((("app", "db"),),
                                                                     WEB.containers)))
    assert addresses(store, "web") == ["10.244.1.2"]
    (endpoint,) = served(store, "web").endpoints
    assert (endpoint.pod, endpoint.node, endpoint.ip) == ("a", "node1", "10.244.1.2")
    assert sorted(endpoint.ports) == [(80, "TCP", 8080), (81, "TCP", 9000)]


def test_a_pod_that_becomes_ready_or_leaves_changes_the_endpoints_at_the_next_step():
    store, loop = start(service(WEB_SERVICE, "10.96.0.20"),
                        pod("a", "10.244.1.2", "node1", WEB, ready=False))
    assert addresses(store, "web") == []
    store.put("pods", pod("a", "10.244.1.2", "node1", WEB))
    loop.step()
    assert addresses(store, "web") == ["10.244.1.2"]
    store.remove("pods", "default", "a")
    loop.step()
    assert addresses(store, "web") == []
    assert served(store, "web").endpoints == ()


def test_a_pod_relabelled_out_of_a_service_leaves_it_and_joins_the_one_it_now_matches():
    db_service = WEB_SERVICE.replace("web", "db")
    store, loop = start(service(WEB_SERVICE, "10.96.0.20"), service(db_service, "10.96.0.21"),
                        pod("a", "10.244.1.2", "node1", WEB))
    assert (addresses(store, "web"), addresses(store, "db")) == (["10.244.1.2"], [])
    store.put("pods", pod("a", "10.244.1.2", "node1", PodTemplate((("app", "db"),),
                                                                   WEB.containers)))
    loop.step()
    assert (addresses(store, "web"), addresses(store, "db")) == ([], ["10.244.1.2"])


def test_a_pods_change_names_the_services_that_select_it_now_or_did_before():
    other = WEB_SERVICE.replace("web", "other")
    store, _ = start(service(WEB_SERVICE, "10.96.0.20"), service(other, "10.96.0.21"),
                     pod("a", "10.244.1.2", "node1", WEB))
    controller = EndpointsController(store)
    moved = pod("a", "10.244.1.2", "node1", PodTemplate((("app", "other"),), WEB.containers))
    assert controller.keys("pods", store.get("pods", "default", "a")) == ["default/web"]
    store.put("pods", moved)
    assert controller.keys("pods", store.get("pods", "default", "a")) == \
        ["default/other", "default/web"]
    assert controller.keys("pods", store.get("pods", "default", "a")) == ["default/other"]


def test_a_service_of_two_labels_is_named_for_the_pods_that_have_both_as_it_changes():
    front = WEB_SERVICE.replace("name: web}", "name: front}").replace(
        "{app: web}", "{app: web, tier: front}")
    store, _ = start(service(front, "10.96.0.22"))
    controller = EndpointsController(store)
    for name, labels in (("a", (("app", "web"), ("tier", "front"))),
                         ("b", (("app", "web"), ("tier", "back"))),
                         ("c", (("tier", "front"),))):
        store.put("pods", pod(name, "10.244.1.2", "node1", PodTemplate(labels,
                                                                       WEB.containers)))
    names = {n: controller.keys("pods", store.get("pods", "default", n)) for n in "abc"}
    assert names == {"a": ["default/front"], "b": [], "c": []}
    store.put("services", service(front.replace("tier: front", "tier: back"), "10.96.0.22"))
    assert controller.keys("pods", store.get("pods", "default", "b")) == ["default/front"]


def test_a_pod_without_the_named_port_serves_the_other_ports_from_a_slice_of_its_own():
    store, loop = start(service(WEB_SERVICE, "10.96.0.20"),
                        pod("a", "10.244.1.2", "node1", WEB),
                        pod("b", "10.244.2.2", "node2", BARE))
    slices = store.list(SLICES)[1]
    assert sorted(len(s["endpoints"]) for s in slices) == [1, 1]
    by_port = {}
    for endpoint in served(store, "web").endpoints:
        for port, _, target in endpoint.ports:
            by_port.setdefault(port, []).append((endpoint.pod, target))
    assert by_port == {80: [("a", 8080)], 81: [("a", 9000), ("b", 9000)]}


def test_publish_not_ready_addresses_makes_every_selected_pod_an_endpoint():
    eager = "metadata: {name: eager}\nspec: {selector: {app: web}, " \
        "publishNotReadyAddresses: true, ports: [{port: 80}]}\n"
    store, loop = start(service(eager, "10.96.0.21"),
                        pod("a", "10.244.1.2", "node1", WEB, ready=False))
    assert addresses(store, "eager") == ["10.244.1.2"]


def test_a_service_without_a_selector_keeps_the_endpoints_its_client_wrote():
    written = {"apiVersion": "v1", "kind": "Endpoints",
               "metadata": {"name": "outside", "namespace": "default",
                            "creationTimestamp": "2026-12-02T00:00:00Z"},
               "subsets": [{"addresses": [{"ip": "203.0.113.9"}], "ports": [{"port": 80}]}]}
    store, loop = start(service("metadata: {name: outside}\nspec: {ports: [{port: 80}]}\n",
                                "10.96.0.22"), pod("a", "10.244.1.2", "node1", WEB))
    store.put(ENDPOINTS, written)
    store.put("pods", pod("b", "10.244.1.3", "node1", WEB))
    loop.step()
    assert addresses(store, "outside") == ["203.0.113.9"]
    (mirrored,) = served(store, "outside").endpoints   # through its mirrored slice
    assert (mirrored.ip, mirrored.ports) == ("203.0.113.9", ((80, "TCP", 80),))
    store.put(ENDPOINTS, dict(written, subsets=[dict(written["subsets"][0], addresses=[],
                                                     notReadyAddresses=[{"ip": "10.0.0.1"}])]))
    loop.step()
    assert served(store, "outside").endpoints == (), "a not-ready address serves nothing"
    store.remove(ENDPOINTS, "default", "outside")
    loop.step()
    assert not store.list(SLICES)[1]


def test_a_deleted_service_takes_its_endpoints_and_slices_with_it():
    store, loop = start(service(WEB_SERVICE, "10.96.0.20"), pod("a", "10.244.1.2", "node1", WEB))
    assert store.list(SLICES)[1]
    store.remove("services", "default", "web")
    loop.step()
    assert store.get(ENDPOINTS, "default", "web") is None and not store.list(SLICES)[1]


def test_the_services_of_another_namespace_do_not_select_its_pods():
    store, loop = start(service(WEB_SERVICE, "10.96.0.20"),
                        pod("a", "10.244.1.2", "node1", WEB, namespace="team"))
    assert addresses(store, "web") == []


def test_a_loopback_endpoint_is_not_one_the_fabric_can_reach():
    from topo.api import render
    store, loop = start(service("metadata: {name: kubernetes}\nspec: {ports: [{port: 443, "
                                "targetPort: 6443, name: https}]}\n", "10.96.0.1"))
    store.put(SLICES, render.api_endpoint_slice_json(6443, 0))
    assert served(store, "kubernetes").endpoints == ()
    assert served(store, "kubernetes").cluster_ip == "10.96.0.1"


def test_a_waiter_sees_the_controllers_writes_for_what_was_stored_before_it_waited():
    import threading
    store, loop = start(service(WEB_SERVICE, "10.96.0.20"))
    thread = threading.Thread(target=lambda: [loop.step(0.05) for _ in range(40)])
    thread.start()
    store.put("pods", pod("a", "10.244.1.2", "node1", WEB))
    assert loop.wait_synced(store.revision, 2.0)
    assert addresses(store, "web") == ["10.244.1.2"]
    thread.join()
