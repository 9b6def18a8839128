"""The fabric over three simulated servers: nodes on each, a switch a server (each
running on its server's own Open vSwitch), VXLAN tunnels between the switches, Ryu
on the head's LAN address. What a packet does: every node reaches every other and
the internet host through the controller's routes; a full-size TCP transfer crosses
a tunnel (the nodes' MTU leaves room for its headers); teardown leaves nothing on
any server."""
import contextlib
import os
import subprocess
import sys
import uuid

import pytest

from tests.integration.conftest import ROOT
from topo.plan.fabric import plan_fabric
from topo.plan.ipam import plan_addresses
from topo.plan.model import ClusterSpec, NodeSpec
from topo.plan.naming import RUN_DIR_ROOT, RUN_MARKER
from topo.runtime import cleanup, run_root
from topo.runtime.controller import ControllerProcess
from topo.runtime.processes import enter_argv
from topo.runtime.network import Placement, build_network, fabric_state
from topo.runtime.vswitch import Vswitch, nats_as_linux
from topo.servers.servers import RunServers, find_servers
from topo.servers.simulated import SimulatedServers, ssh_argv

NODES = 5   # bins over 3 servers: node1, node2 on the head; node3, node4; node5


@contextlib.contextmanager
def fabric_over_servers(names):
    """The network layer of a run over servers, as the cluster starts it."""
    run_id = uuid.uuid4().hex[:8]
    os.environ[RUN_MARKER] = run_id
    spec = ClusterSpec(nodes=tuple(NodeSpec("node%d" % i) for i in range(1, NODES + 1)))
    addresses = plan_addresses(spec)
    plans = {plan.name: plan for plan in addresses.nodes}
    fabric = plan_fabric("single", list(plans), names)
    run_dir = os.path.join(RUN_DIR_ROOT, run_id)
    run_root.make_root()
    os.makedirs(run_dir)
    servers = RunServers(find_servers(names, run_id), run_dir)
    head_vswitch, controller, net = Vswitch(run_dir), None, None
    try:
        head_vswitch.start()
        servers.start()
        controller = ControllerProcess(os.path.join(run_dir, "controller.log"),
                                       os.path.join(run_dir, "flow-log.sock"),
                                       listen_host=servers.servers["head"].address)
        controller.start()
        servers.guard((controller.of_port, controller.closing_port))
        servers.fabric = fabric
        net = build_network(fabric, plans.values(), dict(fabric.attachments), addresses,
                            controller, Placement(servers.servers, fabric,
                                                  servers.vswitch_environment()))
        state = fabric_state(net, fabric, plans.values(), dict(fabric.attachments),
                             addresses, 1)
        state.update(services=[], endpoint_sets=[],
                     linux_nat=nats_as_linux(head_vswitch.version))
        controller.push(state)
        controller.wait_synced(1, [dpid for _, dpid in fabric.switches])
        net.kubemn_controller = controller
        yield net, plans, fabric, servers
    finally:
        if net is not None:
            net.stop()
        if controller is not None:
            controller.stop()
        servers.stop()
        head_vswitch.stop()
        cleanup.stop_pids(cleanup.marked_processes(run_id), cleanup.KILL_GRACE_SECONDS)
        run_root.remove_root()
        os.environ.pop(RUN_MARKER, None)


@pytest.fixture(scope="module")
def simulated(over_servers):
    if over_servers is not None:
        pytest.skip("the session's simulated servers are up (make test-servers)")
    made = SimulatedServers(3).start()
    yield made
    made.stop()


@pytest.fixture(scope="module")
def running(simulated):
    """The module's fabric, and the stack that ends it (the last test does)."""
    with contextlib.ExitStack() as stack:
        yield stack.enter_context(fabric_over_servers(simulated.lan.names)), stack


@pytest.fixture
def fabric(running):
    return running[0]


def reaches(node, address):
    """ping until it answers (a userspace port forwards a moment after it starts)."""
    return "ok" in node.cmd("for i in $(seq 20); do ping -c1 -W0.3 %s >/dev/null "
                            "&& echo ok && break; done" % address)


def test_nodes_run_on_their_servers(fabric):
    net, _, plan, _ = fabric
    assert net["node1"].cmd("hostname").strip() != net["node3"].cmd("hostname").strip()
    assert net["node3"].cmd("hostname").strip() == "server2"
    assert net["node5"].cmd("hostname").strip() == "server3"
    assert [plan.server_of("node%d" % i) for i in range(1, NODES + 1)] == [
        "head", "head", "server2", "server2", "server3"]


