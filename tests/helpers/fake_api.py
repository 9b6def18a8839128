"""The API's pod writes as an in-memory store takes them, for the controllers' unit
tests (the integration tests go through the real API)."""
import itertools

from topo.api.status import ApiError
from topo.manager.garbage import GarbageCollector
from topo.manager.loop import ControlLoop


class FakeApi:
    """Pods written as the API would store them: named as asked or from generateName
    (a name taken is refused), Pending until run() says they run (ready or not), on
    node1 unless bound to a node already."""

    def __init__(self, store, room=100):
        self.store, self.room, self.serial = store, room, itertools.count()

    def create(self, namespace, body):
        if len(self.store.list("pods")[1]) >= self.room:
            raise ApiError(422, "the cluster has room for 0 more pods, 1 asked for")
        name = body["metadata"].get("name") or \
            body["metadata"]["generateName"] + str(next(self.serial))
        if self.store.get("pods", namespace, name) is not None:
            raise ApiError(409, 'pods "%s" already exists' % name)
        metadata = dict(body["metadata"], namespace=namespace, name=name,
                        creationTimestamp="2026-01-01T00:00:%02dZ" % next(self.serial))
        self.store.put("pods", dict(body, kind="Pod", apiVersion="v1", metadata=metadata,
                                    status={"phase": "Pending"}))

    def create_many(self, namespace, bodies):
        for body in bodies:
            self.create(namespace, body)

    def update(self, namespace, body, owner=None):
        self.store.put("pods", body)

    def delete(self, namespace, name):
        self.store.remove("pods", namespace, name)

    def delete_any(self, resource, namespace, name):
        self.store.remove(resource, namespace, name)

    def run(self, name, ready=True, phase="Running"):
        pod = self.store.get("pods", "default", name)
        node = pod["spec"].get("nodeName") or "node1"
        self.store.put("pods", dict(pod, spec=dict(pod["spec"], nodeName=node), status={
            "phase": phase, "conditions": [{"type": "Ready",
                                            "status": "True" if ready else "False"}]}))


def with_collector(store, api, controller, strategy):
    """The loops of controller and of a garbage collector of its kind's pods, stepped
    once (step() for more)."""
    collector = GarbageCollector(store, {strategy.KIND: strategy.RESOURCE}, ("pods",),
                                 api.delete_any)
    loops = [ControlLoop(store, controller, resync=3600),
             ControlLoop(store, collector, resync=3600)]
    step(loops)
    return loops


def step(loops, times=3):
    for _ in range(times):
        for loop in loops:
            loop.step()
