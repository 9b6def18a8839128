"""The servers of one run: found (each name's address, the head's on the LAN toward
them), checked (ssh answers, the same kubemn at the same path), each given the run's
own Open vSwitch (the head's is the cluster's, topo/runtime/vswitch.py), and at the
end left as they were: the tunnels and their guard gone, and on every other server
`kubemn clean` for what the run left there.

Names resolve through the simulated servers' state first (topo/servers/simulated.py,
whose names only its ssh configuration knows), else as ssh would (getent)."""
import json
import os
import subprocess

from topo.errors import KubemnError
from topo.plan.servers import HEAD
from topo.runtime.cleanup import clean_servers
from topo.runtime.vswitch import Vswitch
from topo.servers import simulated
from topo.servers.remote import KUBEMN_PYTHON as PYTHON, KUBEMN_ROOT as ROOT, Server
from topo.servers.tunnels import guard, remove_guard, remove_tunnels

SERVERS_FILE = "servers.json"   # in the run's directory on the head


def _lookup(name):
    found = subprocess.run(["getent", "ahostsv4", name], capture_output=True, text=True)
    if found.returncode != 0 or not found.stdout.split():
        raise KubemnError("--servers: cannot resolve %r" % name)
    return found.stdout.split()[0]


def _route_source(address):
    """This machine's address on the way to address (the head's on the LAN)."""
    words = subprocess.run(["ip", "-4", "route", "get", address], capture_output=True,
                           text=True).stdout.split()
    if "src" not in words:
        raise KubemnError("--servers: no route from this machine to %s" % address)
    return words[words.index("src") + 1]


def find_servers(names, run_id):
    """{name: Server} for the --servers list (the head first), or a one-line error."""
    known = simulated.state() or {"addresses": {}}
    options = ("-F", simulated.SSH_CONFIG) if any(
        n in known["addresses"] for n in names[1:]) else ()
    addresses = {name: known["addresses"].get(name) or _lookup(name) for name in names[1:]}
    head = known["addresses"].get(HEAD) if options else None
    if addresses:
        head = head or _route_source(next(iter(addresses.values())))
    servers = {HEAD: Server(HEAD, head or "127.0.0.1", options, run_id)}
    servers.update((name, Server(name, address, options, run_id))
                   for name, address in addresses.items())
    return servers


class RunServers:
    """start() before Mininet (the servers checked, their Open vSwitch running);
    stop() after it. Safe to stop at any point and twice."""

    def __init__(self, servers, run_dir, progress=None):
        self.servers = servers
        self.run_dir = run_dir
        self.progress = progress or (lambda message: None)
        self.vswitches = {}   # server name -> its Vswitch, the head's excluded
        self.fabric = None    # once tunnels may exist
        self.guarded = False

    @property
    def several(self):
        return len(self.servers) > 1

    def others(self):
        return [s for name, s in self.servers.items() if name != HEAD]

    def start(self):
        try:
            # Read by `kubemn clean` after a crash (cleanup.py): where else to clean.
            with open(os.path.join(self.run_dir, SERVERS_FILE), "w") as handle:
                json.dump([{"name": s.name, "address": s.address,
                            "ssh_options": list(s.ssh_options)} for s in self.others()],
                          handle)
            for server in self.others():
                self._check(server)
            for server in self.others():
                self.progress("starting Open vSwitch on %s (%s)" % (server.name,
                                                                   server.address))
                self.vswitches[server.name] = Vswitch(self.run_dir, server).start()
        except BaseException:
            self.stop()
            raise
        return self

    def _check(self, server):
        answer = subprocess.run(server.argv(["test", "-x", PYTHON]), capture_output=True,
                                text=True, stdin=subprocess.DEVNULL, timeout=60)
        if answer.returncode == 255:
            raise KubemnError("%s: ssh root@%s failed: %s" % (
                server.name, server.address,
                (answer.stderr.strip().splitlines() or ["no answer"])[-1]))
        if answer.returncode != 0:
            raise KubemnError("%s: kubemn is not at %s there (the same kubemn, at the same "
                              "path, on every server: `make deps` there)" % (server.name, ROOT))

    def vswitch_environment(self):
        """What a switch's shell on another server needs to reach the run's Open
        vSwitch there (the same directory on each)."""
        return Vswitch(self.run_dir, next(iter(self.others()))).environment() \
            if self.several else {}

    def guard(self, controller_ports):
        """VXLAN, and the controller's OpenFlow ports, from the servers only."""
        self.guarded = True
        guard(self.servers, controller_ports)

    def stop(self):
        if self.fabric is not None:
            remove_tunnels(self.servers, self.fabric)
            self.fabric = None
        if self.guarded:
            remove_guard(self.servers)
            self.guarded = False
        for vswitch in self.vswitches.values():
            vswitch.stop()
        self.vswitches = {}
        clean_servers([(s.address, s.ssh_options) for s in self.others()])
