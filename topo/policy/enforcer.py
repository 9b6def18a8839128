"""The policy controller: after every change the API publishes, it compiles the
cluster's NetworkPolicies into each node's table and loads the tables that changed
(`nft -f`, atomic), as a CNI's policy agent does from its watch."""
import threading

from topo.api.strategies.network_policy import RESOURCE as POLICIES
from topo.errors import KubemnError
from topo.policy.view import cluster_view, node_tables
from topo.runtime import shell


class PolicyEnforcer:
    def __init__(self, cluster):
        self.cluster = cluster
        self.lock = threading.Lock()
        self.loaded = {}   # node name -> the table text it holds

    def view(self, store):
        return cluster_view(store.list("pods")[1], store.list("namespaces")[1],
                            store.list(POLICIES)[1])

    def sync(self, store):
        """Loads every node's table that differs from what it holds."""
        with self.lock:
            net = self.cluster.net
            if net is None:
                return   # no nodes yet: the publication after they start loads them
            pods, namespaces, policies = self.view(store)
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
