"""The cluster's objects, as the controllers keep them: Pods, Deployments (rolled
through their templates); apply, delete, scale. Services and the kinds the API keeps
alone go through the API's registry, as a client's would. Mixed into
topo/cluster.py's Cluster, which owns the machinery (nodes, fabric, controller)
these methods call on."""
import os
import subprocess
import time
from dataclasses import replace

from services.environment import service_environment
from topo.api.resources import BY_STORE_KEY, singular_of
from topo.api.status import ApiError
from topo.errors import KubemnError
from topo.kubelet.images import stand_in
from topo.kubelet.pod import Pod, stop_pods
from topo.plan.ipam import PodAddressPool, plan_node
from topo.plan.manifest import parse_files, parse_texts
from topo.plan.model import DEFAULT_NAMESPACE, ref
from topo.plan.scheduler import Unschedulable, choose_node, no_such_node
from topo.plan.workloads import rollout_changes
from topo.runtime.processes import wait_until

READY_TIMEOUT = 30.0
# How long a Deployment's retiring pod keeps running after it left the endpoints.
DRAIN_SECONDS = 1.0
RETRY_SECONDS = 10.0    # a pod that could not start is tried again after this
REVISION_HISTORY = 10   # old templates kept per Deployment (revisionHistoryLimit)
# Pods that make their namespaces at the same time: a few processes each.
LAUNCH_WAVE = 16


class PendingPod:
    """A pod the API accepted and the kubelet has not started yet (or could not)."""

    def __init__(self, spec, created):
        self.spec, self.created = spec, created
        self.error = None     # why the last start failed
        self.unschedulable = False   # it failed for want of a node: not scheduled
        self.retry_at = 0.0   # time.monotonic() of the next try


SERVICES = "services"


def _bare(key):
    return key.rsplit("/", 1)[-1]


def _split(key):
    """(namespace, name) of a ref: 'name' in default, 'namespace/name' elsewhere."""
    return tuple(key.split("/", 1)) if "/" in key else (DEFAULT_NAMESPACE, key)


def _verb(old, new):
    if old is None:
        return "created"
    return "unchanged" if old == new else "configured"


