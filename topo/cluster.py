"""The running cluster: kubemn's API server, kubelet and controller manager in one.

    with Cluster(manifests, nodes=2) as cluster:
        cluster.apply_text(open("web.yaml").read())
        print(cluster.exec("web-0", "hostname").stdout)

start() builds everything or nothing: on any failure it tears down what it made.
stop() is safe to call at any point and more than once.
"""
import copy
import os
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import replace

from mininet.log import setLogLevel

from topo import cleanup
from topo.controller import ControllerProcess
from topo.errors import KubemnError
from topo.fabric import plan_fabric, switch_for_new_node
from topo.ipam import PodAddressPool, plan_addresses, plan_node
from topo.manifest import FABRICS, parse_files, parse_texts
from topo.model import ClusterSpec, Manifests, NodeSpec
from topo.naming import RUN_DIR_ROOT, RUN_MARKER
from topo.network import build_network, fabric_state, plug_node, unplug_node
from topo.pod import Pod
from topo.runlock import RunLock
from topo.scheduler import choose_node
from topo.workloads import replica_changes
from services.allocation import ServiceAllocator
from services.endpoints import service_endpoints

READY_TIMEOUT = 30.0
FABRIC_TIMEOUT = 30.0


def cluster_spec(manifests, nodes=None, fabric=None):
    """The Cluster document (or defaults), with command-line overrides applied."""
    spec = manifests.cluster or ClusterSpec()
    if nodes is not None:
        if nodes < 1 or nodes > 250:
            raise KubemnError("--nodes %d: expected 1-250" % nodes)
        spec = replace(spec, nodes=tuple(NodeSpec("node%d" % i) for i in range(1, nodes + 1)))
    if fabric is not None:
        if not FABRICS.match(fabric):
            raise KubemnError("--fabric %r: expected 'single' or 'racks:N'" % fabric)
        spec = replace(spec, fabric=fabric)
    if manifests.nodes:
        # Node objects describe nodes of the Cluster, or add to them.
        by_name = {n.name: n for n in spec.nodes}
        by_name.update({n.name: n for n in manifests.nodes})
        spec = replace(spec, nodes=tuple(by_name.values()))
    return spec


