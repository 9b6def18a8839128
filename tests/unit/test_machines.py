"""The node provisioner against an in-memory store (no root, no Mininet): a Node stored
without a machine gets one and its podCIDR written; a machine whose Node is gone is
unplugged; a Node no machine can be made for gets an event and is not tried again
until it changes."""
from tests.helpers.fake_api import step
from topo.api.store import Store
from topo.api.strategies import node
from topo.errors import KubemnError
from topo.manager.loop import ControlLoop
from topo.plan.ipam import NodePlan
from topo.runtime.machines import Machines


class Hosts:
    """The machines: names, and what was asked of them."""

    def __init__(self, *names, refuse=()):
        self.running, self.refuse, self.asked = list(names), refuse, []

    def machines(self):
        return list(self.running)

    def add_node(self, spec):
        self.asked.append(spec)
        if spec.name in self.refuse:
            raise KubemnError("node CIDR 192.168.0.0/30 is too small")
        self.running.append(spec.name)
        return NodePlan(spec.name, 3, "192.168.0.3", 24, "00:00:00:00:00:03",
                        spec.pod_cidr or "10.244.3.0/24")

    def remove_node(self, name):
        self.running.remove(name)


class World:
    def __init__(self, hosts, *names):
        self.store, self.hosts, self.events = Store(), hosts, []
        for name in names:
            self.store.put("nodes", node.for_create({"kind": "Node",
                                                     "metadata": {"name": name}}, 0))
        self.loop = ControlLoop(self.store, Machines(self.store, hosts, self.write_cidr,
                                                     self.events.extend, lambda: 7),
                                resync=3600)

    def write_cidr(self, stored, cidr):
        self.store.put("nodes", node.for_update(dict(stored, spec={"podCIDR": cidr}),
                                                stored, 7))

    def stored(self, name):
        return self.store.get("nodes", "", name)


def test_a_new_node_gets_a_machine_and_its_pod_cidr():
    world = World(Hosts("node1"), "node1", "node3")
    step([world.loop])
    assert world.hosts.running == ["node1", "node3"]
    assert world.stored("node3")["spec"]["podCIDR"] == "10.244.3.0/24"


def test_a_deleted_node_loses_its_machine():
    world = World(Hosts("node1", "node2"), "node1", "node2")
    step([world.loop])
    world.store.remove("nodes", "", "node2")
    step([world.loop])
    assert world.hosts.running == ["node1"]


def test_a_node_no_machine_can_be_made_for_is_reported_once():
    world = World(Hosts("node1", refuse=("node3",)), "node1", "node3")
    step([world.loop])
    step([world.loop])
    assert [e["reason"] for e in world.events] == ["FailedCreate"]
    assert "too small" in world.events[0]["message"]
    assert len(world.hosts.asked) == 1 and world.hosts.running == ["node1"]