class Objects:
    """The cluster's controllers: apply, Deployments and their rollouts, pods the API
    accepted, Services and their endpoints.

    Needs from its host class: lock, janitor, pods, pending, retiring, deployments,
    deployment_created, deployment_history, pools, node_plans, net, run_dir, spec,
    manifests, api, programmer, slices_loop, endpoints_loop, reserved_names(), add_node(),
    remove_node(), forget_node(), push_state(), api_changed()."""

    # --- apply -------------------------------------------------------------------
    def apply_text(self, text, source="<input>"):
        return self.apply(parse_texts([(source, text)]))

    def apply_files(self, paths):
        return self.apply(parse_files(paths))

    def apply(self, manifests, wait=True):
        """Creates or updates the objects; returns kubectl's lines ('pod/x created').
        Everything is checked before anything changes, and a failure half-way undoes
        what this apply made. wait=False (the API's way): new pods are left to the
        kubelet, which starts them within a tick (Pending until then). Services and
        the kinds the API keeps alone go through its registry."""
        with self.lock:
            self._check(manifests)
            saved = (dict(self.deployments), set(self.pods), set(self.node_plans),
                     dict(self.pending))
            try:
                lines = self._apply_checked(manifests, wait)
                if manifests.api_objects:
                    lines += self.api.registry.apply_objects(manifests.api_objects)
                    if any(o["kind"] == "Service" for o in manifests.api_objects):
                        self.sync_services(now=wait)
                return lines
            except BaseException:
                self.pending = saved[3]
                self.deployments = dict(saved[0])
                for name in [n for n in self.pods if n not in saved[1]]:
                    self._delete_pod(name)
                for name in [n for n in self.node_plans if n not in saved[2]]:
                    self.forget_node(name)
                if self.net is not None:
                    self.push_state()
                raise

    def _check(self, manifests):
        self._check_names(manifests)
        if manifests.cluster is not None and manifests.cluster != self.manifests.cluster \
                and self.net is not None:
            raise KubemnError("a Cluster document cannot be applied to a running cluster")
        for pod in manifests.pods:
            known = self.pods[pod.ref].spec if pod.ref in self.pods else \
                self.pending[pod.ref].spec if pod.ref in self.pending else None
            if known is not None and known.template != pod.template:
                raise KubemnError('pod "%s" exists with another spec; pods are immutable: '
                                  'delete it first' % pod.ref)
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
        for template in [p.template for p in manifests.pods] + \
                [d.template for d in manifests.deployments]:
            if template.node_name is not None and template.node_name not in nodes:
                raise no_such_node(template.node_name, nodes)
        for node in manifests.nodes:
            known = self.node_plans.get(node.name)
            if known is not None and node.pod_cidr not in (None, known.pod_cidr):
                raise KubemnError("node %s has podCIDR %s; a node's podCIDR cannot change"
                                  % (node.name, known.pod_cidr))

    def _check_capacity(self, manifests):
        wanted = {}
        templates = [p.template for p in manifests.pods
                     if p.ref not in self.pods and p.ref not in self.pending]
        templates += [p.spec.template for p in self.pending.values()]
        for deployment in manifests.deployments:
            owned = sum(1 for p in self.pods.values() if p.spec.owner == deployment.ref)
            templates += [deployment.template] * max(0, deployment.replicas - owned)
        for template in templates:
            wanted[template.node_name] = wanted.get(template.node_name, 0) + 1
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

    def _apply_checked(self, manifests, wait=True):
        lines = []
        for node in manifests.nodes:
            if node.name in self.node_plans:
                lines.append("node/%s unchanged" % node.name)
            else:
                self.add_node(node)
                lines.append("node/%s created" % node.name)
        for pod in manifests.pods:
            if pod.ref in self.pods or pod.ref in self.pending:
                lines.append("pod/%s unchanged" % pod.name)
            elif wait:
                self._create_pod(pod)
                lines.append("pod/%s created" % pod.name)
            else:
                self.pending[pod.ref] = PendingPod(pod, time.time())
                lines.append("pod/%s created" % pod.name)
        for deployment in manifests.deployments:
            old = self.deployments.get(deployment.ref)
            self.deployments[deployment.ref] = deployment
            self.deployment_created.setdefault(deployment.ref, time.time())
            self._reconcile_deployment(deployment)
            lines.append("deployment.apps/%s %s" % (deployment.name, _verb(old, deployment)))
        if wait:
            self.settle()
        else:
            self.api_changed()
        return lines

    # --- delete, scale -------------------------------------------------------------
    def delete(self, kind, name, namespace=DEFAULT_NAMESPACE):
        """kubectl delete: name in namespace (or a ref 'namespace/name')."""
        kind = singular_of(kind)
        key = name if "/" in name else ref(namespace, name)
        with self.lock:
            if kind == "node":
                self.remove_node(name)
                return 'node "%s" deleted' % name
            if kind == "pod" and key in self.pending:
                del self.pending[key]
                self.api_changed()
                return 'pod "%s" deleted' % _bare(key)
            if kind == "pod":
                pod = self.pod(key)
                self._delete_pod(pod.ref)
                if pod.spec.owner in self.deployments:
                    self._reconcile_deployment(self.deployments[pod.spec.owner])
                self.settle()
                return 'pod "%s" deleted' % pod.name
            if kind == "deployment":
                deployment = self.deployment(key)
                del self.deployments[key]
                self.deployment_created.pop(key, None)
                for pod_ref in [p.ref for p in self.pods.values() if p.spec.owner == key]:
                    self._delete_pod(pod_ref)
                return 'deployment.apps "%s" deleted' % deployment.name
            if kind == "service":
                self._delete_through_api(SERVICES, key)
                self.sync_services()
                return 'service "%s" deleted' % _bare(key)
        raise KubemnError('the server doesn\'t have a resource type "%s"' % kind)

    def scale(self, name, replicas, namespace=DEFAULT_NAMESPACE):
        key = name if "/" in name else ref(namespace, name)
        with self.lock:
            deployment = self.deployment(key)
            if not 0 <= replicas <= 1000:
                raise KubemnError("--replicas=%d: expected 0-1000" % replicas)
            self.deployments[key] = replace(deployment, replicas=replicas)
            self._reconcile_deployment(self.deployments[key])
            self.settle()
            return "deployment.apps/%s scaled" % deployment.name

    def relabel_pod(self, key, labels):
        """kubectl label pod: the pod's labels become labels; Services follow."""
        with self.lock:
            if key in self.pending:
                waiting = self.pending[key]
                waiting.spec = replace(waiting.spec, template=replace(
                    waiting.spec.template, labels=tuple(sorted(labels.items()))))
                return
            pod = self.pod(key)
            pod.labels = tuple(sorted(labels.items()))
            self.sync_services()

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
        try:
            return self.deployments[key]
        except KeyError:
            raise KubemnError('deployments.apps "%s" not found' % _bare(key)) from None

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
    def start_pending(self, now):
        """The kubelet's part: starts the pods the API accepted, a few waves a tick.
        A pod that cannot start stays Pending with the reason, and is tried again
        after RETRY_SECONDS."""
        with self.lock:
            due = [w for w in self.pending.values() if w.retry_at <= now][:4 * LAUNCH_WAVE]
            if not due:
                return
            for first in range(0, len(due), LAUNCH_WAVE):
                wave = due[first:first + LAUNCH_WAVE]
                try:
                    self._create_pods([w.spec for w in wave])
                    started = wave
                except KubemnError:
                    started = []
                    for waiting in wave:   # one at a time, to find the one that fails
                        try:
                            self._create_pods([waiting.spec])
                            started.append(waiting)
                        except KubemnError as exc:
                            waiting.error, waiting.retry_at = str(exc), now + RETRY_SECONDS
                            waiting.unschedulable = isinstance(exc, Unschedulable)
                for waiting in started:
                    self.pods[waiting.spec.ref].created = waiting.created
                    del self.pending[waiting.spec.ref]
            self.api_changed()

    def _reconcile_deployment(self, deployment):
        """Steps the Deployment towards its template and replicas (workloads.py says
        how far each step goes); old pods retire: out of the endpoints at once,
        stopped after a drain. Further steps follow as new pods become ready
        (progress_rollouts)."""
        history = self.deployment_history.setdefault(deployment.ref, [])
        if deployment.template in history:
            history.remove(deployment.template)
        history.append(deployment.template)
        del history[:-(REVISION_HISTORY + 1)]
        for _ in range(2 * (deployment.replicas + len(self.pods)) + 2):
            owned = [(p.ref, p.spec, p.created, p.is_ready) for p in self.pods.values()
                     if p.spec.owner == deployment.ref]
            to_create, to_delete = rollout_changes(deployment, owned, self.pods)
            for name in to_delete:
                self._retire_pod(name)
            self._create_pods(to_create)
            if not to_delete or to_create:
                return   # new pods must become ready before the next step

    def progress_rollouts(self):
        """The next steps of Deployments whose pods are not all of their template and
        number (called when readiness changed)."""
        with self.lock:
            for deployment in list(self.deployments.values()):
                owned = [p for p in self.pods.values() if p.spec.owner == deployment.ref]
                if len(owned) != deployment.replicas or any(
                        p.spec.template != deployment.template for p in owned):
                    self._reconcile_deployment(deployment)

    def _retire_pod(self, key):
        """A Deployment's pod that goes: it leaves the Services' endpoints now and
        stops after DRAIN_SECONDS, so requests already sent to it are answered."""
        pod = self.pods.pop(key)
        self.policy_enforcer.forget([pod])
        if pod.is_ready:
            pod.is_ready = False
            self.sync_services(endpoints_left=True)
        self.retiring.append((time.monotonic() + DRAIN_SECONDS, pod))
        self.api_changed()

    def stop_retired(self, now):
        """Stops the retiring pods whose drain is over."""
        with self.lock:
            due = [pod for deadline, pod in self.retiring if deadline <= now]
            if not due:
                return
            self.retiring = [(d, p) for d, p in self.retiring if d > now]
            stop_pods(due)
            for pod in due:
                self.janitor.forget(pod.ip)
                self.pools[pod.node.name].release(pod.ip)

    def _create_pod(self, spec):
        return self._create_pods([spec])[0]

    def _create_pods(self, specs):
        """Starts pods in waves: the pods of a wave make their namespaces at the same
        time, the policy controller learns of them, then each gets its containers. A
        failure removes the pods of its wave (earlier waves stay, as the pods kubectl
        had created would) and re-raises."""
        counts = {n: 0 for n in self.pools}
        for pod in self.pods.values():
            counts[pod.node.name] += 1
        labels = self.node_labels()   # read once for the lot: they change by requests
        created = []
        for first in range(0, len(specs), LAUNCH_WAVE):
            wave = []
            try:
                for spec in specs[first:first + LAUNCH_WAVE]:
                    wave.append(self._place_pod(spec, counts, labels))
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
            created += wave
            self.api_changed()
        return created

    def _announce_stand_ins(self, pod):
        """Says, once a run for each, which images kubemn runs a stand-in for."""
        for container in pod.spec.template.containers:
            note = stand_in(container)
            key = (container.image, container.args)
            if note and key not in self.announced_stand_ins:
                self.announced_stand_ins.add(key)
                self.progress("%s: %s" % (pod.ref, note))

    def _place_pod(self, spec, counts, labels):
        """A Pod (not started) on the node the scheduler picks among those whose
        labels (labels: {node: labels}) its nodeSelector matches, with its address."""
        node_name = choose_node(spec.template.node_name, counts,
                                {n: p.free for n, p in self.pools.items()},
                                spec.template.node_selector, labels)
        pool = self.pools[node_name]
        try:
            ip = pool.allocate(skip=self.janitor.pending())
        except KubemnError:
            self.janitor.drain()  # what is left is being cleaned up: wait for it
            ip = pool.allocate()
        counts[node_name] += 1
        return Pod(spec, self.net[node_name], ip,
                   os.path.join(self.run_dir, "pods", spec.namespace, spec.name),
                   self.pod_dns(spec),
                   service_environment(self.api.store.list(SERVICES)[1]
                                       if self.api else [], spec.namespace),
                   applets_dir=os.path.join(self.run_dir, "busybox"))

    def _delete_pod(self, key):
        """The pod leaves the Services' endpoints first, then stops."""
        pod = self.pods.pop(key)
        self.policy_enforcer.forget([pod])
        if pod.is_ready:
            pod.is_ready = False
            self.sync_services(endpoints_left=True)
        pod.stop()
        self.janitor.forget(pod.ip)
        self.pools[pod.node.name].release(pod.ip)
        self.api_changed()

    def wait_started(self, timeout=READY_TIMEOUT):
        """Waits until the kubelet has started the pods the API accepted (those that
        fail to start are left Pending), then settles: the CLI's next line sees them."""
        if not wait_until(lambda: all(w.error is not None for w in self.pending.values()),
                          timeout, longest_pause=0.01):
            raise KubemnError("pods still pending after %.0f s: %s" % (
                timeout, ", ".join(w.spec.name for w in self.pending.values())))
        with self.lock:
            self.settle(timeout)
        if not self.programmer.wait_synced(timeout):
            raise KubemnError("the fabric programmer did not push within %.0f s" % timeout)

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
            self.progress_rollouts()

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

    def _wait_caught_up(self, loop, revision):
        if not loop.wait_synced(revision, READY_TIMEOUT):
            self.progress("%s did not catch up within %.0f s"
                          % (type(loop.controller).__name__, READY_TIMEOUT))
