"""The machines behind the Nodes, as a cloud provider's node controller keeps them: a
Node stored without a machine gets one (a Mininet host plugged into the fabric, its
podCIDR allocated and written into its spec, as the node IPAM controller writes it),
and its kubelet reports it Ready; a machine whose Node is gone is unplugged, and its
pods go with it. A Node no machine can be made for stays NotReady, with an event that
says why; it is tried again when it changes."""
from topo.api.events import machine_failed
from topo.errors import KubemnError
from topo.plan.model import NodeSpec

NODES = "nodes"


class Machines:
    watches = (NODES,)

    def __init__(self, store, cluster, write_pod_cidr, record, now):
        """cluster: what machines() (the names of the nodes that have one),
        add_node(NodeSpec) -> its plan and remove_node(name) are called on;
        write_pod_cidr(node, cidr): the spec's write, through the API; record(events)."""
        self.store, self.cluster = store, cluster
        self.write_pod_cidr, self.record, self.now = write_pod_cidr, record, now
        self.failed = {}   # name -> the resourceVersion of the Node no machine was made for

    def keys(self, resource, obj):
        return [obj["metadata"]["name"]]

    def all_keys(self):
        return sorted({n["metadata"]["name"] for n in self.store.list(NODES)[1]}
                      | set(self.cluster.machines()))

    def reconcile(self, name):
        stored = self.store.get(NODES, "", name)
        has_machine = name in self.cluster.machines()
        if stored is None and has_machine:
            self.cluster.remove_node(name)
        elif stored is not None and not has_machine:
            version = stored["metadata"]["resourceVersion"]
            if self.failed.get(name) == version:
                return
            try:
                plan = self.cluster.add_node(NodeSpec(name, stored["spec"].get("podCIDR")))
            except KubemnError as exc:
                self.failed[name] = version
                self.record([machine_failed(stored, str(exc), self.now())])
                return
            self.failed.pop(name, None)
            if stored["spec"].get("podCIDR") != plan.pod_cidr:
                self.write_pod_cidr(stored, plan.pod_cidr)