def test_every_node_reaches_every_other_and_the_internet_host(fabric):
    net, plans, _, _ = fabric
    internet = net["internet"].IP()
    for a in plans:
        for b in plans:
            if a != b:
                assert reaches(net[a], plans[b].ip), "%s -> %s" % (a, b)
        assert reaches(net[a], internet), "%s -> internet" % a
    assert reaches(net["internet"], plans["node5"].ip)


def test_a_full_size_tcp_transfer_crosses_a_tunnel(fabric):
    net, plans, _, _ = fabric
    # The nodes' MTU is the LAN's less the tunnel's headers: at 1500, ping works
    # and full-size TCP segments never arrive.
    assert "mtu 1450" in net["node5"].cmd("ip link show eth0")
    assert reaches(net["node1"], plans["node5"].ip)
    net["node5"].sendCmd("timeout 30 nc -l -p 7000 | wc -c")
    net["node1"].cmd("for i in $(seq 50); do head -c 2000000 /dev/zero | nc -q1 -w5 %s 7000 "
                     "&& break; sleep 0.1; done" % plans["node5"].ip)
    assert net["node5"].waitOutput().strip() == "2000000"


def test_a_packet_too_big_for_the_tunnel_is_refused_at_its_source(fabric):
    net, plans, _, _ = fabric
    fits = net["node3"].cmd("ping -c1 -W1 -M do -s 1422 %s" % plans["node5"].ip)
    assert " 0% packet loss" in fits
    too_big = net["node3"].cmd("ping -c1 -W1 -M do -s 1423 %s" % plans["node5"].ip)
    assert "message too long" in too_big.lower()


def test_only_the_servers_reach_the_controller_and_the_tunnels(fabric, simulated):
    net, _, _, _ = fabric
    head = simulated.lan.head_address
    port = net.kubemn_controller.of_port
    connect = "timeout 2 bash -c '</dev/tcp/%s/%d' && echo connected" % (head, port)
    assert "connected" in ssh_words("server2", connect)
    # A stranger on the LAN (an address of the LAN's own namespace): dropped.
    stranger = enter_argv(simulated.lan_holder.pid)
    subprocess.run(stranger + ["ip", "addr", "add", "198.18.0.200/24", "dev", "lan0"],
                   check=True)
    try:
        answer = subprocess.run(stranger + ["sh", "-c", connect], capture_output=True,
                                text=True)
        assert "connected" not in answer.stdout
        counters = subprocess.run(["nft", "list", "table", "ip", "kmn-underlay"],
                                  capture_output=True, text=True).stdout
        assert "tcp dport" in counters and "packets 0 " not in counters.split("tcp dport")[1]
    finally:
        subprocess.run(stranger + ["ip", "addr", "del", "198.18.0.200/24", "dev", "lan0"])


def test_teardown_leaves_nothing_on_any_server(running):
    (net, plans, _, servers), stack = running
    remote = servers.others()
    stack.close()
    for server in remote:
        left = server.run(["sh", "-c", "ip -o link | grep -c ' kmn-' ; nft list tables; "
                           "ls /run/kubemn 2>/dev/null; pgrep -c ovs-vswitchd"], check=False)
        assert left.split() == ["0", "0"], (server.name, left)
    found = cleanup.leftovers()
    found.pop(cleanup.SERVERS_KIND)
    assert not any(found.values()), found


def test_kill_9_and_clean_leave_nothing_on_any_server(simulated):
    # A run over the servers, killed with no chance to tear down.
    code = ("import sys, time; sys.path.insert(0, %r)\n"
            "from tests.integration.test_servers_fabric import fabric_over_servers\n"
            "with fabric_over_servers(%r):\n"
            "    print('ready', flush=True); time.sleep(300)\n" % (ROOT, simulated.lan.names))
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout.readline().strip() == "ready"
    finally:
        process.kill()
        process.wait()
    server = simulated.lan.servers[0].name
    assert "ovs-vswitchd" in ssh_words(server, "ps -eo args")
    # What `kubemn clean` does, but for the simulated servers themselves, which it
    # would end too (and with them the evidence).
    cleanup.clean(servers=False)
    for each in simulated.lan.servers:
        processes = ssh_words(each.name, "ps -eo args")
        assert "ovs-vswitchd" not in processes and "mininet:node" not in processes
        assert " kmn-" not in ssh_words(each.name, "ip -o link")
        assert "kmn-underlay" not in ssh_words(each.name, "nft list tables")
    found = cleanup.leftovers()
    assert found.pop(cleanup.SERVERS_KIND), "the simulated servers are kept"
    assert not any(found.values()), found


def ssh_words(server, command):
    answer = subprocess.run(ssh_argv(server, command), capture_output=True, text=True,
                            stdin=subprocess.DEVNULL, timeout=30)
    assert answer.returncode != 255, answer.stderr   # ssh's own failure
    return answer.stdout
