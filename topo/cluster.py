"""The running cluster: kubemn's API server, kubelet and controller manager in one.

    with Cluster(manifests, nodes=2) as cluster:
        cluster.apply_text(open("web.yaml").read())
        print(cluster.exec("web-0", "hostname").stdout)

start() builds everything or nothing: on any failure it tears down what it made.
stop() is safe to call at any point and more than once.
"""
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import replace

from mininet.log import setLogLevel

from services import corefile
from services.desired import service_states
from services.environment import service_environment
from topo.api import render
from topo.api.kubeconfig import new_token, write_kubeconfig, write_private
from topo.api.bootstrap_rbac import bootstrap_objects
from topo.api.resources import NAMESPACED, RESOURCES
from topo.api.server import ApiServer
from topo.api.status import ApiError
from topo.api.strategies import service as service_strategy
from topo.api.strategies import api_service as api_service_strategy
from topo.api.strategies import replication_controller as rc_strategy
from topo.api.strategies import daemon_set as ds_strategy
from topo.api.strategies import deployment as deployment_strategy
from topo.api.strategies import cron_job as cron_strategy
from topo.api.strategies import job as job_strategy
from topo.api.strategies import lease as lease_strategy
from topo.api.strategies import node as node_strategy
from topo.api.strategies import replica_set as rs_strategy
from topo.api.strategies import stateful_set as sts_strategy
from topo.api.strategies.config_map import RESOURCE as CONFIG_MAPS
from topo.api.strategies.network_policy import RESOURCE as POLICIES
from topo.errors import KubemnError
from topo.kubelet import dns_config
from topo.kubelet.dns_config import DnsConfigSync
from topo.kubelet.endpoints import log_name
from topo.kubelet.node_kubelet import NodeKubelet
from topo.kubelet.pod_sync import PodSync
from topo.kubelet.port import KubeletPort
from topo.kubelet.watch import Kubelet
from topo.manager.cluster_dns import ClusterDnsRecords
from topo.manager.daemons import DaemonSetController
from topo.manager.deployments import DeploymentController
from topo.manager.endpoints import EndpointsController, EndpointSliceController
from topo.manager.loop import ControlLoop, WholeSync
from topo.manager.pod_gc import PodGarbageCollector
from topo.manager.namespaces import NamespaceController
from topo.manager.garbage import GarbageCollector
from topo.manager.cron_jobs import CronJobController
from topo.manager.jobs import JobController
from topo.manager.replicas import ReplicationManager, replica_set_manager
from topo.manager.scheduler import Scheduler
from topo.manager.disruption import DisruptionController
from topo.manager.quota import QuotaController
from topo.manager.revisions import History
from topo.manager.root_ca import RootCAPublisher
from topo.manager.service_accounts import ServiceAccountsController
from topo.manager.stateful_sets import StatefulSetController
from topo.objects import READY_TIMEOUT, Objects
from topo.observe.collector import FlowCollector
from topo.observe.flow_log import names_of, service_addresses
from topo.plan.addons import dns_addon, dns_ip
from topo.plan.fabric import plan_fabric, switch_for_new_node
from topo.plan.internet_zone import node_resolv_conf
from topo.plan.ipam import PodAddressPool, plan_addresses, plan_node
from topo.plan.manifest import FABRICS, parse_files
from topo.plan.servers import HEAD, PLACERS, parse_servers
from topo.plan.model import ClusterSpec, Manifests, NodeSpec
from topo.plan.naming import RUN_DIR_ROOT, RUN_MARKER
from topo.plan.pod_dns import resolv_conf as pod_resolv_conf
from topo.policy.enforcer import PolicyEnforcer
from topo.proxy.programmer import FabricProgrammer
from topo.runtime import cleanup, run_root
from topo.runtime.conntrack import Janitor
from topo.runtime.controller import ControllerProcess, free_port
from topo.runtime.forked import ForkServer
from topo.runtime.internet import InternetServers
from topo.runtime.machines import Machines
from topo.runtime.network import (INTERNET_HOST, build_network, fabric_state,
                                  plug_node, unplug_node)
from topo.runtime.processes import stop_pids, wait_until
from topo.runtime.runlock import RunLock
from topo.runtime.vswitch import Vswitch, nats_as_linux
from topo.runtime.files import replace_file
from topo.servers.over_servers import OverServers
from topo.ui.server import UI_URL_FILE, BrowserView

