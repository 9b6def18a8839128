"""kubemn at the sizes researchers scale to: many nodes on one switch."""
from tests.integration.conftest import wait_for
from topo.cluster import Cluster

NODES = 50


def test_fifty_nodes_share_one_switch_and_reach_each_other():
    """A switch with more ports than a shell's line holds in one ovs-vsctl command
    (about 45) is made whole: the cluster starts only once the fabric forwards to
    every node, and a pod on the last node answers one on the first."""
    with Cluster(None, nodes=NODES) as cluster:
        cluster.apply_text(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: first}\nspec:\n  nodeName: node1\n"
            "  containers: [{name: c, image: busybox, command: [sleep, infinity]}]\n---\n"
            "apiVersion: v1\nkind: Pod\nmetadata: {name: last}\nspec:\n  nodeName: node%d\n"
            "  containers: [{name: c, image: registry.k8s.io/e2e-test-images/agnhost:2.39,"
            " args: [netexec]}]\n" % NODES)
        url = "http://%s:8080/hostname" % cluster.pod("last").ip
        wait_for(lambda: cluster.exec("first", "wget -q -T 2 -O- " + url).stdout == "last", 10)
