"""The kubelet of one node: the pods bound to it, as it runs them. Its watch of the
store (pod_sync.PodSync) names a pod, and sync_pod() does what pod_sync.actions() says
from what is stored now: a pod to start waits for the next tick, then starts in waves
with the others (their sandboxes at the same time, the policy agent's tables, then
their containers); a terminating one leaves the Services' endpoints at once, drains,
stops, and the store lets it go; one the store no longer has stops at once.

The machine's kubelet ticker (watch.py) calls tick_starts() and tick_stops(); the
cluster (the host) lends what every node shares: its lock, the API, the address
pools, the policy agent, the Services' sync."""
import os
import time

from services.environment import service_environment
from topo.api.strategies import node as node_strategy
from topo.errors import KubemnError
from topo.kubelet.images import stand_in
from topo.kubelet.pod import Pod, has_open_connections, stop_pods
from topo.kubelet.pod_sync import DROP, FORGET, RELABEL, RETIRE, START, STOP, actions
from topo.plan.manifest import parse_pod
from topo.plan.model import ref

PODS, SERVICES = "pods", "services"   # the store's keys
# How long a deleted pod keeps running at most after it left the endpoints, while it
# holds connections (requests already sent to it are answered).
DRAIN_SECONDS = 1.0
RETRY_SECONDS = 10.0    # a pod that could not start is tried again after this
# Pods that make their namespaces at the same time: a few processes each.
LAUNCH_WAVE = 16
# Waves a tick starts at most (a Deployment of a thousand replicas starts in a few
# ticks, its pods not published one wave at a time; the lock is free between).
TICK_WAVES = 16


class PendingPod:
    """A pod bound to the node whose kubelet has not started it yet (or could not)."""

    def __init__(self, spec, uid, created):
        self.spec, self.uid, self.created = spec, uid, created
        self.error = None     # why the last start failed
        self.retry_at = 0.0   # time.monotonic() of the next try


def _key(pod_ref):
    """'namespace/name' of a ref ('name' in the default namespace)."""
    return pod_ref if "/" in pod_ref else "default/" + pod_ref


