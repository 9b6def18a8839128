"""kubemn's own apply, delete and scale, which go through the API's registry as a
client's writes would, the controllers (topo/manager), the node provisioner and the
nodes' kubelets (topo/kubelet/node_kubelet.py) doing the rest; the pods they run, and
the waits for them. Mixed into topo/cluster.py's Cluster, which owns the machinery
(nodes, fabric, controller) these methods call on."""
import time

from topo.api.resources import BY_STORE_KEY, RESOURCES, kubectl_name, singular_of, store_key
from topo.api.status import ApiError
from topo.api.strategies.node import ready
from topo.errors import KubemnError, some_names
from topo.manager.replicas import controlled_by
from topo.plan.ipam import PodAddressPool, plan_node
from topo.plan.manifest import parse_files, parse_texts
from topo.plan.model import DEFAULT_NAMESPACE, ref
from topo.plan.scheduler import no_such_node
from topo.runtime.processes import wait_until

READY_TIMEOUT = 30.0


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
    """kubemn's own apply, delete and scale, the pods as the nodes' kubelets run them,
    and the waits for the Services' endpoints and the Deployments' rollouts that the
    Python API and the CLI make.

    Needs from its host class: lock, pods, pending, node_kubelets, starts_held,
    kubelet, pools, node_plans, spec, manifests, api, programmer, slices_loop,
    endpoints_loop, dns_loop, policy_loop, workload_loops, reserved_names(), progress(),
    report_status()."""

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
                    self._delete_through_api(NODES, name)
                raise
        if hold:
            self._start_in_order(manifests.pods)
        deployments = [o for o in manifests.api_objects if o["kind"] == "Deployment"]
        if wait and deployments:   # outside the lock: the controllers write through it
            self.wait_rolled_out(deployments)
        elif wait and manifests.pods:
            self.wait_started()
        elif wait:
            self.wait_agents()
        return lines

    def _start_in_order(self, pods):
        """kubemn's own apply starts its pods in the order its manifests list them, so
        that they take the same addresses every run (the labs show them): the kubelet
        held its starts until the scheduler had bound them and it knew them all."""
        try:
            self._wait_workloads(READY_TIMEOUT)
            with self.lock:
                for kubelet in self.node_kubelets.values():
                    kubelet.put_first([p.ref for p in pods])
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
            self.progress("not rolled out after %.0f s: %s" % (timeout, some_names(rolling())))
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
        running = self.pods
        nodes += [p["spec"].get("nodeName") for (namespace, name), p in stored.items()
                  if ref(namespace, name) not in running and
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
                              "says why)" % (READY_TIMEOUT, some_names(late())))

    # --- delete, scale -------------------------------------------------------------
    def delete(self, kind, name, namespace=DEFAULT_NAMESPACE):
        """kubectl delete: name in namespace (or a ref 'namespace/name'); a pod is
        waited for until its kubelet has stopped it and the store has let it go, as
        kubectl waits."""
        kind = singular_of(kind)
        key = name if "/" in name else ref(namespace, name)
        if kind == "node":
            with self.lock:
                self._delete_through_api(NODES, name)
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
        self.wait_agents()
        if kind == "pod":
            namespace, name = _split(key)
            if not wait_until(lambda: self.api.store.get(PODS, namespace, name) is None
                              and not any(k.knows("%s/%s" % (namespace, name))
                                          for k in list(self.node_kubelets.values())),
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
            with self.lock, self.api.registry.lock:
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
        if found is None and key.startswith(DEFAULT_NAMESPACE + "/"):
            found = self.pods.get(key[len(DEFAULT_NAMESPACE) + 1:])   # default's own ref
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
        """resource: the store's key; key: a ref (a name, for a kind of no namespace)."""
        kind = BY_STORE_KEY[resource]
        namespace, name = _split(key) if kind.namespaced else (None, key)
        try:
            with self.api.registry.lock:   # as a request's delete
                self.api.registry.delete(kind, namespace, name)
        except ApiError as exc:
            raise KubemnError(exc.message) from None

    # --- waits ---------------------------------------------------------------------
    def wait_started(self, timeout=READY_TIMEOUT):
        """Waits until the workload controllers have made the pods the store asks for
        and the kubelet has started them (those that fail to start are left Pending),
        then settles, and the controllers have written what they observed: the CLI's
        next line sees them (a `kubectl scale` done; a rollout waits on readiness,
        as `kubectl rollout status` does)."""
        self._wait_workloads(timeout)
        if not wait_until(lambda: all(w.error is not None for w in
                                      self.pending.values()), timeout, longest_pause=0.01):
            raise KubemnError("pods still pending after %.0f s: %s" % (
                timeout, some_names([w.spec.name for w in self.pending.values()])))
        with self.lock:
            self.settle(timeout)
        if not self.programmer.wait_synced(timeout):
            raise KubemnError("the fabric programmer did not push within %.0f s" % timeout)
        self._wait_workloads(timeout)
        self.wait_agents(timeout)

    def wait_agents(self, timeout=READY_TIMEOUT):
        """Waits until the node agents that follow the store (the policy agent's
        tables) have caught up with it as it is now: a NetworkPolicy, a namespace's
        or a pod's labels just written through the API hold from then on (the API's
        writes do not wait for them, as Kubernetes' do not)."""
        if self.policy_loop is not None:
            self._wait_caught_up(self.policy_loop, self.api.store.revision, timeout)

    def _wait_workloads(self, timeout):
        """The workload controllers, owners first, then the scheduler and the kubelet,
        each caught up with the store as it is when its turn comes (so with what the
        one before it wrote)."""
        for loop in self.workload_loops:
            self._wait_caught_up(loop, self.api.store.revision, timeout)

    def settle(self, timeout=READY_TIMEOUT):
        """Waits until every running pod without a readinessProbe has started, then
        brings the pods' readiness and the Services up to date (the kubelet ticker
        leaves a pod that became ready to the controllers: a caller that waits for
        its pods waits for the fabric too, here)."""
        def starting():
            return [p for p in self.pods.values()
                    if p.running() and not p.probes and not p.started()]
        if not wait_until(lambda: not starting(), timeout, longest_pause=0.01):
            raise KubemnError("pods not ready after %.0f s: %s"
                              % (timeout, some_names(p.name for p in starting())))
        now = time.monotonic()
        for pod in self.pods.values():
            pod.update_readiness({}, now)
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
        they are now: the store gets the pods (their kubelets' reports), the EndpointSlice
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
            return   # the controllers follow the store on their own
        self.report_status()
        reported = self.api.store.revision
        self._wait_caught_up(self.slices_loop, reported)
        # The cluster DNS too, with the slices just written (a headless Service's names).
        self._wait_caught_up(self.dns_loop, self.api.store.revision)
        self.programmer.sync_now()
        if endpoints_left:
            self.on_every_vswitch(["ovs-appctl", "revalidator/purge"])
        self._wait_caught_up(self.endpoints_loop, reported)

    def _wait_caught_up(self, loop, revision, timeout=READY_TIMEOUT):
        if not loop.wait_synced(revision, timeout):
            self.progress("%s did not catch up within %.0f s"
                          % (type(loop.controller).__name__, timeout))
