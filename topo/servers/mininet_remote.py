"""Nodes and switches on other servers, with Mininet Cluster Edition's classes
(mininet/examples/cluster.py): a node's or a switch's shell runs on its server over
ssh, and every command Mininet or kubemn sends it runs there; a link between a node
and its switch (always on one server) is made on that server by RemoteLink.

Only the ssh command differs from Cluster Edition's: it takes the run's ssh options
(the simulated servers' configuration file), and a switch's shell is pointed at the
run's Open vSwitch on its server (topo/runtime/vswitch.py) before any ovs-vsctl."""
import shlex

from mininet.examples.cluster import RemoteLink, RemoteMixin, RemoteOVSSwitch

from topo.runtime.node import KubeNode

__all__ = ["RemoteLink", "remote_classes"]


def remote_classes(ssh_options, vswitch_environment):
    """(node class, switch class) for the servers other than the head."""
    sshbase = ["ssh"] + list(ssh_options) + ["-q", "-o", "BatchMode=yes", "-tt"]
    exports = "export " + " ".join("%s=%s" % (name, shlex.quote(value))
                                   for name, value in sorted(vswitch_environment.items()))

    class RemoteKubeNode(RemoteMixin, KubeNode):
        pass

    class RemoteFabricSwitch(RemoteOVSSwitch):
        def startShell(self, *args, **kwargs):
            super().startShell(*args, **kwargs)
            self.cmd(exports)

        @classmethod
        def batchShutdown(cls, switches, **_kwargs):
            # The run's Open vSwitch on each server ends whole after Mininet (its
            # bridges with it): Cluster Edition's shutdown would ask another.
            return switches

    RemoteKubeNode.sshbase = RemoteFabricSwitch.sshbase = sshbase
    return RemoteKubeNode, RemoteFabricSwitch
