"""A node's kubelet writing what it observes back through the API, as the kubelet's
status manager does: the status of each pod it runs, drains or waits to start (phase,
conditions, container states, addresses), into the pod the store holds; its node's
status, once its machine runs; and the events that follow from the change since its
last report (Pulled, Started, BackOff, Killing). It renews its node's Lease, the
heartbeat (node_lease.py), every RENEW_SECONDS.

It reports on its own thread when told something changed (changed()), and every
RESYNC seconds in any case; report() does it at once (a caller that must see the
pods' readiness in the store next)."""
import functools
import itertools
import os
import platform
import threading
import time

from topo.api import events, render
from topo.api.strategies.lease import RESOURCE as LEASES
from topo.kubelet.node_lease import NAMESPACE as LEASE_NAMESPACE
from topo.kubelet.pod_volumes import FAILED_MOUNT
from topo.kubelet.node_lease import RENEW_SECONDS, renewed

PODS, NODES = "pods", "nodes"   # the store's keys
# Go's names for the machine's architecture (GOARCH), as nodeInfo gives it.
ARCHITECTURES = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386"}


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


def allocatable(facts):
    """What a node offers its pods, as the downward API reads it: every node shares
    the machine."""
    return {"cpu": str(facts.cpus), "memory": "%dKi" % facts.memory_kib,
            "ephemeral-storage": "%dKi" % facts.disk_kib}


def running_view(pod):
    """render.PodView of a kubelet Pod that runs (or drains)."""
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


def waiting_state(waiting):
    """(reason, message) of a pod waiting to start: ContainerCreating while a volume
    waits for its source (the message in a FailedMount event, not in the status),
    CreateContainerConfigError while a variable's source is missing,
    CreateContainerError with the message when its start failed otherwise."""
    if waiting.error is None or waiting.reason == FAILED_MOUNT:
        return "ContainerCreating", waiting.error
    return waiting.reason or "CreateContainerError", waiting.error


def waiting_view(waiting):
    """render.PodView of a pod waiting to start (or that could not)."""
    state, message = waiting_state(waiting)
    containers = [render.ContainerView(c.name, state, None, 0, False, message)
                  for c in waiting.spec.template.containers]
    return render.PodView(waiting.spec, None, waiting.spec.template.node_name, None,
                          waiting.created, False, containers)


def _wait(view):
    """(reason, message) of a pod that cannot start yet, or None."""
    first = view.containers[0] if view.containers else None
    if first is None or first.state not in render.WAITING or not first.message:
        return None
    return (FAILED_MOUNT if first.state == "ContainerCreating" else first.state,
            first.message)


class StatusManager:
    RESYNC = 2.0
    MAX_PAUSE = 1.0

    def __init__(self, kubelet, store, record, write_lease, report_error):
        """kubelet: its NodeKubelet (views(): what it observes now); record([event]):
        the event recorder's; write_lease(lease, new): its Lease's write through the
        API; report_error(message): says what went wrong."""
        self.kubelet, self.store, self.record = kubelet, store, record
        self.write_lease, self.report_error = write_lease, report_error
        self.next_renewal = 0.0   # time.monotonic() its Lease is renewed at
        self.wanted = threading.Event()
        self.stopping = threading.Event()
        self.lock = threading.Lock()   # one report writes at a time
        self.readings = itertools.count(1)
        self.written = 0      # the reading whose status is stored
        self.pods_seen = {}   # its pods as served after its last report
        self.waits_seen = {}  # why each could not start then (_wait)
        self.views_seen = {}  # the render.PodView each was written from then
        self.thread = threading.Thread(target=self._run, daemon=True,
                                       name="kubemn-status-%s" % kubelet.name)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stopping.set()
        self.wanted.set()
        if self.thread.is_alive() and self.thread is not threading.current_thread():
            self.thread.join()

    def changed(self):
        self.wanted.set()

    def report(self):
        """Reads what its kubelet observes, then writes it (outside the kubelet's lock;
        a reading older than the one stored already is left unwritten); returns the
        seconds it took once it had the kubelet's lock."""
        self.wanted.clear()
        with self.kubelet.lock:
            began = time.monotonic()
            pods, node = self.kubelet.views()
            reading = next(self.readings)
        with self.lock:
            if reading < self.written:
                return time.monotonic() - began
            self.written = reading
            with self.store.batch():   # a hundred statuses, one wake of the watchers
                if node is not None:
                    stored = self.store.get(NODES, "", node.name)
                    if stored is not None:
                        self.store.put_status(NODES, stored, render.node_status(node))
                served, waits, views = {}, {}, {}
                for (namespace, name), (uid, view) in pods.items():
                    stored = self.store.get(PODS, namespace, name)
                    if stored is None or stored["metadata"]["uid"] != uid:
                        continue
                    # A pod the store serves as it did after the last report, whose
                    # view is the same, has the status it would be given (pod_status
                    # is the view's alone): most pods of a big node, most reports.
                    if self.pods_seen.get((namespace, name)) is not stored or \
                            self.views_seen.get((namespace, name)) != view:
                        self.store.put_status(PODS, stored, render.pod_status(view))
                        stored = self.store.get(PODS, namespace, name)
                    served[namespace, name] = stored
                    views[namespace, name] = view
                    waits[namespace, name] = _wait(view)
            now = time.time()
            self.record(events.kubelet_events(self.pods_seen, served, now) +
                        events.waiting_events(self.waits_seen, waits, served, now))
            self.pods_seen, self.waits_seen, self.views_seen = served, waits, views
        return time.monotonic() - began

    def renew_lease(self):
        """Its node's Lease renewed now (made, the first time); none before its Node is
        stored."""
        name = self.kubelet.name
        self.next_renewal = time.monotonic() + RENEW_SECONDS
        node = self.store.get(NODES, "", name)
        if node is None:
            return
        lease = self.store.get(LEASES, LEASE_NAMESPACE, name)
        self.write_lease(renewed(node, lease, time.time()), lease is None)

    def _run(self):
        pause = 0.005
        while not self.stopping.is_set():
            if time.monotonic() >= self.next_renewal:
                try:
                    self.renew_lease()
                except Exception as exc:  # tried again at its next renewal
                    self.report_error("kubelet %s: renewing its lease failed: %s"
                                      % (self.kubelet.name, exc))
            self.wanted.wait(min(self.RESYNC, max(0.0, self.next_renewal - time.monotonic())))
            # Let a burst of changes finish; a big node reports at most half the time,
            # never less often than each MAX_PAUSE. (Its wait for its kubelet's lock,
            # held while a wave of pods starts, is no reason to wait longer.)
            if self.stopping.wait(pause):
                return
            try:
                took = self.report()
            except Exception as exc:  # keep reporting; say what went wrong
                self.report_error("kubelet %s: reporting status failed: %s"
                                  % (self.kubelet.name, exc))
                took = self.MAX_PAUSE
            pause = min(max(0.005, took), self.MAX_PAUSE)
