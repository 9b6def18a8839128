"""A node's kubelet writing what it observes back to an in-memory store (no root, no
Mininet): its pods' status into the pods the store holds (not into one made anew
under the same name), its node's status, and the events that follow from the change
since its last report, each once; its node's Lease, renewed."""
import threading

from tests.helpers.api_objects import pod_json
from tests.helpers.fake_api import step
from topo.api import render
from topo.api.store import Store
from topo.api.strategies import lease as lease_strategy
from topo.api.strategies import node as node_strategy
from topo.api.strategies.lease import RESOURCE as LEASES
from topo.api.strategies import pod as pod_strategy
from topo.kubelet.status_manager import StatusManager
from topo.manager.garbage import GarbageCollector
from topo.manager.loop import ControlLoop
from topo.plan.model import Container, PodSpec, PodTemplate

NOW = 1_800_000_000
TEMPLATE = PodTemplate((("app", "web"),), (Container("web", "nginx"),))
HOST = render.HostFacts("6.1.0", "boot", 2, 4_000_000, 30_000_000, "amd64")


def view(name, state="ContainerCreating", ip=None):
    ready = state == "Running"
    return render.PodView(PodSpec(name, TEMPLATE), ip, "node1", "192.168.0.1", NOW, ready,
                          [render.ContainerView("web", state, None, 0, ready)])


class FakeKubelet:
    """What the status manager reads of its kubelet: its name, its lock, views()."""
    name = "node1"

    def __init__(self):
        self.lock = threading.RLock()
        self.pods = {}   # (namespace, name) -> (uid, PodView)
        self.node = render.NodeView("node1", "192.168.0.1", "10.244.1.0/24", NOW, HOST, "r1")

    def views(self):
        return dict(self.pods), self.node


class World:
    def __init__(self):
        self.store, self.kubelet, self.events = Store(), FakeKubelet(), []
        self.store.put("nodes", node_strategy.for_create(
            {"kind": "Node", "metadata": {"name": "node1"},
             "spec": {"podCIDR": "10.244.1.0/24"}}, NOW))
        self.leases = []   # (lease, new) as written
        self.status = StatusManager(self.kubelet, self.store, self.events.extend,
                                    self.write_lease, print)

    def write_lease(self, lease, new):
        self.leases.append((lease, new))
        self.store.put(LEASES, lease_strategy.for_create(lease, NOW))

    def bind(self, name):
        """A pod stored and bound to node1, as the scheduler leaves it; its uid."""
        body = pod_json(view(name))
        del body["status"]
        stored = self.store.put("pods", pod_strategy.for_create(body, NOW))
        return stored["metadata"]["uid"]

    def runs(self, name, uid, state):
        self.kubelet.pods["default", name] = (uid, view(name, state, "10.244.1.5"))

    def pod(self, name):
        return self.store.get("pods", "default", name)

    def reasons(self):
        return [(e["involvedObject"]["name"], e["reason"]) for e in self.events]


def test_the_pods_status_is_written_as_its_kubelet_sees_it():
    world = World()
    uid = world.bind("web")
    world.runs("web", uid, "ContainerCreating")
    world.status.report()
    assert world.pod("web")["status"]["phase"] == "Pending"
    world.runs("web", uid, "Running")
    world.status.report()
    status = world.pod("web")["status"]
    assert (status["phase"], status["podIP"]) == ("Running", "10.244.1.5")


def test_a_status_written_by_another_is_set_right_at_the_next_report():
    world = World()
    uid = world.bind("web")
    world.runs("web", uid, "Running")
    world.status.report()
    world.store.put_status("pods", world.pod("web"), {"phase": "Failed"})
    world.status.report()   # the kubelet's view is the same; the stored pod is not
    assert world.pod("web")["status"]["phase"] == "Running"


def test_its_nodes_status_says_ready_with_room_for_its_podcidr():
    world = World()
    world.status.report()
    status = world.store.get("nodes", "", "node1")["status"]
    assert node_strategy.ready(world.store.get("nodes", "", "node1"))
    assert status["capacity"]["pods"] == "253"   # its /24 but network, broadcast, cbr0


def test_a_pod_made_anew_under_the_same_name_keeps_its_own_status():
    world = World()
    old_uid = world.bind("web")
    world.runs("web", old_uid, "Running")
    world.store.remove("pods", "default", "web")
    world.bind("web")   # a new pod, not yet seen by this kubelet
    world.status.report()
    assert "podIP" not in (world.pod("web").get("status") or {})


def test_events_follow_what_changed_since_the_last_report_each_once():
    world = World()
    uid = world.bind("web")
    world.runs("web", uid, "ContainerCreating")
    world.status.report()
    assert world.events == []
    world.runs("web", uid, "Running")
    world.status.report()
    world.status.report()
    assert world.reasons() == [("web", "Pulled"), ("web", "Created"), ("web", "Started")]
    del world.kubelet.pods["default", "web"]   # stopped: gone from the store at once
    world.store.remove("pods", "default", "web")
    world.status.report()
    assert world.reasons()[-1] == ("web", "Killing")


def test_its_nodes_lease_is_made_then_renewed_held_by_the_node_and_owned_by_it():
    world = World()
    world.status.renew_lease()
    world.status.renew_lease()
    (first, made), (second, again) = world.leases
    assert (made, again) == (True, False)
    node = world.store.get("nodes", "", "node1")
    assert first["metadata"]["ownerReferences"] == [
        {"apiVersion": "v1", "kind": "Node", "name": "node1", "uid": node["metadata"]["uid"]}]
    assert (second["spec"]["holderIdentity"], second["spec"]["leaseDurationSeconds"]) == \
        ("node1", 40)
    assert second["spec"]["renewTime"] >= first["spec"]["renewTime"]
    stored = world.store.get(LEASES, "kube-node-lease", "node1")
    assert stored["spec"]["renewTime"] == second["spec"]["renewTime"]


def test_a_deleted_nodes_lease_goes_with_it_and_not_before():
    world = World()
    world.status.renew_lease()
    deleted = []

    def delete(resource, namespace, name):
        deleted.append((resource, namespace, name))
        world.store.remove(resource, namespace, name)
    collector = GarbageCollector(world.store, {"Node": "nodes"}, (LEASES,), delete)
    loop = ControlLoop(world.store, collector, resync=3600)
    step([loop])
    assert deleted == []   # its owner, a Node of no namespace, is there
    world.store.remove("nodes", "", "node1")
    step([loop])
    assert deleted == [(LEASES, "kube-node-lease", "node1")]
