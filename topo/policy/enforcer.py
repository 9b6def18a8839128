"""The policy controller: after every change of the pods, namespaces and
NetworkPolicies in the store (its watch: the cluster's agent_loops), it compiles the
cluster's NetworkPolicies into each node's table and loads the tables that changed
(`nft -f`, atomic), as a CNI's policy agent does from its watch.

A new pod's first packet must meet its policies too: as a CNI plugin's ADD returns
only once the pod's network is whole, the kubelet hands the controller each pod whose
sandbox is up (admit) and starts its containers after the tables know it. An admitted
pod counts until the store shows it, or until it goes (forget)."""
import threading

from topo.api.strategies.network_policy import RESOURCE as POLICIES
from topo.errors import KubemnError
from topo.policy.clauses import PodInfo
from topo.policy.view import cluster_view, node_tables, with_starting
from topo.runtime import shell


def starting_pod_info(pod):
    """PodInfo of a kubelet Pod whose sandbox is up."""
    ports = tuple((port.name, port.protocol, port.container_port)
                  for container in pod.spec.template.containers for port in container.ports)
    return PodInfo(pod.spec.namespace, pod.spec.name, pod.ip, pod.node.name,
                   tuple(sorted(dict(pod.labels).items())), ports)


def _stored(store, for_tables=False):
    """(pods, namespaces, policies) as the store has them; for_tables: no pods if there
    is no policy (the tables then name no pod: a thousand pods' statuses cost nothing)."""
    policies = store.list(POLICIES)[1]
    pods = store.list("pods")[1] if policies or not for_tables else ()
    return cluster_view(pods, store.list("namespaces")[1], policies)


def _shown_ip(store, pod):
    """The address the store shows for the pod (a PodInfo), if any."""
    stored = store.get("pods", pod.namespace, pod.name)
    return stored and (stored.get("status") or {}).get("podIP")


class PolicyEnforcer:
    def __init__(self, cluster):
        self.cluster = cluster
        self.lock = threading.Lock()
        self.loaded = {}     # node name -> the table text it holds
        self.starting = {}   # pod ref -> PodInfo: admitted, not yet in the store

    def view(self, store):
        pods, namespaces, policies = _stored(store)
        with self.lock:
            return with_starting(pods, self.starting.values()), namespaces, policies

    def admit(self, pods):
        """Loads the tables with these pods in them (their containers not started).
        Without NetworkPolicies the tables name no pod: nothing to load."""
        with self.lock:
            self.starting.update((info.ref, info) for info in map(starting_pod_info, pods))
        api = self.cluster.api
        if api is not None and api.store.list(POLICIES)[1]:
            self.sync(api.store)

    def forget(self, pods):
        """Admitted pods that did not start, or went before the store showed them."""
        with self.lock:
            for pod in pods:
                self.starting.pop(pod.ref, None)

    def sync(self, store):
        """Loads every node's table that differs from what it holds."""
        pods, namespaces, policies = _stored(store, for_tables=True)
        with self.lock:
            for ref, pod in list(self.starting.items()):   # the store shows it now
                if _shown_ip(store, pod) == pod.ip:
                    del self.starting[ref]
            # Without a policy the tables name no pod, starting or not.
            pods = with_starting(pods, self.starting.values()) if policies else []
            net = self.cluster.net
            if net is None:
                return   # no nodes yet: the sync after they start loads them
            plans = list(self.cluster.node_plans.values())
            addresses = self.cluster.addresses
            tables = node_tables(plans, (addresses.pod_cidr, addresses.service_cidr),
                                 addresses.masquerade_ip, pods, namespaces, policies)
            for name, text in tables.items():
                if self.loaded.get(name) == text:
                    continue
                node = net[name] if name in net else None
                if node is None:
                    continue
                try:
                    shell.run_input(node, "nft -f -", text)
                except KubemnError:
                    if name in net:
                        raise
                    continue   # the node left while its table was made
                self.loaded[name] = text
            for gone in set(self.loaded) - set(tables):
                del self.loaded[gone]