class Cluster:
    def __init__(self, manifests=None, nodes=None, fabric=None, clean=False,
                 progress=None):
        self.manifests = manifests or Manifests()
        self.spec = cluster_spec(self.manifests, nodes, fabric)
        self.addresses = plan_addresses(self.spec)
        self.node_plans = {n.name: n for n in self.addresses.nodes}
        self.fabric = plan_fabric(self.spec.fabric, list(self.node_plans))
        self.attachments = dict(self.fabric.attachments)
        self.node_created = {name: time.time() for name in self.node_plans}
        self.clean_first = clean
        self.progress = progress or (lambda message: None)
        self.run_id = uuid.uuid4().hex[:8]
        self.run_dir = os.path.join(RUN_DIR_ROOT, self.run_id)
        self.lock = RunLock()
        self.net = None
        self.controller = None
        self.generation = 0
        self.pools = {n.name: PodAddressPool(n.pod_cidr) for n in self.addresses.nodes}
        self.pods = {}          # name -> Pod, in creation order
        self.deployments = {}   # name -> DeploymentSpec
        self.services = {}      # name -> ServiceSpec
        self.allocator = ServiceAllocator(self.spec.service_cidr)
        self.service_created = {}
        self.created = time.time()
        self._check_names(self.manifests)

    @classmethod
    def from_files(cls, paths, **kwargs):
        return cls(parse_files(paths), **kwargs)

    # --- life cycle ------------------------------------------------------------
    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        self.lock.acquire()
        try:
            self._refuse_leftovers()
            os.environ[RUN_MARKER] = self.run_id
            os.makedirs(self.run_dir)
            setLogLevel("output")
            self.progress("starting the Ryu controller")
            self.controller = ControllerProcess(os.path.join(self.run_dir, "controller.log"))
            self.controller.start()
            self.progress("starting %d nodes on the %s fabric"
                          % (len(self.node_plans), self.spec.fabric))
            self.net = build_network(self.fabric, self.node_plans.values(), self.attachments,
                                     self.addresses.gateway_ip, self.controller.of_port)
            self.push_fabric_state()
            self.progress("waiting for the fabric to forward")
            self._wait_fabric(self.nodes())
            self.apply(self.manifests)
        except BaseException:
            self.stop()
            raise
        return self

    def _refuse_leftovers(self):
        found = cleanup.leftovers()
        if any(found.values()):
            if not self.clean_first:
                raise KubemnError("leftovers of an earlier kubemn run (%s): run `make clean` "
                                  "or `kubemn run --clean`" % cleanup.describe(found))
            self.progress("removing leftovers of an earlier run: " + cleanup.describe(found))
            cleanup.clean()

    def stop(self):
        """Tears everything down: pods, nodes, switches, controller, files."""
        for pod in reversed(list(self.pods.values())):
            pod.stop()
        self.pods.clear()
        if self.net is not None:
            shells = [node.shell for node in self.net.values() if node.shell]
            self.net.stop()
            self.net = None
            # Mininet signals the node shells but does not wait for them.
            for shell_process in shells:
                try:
                    shell_process.wait(2)
                except subprocess.TimeoutExpired:
                    shell_process.kill()
                    shell_process.wait()
        if self.controller is not None:
            self.controller.stop()
            self.controller = None
        if os.environ.get(RUN_MARKER) == self.run_id:
            del os.environ[RUN_MARKER]
        shutil.rmtree(self.run_dir, ignore_errors=True)
        if os.path.isdir(RUN_DIR_ROOT) and not os.listdir(RUN_DIR_ROOT):
            os.rmdir(RUN_DIR_ROOT)
        self.lock.release()

    # --- fabric ----------------------------------------------------------------
    def push_fabric_state(self):
        """Sends the full desired state to the controller and waits for convergence."""
        self.generation += 1
        state = fabric_state(self.net, self.fabric, self.node_plans.values(), self.attachments,
                             (self.addresses.gateway_ip, self.addresses.gateway_mac),
                             self.generation)
        self.controller.push(state)
        self.controller.wait_synced(self.generation, [d for _, d in self.fabric.switches])

    def _wait_fabric(self, nodes):
        """Userspace OVS ports need a moment before they forward: each node pings the
        fabric gateway (answered by the controller) until it answers."""
        tries = int(FABRIC_TIMEOUT / 0.2)
        for node in nodes:
            node.sendCmd("for i in $(seq %d); do ping -c1 -W0.2 %s >/dev/null 2>&1 "
                         "&& echo fabric-up && break; done"
                         % (tries, self.addresses.gateway_ip))
        silent = [n.name for n in nodes if "fabric-up" not in n.waitOutput()]
        if silent:
            raise KubemnError("nodes %s cannot reach the fabric gateway: see %s"
                              % (", ".join(silent), self.controller.log_path))

    def add_node(self, spec):
        """Plans, builds and plugs in one more node; routing follows."""
        if spec.name in self.reserved_names():
            raise KubemnError("node %r: the name is taken" % spec.name)
        plan = plan_node(self.spec, list(self.node_plans.values()), spec)
        switch = switch_for_new_node(self.fabric, self.attachments)
        self.node_plans[plan.name] = plan
        self.attachments[plan.name] = switch
        self.pools[plan.name] = PodAddressPool(plan.pod_cidr)
        self.node_created[plan.name] = time.time()
        try:
            node = plug_node(self.net, plan, switch, self.addresses.gateway_ip)
            self.push_fabric_state()
            self._wait_fabric([node])
        except BaseException:
            self._forget_node(plan.name)
            raise
        return plan

    def remove_node(self, name):
        """Deletes the node's pods (a Deployment's are recreated elsewhere), unplugs it,
        and routes its PodCIDR no more."""
        self.node(name)
        if len(self.node_plans) == 1:
            raise KubemnError("node %s is the cluster's last node" % name)
        for pod in [p for p in self.pods.values() if p.node.name == name]:
            self._delete_pod(pod.name)
        self._forget_node(name)
        self.push_fabric_state()
        for deployment in self.deployments.values():
            self._reconcile_deployment(deployment)
        self.wait_ready()

    def _forget_node(self, name):
        del self.node_plans[name], self.attachments[name], self.pools[name]
        del self.node_created[name]
        if name in self.net:
            process = unplug_node(self.net, name)
            if process is not None:
                process.wait()

    # --- objects -----------------------------------------------------------------
    def nodes(self):
        return [self.net[name] for name in self.node_plans]

    def node(self, name):
        if self.net is None or name not in self.node_plans:
            raise KubemnError('nodes "%s" not found' % name)
        return self.net[name]

    def reserved_names(self):
        """Names that the CLI resolves to a node or switch."""
        return set(self.node_plans) | {n for n, _ in self.fabric.switches} | {"c0"}

    def pod(self, name):
        try:
            return self.pods[name]
        except KeyError:
            raise KubemnError('pods "%s" not found' % name) from None

    def _check_names(self, manifests):
        nodes = list(self.node_plans) + [n.name for n in manifests.nodes
                                         if n.name not in self.node_plans]
        reserved = self.reserved_names() | set(nodes)
        for pod in manifests.pods:
            if pod.name in reserved:
                raise KubemnError("pod %r: the name is taken by a node or switch" % pod.name)
        for template in [p.template for p in manifests.pods] + \
                [d.template for d in manifests.deployments]:
            if template.node_name is not None and template.node_name not in nodes:
                raise KubemnError("nodeName %r: no such node (nodes: %s)"
                                  % (template.node_name, ", ".join(nodes)))
        for node in manifests.nodes:
            known = self.node_plans.get(node.name)
            if known is not None and node.pod_cidr not in (None, known.pod_cidr):
                raise KubemnError("node %s has podCIDR %s; a node's podCIDR cannot change"
                                  % (node.name, known.pod_cidr))

    def apply_text(self, text, source="<input>"):
        return self.apply(parse_texts([(source, text)]))

    def apply_files(self, paths):
        return self.apply(parse_files(paths))

    def apply(self, manifests):
        """Creates or updates the objects; returns kubectl's lines ('pod/x created').
        Everything is checked before anything changes."""
        self._check_names(manifests)
        if manifests.cluster is not None and manifests.cluster != self.manifests.cluster \
                and self.net is not None:
            raise KubemnError("a Cluster document cannot be applied to a running cluster")
        for pod in manifests.pods:
            if pod.name in self.pods and self.pods[pod.name].spec.template != pod.template:
                raise KubemnError('pod "%s" exists with another spec; pods are immutable: '
                                  'delete it first' % pod.name)
        for service in manifests.services:
            self.allocator.check(service)
        self._check_capacity(manifests)
        saved = (dict(self.deployments), dict(self.services), set(self.pods),
                 copy.deepcopy(self.allocator), dict(self.service_created),
                 set(self.node_plans))
        try:
            return self._apply_checked(manifests)
        except BaseException:
            # Nothing half-made: pods and nodes this apply created go, objects come back.
            self.deployments, self.services = dict(saved[0]), dict(saved[1])
            self.allocator, self.service_created = saved[3], saved[4]
            for name in [n for n in self.pods if n not in saved[2]]:
                self._delete_pod(name)
            added = [n for n in self.node_plans if n not in saved[5]]
            for name in added:
                self._forget_node(name)
            if added and self.net is not None:
                self.push_fabric_state()
            raise

    def _check_capacity(self, manifests):
        wanted = {}
        templates = [p.template for p in manifests.pods if p.name not in self.pods]
        for deployment in manifests.deployments:
            owned = sum(1 for p in self.pods.values() if p.spec.owner == deployment.name)
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

    def _apply_checked(self, manifests):
        lines = []
        for node in manifests.nodes:
            if node.name in self.node_plans:
                lines.append("node/%s unchanged" % node.name)
            else:
                self.add_node(node)
                lines.append("node/%s created" % node.name)
        for pod in manifests.pods:
            if pod.name in self.pods:
                lines.append("pod/%s unchanged" % pod.name)
            else:
                self._create_pod(pod)
                lines.append("pod/%s created" % pod.name)
        for deployment in manifests.deployments:
            old = self.deployments.get(deployment.name)
            self.deployments[deployment.name] = deployment
            self._reconcile_deployment(deployment)
            lines.append("deployment.apps/%s %s" % (deployment.name, _verb(old, deployment)))
        for service in manifests.services:
            old = self.services.get(service.name)
            self.allocator.allocate(service)
            self.services[service.name] = service
            self.service_created.setdefault(service.name, time.time())
            lines.append("service/%s %s" % (service.name, _verb(old, service)))
        self.wait_ready()
        return lines

    def delete(self, kind, name):
        kind = {"po": "pod", "pods": "pod", "deploy": "deployment",
                "deployments": "deployment", "svc": "service",
                "services": "service"}.get(kind, kind)
        if kind in ("node", "nodes", "no"):
            self.remove_node(name)
            return 'node "%s" deleted' % name
        if kind == "pod":
            pod = self.pod(name)
            self._delete_pod(name)
            if pod.spec.owner in self.deployments:
                self._reconcile_deployment(self.deployments[pod.spec.owner])
                self.wait_ready()
            return 'pod "%s" deleted' % name
        if kind == "deployment":
            if name not in self.deployments:
                raise KubemnError('deployments.apps "%s" not found' % name)
            del self.deployments[name]
            for pod_name in [p.name for p in self.pods.values() if p.spec.owner == name]:
                self._delete_pod(pod_name)
            return 'deployment.apps "%s" deleted' % name
        if kind == "service":
            if name not in self.services:
                raise KubemnError('services "%s" not found' % name)
            del self.services[name]
            del self.service_created[name]
            self.allocator.release(name)
            return 'service "%s" deleted' % name
        raise KubemnError('the server doesn\'t have a resource type "%s"' % kind)

    def scale(self, name, replicas):
        if name not in self.deployments:
            raise KubemnError('deployments.apps "%s" not found' % name)
        if not 0 <= replicas <= 1000:
            raise KubemnError("--replicas=%d: expected 0-1000" % replicas)
        self.deployments[name] = replace(self.deployments[name], replicas=replicas)
        self._reconcile_deployment(self.deployments[name])
        self.wait_ready()
        return "deployment.apps/%s scaled" % name

    def _reconcile_deployment(self, deployment):
        owned = [(p.name, p.spec, p.created) for p in self.pods.values()
                 if p.spec.owner == deployment.name]
        to_create, to_delete = replica_changes(deployment, owned, self.pods)
        for name in to_delete:
            self._delete_pod(name)
        for spec in to_create:
            self._create_pod(spec)

    def _create_pod(self, spec):
        counts = {n: 0 for n in self.pools}
        for pod in self.pods.values():
            counts[pod.node.name] += 1
        node_name = choose_node(spec.template.node_name, counts,
                                {n: p.free for n, p in self.pools.items()})
        ip = self.pools[node_name].allocate()
        pod = Pod(spec, self.net[node_name], ip, os.path.join(self.run_dir, "pods", spec.name))
        try:
            pod.start()
        except BaseException:
            self.pools[node_name].release(ip)
            raise
        self.pods[spec.name] = pod
        return pod

    def _delete_pod(self, name):
        pod = self.pods.pop(name)
        pod.stop()
        self.pools[pod.node.name].release(pod.ip)

    def wait_ready(self, timeout=READY_TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            waiting = [p for p in self.pods.values() if p.status() == "Running" and not p.ready()]
            if not waiting:
                return
            if time.monotonic() > deadline:
                raise KubemnError("pods not ready after %.0f s: %s"
                                  % (timeout, ", ".join(p.name for p in waiting)))
            time.sleep(0.01)

    def endpoints(self, service_name):
        service = self.services[service_name]
        return service_endpoints(service, [(p.name, p.node.name, p.ip, p.spec.template,
                                            p.ready()) for p in self.pods.values()])

    # --- running commands ---------------------------------------------------------
    def exec(self, pod_name, command, container=None, timeout=60, input=None):
        """Runs command (a string for sh -c, or an argv list) in the pod's namespaces;
        returns a CompletedProcess with text stdout and stderr."""
        pod = self.pod(pod_name)
        if container is not None and container not in pod.containers:
            raise KubemnError('container %s is not valid for pod %s' % (container, pod_name))
        argv = ["sh", "-c", command] if isinstance(command, str) else list(command)
        return subprocess.run(pod.nsenter_argv() + argv, capture_output=True, text=True,
                              timeout=timeout, input=input,
                              env=dict(os.environ, HOSTNAME=pod_name))

    def popen(self, pod_name, argv, **kwargs):
        """Starts argv in the pod's namespaces without waiting (a capture, a client)."""
        return subprocess.Popen(self.pod(pod_name).nsenter_argv() + list(argv), **kwargs)

    def node_exec(self, node_name, command, timeout=60):
        """Runs a shell command in a node's network namespace."""
        node = self.node(node_name)
        return subprocess.run(["nsenter", "-t", str(node.pid), "-n", "--", "sh", "-c", command],
                              capture_output=True, text=True, timeout=timeout)

    def logs(self, pod_name, container=None):
        pod = self.pod(pod_name)
        names = [c.name for c in pod.spec.template.containers]
        if container is None:
            if len(names) > 1:
                raise KubemnError("a container name must be specified for pod %s, choose one "
                                  "of: [%s]" % (pod_name, " ".join(names)))
            container = names[0]
        if container not in names:
            raise KubemnError("container %s is not valid for pod %s" % (container, pod_name))
        with open(pod.log_path(container), errors="replace") as handle:
            return handle.read()


def _verb(old, new):
    if old is None:
        return "created"
    return "unchanged" if old == new else "configured"


def progress_to_stderr(message):
    sys.stderr.write("kubemn: %s\n" % message)
    sys.stderr.flush()
