"""Where a cluster's parts run, and how to reach them there: mixed into
topo/cluster.py's Cluster. On one machine everything is the head's and every method
answers as the machine itself; over several servers (topo/servers/servers.py) each
node is its switch's server's, its pods fork from that server's fork server through
kubemn's agent (remote_fork.py), and a command for a node, a pod's namespaces or a
switch goes there through ssh (remote.Server.prefix)."""
import os
import subprocess

from topo.errors import KubemnError
from topo.plan.servers import HEAD
from topo.runtime.conntrack import dump_text
from topo.runtime.files import replace_file
from topo.runtime.network import Placement
from topo.runtime.processes import enter_argv
from topo.servers.remote import Server
from topo.servers.remote_fork import RemoteForkServer
from topo.servers.servers import RunServers, find_servers


class OverServers:
    """Needs of its host (the Cluster): spec, run_id, run_dir, fabric, attachments,
    node_plans, node(), fork_server, janitor, progress, dns_records_path, dns_config,
    and servers, remote_forks, placement (its own state, None and {} at first)."""

    def start_servers(self):
        """Over several servers: each checked, its Open vSwitch and kubemn's agent
        there started (the pods of its nodes fork from it)."""
        servers = find_servers(self.spec.servers, self.run_id)
        if len(servers) > 1:
            self.servers = RunServers(servers, self.run_dir, self.progress).start()
            self.servers.fabric = self.fabric   # its tunnels go at its stop
            for server in self.servers.others():
                self.remote_forks[server.name] = RemoteForkServer(
                    server, self.run_dir, os.path.join(self.run_dir, "agent-%s.log"
                                                       % server.name),
                    self.servers.vswitches[server.name].environment()).start()
            self.janitor.elsewhere = list(self.remote_forks.values())
            for path in (self.dns_records_path, self.dns_config.path):
                if os.path.exists(path):
                    with open(path) as handle:
                        self.mirror_file(path, handle.read())
        self.placement = Placement(servers, self.fabric, self.servers.vswitch_environment()
                                   if self.servers else None)

    def over_servers(self):
        """How the nodes are spread, for the start's progress line ("" on one)."""
        if self.servers is None:
            return ""
        counts = {}
        for name in self.node_plans:
            counts[self.server_of(name)] = counts.get(self.server_of(name), 0) + 1
        return " over %d servers (%s)" % (len(self.spec.servers), ", ".join(
            "%s: %d" % (server, counts.get(server, 0)) for server in self.spec.servers))

    def server_of(self, node):
        """The server node runs on (the head's name on one machine)."""
        return self.fabric.server_of_switch(self.attachments[node])

    def proxy_origin(self, node=None):
        """The pid of the node whose network namespace the API's proxy connects from:
        node's own when it is on the head, else one of the head's (the fabric takes the
        connection to the other server). KubemnError if the head has no node."""
        if node is not None and self.server_of(node) == HEAD:
            return self.node(node).pid
        on_head = [name for name in self.node_plans if self.server_of(name) == HEAD]
        if not on_head:
            raise KubemnError("no node runs on the head to reach the pods from")
        return self.node(on_head[0]).pid

    def server_shown(self, node):
        """(server name, its address) of node's server over several, else None."""
        if self.servers is None or node not in self.attachments:
            return None
        server = self.server(self.server_of(node))
        return server.name, server.address

    def fork_server_of(self, node):
        """The fork server of node's server: its pods' sandboxes and containers fork
        from it, and their files are written there."""
        return self.remote_forks.get(self.server_of(node), self.fork_server)

    def mirror_file(self, path, text):
        """What the head writes for the pods to read (the cluster DNS's records and
        settings), written at the same path on every other server."""
        for fork in self.remote_forks.values():
            fork.call(replace_file, path, text)

    def switches_conntrack(self):
        """The conntrack of the run's Open vSwitch on every server, as dump-conntrack
        prints it (the flow log looks for the origin of a translated connection)."""
        return dump_text() + "".join(fork.call(dump_text)
                                     for fork in self.remote_forks.values())

    def node_enter(self, node_name, *namespaces):
        """The argv prefix that enters a node's namespaces ("net" unless others are
        named), on its server."""
        node = self.node(node_name)
        return self.server(self.server_of(node_name)).prefix() + \
            enter_argv(node.pid, *namespaces)

    def switch_enter(self, switch):
        """The argv prefix that runs an ovs-* command where switch runs, pointed at the
        run's Open vSwitch there (nothing on the head: this process is)."""
        server = self.fabric.server_of_switch(switch)
        if server == HEAD:
            return []
        environment = self.servers.vswitches[server].environment()
        return self.server(server).prefix() + ["env"] + ["%s=%s" % item for item in
                                                         sorted(environment.items())]

    def on_every_vswitch(self, argv):
        """Runs an ovs-* command against the run's Open vSwitch on every server."""
        elsewhere = {server: switch for switch, server in self.fabric.servers
                     if server != HEAD}
        prefixes = [[]] + [self.switch_enter(switch) for switch in elsewhere.values()]
        for prefix in prefixes:
            subprocess.run(prefix + argv, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=10)

    def server(self, name):
        """The Server name is (topo/servers/remote.py)."""
        if self.servers is None:
            return Server(HEAD, "127.0.0.1")
        return self.servers.servers[name]
