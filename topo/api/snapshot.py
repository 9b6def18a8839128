"""What the running cluster is, as Kubernetes objects in the store.

publish() reads the cluster (under its lock: pods, their processes' states, nodes)
and hands each resource's whole list to the store, which works out what changed.
Labels and annotations given through the API come from APIState; the other kinds
live in the store alone (topo/api/registry.py), written by clients and controllers."""
import collections
import functools
import os
import platform
import threading
import time
from dataclasses import replace

from topo.api import events, render
from topo.api.strategies import namespace as namespace_strategy


# Go's names for the machine's architecture (GOARCH), as nodeInfo gives it.
ARCHITECTURES = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386"}


class APIState:
    """What the API keeps beside the cluster's own model."""

    def __init__(self, created):
        self.created = created
        self.meta = {}          # (resource, namespace, name) -> {"labels":, "annotations":}

    def extra(self, resource, namespace, name):
        return self.meta.get((resource, namespace, name))


def _pod_view(pod):
    states = pod.container_states()
    containers = []
    for container in pod.spec.template.containers:
        process = pod.containers.get(container.name)
        containers.append(render.ContainerView(
            container.name, states.get(container.name, "Waiting"),
            process.returncode if process is not None else None,
            pod.restarts.get(container.name, 0), pod.container_ready(container.name)))
    spec = pod.spec
    if pod.labels != spec.template.labels:
        spec = replace(spec, template=pod.labelled_template())
    return render.PodView(spec, pod.ip, pod.node.name, pod.node.IP(), pod.created,
                          pod.is_ready, containers)


def _pending_view(waiting):
    if waiting.unschedulable:   # the scheduler's: no node, no container status
        return render.PodView(waiting.spec, None, None, None, waiting.created, False, [],
                              waiting.error)
    state = "CreateContainerError" if waiting.error else "ContainerCreating"
    containers = [render.ContainerView(c.name, state, None, 0, False, waiting.error)
                  for c in waiting.spec.template.containers]
    return render.PodView(waiting.spec, None, waiting.spec.template.node_name, None,
                          waiting.created, False, containers)


@functools.lru_cache(maxsize=1)
def host_facts():
    """The machine every node runs on, as each node's kubelet reports it."""
    with open("/proc/sys/kernel/random/boot_id") as handle:
        boot_id = handle.read().strip()
    with open("/proc/meminfo") as handle:
        memory_kib = next(int(line.split()[1]) for line in handle
                          if line.startswith("MemTotal:"))
    disk = os.statvfs("/")
    machine = platform.machine()
    return render.HostFacts(platform.release(), boot_id, os.cpu_count(), memory_kib,
                            disk.f_blocks * disk.f_frsize // 1024,
                            ARCHITECTURES.get(machine, machine))


def collect(cluster):
    """What runs, read under the cluster's lock (the rendering happens outside it)."""
    host = host_facts()
    with cluster.lock:
        pods = [_pod_view(p) for p in cluster.pods.values()]
        pods += [_pending_view(w) for w in cluster.pending.values()]
        node_views = [render.NodeView(n.name, n.ip, n.pod_cidr, cluster.node_created[n.name],
                                      host, cluster.run_id)
                      for n in cluster.node_plans.values()]
    return pods, node_views


def render_cluster(views, state):
    """{store resource: [objects]} of the pods and nodes the cluster runs."""
    pods, node_views = views
    return {"pods": [render.pod_json(v, state.extra("pods", v.spec.namespace, v.spec.name))
                     for v in pods],
            "nodes": [render.node_json(v, state.extra("nodes", None, v.name))
                      for v in node_views]}


def namespaces_used(rendered):
    return {o["metadata"]["namespace"] for objs in rendered.values() for o in objs
            if "namespace" in o["metadata"]}


MAX_EVENTS = 1000   # the oldest go, as the API server lets events expire
ORDER = ("nodes", "pods")


class Publisher:
    """Publishes the cluster to the store when told something changed (and every
    RESYNC seconds in any case), on its own thread; publish() does it at once."""
    RESYNC = 2.0
    MAX_PAUSE = 1.0

    def __init__(self, cluster, store, state):
        self.cluster, self.store, self.state = cluster, store, state
        self.wanted = threading.Event()
        self.stopping = threading.Event()
        self.lock = threading.RLock()   # record() runs inside publish() too
        self.recent = collections.deque()   # the events' metadata, oldest first
        self.listeners = []   # called with the store after each publication
        self.thread = threading.Thread(target=self._run, name="kubemn-api-publisher",
                                       daemon=True)

    def start(self):
        self.publish()
        self.thread.start()
        return self

    def stop(self):
        self.stopping.set()
        self.wanted.set()
        if self.thread.is_alive():
            self.thread.join()

    def changed(self):
        self.wanted.set()

    def publish(self):
        """Reads the cluster under its lock, renders and stores outside it (a request
        that holds the cluster's lock may publish; nobody waits for the cluster's
        lock while holding this one)."""
        self.wanted.clear()
        views = collect(self.cluster)
        with self.lock:
            rendered = render_cluster(views, self.state)
            before = self._served("pods")
            self.implicit_namespaces(namespaces_used(rendered))
            for resource in ORDER:
                self.store.publish(resource, rendered[resource])
            self.record(events.pod_events(before, self._served("pods"), time.time()))
        for listener in self.listeners:
            listener(self.store)

    def record(self, found):
        """Stores events (a controller's too); the oldest beyond MAX_EVENTS go."""
        with self.lock:
            for event in found:
                self.store.put("events", event)
                self.recent.append(event["metadata"])
            while len(self.recent) > MAX_EVENTS:
                old = self.recent.popleft()
                self.store.remove("events", old["namespace"], old["name"])

    def implicit_namespaces(self, used):
        """Objects that did not come through the API (`kubemn run -f`, the Python API)
        may name a namespace nobody created: it is created for them, as if kubectl had."""
        for name in used:
            if self.store.get(namespace_strategy.RESOURCE, "", name) is None:
                self.store.put(namespace_strategy.RESOURCE, namespace_strategy.for_create(
                    {"metadata": {"name": name}}, self.cluster.created))

    def _served(self, resource):
        return {(o["metadata"].get("namespace", ""), o["metadata"]["name"]): o
                for o in self.store.list(resource)[1]}

    def _run(self):
        pause = 0.005
        while not self.stopping.is_set():
            self.wanted.wait(self.RESYNC)
            if self.stopping.is_set():
                return
            # Let a burst of changes finish; a big cluster is published at most half
            # the time (its wait for the cluster's lock included), so its pods start
            # as fast as without the API; never less often than each MAX_PAUSE.
            if self.stopping.wait(pause):
                return
            started = time.monotonic()
            try:
                self.publish()
            except Exception as exc:  # keep publishing; say what went wrong
                self.cluster.progress("api: publishing the cluster failed: %s" % exc)
            pause = min(max(0.005, time.monotonic() - started), self.MAX_PAUSE)
