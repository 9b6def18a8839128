"""The cluster's pods as the kubelet keeps them (started from the store once bound to
a node, stopped when the store deletes them, their status written back); kubemn's own
apply, delete and scale, which go through the API's registry as a client's writes
would, the controllers (topo/manager) and the kubelet doing the rest. Mixed into
topo/cluster.py's Cluster, which owns the machinery (nodes, fabric, controller) these
methods call on."""
import os
import subprocess
import time

from services.environment import service_environment
from topo.api.resources import BY_STORE_KEY, RESOURCES, kubectl_name, singular_of, store_key
from topo.api.status import ApiError
from topo.api.strategies.node import ready
from topo.errors import KubemnError
from topo.kubelet.images import stand_in
from topo.kubelet.pod import Pod, has_open_connections, stop_pods
from topo.kubelet.pod_sync import (COLLECT, DROP, FORGET, RELABEL, RETIRE, START, STOP,
                                   actions)
from topo.manager.replicas import controlled_by
from topo.plan.ipam import PodAddressPool, plan_node
from topo.plan.manifest import parse_files, parse_pod, parse_texts
from topo.plan.model import DEFAULT_NAMESPACE, ref
from topo.plan.scheduler import no_such_node
from topo.runtime.processes import wait_until

READY_TIMEOUT = 30.0
# How long a deleted pod keeps running at most after it left the endpoints, while it
# holds connections (requests already sent to it are answered).
DRAIN_SECONDS = 1.0
RETRY_SECONDS = 10.0    # a pod that could not start is tried again after this
# Pods that make their namespaces at the same time: a few processes each.
LAUNCH_WAVE = 16
# Waves a kubelet tick starts at most (a Deployment of a thousand replicas starts in a
# few ticks, its pods not published one wave at a time; the lock is free between).
TICK_WAVES = 16


class PendingPod:
    """A pod bound to a node whose kubelet has not started it yet (or could not)."""

    def __init__(self, spec, uid, created):
        self.spec, self.uid, self.created = spec, uid, created
        self.error = None     # why the last start failed
        self.retry_at = 0.0   # time.monotonic() of the next try


PODS, NODES = "pods", "nodes"   # the store's keys
SERVICES = "services"
DEPLOYMENTS = "deployments.apps"
REPLICA_SETS = "replicasets.apps"


def _bare(key):
    return key.rsplit("/", 1)[-1]


def _split(key):
    """(namespace, name) of a ref: 'name' in default, 'namespace/name' elsewhere."""
    return tuple(key.split("/", 1)) if "/" in key else (DEFAULT_NAMESPACE, key)


def _template_node(deployment):
    return ((deployment["spec"].get("template") or {}).get("spec") or {}).get("nodeName")


