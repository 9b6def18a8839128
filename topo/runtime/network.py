"""The Mininet side: nodes and fabric switches realised, nodes plugged in and out of a
running fabric, and the desired state the controller needs about them (which node
hangs off which switch port)."""
import codecs
import socket

from mininet.net import Mininet
from mininet.node import Host, OVSSwitch, RemoteController

from topo.plan.servers import HEAD, mtu
from topo.runtime import shell
from topo.runtime.node import KubeNode

INTERNET_HOST = "internet"


class InternetHost(Host):
    """A client outside the cluster, on its own range, routed by the fabric."""

    def __init__(self, name, gateway_ip=None, mtu=1500, **params):
        super().__init__(name, **params)
        self.gateway_ip = gateway_ip
        self.mtu = mtu

    def config(self, **params):
        result = super().config(**params)
        shell.run(self, "ethtool -K %s tx off >/dev/null && ip link set %s mtu %d && "
                  "ip route replace default via %s"
                  % (self.defaultIntf(), self.defaultIntf(), self.mtu, self.gateway_ip))
        return result


class ProbedController(RemoteController):
    """Ryu, already started by kubemn, as Mininet's controller: probed by a plain
    connect. Mininet's probe (`echo A | telnet -e A`) decodes what telnet printed,
    and on a busy machine that includes the controller's binary OpenFlow hello."""

    def isListening(self, ip, port):
        try:
            socket.create_connection((ip, port), timeout=2).close()
        except OSError:
            return False
        return True


def tolerate_binary_output(node):
    """A node's shell output is read as UTF-8 with stray bytes replaced: a command
    that prints binary (in the CLI, say) must not stop the reader."""
    node.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")


class Placement:
    """Where the network's parts run: the servers (name -> topo/servers/remote.Server;
    the head alone by default), Mininet's classes for the nodes and switches on
    servers other than the head, and the MTU of every host on the fabric."""

    def __init__(self, servers=None, fabric=None, vswitch_environment=None):
        self.servers = servers or {}
        self.fabric = fabric
        self.remote = None
        if len(self.servers) > 1:
            from topo.servers.mininet_remote import remote_classes
            options = next(iter(self.servers.values())).ssh_options
            self.remote = remote_classes(options, vswitch_environment or {})
        self.mtu = mtu(tuple(self.servers) or (HEAD,))

    @property
    def controller_ip(self):
        """Where the switches reach Ryu: the head's LAN address once any is elsewhere."""
        return self.servers[HEAD].address if self.remote else "127.0.0.1"

    def server_params(self, switch_name):
        """addHost/addSwitch parameters of what runs where switch_name runs."""
        server = self.fabric.server_of_switch(switch_name) if self.remote else HEAD
        if server == HEAD:
            return {}
        return {"server": server, "serverIP": self.servers[server].address}


def build_network(fabric, node_plans, attachments, addresses, controller, placement=None):
    """Builds and starts the Mininet network: one KubeNode per planned node, the
    internet host at the fabric's edge (its first switch: the only one, or the spine),
    the fabric's OVS switches (userspace datapath) pointed at the controller: Ryu,
    and the controller's closing channel. placement: over several servers, each
    switch and its nodes on theirs, tunnels between the switches of different ones."""
    placement = placement or Placement(fabric=fabric)
    net = Mininet(topo=None, build=False, controller=None, autoSetMacs=False,
                  autoStaticArp=False, waitConnected=False)
    net.addController("c0", controller=ProbedController, ip=placement.controller_ip,
                      port=controller.of_port)
    net.addController("c1", controller=ProbedController, ip=placement.controller_ip,
                      port=controller.closing_port)
    # batch: Mininet creates each switch with its ports in one ovs-vsctl run as a
    # process of its own; without it, through a shell's terminal, whose 4 KiB line
    # limit cuts the command of a switch with more than about 45 ports.
    for name, dpid in fabric.switches:
        params = placement.server_params(name)
        net.addSwitch(name, cls=placement.remote[1] if params else OVSSwitch,
                      datapath="user", dpid="%016x" % dpid, protocols="OpenFlow13",
                      failMode="secure", batch=True, **params)
    for plan in node_plans:
        _add_node(net, plan, attachments[plan.name], addresses, placement)
    internet = addresses.internet
    net.addHost(INTERNET_HOST, cls=InternetHost, ip="%s/%d" % (internet.ip, internet.prefixlen),
                mac=internet.mac, gateway_ip=internet.gateway_ip, mtu=placement.mtu)
    net.addLink(INTERNET_HOST, fabric.switches[0][0], intfName1="eth0")
    tunnels = set(fabric.tunnels())
    for a, b in fabric.links:
        if (a, b) not in tunnels:
            net.addLink(a, b)
    for node in net.values():
        tolerate_binary_output(node)
    net.build()
    net.start()
    net.kubemn_tunnels = []
    if tunnels:
        from topo.servers.tunnels import make_tunnels
        net.kubemn_tunnels = make_tunnels(net, fabric, placement.servers)
    return net


