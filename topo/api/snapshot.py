"""What the kubelets report to the store: each pod's status (phase, conditions,
container states, addresses) as its kubelet finds it, and each node's.

publish() reads the cluster (under its lock: its pods' processes, its nodes'
machines) and writes outside it: the status of each pod it runs or waits to start,
into the pod the store holds (the pods themselves are written by clients and
controllers, and bound by the scheduler), and the status of each node whose machine
runs, into the stored node (nodes are written by clients and by each kubelet's
registration). The events the scheduler and the kubelet would report follow from the
pods as they were at the previous publication and are now."""
import collections
import functools
import os
import platform
import threading
import time

from topo.api import events, render


# Go's names for the machine's architecture (GOARCH), as nodeInfo gives it.
ARCHITECTURES = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386"}


def _pod_view(pod):
    states = pod.container_states()
    containers = []
    for container in pod.spec.template.containers:
        process = pod.containers.get(container.name)
        containers.append(render.ContainerView(
            container.name, states.get(container.name, "Waiting"),
            process.returncode if process is not None else None,
            pod.restarts.get(container.name, 0), pod.container_ready(container.name)))
    return render.PodView(pod.spec, pod.ip, pod.node.name, pod.node.IP(), pod.created,
                          pod.is_ready, containers)


def _pending_view(waiting):
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
    """What runs, read under the cluster's lock (the rendering happens outside it):
    ({(namespace, name): (the stored pod's uid, PodView)}, [NodeView])."""
    host = host_facts()
    with cluster.lock:
        running = list(cluster.pods.values()) + [p for _, p in cluster.retiring]
        pods = {(p.namespace, p.name): (p.uid, _pod_view(p)) for p in running}
        pods.update(((w.spec.namespace, w.spec.name), (w.uid, _pending_view(w)))
                    for w in cluster.pending.values())
        node_views = [render.NodeView(n.name, n.ip, n.pod_cidr, cluster.node_created[n.name],
                                      host, cluster.run_id)
                      for n in cluster.node_plans.values()]
    return pods, node_views


MAX_EVENTS = 1000   # the oldest go, as the API server lets events expire


class Publisher:
    """Publishes the cluster to the store when told something changed (and every
    RESYNC seconds in any case), on its own thread; publish() does it at once."""
    RESYNC = 2.0
    MAX_PAUSE = 1.0

    def __init__(self, cluster, store):
        self.cluster, self.store = cluster, store
        self.wanted = threading.Event()
        self.stopping = threading.Event()
        self.lock = threading.RLock()   # record() runs inside publish() too
        self.recent = collections.deque()   # the events' metadata, oldest first
        self.pods_seen = {}   # the pods as the previous publication found them
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
        pods, node_views = collect(self.cluster)
        with self.lock:
            with self.store.batch():   # a thousand statuses, one wake of the watchers
                for view in node_views:
                    stored = self.store.get("nodes", "", view.name)
                    if stored is not None:
                        self.store.put_status("nodes", stored, render.node_status(view))
                for (namespace, name), (uid, view) in pods.items():
                    stored = self.store.get("pods", namespace, name)
                    if stored is not None and stored["metadata"]["uid"] == uid:
                        self.store.put_status("pods", stored, render.pod_status(view))
            served = self._served("pods")
            self.record(events.pod_events(self.pods_seen, served, time.time()))
            self.pods_seen = served
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