SERVERS_VARIABLE, PLACER_VARIABLE = "KUBEMN_SERVERS", "KUBEMN_PLACER"
REVISIONS = "controllerrevisions.apps"   # the StatefulSets' and DaemonSets' history
FABRIC_TIMEOUT = 30.0


def cluster_spec(manifests, nodes=None, fabric=None, servers=None, placer=None):
    """The Cluster document (or defaults), with command-line overrides applied."""
    spec = manifests.cluster or ClusterSpec()
    # The defaults for every run of a shell (`make test-servers` sets them).
    servers = servers or os.environ.get(SERVERS_VARIABLE) or None
    placer = placer or os.environ.get(PLACER_VARIABLE) or None
    if servers is not None:
        spec = replace(spec, servers=parse_servers(servers))
    if placer is not None:
        if placer not in PLACERS:
            raise KubemnError("--placer %r: expected one of %s" % (placer, ", ".join(PLACERS)))
        spec = replace(spec, placer=placer)
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


class Cluster(Objects, OverServers):
    def __init__(self, manifests=None, nodes=None, fabric=None, clean=False,
                 progress=None, servers=None, placer=None):
        """servers: 'head,server2,...' (the nodes placed over them by placer)."""
        self.manifests = manifests or Manifests()
        self.spec = cluster_spec(self.manifests, nodes, fabric, servers, placer)
        self.addresses = plan_addresses(self.spec)
        self.node_plans = {n.name: n for n in self.addresses.nodes}
        self.fabric = plan_fabric(self.spec.fabric, list(self.node_plans), self.spec.servers,
                                  self.spec.placer)
        self.attachments = dict(self.fabric.attachments)
        self.node_created = {name: time.time() for name in self.node_plans}
        self.clean_first = clean
        self.progress = progress or (lambda message: None)
        self.run_id = uuid.uuid4().hex[:8]
        self.service_account_key = os.urandom(32)   # signs the pods' projected tokens
        self.run_dir = os.path.join(RUN_DIR_ROOT, self.run_id)
        self.dns_records_path = os.path.join(self.run_dir, "dns-records.json")
        self.flow_log_socket = os.path.join(self.run_dir, "flow-log.sock")
        self.dns_config = DnsConfigSync(os.path.join(self.run_dir, "dns-settings.json"),
                                        self.mirror_file)
        self.run_lock = RunLock()
        self.net = None
        self.vswitch = Vswitch(self.run_dir)
        # The stand-ins' containers fork from it (topo/runtime/fork_server.py).
        self.fork_server = ForkServer(os.path.join(self.run_dir, "fork-server.log"))
        self.servers = None        # RunServers, over several servers
        self.remote_forks = {}     # server name -> its RemoteForkServer (kubemn's agent)
        self.placement = None      # where the network's parts run (topo/runtime/network.py)
        self.controller = None
        self.internet_servers = None
        self.api = None
        self.control_loops = []
        self.kubelet_ports = {}   # node -> its KubeletPort (nodes/NAME/proxy)
        self.slices_loop = self.endpoints_loop = self.dns_loop = self.policy_loop = None
        self.owner_loops = []   # the controllers that make pods, owners first
        self.policy_enforcer = PolicyEnforcer(self)
        self.kubeconfig = None
        self.generation = 0
        self.pools = {n.name: PodAddressPool(n.pod_cidr) for n in self.addresses.nodes}
        # Each node's kubelet, its pods keyed by ref: 'name' in the default
        # namespace, 'namespace/name' elsewhere; its watch of the store, once running.
        self.node_kubelets = {name: NodeKubelet(name, self) for name in self.node_plans}
        self.kubelet_loops = {}   # node -> ControlLoop of its PodSync
        self.starts_held = 0    # kubemn's own applies that hold the kubelet's starts
        self.announced_stand_ins = set()   # (image, args) kubemn said it stands in for
        self.service_envs = {}   # namespace -> (Services' revision, its pods' variables)
        self.created = time.time()
        self.lock = threading.RLock()
        # kubemn's kube-proxy: Services and endpoints to the controller and the DNS.
        self.programmer = FabricProgrammer(self._push_services, self.lock, self.progress)
        self.kubelet = Kubelet(self)
        self.flow_collector = None   # the flow log's, from the first observe on
        self.view = None             # the browser view, from the first browser_view() on
        self.janitor = Janitor()
        self._check(self.manifests)
        self._check_services()

    def _check_services(self):
        """The add-ons' and the manifests' Services, allocated together before anything
        runs: a clash is one line now, not a cluster started and stopped."""
        objects = self._dns_addon().api_objects + self.manifests.api_objects
        try:
            service_strategy.check_together([o for o in objects if o["kind"] == "Service"],
                                            self.spec.service_cidr,
                                            self.spec.load_balancer_cidr)
        except ApiError as exc:
            raise KubemnError(exc.message) from None

    def _dns_addon(self):
        """Cluster DNS, the `kubernetes` Service, the aggregator's Local APIServices of
        the group versions the API serves, and the bootstrap ClusterRoles."""
        addon = dns_addon(self.spec.service_cidr, self.dns_records_path,
                          self.dns_config.path)
        served = {(r.group, r.version) for r in RESOURCES}
        return replace(addon, api_objects=addon.api_objects + tuple(
            api_service_strategy.built_in(served)) + tuple(bootstrap_objects()))

    @classmethod
    def from_files(cls, paths, **kwargs):
        return cls(parse_files(paths), **kwargs)

    # --- life cycle ------------------------------------------------------------
    def __enter__(self):
        # `with Cluster(...).start() as cluster:` is one cluster, stopped at the end.
        return self if self.running else self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def running(self):
        return self.net is not None

    def start(self):
        if self.running:
            raise KubemnError("this cluster is running already")
        self.run_lock.acquire()
        try:
            self._refuse_leftovers()
            os.environ[RUN_MARKER] = self.run_id
            run_root.make_root()
            os.makedirs(self.run_dir)
            self.vswitch.start()   # marked as the run's: cleanup finds it after a crash
            self.progress("running " + self.vswitch.describe())
            self.fork_server.start()   # it imports while the rest starts
            self.start_servers()
            setLogLevel("output")
            # The API's store first: every component after it meets there.
            self._start_api()
            self.progress("starting the Ryu controller")
            self.controller = ControllerProcess(os.path.join(self.run_dir, "controller.log"),
                                                self.flow_log_socket,
                                                self.placement.controller_ip)
            self.controller.start()
            if self.servers is not None:
                self.servers.guard((self.controller.of_port, self.controller.closing_port))
            self.progress("starting %d nodes on the %s fabric%s"
                          % (len(self.node_plans), self.spec.fabric, self.over_servers()))
            self.net = build_network(self.fabric, self.node_plans.values(), self.attachments,
                                     self.addresses, self.controller, self.placement)
            self.push_state()
            self.progress("waiting for the fabric to forward")
            self._wait_fabric(self.nodes() + [self.net[INTERNET_HOST]])
            for name in self.node_plans:
                self._open_kubelet_port(name)
            self.internet_servers = InternetServers(
                self.net[INTERNET_HOST], self.addresses.internet.ip, self.run_dir).start()
            self.progress("starting cluster DNS and pods")
            self.kubelet.start()   # it starts the pods the controllers make
            self.apply(self._dns_addon())
            self.apply(self.manifests)
            self.wait_all_ready()
            self.progress("serving the Kubernetes API")
            self.kubeconfig = write_kubeconfig(self.run_dir, self.api.url, self.api.token,
                                               self.api.cert)
        except BaseException:
            self.stop()
            raise
        return self

    def _start_api(self):
        self.api = ApiServer(self, new_token(), free_port(), self.run_dir)
        for name, kubelet in self.node_kubelets.items():
            kubelet.register(self.api.store, self.node_plans[name].pod_cidr,
                             self.node_created[name])
            kubelet.start_reporting(self.api.store, self.api.recorder.record,
                                    self.write_lease)
        self.api.start()
        self.api.registry.apply_objects([corefile.configmap(render.timestamp(self.created))])
        self._start_controllers()

    def write_lease(self, lease, new):
        """A node's kubelet's write of its Lease, through the API."""
        registry, namespace = self.api.registry, lease["metadata"]["namespace"]
        if new:
            registry.create_content(lease_strategy.RESOURCE, namespace, lease)
        else:
            registry.update_content(lease_strategy.RESOURCE, namespace, lease)

    def report_status(self):
        """Every node's kubelet writes what it observes now (a caller that reads the
        pods' readiness in the store next)."""
        for kubelet in list(self.node_kubelets.values()):
            kubelet.report_status()

    def _refuse_leftovers(self):
        found = cleanup.leftovers()
        found.pop(cleanup.SERVERS_KIND)   # the servers a run may run over
        if any(found.values()):
            if not self.clean_first:
                raise KubemnError("leftovers of an earlier kubemn run (%s): run `make clean` "
                                  "or `make run-topology ARGS=--clean`" % cleanup.describe(found))
            self.progress("removing leftovers of an earlier run: " + cleanup.describe(found))
            cleanup.clean(servers=False)

    def _start_controllers(self):
        """The controllers that watch the API's store (topo/manager), and the fabric
        programmer (topo/proxy), which follows the Services and EndpointSlices."""
        store, registry = self.api.store, self.api.registry
        namespaces = NamespaceController(store, registry.delete_content, NAMESPACED,
                                         registry.NAMESPACE_CONTENT)
        self.slices_loop = ControlLoop(store, EndpointSliceController(store),
                                       report=self.progress)
        self.endpoints_loop = ControlLoop(store, EndpointsController(store),
                                          report=self.progress)
        self.dns_loop = ControlLoop(store, ClusterDnsRecords(store, self.write_dns_records),
                                    report=self.progress)
        pod_writes = (
            lambda namespace, bodies: registry.create_contents("pods", namespace, bodies),
            lambda namespace, body, owner: registry.update_content("pods", namespace, body,
                                                                   owner),
            lambda namespace, name: registry.delete_content("pods", namespace, name))
        replicas = ReplicationManager(store, *pod_writes)
        replica_sets = replica_set_manager(store, *pod_writes)
        deployments = DeploymentController(store, registry.create_content,
                                           registry.update_content, registry.delete_content,
                                           self.api.recorder.record, time.time)
        accounts = ServiceAccountsController(
            store, lambda namespace, body: registry.create_content("serviceaccounts",
                                                                   namespace, body))
        with open(self.api.cert) as handle:
            root_ca = RootCAPublisher(store, handle.read(), lambda namespace, body, exists: (
                registry.update_content if exists else registry.create_content)(
                    "configmaps", namespace, body))
        one_pod = (lambda namespace, body: registry.create_contents("pods", namespace, [body]),
                   lambda namespace, name: registry.delete_content("pods", namespace, name))
        history = History(
            store,
            lambda namespace, body: registry.create_content(REVISIONS, namespace, body),
            lambda namespace, body: registry.update_content(REVISIONS, namespace, body),
            lambda namespace, name: registry.delete_content(REVISIONS, namespace, name))
        daemons = DaemonSetController(store, *one_pod, history)
        stateful_sets = StatefulSetController(store, *one_pod, self.api.recorder.record,
                                              time.time, history)
        garbage = GarbageCollector(store, {rc_strategy.KIND: rc_strategy.RESOURCE,
                                           ds_strategy.KIND: ds_strategy.RESOURCE,
                                           rs_strategy.KIND: rs_strategy.RESOURCE,
                                           job_strategy.KIND: job_strategy.RESOURCE,
                                           cron_strategy.KIND: cron_strategy.RESOURCE,
                                           deployment_strategy.KIND:
                                           deployment_strategy.RESOURCE,
                                           sts_strategy.KIND: sts_strategy.RESOURCE,
                                           node_strategy.KIND: node_strategy.RESOURCE},
                                   ("pods", rs_strategy.RESOURCE, job_strategy.RESOURCE,
                                    lease_strategy.RESOURCE, REVISIONS),
                                   registry.delete_content)
        self.programmer.start(store)
        jobs = JobController(store, pod_writes[0], pod_writes[2], time.time)
        cron_jobs = CronJobController(store, registry.create_content, registry.delete_content,
                                      time.time)
        # The scheduler and the kubelets last: they take the pods the others make.
        self.owner_loops = [ControlLoop(store, controller, report=self.progress)
                            for controller in (deployments, replica_sets, replicas,
                                               stateful_sets, daemons, cron_jobs, jobs,
                                               Scheduler(store, registry.bind,
                                                         self.api.recorder.record,
                                                         time.time))]
        machines = Machines(store, self, lambda node, cidr: registry.update_content(
            node_strategy.RESOURCE, "", dict(node, spec=dict(node["spec"], podCIDR=cidr))),
            self.api.recorder.record, time.time)
        self.control_loops = [ControlLoop(store, namespaces, report=self.progress),
                              ControlLoop(store, machines, report=self.progress),
                              self.slices_loop, self.endpoints_loop, self.dns_loop,
                              ControlLoop(store, garbage, report=self.progress),
                              ControlLoop(store, accounts, report=self.progress),
                              ControlLoop(store, root_ca, report=self.progress),
                              ControlLoop(store, DisruptionController(store, time.time),
                                          report=self.progress),
                              ControlLoop(store, QuotaController(
                                  store, registry.namespace_objects), report=self.progress),
                              ControlLoop(store, self.programmer, report=self.progress),
                              ControlLoop(store, PodGarbageCollector(
                                  store, lambda namespace, name: registry.delete_content(
                                      "pods", namespace, name, grace=0)),
                                  report=self.progress)] + self.agent_loops(store) + \
            self.owner_loops
        for loop in self.control_loops:
            loop.start()
        for name in self.node_kubelets:
            self._watch_for_kubelet(name)

    def agent_loops(self, store):
        """The node agents that follow the store as a whole: the policy agent's tables
        the pods, namespaces and NetworkPolicies (as a CNI's agent does from its
        watch), the DNS pods' settings the coredns ConfigMap (as through a ConfigMap
        volume)."""
        self.dns_config.sync(store)   # before the DNS pods start
        self.policy_loop = ControlLoop(store, WholeSync(
            ("pods", "namespaces", POLICIES), lambda: self.policy_enforcer.sync(store)),
            report=self.progress)
        corefile_loop = ControlLoop(store, WholeSync(
            (CONFIG_MAPS,), lambda: self.dns_config.sync(store), dns_config.concerns),
            report=self.progress)
        return [self.policy_loop, corefile_loop]

    def _watch_for_kubelet(self, name):
        """Node name's kubelet watches the pods bound to it from now on."""
        loop = ControlLoop(self.api.store, PodSync(self.api.store, self.node_kubelets[name]),
                           report=self.progress)
        self.kubelet_loops[name] = loop.start()

    @property
    def workload_loops(self):
        """The loops that make and start pods, owners first, then the scheduler and
        the nodes' kubelets."""
        return self.owner_loops + list(self.kubelet_loops.values())

    @property
    def pods(self):
        """Every node's running pods, by ref, node by node in the order each started
        them (a copy: the kubelets change their own meanwhile)."""
        return {r: p for k in list(self.node_kubelets.values()) for r, p in dict(k.pods).items()}

    @property
    def pending(self):
        """Every node's pods waiting to start, by ref."""
        return {r: w for k in list(self.node_kubelets.values())
                for r, w in dict(k.pending).items()}

    @property
    def retiring(self):
        """Every node's draining pods: [(deadline, Pod)]."""
        return [entry for k in list(self.node_kubelets.values()) for entry in list(k.retiring)]

    def stop(self):
        """Tears everything down: pods, nodes, switches, controller, files."""
        for loop in self.control_loops + list(self.kubelet_loops.values()):
            loop.stop()
        self.control_loops, self.owner_loops, self.kubelet_loops = [], [], {}
        for kubelet in self.node_kubelets.values():
            kubelet.stop_reporting()
        self.stop_browser_view()   # it follows the API's store and the flow log
        self.stop_flow_log()
        if self.api is not None:
            self.api.stop()
            self.api = None
        self.kubelet.stop()
        self.programmer.stop()
        self.slices_loop = self.endpoints_loop = self.dns_loop = self.policy_loop = None
        # The node namespaces, veths included, go with the nodes below.
        for kubelet in self.node_kubelets.values():
            kubelet.stop_all(unplug=False)
        self.fork_server.stop()
        for fork in self.remote_forks.values():
            fork.stop()
        self.remote_forks = {}
        if self.internet_servers is not None:
            self.internet_servers.stop()
            self.internet_servers = None
        for port in self.kubelet_ports.values():
            port.stop()
        self.kubelet_ports = {}
        if self.net is not None:
            shells = [node.shell for node in self.net.values() if node.shell]
            self.net.stop()
            for controller in self.net.controllers:
                controller.terminate()  # a RemoteController's stop() leaves its shell
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
            self.janitor.drain()
        if self.servers is not None:   # tunnels, Open vSwitch, what is left there
            self.servers.stop()
            self.servers = None
        # Its bridges, ports and conntrack go with it.
        self.vswitch.stop()
        # What a user left running in a pod or node (`client1 sleep 600 &`) goes too.
        stop_pids(cleanup.marked_processes(self.run_id), cleanup.KILL_GRACE_SECONDS)
        if os.environ.get(RUN_MARKER) == self.run_id:
            del os.environ[RUN_MARKER]
        shutil.rmtree(self.run_dir, ignore_errors=True)
        if os.path.isdir(RUN_DIR_ROOT) and not os.listdir(RUN_DIR_ROOT):
            run_root.remove_root()
        self.run_lock.release()

    # --- cluster DNS -------------------------------------------------------------
    def pod_dns(self, spec):
        """The pod's resolv.conf, as the kubelet writes it for its dnsPolicy; a node's
        own resolv.conf names the internet host's DNS server (the machine's own
        resolver is out of the emulated network's reach, and must stay so)."""
        return pod_resolv_conf(spec.template.dns, spec.namespace,
                               dns_ip(self.spec.service_cidr),
                               node_resolv_conf(self.addresses.internet.ip))

    def service_env(self, namespace):
        """The Service variables of a pod starting in namespace now (a thousand pods
        starting compute them once while the Services stay as they are)."""
        store = self.api.store
        revision = store.changed_at(service_strategy.RESOURCE)
        known = self.service_envs.get(namespace)
        if known is None or known[0] != revision:
            known = self.service_envs[namespace] = (
                revision, service_environment(store.list(service_strategy.RESOURCE)[1], namespace))
        return known[1]

    def write_dns_records(self, records):
        """Rewrites the records the cluster DNS pods serve (atomically: they read it
        whenever it changes); the cluster DNS controller's write."""
        text = json.dumps(records, indent=1, sort_keys=True)
        replace_file(self.dns_records_path, text)
        self.mirror_file(self.dns_records_path, text)

    # --- fabric ----------------------------------------------------------------
    def desired_state(self, served=None):
        """The controller's whole desired state: fabric, internet host, and the
        Services as the API serves them (served, or read now)."""
        state = fabric_state(self.net, self.fabric, self.node_plans.values(), self.attachments,
                             self.addresses, self.generation)
        state["services"], state["endpoint_sets"] = service_states(
            self.programmer.read() if served is None else served, set(self.node_plans))
        state["linux_nat"] = nats_as_linux(self.vswitch.version)
        return state

    def _push_services(self):
        """The fabric programmer's push: the Services and EndpointSlices the API serves,
        in the controller's whole desired state."""
        if self.net is not None:
            self.push_state(self.programmer.read())

    def push_state(self, served=None):
        """Sends the full desired state to the controller and waits until every
        switch has converged to it."""
        with self.lock:
            self.generation += 1
            self.controller.push(self.desired_state(served))
            self.controller.wait_synced(self.generation, [d for _, d in self.fabric.switches])

    # --- flow log ----------------------------------------------------------------
    def flow_log(self):
        """The flow log's collector (topo/observe), started at the first call."""
        with self.lock:
            if self.flow_collector is None:
                collector = FlowCollector(
                    lambda: [(n.name, n.pid) for n in self.nodes()], self.address_names,
                    {dpid: name for name, dpid in self.fabric.switches}, self.flow_log_socket,
                    self.translated_sources, self.switches_conntrack,
                    lambda name: self.remote_forks.get(self.server_of(name)))
                for fork in self.remote_forks.values():   # their nodes' reads come here
                    fork.flows_to = collector.heard
                self.flow_collector = collector.start()
            return self.flow_collector

    def watch_inside(self, key):
        """The flow log logs the connections the pod makes to itself (its loopback)
        from now on (topo/observe/inside_pod.py); (its namespace/name, whether it was
        not watched before)."""
        pod = self.pod(key)
        ref = "%s/%s" % (pod.namespace, pod.name)
        if pod.sandbox_pid is None:
            raise KubemnError("pod %s has no sandbox yet" % ref)
        if pod.machine.remote:
            raise KubemnError("pod %s runs on %s: inside a pod, the flow log watches "
                              "the head's pods only, so far" % (ref, pod.machine.server.name))
        try:
            return ref, self.flow_log().watch_inside(ref, pod.node.name, pod.ip,
                                                     pod.sandbox_pid)
        except OSError as exc:   # it went meanwhile
            raise KubemnError("watching inside pod %s: %s" % (ref, exc)) from None

    def watch_inside_if_a_pod(self, key):
        """watch_inside for an observe asked about key: (ref, newly), or None where key
        names no pod (of no namespace yet, or gone: its filter still applies)."""
        try:
            return self.watch_inside(key)
        except KubemnError:
            return None

    def stop_flow_log(self):
        """The flow log's collector stops (the next flow_log() starts another)."""
        with self.lock:
            collector, self.flow_collector = self.flow_collector, None
        if collector is not None:
            for fork in self.remote_forks.values():
                fork.flows_to = None
            collector.stop()

    def translated_sources(self):
        """The sources the fabric's NAT gives: the nodes' addresses, the hairpin's."""
        return {n.ip for n in self.node_plans.values()} | {self.addresses.masquerade_ip}

    # --- browser view ---------------------------------------------------------------
    def browser_view(self):
        """The browser view (topo/ui), started at the first call; its URL, with the
        token, is also in the run's directory (ui-url, mode 0600) for `kubemn ui`."""
        with self.lock:
            if self.view is None:
                self.view = BrowserView(self).start()
                write_private(os.path.join(self.run_dir, UI_URL_FILE), self.view.url + "\n")
            return self.view

    def stop_browser_view(self):
        with self.lock:
            view, self.view = self.view, None
        if view is not None:
            view.stop()

    def address_names(self):
        """{address: name} of the pods, Services, nodes and the internet host now, and
        {(address, port, protocol): name} of the NodePorts."""
        node_ips = [n.ip for n in self.node_plans.values()]
        services, frontends = service_addresses(
            self.api.store.list("services")[1] if self.api else [], node_ips)
        return names_of([(p.ip, p.namespace, p.name) for p in self.pods.values()], services,
                        [(n.name, [n.ip, n.bridge_ip]) for n in self.node_plans.values()],
                        self.addresses.internet.ip, frontends)

    def wait_all_ready(self, timeout=READY_TIMEOUT):
        """Waits for readinessProbes to pass; pods still not ready after timeout are
        named, not fatal: a probe may be meant to fail."""
        def unready():
            with self.lock:
                return [p.ref for p in self.pods.values() if p.running() and not p.is_ready]
        if not wait_until(lambda: not unready(), timeout, longest_pause=0.02):
            self.progress("not ready after %.0f s: %s" % (timeout, ", ".join(unready())))

    def restart_controller(self):
        """Starts the controller again and re-sends the desired state; the switches
        keep their flows meanwhile, and established connections their conntrack."""
        with self.lock:
            self.controller.restart()
            self.push_state()

    def check_controller(self):
        """Called by the kubelet: a controller that died is noticed and restarted."""
        if self.controller is not None and not self.controller.alive():
            self.progress("the Ryu controller died (exit %s); restarting it"
                          % self.controller.process.returncode)
            self.restart_controller()
            self.progress("the Ryu controller is back; desired state re-sent")

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

    def machines(self):
        """The nodes that have a machine (a Mininet host, planned or running)."""
        return list(self.node_plans)

    def admit_node(self, spec):
        """The machine's admission of a new Node (the API's registry asks): a name no
        node, switch or host has, and room for it in the address plan. Raises
        KubemnError. Not under the cluster's lock (the registry's holder never waits
        for it): add_node checks again under it."""
        if spec.name in self.reserved_names():
            raise KubemnError("node %r: the name is taken" % spec.name)
        plan_node(self.spec, list(self.node_plans.values()), spec)

    @staticmethod
    def admit_node_removal(name, stored):
        """A cluster keeps one node at least (stored: the Nodes there are)."""
        if not [n for n in stored if n["metadata"]["name"] != name]:
            raise KubemnError("node %s is the cluster's last node" % name)

    def add_node(self, spec):
        """Plans, builds and plugs in one more node (the node provisioner's, for a Node
        stored without a machine); routing follows. Undone if it fails half-way."""
        with self.lock:
            if spec.name in self.reserved_names():
                raise KubemnError("node %r: the name is taken" % spec.name)
            plan = plan_node(self.spec, list(self.node_plans.values()), spec)
            switch = switch_for_new_node(self.fabric, self.attachments)
            self.node_plans[plan.name] = plan
            self.attachments[plan.name] = switch
            self.pools[plan.name] = PodAddressPool(plan.pod_cidr)
            self.node_created[plan.name] = time.time()
            try:
                node = plug_node(self.net, plan, switch, self.addresses, self.placement)
                self.push_state()
                self._wait_fabric([node])
                self._open_kubelet_port(plan.name)
            except BaseException:
                self.forget_node(plan.name)
                raise
            kubelet = self.node_kubelets[plan.name] = NodeKubelet(plan.name, self)
            kubelet.start_reporting(self.api.store, self.api.recorder.record,   # Ready
                                    self.write_lease)
            self._watch_for_kubelet(plan.name)
            return plan

    def remove_node(self, name):
        """Stops the node's kubelet and its pods (each leaving the endpoints first),
        unplugs it, and routes its PodCIDR no more (the node provisioner's, for a Node
        deleted; the pod garbage collector deletes its pods from the store, and a
        Deployment's are made again elsewhere)."""
        self.node(name)
        loop = self.kubelet_loops.pop(name, None)
        if loop is not None:   # outside the lock: its step may be waiting for it
            loop.stop()
        with self.lock:
            kubelet = self.node_kubelets.pop(name)
            for key in list(kubelet.pods):
                kubelet.delete_pod(key)
            kubelet.stop_all()
            kubelet.stop_reporting()
            self.forget_node(name)
            self.push_state()
            self.settle()

    def _open_kubelet_port(self, name):
        if self.server_of(name) != HEAD:
            return   # its socket would be made in the node's namespace, from here
        self.kubelet_ports[name] = KubeletPort(name, self.net[name].pid,
                                               self.node_plans[name].ip, self.api.cert,
                                               self.api.key, self._kubelet_view)

    def _kubelet_view(self, node):
        """What node's kubelet port serves: its pods as the API serves them, and its
        containers' log files."""
        pods = [p for p in self.api.store.list("pods")[1] if p["spec"].get("nodeName") == node]
        kubelet = self.node_kubelets.get(node)
        logs = {log_name(p.namespace, p.name, c.name): p.log_path(c.name)
                for p in (list(kubelet.pods.values()) if kubelet else ())
                for c in p.spec.template.containers}
        return pods, logs

    def forget_node(self, name):
        port = self.kubelet_ports.pop(name, None)
        if port is not None:
            port.stop()
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
        """Names that the CLI resolves to a node, switch or host."""
        return set(self.node_plans) | {n for n, _ in self.fabric.switches} | {
            "c0", "c1", INTERNET_HOST}

    def exec(self, pod_ref, command, container=None, timeout=60, input=None,
             machine_tools=False):
        """Runs command (a string for sh -c, or an argv list) in the pod's namespaces,
        with the container's environment (its image's tools first on the PATH, as
        `kubectl exec`), or with machine_tools the machine's own (as the CLI's
        `<pod> <command>`); returns a CompletedProcess with text stdout and stderr.
        pod_ref: 'name' in the default namespace, 'namespace/name' elsewhere."""
        pod = self.pod(pod_ref)
        if container is not None and container not in pod.containers:
            raise KubemnError('container %s is not valid for pod %s' % (container, pod.name))
        argv, env = pod.exec_command(container, ["sh", "-c", command]
                                     if isinstance(command, str) else command)
        # Standard input is the command's only when given (a script's next lines are not).
        stdin = {"input": input} if input is not None else {"stdin": subprocess.DEVNULL}
        return subprocess.run(argv, capture_output=True, text=True, errors="replace",
                              timeout=timeout, **stdin, env=None if machine_tools else env)

    def popen(self, pod_ref, argv, **kwargs):
        """Starts argv in the pod's namespaces without waiting (a capture, a client)."""
        return subprocess.Popen(self.pod(pod_ref).nsenter_argv() + list(argv), **kwargs)

    def node_exec(self, node_name, command, timeout=60):
        """Runs a shell command in a node's network namespace."""
        return subprocess.run(self.node_enter(node_name) + ["sh", "-c", command],
                              capture_output=True, text=True, timeout=timeout)

    def logs(self, pod_ref, container=None):
        pod = self.pod(pod_ref)
        names = [c.name for c in pod.spec.template.containers]
        if container is None:
            if len(names) > 1:
                raise KubemnError("a container name must be specified for pod %s, choose one "
                                  "of: [%s]" % (pod.name, " ".join(names)))
            container = names[0]
        if container not in names:
            raise KubemnError("container %s is not valid for pod %s" % (container, pod.name))
        return pod.read_log(container).decode(errors="replace")


def progress_to_stderr(message):
    sys.stderr.write("kubemn: %s\n" % message)
    sys.stderr.flush()
