"""The Mininet side: nodes and fabric switches realised, nodes plugged in and out of a
running fabric, and the desired state the controller needs about them (which node
hangs off which switch port)."""
from mininet.net import Mininet
from mininet.node import OVSSwitch, RemoteController

from topo import shell
from topo.node import KubeNode


def build_network(fabric, node_plans, attachments, gateway_ip, of_port):
    """Builds and starts the Mininet network: one KubeNode per planned node, the
    fabric's OVS switches (userspace datapath) pointed at the controller."""
    net = Mininet(topo=None, build=False, controller=None, autoSetMacs=False,
                  autoStaticArp=False, waitConnected=False)
    net.addController("c0", controller=RemoteController, ip="127.0.0.1", port=of_port)
    for name, dpid in fabric.switches:
        net.addSwitch(name, cls=OVSSwitch, datapath="user", dpid="%016x" % dpid,
                      protocols="OpenFlow13", failMode="secure")
    for plan in node_plans:
        _add_node(net, plan, attachments[plan.name], gateway_ip)
    for a, b in fabric.links:
        net.addLink(a, b)
    net.build()
    net.start()
    return net


def _add_node(net, plan, switch_name, gateway_ip):
    net.addHost(plan.name, cls=KubeNode, ip="%s/%d" % (plan.ip, plan.prefixlen),
                mac=plan.mac, plan=plan, gateway_ip=gateway_ip)
    return net.addLink(plan.name, switch_name, intfName1="eth0")


def plug_node(net, plan, switch_name, gateway_ip):
    """Adds a node to the running network: host, link, switch port, configuration."""
    link = _add_node(net, plan, switch_name, gateway_ip)
    switch, port = net[switch_name], link.intf2
    # The port number the controller is told must be the one OVS uses.
    shell.run(switch, "ovs-vsctl add-port %s %s -- set Interface %s ofport_request=%d "
              "&& ip link set %s up" % (switch, port, port, switch.ports[port], port))
    net[plan.name].configDefault()
    return net[plan.name]


def unplug_node(net, name):
    """Removes a node from the running network; returns its (ended) shell process."""
    host = net[name]
    link = next(l for l in net.links if host in (l.intf1.node, l.intf2.node))
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


def fabric_state(net, fabric, node_plans, attachments, gateway, generation):
    """The JSON document controllers/state.py reads. gateway: (ip, mac)."""
    dpids = dict(fabric.switches)
    links, nodes = [], []
    for link in net.links:
        a, b = link.intf1.node, link.intf2.node
        if a.name in dpids and b.name in dpids:
            links.append({"dpid_a": dpids[a.name], "port_a": _port_of(a, link),
                          "dpid_b": dpids[b.name], "port_b": _port_of(b, link)})
    for plan in node_plans:
        switch = net[attachments[plan.name]]
        link = next(l for l in net.links
                    if {l.intf1.node.name, l.intf2.node.name} == {plan.name, switch.name})
        nodes.append({"name": plan.name, "ip": plan.ip, "mac": plan.mac,
                      "pod_cidr": plan.pod_cidr, "dpid": dpids[switch.name],
                      "port": _port_of(switch, link)})
    return {"generation": generation, "gateway": {"ip": gateway[0], "mac": gateway[1]},
            "switches": [{"dpid": d, "name": n} for n, d in fabric.switches],
            "links": links, "nodes": nodes}