class NodeKubelet:
    def __init__(self, name, host):
        """host: the cluster (lock, api, janitor, pools, net, policy_enforcer,
        starts_held, run_dir, announced_stand_ins, kubelet (the ticker),
        sync_services(), api_changed(), pod_dns(), progress())."""
        self.name, self.host = name, host
        self.pods = {}        # ref -> Pod, in creation order
        self.pending = {}     # ref -> PendingPod: bound here, not started yet
        self.retiring = []    # [(monotonic deadline, Pod)]: out of the endpoints, draining

    def register(self, store, pod_cidr, created):
        """Its Node, as a kubelet registers the node it runs on (its status follows
        from the publisher)."""
        store.put(node_strategy.RESOURCE, node_strategy.for_create(
            {"kind": "Node", "metadata": {"name": self.name},
             "spec": {"podCIDR": pod_cidr}}, created))

    # --- the watch's side ------------------------------------------------------------
    def sync_pod(self, namespace, name):
        key = ref(namespace, name)
        host = self.host
        stored = host.api.store.get(PODS, namespace, name)
        if stored is not None and stored["spec"].get("nodeName") != self.name:
            stored = None   # another node's (or nobody's yet)
        with host.lock:
            running, waiting = self.pods.get(key), self.pending.get(key)
            for action in actions(stored, running and running.uid, waiting and waiting.uid,
                                  any(p.ref == key for _, p in self.retiring)):
                if action == STOP:
                    self.delete_pod(key)
                elif action == DROP:
                    del self.pending[key]
                elif action == RETIRE:
                    self._retire_pod(key, stored["metadata"]["deletionGracePeriodSeconds"])
                elif action == FORGET:
                    self._forget_stopped(namespace, name, stored["metadata"]["uid"])
                elif action == RELABEL:
                    labels = tuple(sorted((stored["metadata"].get("labels") or {}).items()))
                    if labels != running.labels:   # the policy agent follows
                        running.labels = labels
                        host.api_changed()
                elif action == START:
                    # Started at the next tick, with the others bound meanwhile: a wave
                    # of many starts much faster than many waves of one.
                    self.pending[key] = PendingPod(parse_pod(stored),
                                                   stored["metadata"]["uid"], time.time())
                    host.api_changed()

    def knows(self, key):
        """It runs, drains or waits to start the pod 'namespace/name'."""
        namespace, name = key.split("/", 1)
        pod_ref = ref(namespace, name)
        return pod_ref in self.pods or pod_ref in self.pending or \
            any(p.ref == pod_ref for _, p in self.retiring)

    def kubelet_pods(self):
        """'namespace/name' of the pods it runs, drains or waits to start."""
        with self.host.lock:
            return [_key(r) for r in self.pods] + [_key(p.ref) for _, p in self.retiring] + \
                [_key(r) for r in self.pending]

    def put_first(self, refs):
        """Its pending starts of refs go first, in that order (kubemn's own apply)."""
        first = {r: self.pending.pop(r) for r in refs if r in self.pending}
        self.pending = {**first, **self.pending}

    # --- the ticker's side -----------------------------------------------------------
    def tick_starts(self, now):
        """Starts the pods bound here, a few waves a tick. A pod that cannot start
        stays Pending with the reason, and is tried again after RETRY_SECONDS."""
        host = self.host
        with host.lock:
            due = [w for w in self.pending.values() if w.retry_at <= now][:TICK_WAVES *
                                                                           LAUNCH_WAVE]
            if not due or host.starts_held:
                return
            for first in range(0, len(due), LAUNCH_WAVE):
                wave = due[first:first + LAUNCH_WAVE]
                try:
                    self._create_pods(wave)
                    started = wave
                except KubemnError:
                    started = []
                    for waiting in wave:   # one at a time, to find the one that fails
                        try:
                            self._create_pods([waiting])
                            started.append(waiting)
                        except KubemnError as exc:
                            waiting.error, waiting.retry_at = str(exc), now + RETRY_SECONDS
                for waiting in started:
                    self.pods[waiting.spec.ref].created = waiting.created
                    del self.pending[waiting.spec.ref]
            host.api_changed()

    def tick_stops(self, now):
        """Stops the retiring pods whose drain is over (or that no longer hold an open
        connection); the store lets them go."""
        host = self.host
        with host.lock:
            due = [pod for deadline, pod in self.retiring
                   if deadline <= now or not has_open_connections(pod.sandbox_pid)]
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
        drain = min(DRAIN_SECONDS, grace) if self.pods[key].is_ready else 0
        self.retiring.append((time.monotonic() + drain, self._take_out(key)))
        self.host.api_changed()
        self.host.kubelet.wake()

    def _forget_stopped(self, namespace, name, uid):
        """The kubelet's last word on a pod it stopped: the store lets it go (unless a
        pod of that name was made anew meanwhile)."""
        registry, store = self.host.api.registry, self.host.api.store
        stored = store.get(PODS, namespace, name)
        if stored is not None and stored["metadata"]["uid"] == uid:
            registry.delete_content(PODS, namespace, name, grace=0)

    def _create_pods(self, waiting):
        """Starts pods in waves: the pods of a wave make their namespaces at the same
        time, the policy controller learns of them, then each gets its containers. A
        failure removes the pods of its wave (earlier waves stay, as the pods kubectl
        had created would) and re-raises."""
        host = self.host
        for first in range(0, len(waiting), LAUNCH_WAVE):
            wave = []
            try:
                for pending in waiting[first:first + LAUNCH_WAVE]:
                    wave.append(self._place_pod(pending.spec))
                    wave[-1].uid = pending.uid
                    wave[-1].launch()
                for pod in wave:
                    pod.wait_sandbox()
                # The first packet of a container meets the pod's policies.
                host.policy_enforcer.admit(wave)
                for pod in wave:
                    pod.start_containers()
            except BaseException:
                host.policy_enforcer.forget(wave)
                for pod in wave:
                    pod.stop()
                    host.pools[self.name].release(pod.ip)
                raise
            for pod in wave:
                self.pods[pod.ref] = pod
            for pod in wave:
                self._announce_stand_ins(pod)
            host.api_changed()

    def _announce_stand_ins(self, pod):
        """Says, once a run for each, which images kubemn runs a stand-in for."""
        for container in pod.spec.template.containers:
            note = stand_in(container)
            key = (container.image, container.args)
            if note and key not in self.host.announced_stand_ins:
                self.host.announced_stand_ins.add(key)
                self.host.progress("%s: %s" % (pod.ref, note))

    def _place_pod(self, spec):
        """A Pod (not started) on this node, with an address of its PodCIDR (the
        network plugin's part)."""
        host = self.host
        pool = host.pools[self.name]
        try:
            ip = pool.allocate(skip=host.janitor.pending())
        except KubemnError:
            host.janitor.drain()  # what is left is being cleaned up: wait for it
            ip = pool.allocate()
        return Pod(spec, host.net[self.name], ip,
                   os.path.join(host.run_dir, "pods", spec.namespace, spec.name),
                   host.pod_dns(spec),
                   service_environment(host.api.store.list(SERVICES)[1], spec.namespace),
                   applets_dir=os.path.join(host.run_dir, "busybox"))

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
        """The pod leaves the Services' endpoints first, then stops."""
        pod = self._take_out(key)
        pod.stop()
        self.host.janitor.forget(pod.ip)
        self.host.pools[self.name].release(pod.ip)
        self.host.api_changed()

    def stop_all(self, unplug=True):
        """Every pod it has stops (its node goes, or the cluster stops: unplug=False,
        the node's namespace takes the veths with it)."""
        with self.host.lock:
            stop_pods(list(self.pods.values()) + [p for _, p in self.retiring], unplug=unplug)
            self.pods.clear()
            self.pending.clear()
            self.retiring = []
