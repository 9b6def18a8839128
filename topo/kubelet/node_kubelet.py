"""The kubelet of one node: the pods bound to it, as it runs them. Its watch of the
store (pod_sync.PodSync) names a pod, and sync_pod() does what pod_sync.actions() says
from what is stored now: a pod to start waits for the next tick, then starts in waves
with the others (their sandboxes at the same time, the policy agent's tables, then
their containers); a terminating one leaves the Services' endpoints at once, drains,
stops, and the store lets it go; one the store no longer has stops at once. Its status
manager (status_manager.py) writes what it observes back through the API.

The machine's kubelet ticker (watch.py) calls tick_stops() of each, and start_due()
for them all (the pods due on every node start in shared waves); the cluster (the
host) lends what every node shares: its lock, the API, the address pools, the policy
agent, the Services' sync, its nodes' machines."""
import contextlib
import os
import threading
import time

from topo.api import render
from topo.api.strategies import node as node_strategy
from topo.errors import KubemnError
from topo.kubelet.images import stand_in
from topo.kubelet.pod import Pod, has_open_connections, stop_pods
from topo.kubelet.pod_sync import DROP, FORGET, RELABEL, RETIRE, START, STOP, actions
from topo.kubelet.status_manager import (StatusManager, allocatable, host_facts, running_view,
                                        waiting_view)
from topo.plan.manifest import parse_pod
from topo.plan.model import ref

PODS = "pods"   # the store's key
SERVER_LABEL = "kubemn.io/server"   # `kubectl get nodes -L kubemn.io/server`
SHARED = (STOP, RETIRE, FORGET)   # actions that need the cluster's lock too
# How long a deleted pod keeps running at most after it left the endpoints, while it
# holds connections (requests already sent to it are answered).
DRAIN_SECONDS = 1.0
RETRY_SECONDS = 10.0    # a pod that could not start is tried again after this
WAIT_RETRY_SECONDS = 2.0   # one that waits for a ConfigMap or Secret, after this
# Pods that make their namespaces at the same time (a process each, which plugs the
# pod into its node's bridge too); the policy agent takes a wave at once and the fork
# server's answers are awaited once (5000 pods to all Ready: 16 a wave 62-64 s, 32 a
# wave 59-61 s, 64 no better).
LAUNCH_WAVE = 32
# Waves a tick starts at most (a Deployment of a thousand replicas starts in a few
# ticks, its pods not reported one wave at a time; the lock is free between).
TICK_WAVES = 8


class PendingPod:
    """A pod bound to the node whose kubelet has not started it yet (or could not)."""

    def __init__(self, spec, uid, created, stored=None):
        self.spec, self.uid, self.created = spec, uid, created
        self.stored = stored   # the pod as stored when it was bound
        self.error = None     # why the last start failed
        self.reason = None    # StartWaits' reason, if it was one
        self.retry_at = 0.0   # time.monotonic() of the next try


def _labels(pod):
    return tuple(sorted((pod["metadata"].get("labels") or {}).items()))


def _key(pod_ref):
    """'namespace/name' of a ref ('name' in the default namespace)."""
    return pod_ref if "/" in pod_ref else "default/" + pod_ref


