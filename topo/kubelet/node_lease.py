"""A node's Lease, the kubelet's heartbeat (pure): held by the node in
kube-node-lease for LEASE_SECONDS, renewed every quarter of that, owned by its Node
(gone with it, by the garbage collector), as the kubelet's node lease controller
keeps it. `kubectl describe node` shows its holder and last renewal."""
import time

NAMESPACE = "kube-node-lease"
LEASE_SECONDS = 40
RENEW_SECONDS = LEASE_SECONDS / 4


def micro_time(epoch):
    """metav1.MicroTime as JSON: RFC 3339 with microseconds."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + \
        ".%06dZ" % int(epoch % 1 * 1e6)


def renewed(node, lease, now):
    """The Lease of node (its stored Node) renewed at now: a new one if lease is None."""
    metadata = node["metadata"]
    spec = dict((lease or {}).get("spec") or {}, holderIdentity=metadata["name"],
                leaseDurationSeconds=LEASE_SECONDS, renewTime=micro_time(now))
    return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": dict((lease or {}).get("metadata") or {
                "name": metadata["name"], "namespace": NAMESPACE,
                "ownerReferences": [{"apiVersion": "v1", "kind": "Node",
                                     "name": metadata["name"], "uid": metadata["uid"]}]}),
            "spec": spec}