class Objects:
    """The cluster's pods (those the API accepted, started a tick later), apply,
    delete and scale, and the waits for the Services' endpoints and the Deployments'
    rollouts that the Python API and the CLI make.

    Needs from its host class: lock, janitor, pods, pending, retiring, starts_held,
    kubelet, pools, node_plans, net, run_dir, spec, manifests, api, programmer,
    slices_loop, endpoints_loop, dns_loop, workload_loops, reserved_names(),
    push_state(), api_changed()."""

    # --- apply -------------------------------------------------------------------
    def apply_text(self, text, source="<input>"):
        return self.apply(parse_texts([(source, text)]))

    def apply_files(self, paths):
        return self.apply(parse_files(paths))

    def apply(self, manifests, wait=True):
        """Creates or updates the objects; returns kubectl's lines ('pod/x created').
        Everything is checked before anything changes, and a failure half-way undoes
        what this apply made. Every kind goes through the API's registry; the node
        provisioner, the scheduler and the kubelet take it from there. New nodes come
        first and, with wait=True, are waited for, so that the file's pods may go to
        them; wait=True then waits until the pods (a Deployment's too) have started."""
        hold = wait and bool(manifests.pods) and self.api is not None
        nodes = [o for o in manifests.api_objects if o["kind"] == "Node"]
        rest = [o for o in manifests.api_objects if o["kind"] != "Node"]
        with self.lock:
            self._check(manifests)
            made = [o["metadata"]["name"] for o in nodes
                    if self.api.store.get(NODES, "", o["metadata"]["name"]) is None]
            lines = self.api.registry.apply_objects(nodes) if nodes else []
        if wait and nodes:   # outside the lock: the node provisioner plugs them in
            self.wait_machines([o["metadata"]["name"] for o in nodes])
        with self.lock:
            self.starts_held += hold
            try:
                lines += self.api.registry.apply_objects(rest) if rest else []
                if any(o["kind"] == "Service" for o in rest):
                    self.sync_services(now=wait)
            except BaseException:
                self.starts_held -= hold
                for name in made:   # the nodes this apply made go again
                    self.api.registry.delete(BY_STORE_KEY[NODES], None, name)
                raise
        if hold:
            self._start_in_order(manifests.pods)
        deployments = [o for o in manifests.api_objects if o["kind"] == "Deployment"]
        if wait and deployments:   # outside the lock: the controllers write through it
            self.wait_rolled_out(deployments)
        elif wait and manifests.pods:
            self.wait_started()
        return lines

    def _start_in_order(self, pods):
        """kubemn's own apply starts its pods in the order its manifests list them, so
        that they take the same addresses every run (the labs show them): the kubelet
        held its starts until the scheduler had bound them and it knew them all."""
        try:
            self._wait_workloads(READY_TIMEOUT)
            with self.lock:
                first = {p.ref: self.pending.pop(p.ref) for p in pods if p.ref in self.pending}
                self.pending = {**first, **self.pending}
        finally:
            with self.lock:
                self.starts_held -= 1
            self.kubelet.wake()

    def wait_rolled_out(self, deployments, timeout=READY_TIMEOUT):
        """Waits until each Deployment's controller has seen its spec and it has its
        number of pods, all of its template, and they have started (as far as they
        can: a pod no node takes stays Pending). A rollout that waits on pods that do
        not become ready is named after timeout, not fatal (a probe may be meant to
        fail)."""
        def rolling():
            late = []
            for obj in deployments:
                stored = self.api.store.get(DEPLOYMENTS, obj["metadata"]["namespace"],
                                            obj["metadata"]["name"])
                status = (stored or {}).get("status") or {}
                if stored is not None and (
                        status.get("observedGeneration", 0) < stored["metadata"]["generation"]
                        or not status.get("updatedReplicas", 0) ==
                        status.get("replicas", 0) == stored["spec"]["replicas"]):
                    late.append(obj["metadata"]["name"])
            return late
        if not wait_until(lambda: not rolling(), timeout, longest_pause=0.01):
            self.progress("not rolled out after %.0f s: %s" % (timeout, ", ".join(rolling())))
        self.wait_started(timeout)

    def _check(self, manifests):
        self._check_names(manifests)
        if manifests.cluster is not None and manifests.cluster != self.manifests.cluster \
                and self.net is not None:
            raise KubemnError("a Cluster document cannot be applied to a running cluster")
        if manifests.api_objects and self.api is not None:
            self.api.registry.apply_objects(manifests.api_objects, dry_run=True)
        self._check_capacity(manifests)

    def _check_names(self, manifests):
        nodes = list(self.node_plans) + [n.name for n in manifests.nodes
                                         if n.name not in self.node_plans]
        reserved = self.reserved_names() | set(nodes)
        for pod in manifests.pods:
            if pod.ref in reserved:
                raise KubemnError("pod %r: the name is taken by a node or switch" % pod.ref)
        wanted_nodes = [p.template.node_name for p in manifests.pods] + [
            _template_node(o) for o in manifests.api_objects if o["kind"] == "Deployment"]
        for node_name in wanted_nodes:
            if node_name is not None and node_name not in nodes:
                raise no_such_node(node_name, nodes)
        for node in manifests.nodes:
            known = self.node_plans.get(node.name)
            if known is not None and node.pod_cidr not in (None, known.pod_cidr):
                raise KubemnError("node %s has podCIDR %s; a node's podCIDR cannot change"
                                  % (node.name, known.pod_cidr))

    def _check_capacity(self, manifests):
        """What a file asks for fits the nodes' addresses (new Deployments counted by
        their replicas; the API takes what does not fit as Pending pods)."""
        wanted = {}
        stored = {(p["metadata"]["namespace"], p["metadata"]["name"]): p
                  for p in (self.api.store.list(PODS)[1] if self.api else ())}
        nodes = [p.template.node_name for p in manifests.pods
                 if (p.namespace, p.name) not in stored]
        nodes += [p["spec"].get("nodeName") for (namespace, name), p in stored.items()
                  if ref(namespace, name) not in self.pods and
                  p["spec"].get("nodeName") in (None, *self.node_plans)]   # to start
        for obj in manifests.api_objects:
            metadata = obj["metadata"]
            if obj["kind"] == "Deployment" and (self.api is None or self.api.store.get(
                    DEPLOYMENTS, metadata["namespace"], metadata["name"]) is None):
                nodes += [_template_node(obj)] * obj["spec"].get("replicas", 1)
        for node_name in nodes:
            wanted[node_name] = wanted.get(node_name, 0) + 1
        free = {n: p.free for n, p in self.pools.items()}
        planned = list(self.node_plans.values())
        for node in manifests.nodes:
            if node.name not in free:
                planned.append(plan_node(self.spec, planned, node))
                free[node.name] = PodAddressPool(planned[-1].pod_cidr).free
        for node, count in wanted.items():
            if node is not None and count > free[node]:
                raise KubemnError("node %s has room for %d more pods, %d asked for"
                                  % (node, free[node], count))
        if sum(wanted.values()) > sum(free.values()):
            raise KubemnError("the cluster has room for %d more pods, %d asked for"
                              % (sum(free.values()), sum(wanted.values())))

    def wait_machines(self, names):
        """Waits until each of the nodes names (those still stored) has its machine and
        its kubelet has reported it Ready (the scheduler places pods on Ready nodes)."""
        def late():
            stored = {n: self.api.store.get(NODES, "", n) for n in names}
            return [n for n, node in stored.items()
                    if node is not None and (n not in self.node_plans or not ready(node))]
        if not wait_until(lambda: not late(), READY_TIMEOUT, longest_pause=0.01):
            raise KubemnError("nodes not Ready after %.0f s: %s (kubectl describe node "
                              "says why)" % (READY_TIMEOUT, ", ".join(late())))

    # --- delete, scale -------------------------------------------------------------
    def delete(self, kind, name, namespace=DEFAULT_NAMESPACE):
        """kubectl delete: name in namespace (or a ref 'namespace/name'); a pod is
        waited for until its kubelet has stopped it and the store has let it go, as
        kubectl waits."""
        kind = singular_of(kind)
        key = name if "/" in name else ref(namespace, name)
        if kind == "node":
            try:
                with self.lock:
                    self.api.registry.delete(BY_STORE_KEY[NODES], None, name)
            except ApiError as exc:
                raise KubemnError(exc.message) from None
            if not wait_until(lambda: name not in self.node_plans, READY_TIMEOUT,
                              longest_pause=0.01):
                raise KubemnError('node "%s" still runs after %.0f s' % (name, READY_TIMEOUT))
            with self.lock:   # the provisioner's remove_node, begun, holds it to the end
                return 'node "%s" deleted' % name
        resource = next((r for r in RESOURCES if r.singular == kind), None)
        if resource is None:
            raise KubemnError('the server doesn\'t have a resource type "%s"' % kind)
        with self.lock:
            self._delete_through_api(store_key(resource), key)
            if kind == "service":
                self.sync_services()
        if kind == "pod":
            namespace, name = _split(key)
            if not wait_until(lambda: self.api.store.get(PODS, namespace, name) is None
                              and "%s/%s" % (namespace, name) not in self.kubelet_pods(),
                              READY_TIMEOUT, longest_pause=0.01):
                raise KubemnError('pod "%s" not gone after %.0f s' % (name, READY_TIMEOUT))
        return '%s "%s" deleted' % (kubectl_name(resource), _bare(key))

    def scale(self, name, replicas, namespace=DEFAULT_NAMESPACE):
        """kubectl scale deployment: through the API's scale subresource; waits until
        the Deployment's pods have started (or left)."""
        key = name if "/" in name else ref(namespace, name)
        deployment = self.deployment(key)
        if not 0 <= replicas <= 1000:
            raise KubemnError("--replicas=%d: expected 0-1000" % replicas)
        namespace, name = _split(key)
        try:
            with self.lock:
                self.api.registry.scale(BY_STORE_KEY[DEPLOYMENTS], namespace, name, replicas)
        except ApiError as exc:
            raise KubemnError(exc.message) from None
        self.wait_rolled_out([deployment])
        return "deployment.apps/%s scaled" % name

    # --- lookups -------------------------------------------------------------------
    def pod(self, key):
        """A pod by ref ('name' in default, 'namespace/name'), or by a bare name that
        only one namespace has."""
        found = self.pods.get(key)
        if found is None and "/" not in key:
            matches = [p for p in self.pods.values() if p.name == key]
            found = matches[0] if len(matches) == 1 else None
        if found is None:
            raise KubemnError('pods "%s" not found' % key)
        return found

    def deployment(self, key):
        """A Deployment as the API serves it, by ref."""
        namespace, name = _split(key)
        found = self.api.store.get(DEPLOYMENTS, namespace, name) if self.api else None
        if found is None:
            raise KubemnError('deployments.apps "%s" not found' % name)
        return found

    def deployment_pods(self, key):
        """The running pods of a Deployment (by ref): those its ReplicaSets own, as the
        API serves them."""
        deployment, store = self.deployment(key), self.api.store
        namespace = deployment["metadata"]["namespace"]
        names = {p["metadata"]["name"]
                 for replica_set in controlled_by(store, REPLICA_SETS, deployment)
                 for p in controlled_by(store, "pods", replica_set)}
        with self.lock:
            return [p for p in self.pods.values()
                    if p.spec.namespace == namespace and p.name in names]

    def service(self, key):
        """A Service as the API serves it, by ref."""
        namespace, name = _split(key)
        found = self.api.store.get(SERVICES, namespace, name) if self.api else None
        if found is None:
            raise KubemnError('services "%s" not found' % name)
        return found

    def _delete_through_api(self, resource, key):
        namespace, name = _split(key)
        try:
            self.api.registry.delete(BY_STORE_KEY[resource], namespace, name)
        except ApiError as exc:
            raise KubemnError(exc.message) from None

    # --- pods --------------------------------------------------------------------
    def sync_pod(self, namespace, name):
        """The kubelet's reconcile of one pod, from the store as it is now (what to do
        is topo/kubelet/pod_sync.py's actions())."""
        key = ref(namespace, name)
        stored = self.api.store.get(PODS, namespace, name)
        nodes = {n["metadata"]["name"] for n in self.api.store.list(NODES)[1]}
        with self.lock:
            running, waiting = self.pods.get(key), self.pending.get(key)
            for action in actions(stored, running and running.uid, waiting and waiting.uid,
                                  any(p.ref == key for _, p in self.retiring),
                                  nodes, self.node_plans):
                if action == STOP:
                    self._delete_pod(key)
                elif action == DROP:
                    del self.pending[key]
                elif action == COLLECT:
                    self.api.registry.delete_content(PODS, namespace, name, grace=0)
                elif action == RETIRE:
                    self._retire_pod(key, stored["metadata"]["deletionGracePeriodSeconds"])
                elif action == FORGET:
                    self._forget_stopped(namespace, name, stored["metadata"]["uid"])
                elif action == RELABEL:
                    labels = tuple(sorted((stored["metadata"].get("labels") or {}).items()))
                    if labels != running.labels:   # the policy agent follows
                        running.labels = labels
                        self.api_changed()
                elif action == START:
                    # Started at the next tick, with the others bound meanwhile: a wave
                    # of many starts much faster than many waves of one.
                    self.pending[key] = PendingPod(parse_pod(stored),
                                                   stored["metadata"]["uid"], time.time())
                    self.api_changed()

    def kubelet_pods(self):
        """'namespace/name' of the pods the kubelet runs, drains or waits to start."""
        with self.lock:
            pods = list(self.pods.values()) + [p for _, p in self.retiring]
            return ["%s/%s" % (p.namespace, p.name) for p in pods] + [
                "%s/%s" % (w.spec.namespace, w.spec.name) for w in self.pending.values()]

    def _forget_stopped(self, namespace, name, uid):
        """The kubelet's last word on a pod it stopped: the store lets it go (unless a
        pod of that name was made anew meanwhile)."""
        stored = self.api.store.get(PODS, namespace, name)
        if stored is not None and stored["metadata"]["uid"] == uid:
            self.api.registry.delete_content(PODS, namespace, name, grace=0)

    def start_pending(self, now):
        """The kubelet's part: starts the pods the API accepted, a few waves a tick.
        A pod that cannot start stays Pending with the reason, and is tried again
        after RETRY_SECONDS."""
        with self.lock:
            due = [w for w in self.pending.values() if w.retry_at <= now][:TICK_WAVES *
                                                                           LAUNCH_WAVE]
            if not due or self.starts_held:
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
            self.api_changed()

    def _retire_pod(self, key, grace):
        """A pod being deleted: a ready one leaves the Services' endpoints now and stops
        once it holds no open connection, or after DRAIN_SECONDS (or its grace period,
        if shorter), so requests already sent to it are answered; one that serves
        nothing stops at once."""
        drain = min(DRAIN_SECONDS, grace) if self.pods[key].is_ready else 0
        self.retiring.append((time.monotonic() + drain, self._take_out(key)))
        self.api_changed()
        self.kubelet.wake()

    def stop_retired(self, now):
        """Stops the retiring pods whose drain is over (or that no longer hold an open
        connection); the store lets them go."""
        with self.lock:
            due = [pod for deadline, pod in self.retiring
                   if deadline <= now or not has_open_connections(pod.sandbox_pid)]
            if not due:
                return
            self.retiring = [(d, p) for d, p in self.retiring if p not in due]
            stop_pods(due)
            for pod in due:
                self.janitor.forget(pod.ip)
                self.pools[pod.node.name].release(pod.ip)
                self._forget_stopped(pod.namespace, pod.name, pod.uid)

    def _create_pods(self, waiting):
        """Starts pods in waves: the pods of a wave make their namespaces at the same
        time, the policy controller learns of them, then each gets its containers. A
        failure removes the pods of its wave (earlier waves stay, as the pods kubectl
        had created would) and re-raises."""
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
                self.policy_enforcer.admit(wave)
                for pod in wave:
                    pod.start_containers()
            except BaseException:
                self.policy_enforcer.forget(wave)
                for pod in wave:
                    pod.stop()
                    self.pools[pod.node.name].release(pod.ip)
                raise
            for pod in wave:
                self.pods[pod.ref] = pod
            for pod in wave:
                self._announce_stand_ins(pod)
            self.api_changed()

    def _announce_stand_ins(self, pod):
        """Says, once a run for each, which images kubemn runs a stand-in for."""
        for container in pod.spec.template.containers:
            note = stand_in(container)
            key = (container.image, container.args)
            if note and key not in self.announced_stand_ins:
                self.announced_stand_ins.add(key)
                self.progress("%s: %s" % (pod.ref, note))

    def _place_pod(self, spec):
        """A Pod (not started) on the node it is bound to, with an address of the
        node's PodCIDR (the network plugin's part)."""
        node_name = spec.template.node_name
        if node_name not in self.pools:   # gone since: the store lets the pod go too
            raise no_such_node(node_name, list(self.pools))
        pool = self.pools[node_name]
        try:
            ip = pool.allocate(skip=self.janitor.pending())
        except KubemnError:
            self.janitor.drain()  # what is left is being cleaned up: wait for it
            ip = pool.allocate()
        return Pod(spec, self.net[node_name], ip,
                   os.path.join(self.run_dir, "pods", spec.namespace, spec.name),
                   self.pod_dns(spec),
                   service_environment(self.api.store.list(SERVICES)[1]
                                       if self.api else [], spec.namespace),
                   applets_dir=os.path.join(self.run_dir, "busybox"))

    def _take_out(self, key):
        """The pod leaves the kubelet's running pods, the policy agent's starting
        ones, and (if it was ready) the Services' endpoints, at once."""
        pod = self.pods.pop(key)
        self.policy_enforcer.forget([pod])
        if pod.is_ready:
            pod.is_ready = False
            self.sync_services(endpoints_left=True)
        return pod

    def _delete_pod(self, key):
        """The pod leaves the Services' endpoints first, then stops."""
        pod = self._take_out(key)
        pod.stop()
        self.janitor.forget(pod.ip)
        self.pools[pod.node.name].release(pod.ip)
        self.api_changed()

    def wait_started(self, timeout=READY_TIMEOUT):
        """Waits until the workload controllers have made the pods the store asks for
        and the kubelet has started them (those that fail to start are left Pending),
        then settles, and the controllers have written what they observed: the CLI's
        next line sees them (a `kubectl scale` done; a rollout waits on readiness,
        as `kubectl rollout status` does)."""
        self._wait_workloads(timeout)
        if not wait_until(lambda: all(w.error is not None for w in list(
                self.pending.values())), timeout, longest_pause=0.01):
            raise KubemnError("pods still pending after %.0f s: %s" % (
                timeout, ", ".join(w.spec.name for w in self.pending.values())))
        with self.lock:
            self.settle(timeout)
        if not self.programmer.wait_synced(timeout):
            raise KubemnError("the fabric programmer did not push within %.0f s" % timeout)
        self._wait_workloads(timeout)

    def _wait_workloads(self, timeout):
        """The workload controllers, owners first, then the scheduler and the kubelet,
        each caught up with the store as it is when its turn comes (so with what the
        one before it wrote)."""
        for loop in self.workload_loops:
            self._wait_caught_up(loop, self.api.store.revision, timeout)

    def settle(self, timeout=READY_TIMEOUT):
        """Waits until every running pod without a readinessProbe has started, then
        brings the pods' readiness and the Services up to date."""
        def starting():
            return [p for p in self.pods.values()
                    if p.running() and not p.probes and not p.started()]
        if not wait_until(lambda: not starting(), timeout, longest_pause=0.01):
            raise KubemnError("pods not ready after %.0f s: %s"
                              % (timeout, ", ".join(p.name for p in starting())))
        now = time.monotonic()
        changed = [p.update_readiness({}, now) for p in self.pods.values()]
        if any(changed):
            self.sync_services()

    # --- services ------------------------------------------------------------------
    def served_services(self):
        """The Services as the API serves them, endpoints included ([ServedService])."""
        return self.programmer.read()

    def served_service(self, key):
        """One Service as the fabric serves it (its addresses, its endpoints), by ref."""
        self.service(key)
        return next(s for s in self.served_services() if s.ref == key)

    def endpoints(self, key):
        """A Service's ready endpoints, from its EndpointSlices."""
        return self.served_service(key).endpoints

    def sync_services(self, endpoints_left=False, now=True):
        """Brings the Services' endpoints and the fabric up to date with the pods as
        they are now: the store gets the pods (the publisher), the EndpointSlice
        controller writes their slices, the cluster DNS records follow them, the
        fabric programmer pushes them to the controller, and the Endpoints controller
        has written the Endpoints. now=False leaves it to them (a burst of changes,
        one push); now=True waits for each in turn. endpoints_left:
        some endpoint left, so it goes at once, and Open vSwitch's cache of datapath
        flows, which follows new tables only within its revalidation period (up to
        500 ms), is purged: no new connection goes to a leaving pod."""
        if self.net is None or self.api is None:
            return
        if not (now or endpoints_left):
            self.api_changed()
            return
        self.api.publisher.publish()
        published = self.api.store.revision
        self._wait_caught_up(self.slices_loop, published)
        # The cluster DNS too, with the slices just written (a headless Service's names).
        self._wait_caught_up(self.dns_loop, self.api.store.revision)
        self.programmer.sync_now()
        if endpoints_left:
            subprocess.run(["ovs-appctl", "revalidator/purge"], stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=10)
        self._wait_caught_up(self.endpoints_loop, published)

    def _wait_caught_up(self, loop, revision, timeout=READY_TIMEOUT):
        if not loop.wait_synced(revision, timeout):
            self.progress("%s did not catch up within %.0f s"
                          % (type(loop.controller).__name__, timeout))