class NodeKubelet:
    def __init__(self, name, host):
        """host: the cluster (lock, api, janitor, pools, net, node_plans, node_created,
        run_id, policy_enforcer, starts_held, run_dir, announced_stand_ins, kubelet
        (the ticker), sync_services(), pod_dns(), progress(), fork_server_of(node),
        server_shown(node))."""
        self.name, self.host = name, host
        # Guards the three below; taken after the cluster's lock when both are.
        self.lock = threading.RLock()
        self.pods = {}        # ref -> Pod, in creation order
        self.pending = {}     # ref -> PendingPod: bound here, not started yet
        self.retiring = []    # [(monotonic deadline, Pod)]: out of the endpoints, draining
        self.status = None    # its StatusManager, once the API serves

    def register(self, store, pod_cidr, created):
        """Its Node, as a kubelet registers the node it runs on (its status follows
        from its status manager), labelled with its server over several."""
        server = self.host.server_shown(self.name)
        labels = {SERVER_LABEL: server[0]} if server else {}
        store.put(node_strategy.RESOURCE, node_strategy.for_create(
            {"kind": "Node", "metadata": {"name": self.name, "labels": labels},
             "spec": {"podCIDR": pod_cidr}}, created))

    def start_reporting(self, store, record, write_lease):
        """Its status manager writes what it observes from now on, and renews its
        Lease (record([event]): the event recorder's; write_lease(lease, new): a
        Lease's write through the API)."""
        self.status = StatusManager(self, store, record, write_lease,
                                    self.host.progress).start()
        self.status.changed()

    def stop_reporting(self):
        if self.status is not None:
            self.status.stop()

    def changed(self):
        """What it observes changed: its status manager reports within milliseconds."""
        if self.status is not None:
            self.status.changed()

    def report_status(self):
        """Its status manager reports now."""
        if self.status is not None:
            self.status.report()

    def views(self):
        """What it observes now: ({(namespace, name): (uid, render.PodView)} of the pods
        it runs, drains or waits to start; render.NodeView of its node, None without a
        machine)."""
        with self.lock:
            running = list(self.pods.values()) + [p for _, p in self.retiring]
            pods = {(p.namespace, p.name): (p.uid, running_view(p)) for p in running}
            pods.update(((w.spec.namespace, w.spec.name), (w.uid, waiting_view(w)))
                        for w in self.pending.values())
        host = self.host
        plan, created = host.node_plans.get(self.name), host.node_created.get(self.name)
        node = None if plan is None or created is None else render.NodeView(
            self.name, plan.ip, plan.pod_cidr, created, host_facts(), host.run_id,
            host.server_shown(self.name))
        return pods, node

    # --- the watch's side ------------------------------------------------------------
    def sync_pod(self, namespace, name):
        key = ref(namespace, name)
        host = self.host
        stored = host.api.store.get(PODS, namespace, name)
        if stored is not None and stored["spec"].get("nodeName") != self.name:
            stored = None   # another node's (or nobody's yet)
        todo = self._actions(key, stored)
        while todo:   # most changes (a status written) leave nothing to do, no lock taken
            # Starting, dropping a start, relabelling: its own state alone; stopping
            # touches what the nodes share (endpoints, addresses): the cluster's too.
            shared = any(a in SHARED for a in todo)
            with host.lock if shared else contextlib.nullcontext(), self.lock:
                todo = self._actions(key, stored)
                if shared or not any(a in SHARED for a in todo):
                    self._act(key, stored, todo)
                    return

    def _act(self, key, stored, todo):
        running = self.pods.get(key)
        for action in todo:
            if action == STOP:
                self.delete_pod(key)
            elif action == DROP:
                del self.pending[key]
            elif action == RETIRE:
                self._retire_pod(key, stored["metadata"]["deletionGracePeriodSeconds"])
            elif action == FORGET:
                self._forget_stopped(stored["metadata"]["namespace"],
                                     stored["metadata"]["name"], stored["metadata"]["uid"])
            elif action == RELABEL:   # (the policy agent follows the store's)
                running.labels, running.stored = _labels(stored), stored
                running.volumes.refresh()   # the downward API's labels and annotations
            elif action == START:
                # Started at the next tick, with the others bound meanwhile: a wave of
                # many starts much faster than many waves of one.
                self.pending[key] = PendingPod(parse_pod(stored), stored["metadata"]["uid"],
                                               time.time(), stored)
                self.changed()

    def _actions(self, key, stored):
        """What to do for the pod (pod_sync.actions), a relabel to the labels it has
        already left out."""
        running, waiting = self.pods.get(key), self.pending.get(key)
        todo = actions(stored, running and running.uid, waiting and waiting.uid,
                       any(p.ref == key for _, p in list(self.retiring)))
        return [a for a in todo if a != RELABEL or _labels(stored) != running.labels or
                running.volumes.has_downward and
                stored["metadata"].get("annotations") !=
                (running.stored or {}).get("metadata", {}).get("annotations")]

    def refresh_volumes(self, namespace, name, resource):
        """A ConfigMap or Secret changed: the volumes of its pods that read it show
        it (what the kubelet's volume manager does within its sync period)."""
        with self.lock:
            for pod in list(self.pods.values()):
                if pod.namespace == namespace and (resource, name) in pod.volumes.sources():
                    pod.volumes.refresh()

    def reads(self, namespace, resource, name):
        """Whether a pod it runs has a volume that reads the ConfigMap or Secret."""
        return any(p.namespace == namespace and (resource, name) in p.volumes.sources()
                   for p in list(self.pods.values()))

    def knows(self, key):
        """It runs, drains or waits to start the pod 'namespace/name'."""
        namespace, name = key.split("/", 1)
        pod_ref = ref(namespace, name)
        return pod_ref in self.pods or pod_ref in self.pending or \
            any(p.ref == pod_ref for _, p in self.retiring)

    def kubelet_pods(self):
        """'namespace/name' of the pods it runs, drains or waits to start."""
        with self.lock:
            return [_key(r) for r in self.pods] + [_key(p.ref) for _, p in self.retiring] + \
                [_key(r) for r in self.pending]

    def put_first(self, refs):
        """Its pending starts of refs go first, in that order (kubemn's own apply)."""
        with self.lock:
            first = {r: self.pending.pop(r) for r in refs if r in self.pending}
            self.pending = {**first, **self.pending}

    # --- the ticker's side -----------------------------------------------------------
    def tick_stops(self, now):
        """Stops the retiring pods whose drain is over (or that no longer hold an open
        connection); the store lets them go."""
        host = self.host
        if not self.retiring:
            return   # most ticks: no lock taken
        with host.lock, self.lock:
            due = [pod for deadline, pod in self.retiring if deadline <= now or
                   not pod.machine.call(has_open_connections, pod.sandbox_pid)]
            if not due:
                return
            self.retiring = [(d, p) for d, p in self.retiring if p not in due]
            stop_pods(due)
            for pod in due:
                host.janitor.forget(pod.ip)
                host.pools[self.name].release(pod.ip)
                self._forget_stopped(pod.namespace, pod.name, pod.uid)

    # --- starting and stopping ---------------------------------------------------------
    def _retire_pod(self, key, grace):
        """A pod being deleted: a ready one leaves the Services' endpoints now and stops
        once it holds no open connection, or after DRAIN_SECONDS (or its grace period,
        if shorter), so requests already sent to it are answered; one that serves
        nothing stops at once."""
        with self.lock:
            drain = min(DRAIN_SECONDS, grace) if self.pods[key].is_ready else 0
            self.retiring.append((time.monotonic() + drain, self._take_out(key)))
        self.changed()
        self.host.kubelet.wake()

    def _forget_stopped(self, namespace, name, uid):
        """The kubelet's last word on a pod it stopped: the store lets it go (unless a
        pod of that name was made anew meanwhile)."""
        registry, store = self.host.api.registry, self.host.api.store
        stored = store.get(PODS, namespace, name)
        if stored is not None and stored["metadata"]["uid"] == uid:
            registry.delete_content(PODS, namespace, name, grace=0)

    def announce_stand_ins(self, pod):
        """Says, once a run for each, which images kubemn runs a stand-in for."""
        for container in pod.spec.template.containers:
            note = stand_in(container)
            key = (container.image, container.args)
            if note and key not in self.host.announced_stand_ins:
                self.host.announced_stand_ins.add(key)
                self.host.progress("%s: %s" % (pod.ref, note))

    def place_pod(self, pending):
        """A Pod (not started) of a PendingPod on this node, with an address of its
        PodCIDR (the network plugin's part)."""
        spec = pending.spec
        host = self.host
        pool = host.pools[self.name]
        try:
            ip = pool.allocate(skip=host.janitor.pending())
        except KubemnError:
            host.janitor.drain()  # what is left is being cleaned up: wait for it
            ip = pool.allocate()
        return Pod(spec, host.net[self.name], ip,
                   os.path.join(host.run_dir, "pods", spec.namespace, spec.name),
                   host.fork_server_of(self.name), host.pod_dns(spec),
                   host.service_env(spec.namespace),
                   applets_dir=os.path.join(host.run_dir, "busybox"), stored=pending.stored,
                   lookup=host.api.store.get, allocatable=allocatable(host_facts()),
                   token_key=host.service_account_key)

    def _take_out(self, key):
        """The pod leaves the kubelet's running pods, the policy agent's starting
        ones, and (if it was ready) the Services' endpoints, at once."""
        pod = self.pods.pop(key)
        self.host.policy_enforcer.forget([pod])
        if pod.is_ready:
            pod.is_ready = False
            self.host.sync_services(endpoints_left=True)
        return pod

    def delete_pod(self, key):
        """The pod leaves the Services' endpoints first, then stops (the caller holds
        the cluster's lock)."""
        with self.lock:
            pod = self._take_out(key)
        pod.stop()
        self.host.janitor.forget(pod.ip)
        self.host.pools[self.name].release(pod.ip)
        self.changed()

    def stop_all(self, unplug=True):
        """Every pod it has stops (its node goes, or the cluster stops: unplug=False,
        the node's namespace takes the veths with it)."""
        with self.host.lock, self.lock:
            stop_pods(list(self.pods.values()) + [p for _, p in self.retiring], unplug=unplug)
            self.pods.clear()
            self.pending.clear()
            self.retiring = []


