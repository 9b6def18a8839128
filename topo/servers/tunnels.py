"""The fabric's links between servers: a VXLAN tunnel a link, each end a kernel VXLAN
device on its switch's server, plugged into the switch as an ordinary OpenFlow port
(the controller routes over it as over any link between switches).

A kernel device rather than Open vSwitch's own tunnel port: the userspace datapath's
tunnels need the server's LAN address moved onto an Open vSwitch bridge (on the head
that is the machine's own interface); a kernel device only needs a route to the
peer. Its socket takes UDP 4789 on every address of the server, so each server's
table GUARD_TABLE drops VXLAN from anyone but the cluster's servers (and the head's,
what comes to the controller's OpenFlow ports, which listen on its LAN address)."""
from topo.plan.naming import IFNAMSIZ, PREFIX
from topo.runtime import shell

VXLAN_PORT = 4789
GUARD_TABLE = PREFIX + "underlay"


def tunnel_name(switch, vni):
    name = "%s-vx%d" % (switch, vni)
    if len(name) > IFNAMSIZ:
        raise ValueError("tunnel name %r is too long" % name)
    return name


def guard_ruleset(peers, controller_ports=()):
    """nft -f input: VXLAN into this server, and the controller's OpenFlow ports on
    the head (controller_ports), from the cluster's servers only."""
    peers = ", ".join(sorted(peers))
    rules = ["    udp dport %d ip saddr != { %s } counter drop" % (VXLAN_PORT, peers)]
    if controller_ports:
        rules.append("    tcp dport { %s } ip saddr != { %s } counter drop"
                     % (", ".join(map(str, sorted(controller_ports))), peers))
    return ("table ip %s {\n"
            "  chain input {\n"
            "    type filter hook input priority -10; policy accept;\n"
            "%s\n"
            "  }\n"
            "}\n" % (GUARD_TABLE, "\n".join(rules)))


def make_tunnels(net, fabric, servers):
    """Makes the fabric's tunnels between servers (servers: name -> Server); returns
    [(switch a, its port, switch b, its port)] for the controller's links."""
    made = []
    for vni, (a, b) in enumerate(fabric.tunnels(), start=1):
        ends = []
        for here, there in ((a, b), (b, a)):
            own = servers[fabric.server_of_switch(here)].address
            peer = servers[fabric.server_of_switch(there)].address
            switch, name = net[here], tunnel_name(here, vni)
            # Taken in Mininet's own count: a node plugged in later gets another.
            port = switch.ports[name] = switch.newPort()
            shell.run(switch, " && ".join([
                "ip link add %s type vxlan id %d remote %s local %s dstport %d"
                % (name, vni, peer, own, VXLAN_PORT),
                # The userspace datapath sends with no checksum to fill in.
                "ethtool -K %s tx off >/dev/null" % name,
                "ip link set %s up" % name,
                "ovs-vsctl add-port %s %s -- set Interface %s ofport_request=%d"
                % (here, name, name, port)]))
            ends.append(port)
        made.append((a, ends[0], b, ends[1]))
    return made


def remove_tunnels(servers, fabric):
    """The tunnels' devices on every server (Open vSwitch's ports went with its
    daemons)."""
    for vni, (a, b) in enumerate(fabric.tunnels(), start=1):
        for switch in (a, b):
            servers[fabric.server_of_switch(switch)].run(
                ["ip", "link", "del", tunnel_name(switch, vni)], check=False)


def guard(servers, controller_ports):
    """Each server's guard (the head's with the controller's ports): from the
    servers only."""
    peers = {server.address for server in servers.values()}
    for server in servers.values():
        server.run(["nft", "-f", "-"], input_text=guard_ruleset(
            peers, controller_ports if server.is_head else ()))


def remove_guard(servers):
    for server in servers.values():
        server.run(["nft", "delete", "table", "ip", GUARD_TABLE], check=False)