def _add_node(net, plan, switch_name, addresses, placement):
    params = placement.server_params(switch_name)
    net.addHost(plan.name, cls=placement.remote[0] if params else KubeNode,
                ip="%s/%d" % (plan.ip, plan.prefixlen),
                mac=plan.mac, plan=plan, gateway_ip=addresses.gateway_ip,
                cluster_cidrs=(addresses.pod_cidr, addresses.service_cidr,
                               addresses.node_cidr, addresses.load_balancer_cidr),
                mtu=placement.mtu, **params)
    if params:
        from topo.servers.mininet_remote import RemoteLink
        return net.addLink(plan.name, switch_name, intfName1="eth0", cls=RemoteLink)
    return net.addLink(plan.name, switch_name, intfName1="eth0")


def plug_node(net, plan, switch_name, addresses, placement=None):
    """Adds a node to the running network: host, link, switch port, configuration."""
    link = _add_node(net, plan, switch_name, addresses, placement or Placement())
    tolerate_binary_output(net[plan.name])
    switch, port = net[switch_name], link.intf2
    # The port number the controller is told must be the one OVS uses.
    shell.run(switch, "ovs-vsctl add-port %s %s -- set Interface %s ofport_request=%d "
              "&& ip link set %s up" % (switch, port, port, switch.ports[port], port))
    net[plan.name].configDefault()
    return net[plan.name]


def unplug_node(net, name):
    """Removes a node from the running network; returns its (ended) shell process."""
    host = net[name]
    link = next(each for each in net.links if host in (each.intf1.node, each.intf2.node))
    switch_intf = link.intf2 if link.intf1.node is host else link.intf1
    shell.run(switch_intf.node, "ovs-vsctl --if-exists del-port %s %s"
              % (switch_intf.node, switch_intf))
    process = host.shell
    net.delLink(link)
    net.delHost(host)
    return process


def _port_of(switch, link):
    intf = link.intf1 if link.intf1.node is switch else link.intf2
    return switch.ports[intf]


def _link_between(net, a, b):
    return next(each for each in net.links
                if {each.intf1.node.name, each.intf2.node.name} == {a, b})


def switch_port(net, switch, neighbour):
    """The OpenFlow port number of switch that leads to neighbour (a node, the
    internet host or another switch, by a link or a tunnel), by name."""
    for a, port_a, b, port_b in getattr(net, "kubemn_tunnels", ()):
        if (a, b) == (switch, neighbour):
            return port_a
        if (b, a) == (switch, neighbour):
            return port_b
    return _port_of(net[switch], _link_between(net, switch, neighbour))


def fabric_state(net, fabric, node_plans, attachments, addresses, generation):
    """The JSON document controllers/state.py reads, without the Services."""
    dpids = dict(fabric.switches)
    links, nodes = [], []
    for link in net.links:
        a, b = link.intf1.node, link.intf2.node
        if a.name in dpids and b.name in dpids:
            links.append({"dpid_a": dpids[a.name], "port_a": _port_of(a, link),
                          "dpid_b": dpids[b.name], "port_b": _port_of(b, link)})
    for a, port_a, b, port_b in getattr(net, "kubemn_tunnels", ()):
        links.append({"dpid_a": dpids[a], "port_a": port_a, "dpid_b": dpids[b],
                      "port_b": port_b, "tunnel": True})
    for plan in node_plans:
        switch = net[attachments[plan.name]]
        nodes.append({"name": plan.name, "ip": plan.ip, "mac": plan.mac,
                      "pod_cidr": plan.pod_cidr, "dpid": dpids[switch.name],
                      "port": switch_port(net, switch.name, plan.name)})
    edge = net[fabric.switches[0][0]]
    internet = addresses.internet
    return {"generation": generation,
            "gateway": {"ip": addresses.gateway_ip, "mac": addresses.gateway_mac},
            "switches": [{"dpid": d, "name": n, "server": fabric.server_of_switch(n)}
                         for n, d in fabric.switches],
            "links": links, "nodes": nodes,
            "internet": {"ip": internet.ip, "mac": internet.mac, "cidr": internet.cidr,
                         "gateway_ip": internet.gateway_ip, "dpid": dpids[edge.name],
                         "port": switch_port(net, edge.name, INTERNET_HOST)},
            "masquerade_ip": addresses.masquerade_ip,
            "cluster_cidrs": [addresses.pod_cidr, addresses.service_cidr]}
