"""The Mininet side: nodes and fabric switches realised, and the desired state the
controller needs about them (which node hangs off which switch port)."""
from mininet.net import Mininet
from mininet.node import OVSSwitch, RemoteController

from topo.node import KubeNode


def build_network(addresses, fabric, of_port):
    """Builds and starts the Mininet network: one KubeNode per planned node, the
    fabric's OVS switches (userspace datapath) pointed at the controller."""
    net = Mininet(topo=None, build=False, controller=None, autoSetMacs=False,
                  autoStaticArp=False, waitConnected=False)
    net.addController("c0", controller=RemoteController, ip="127.0.0.1", port=of_port)
    for name, dpid in fabric.switches:
        net.addSwitch(name, cls=OVSSwitch, datapath="user", dpid="%016x" % dpid,
                      protocols="OpenFlow13", failMode="secure")
    for node in addresses.nodes:
        net.addHost(node.name, cls=KubeNode, ip="%s/%d" % (node.ip, node.prefixlen),
                    mac=node.mac, plan=node, gateway_ip=addresses.gateway_ip)
        net.addLink(node.name, fabric.switch_of(node.name), intfName1="eth0")
    for a, b in fabric.links:
        net.addLink(a, b)
    net.build()
    net.start()
    return net


def _port_of(switch, link):
    intf = link.intf1 if link.intf1.node is switch else link.intf2
    return switch.ports[intf]


def fabric_state(net, addresses, fabric, generation):
    """The JSON document controllers/state.py reads."""
    dpids = dict(fabric.switches)
    links, nodes = [], []
    for link in net.links:
        a, b = link.intf1.node, link.intf2.node
        if a.name in dpids and b.name in dpids:
            links.append({"dpid_a": dpids[a.name], "port_a": _port_of(a, link),
                          "dpid_b": dpids[b.name], "port_b": _port_of(b, link)})
    for node in addresses.nodes:
        switch = net[fabric.switch_of(node.name)]
        link = next(l for l in net.links
                    if {l.intf1.node.name, l.intf2.node.name} == {node.name, switch.name})
        nodes.append({"name": node.name, "ip": node.ip, "mac": node.mac,
                      "pod_cidr": node.pod_cidr, "dpid": dpids[switch.name],
                      "port": _port_of(switch, link)})
    return {"generation": generation,
            "gateway": {"ip": addresses.gateway_ip, "mac": addresses.gateway_mac},
            "switches": [{"dpid": d, "name": n} for n, d in fabric.switches],
            "links": links, "nodes": nodes}