def start_due(host, kubelets, now):
    """The machine's part in every node's kubelet starting the pods bound to it: the
    pods due on all nodes start together, a few waves a tick (a wave on many nodes
    costs what a wave on one does: their sandboxes at once, one load of the policy
    agent's tables). A pod that cannot start stays Pending with the reason, and is
    tried again after RETRY_SECONDS."""
    if host.starts_held or not any(k.pending for k in kubelets):
        return   # most ticks: no lock taken
    with contextlib.ExitStack() as held:
        held.enter_context(host.lock)
        kubelets = [k for k in kubelets if host.node_kubelets.get(k.name) is k]   # not gone
        for kubelet in kubelets:
            held.enter_context(kubelet.lock)
        due = [(k, w) for k in kubelets for w in k.pending.values()
               if w.retry_at <= now][:TICK_WAVES * LAUNCH_WAVE]
        if not due or host.starts_held:
            return
        for first in range(0, len(due), LAUNCH_WAVE):
            wave = due[first:first + LAUNCH_WAVE]
            try:
                _create_pods(host, wave)
                started = wave
            except KubemnError:
                started = []
                for one in wave:   # one at a time, to find the one that fails
                    try:
                        _create_pods(host, [one])
                        started.append(one)
                    except KubemnError as exc:
                        one[1].error, one[1].reason = str(exc), getattr(exc, "reason", None)
                        # A missing ConfigMap or Secret may come any moment.
                        one[1].retry_at = now + (WAIT_RETRY_SECONDS if one[1].reason
                                                 else RETRY_SECONDS)
            for kubelet, waiting in started:
                kubelet.pods[waiting.spec.ref].created = waiting.created
                del kubelet.pending[waiting.spec.ref]
        for kubelet in {k for k, _ in due}:
            kubelet.changed()


def _create_pods(host, wave):
    """Starts one wave ([(NodeKubelet, PendingPod)]): its pods make their namespaces at
    the same time (each plugged into its node's bridge), the policy agent learns of
    them, then each gets its containers. A
    failure removes the wave's pods (earlier waves stay, as the pods kubectl had
    created would) and re-raises."""
    placed = []
    try:
        for kubelet, pending in wave:
            placed.append((kubelet, kubelet.place_pod(pending)))
            placed[-1][1].uid = pending.uid
            placed[-1][1].launch()
        for _, pod in placed:
            pod.wait_sandbox()
        # The first packet of a container meets the pod's policies.
        host.policy_enforcer.admit([pod for _, pod in placed])
        for _, pod in placed:
            pod.start_containers()
        for _, pod in placed:   # the fork server answers the wave's starts meanwhile
            pod.wait_containers()
    except BaseException:
        host.policy_enforcer.forget([pod for _, pod in placed])
        for kubelet, pod in placed:
            pod.stop()
            host.pools[kubelet.name].release(pod.ip)
        raise
    for kubelet, pod in placed:
        kubelet.pods[pod.ref] = pod
        kubelet.announce_stand_ins(pod)
        kubelet.changed()
