"""Simulated servers on this machine (the plan: topo/plan/simulated_servers.py): made
by `kubemn servers up N`, ended by `kubemn servers down` (or `kubemn clean`).

Each server is `unshare --net --mount --uts --pid --fork` running sshd as its first
process, so that the whole server, whatever kubemn started in it over ssh, ends
when sshd does. The LAN is a bridge in a network namespace held by a process of its
own; the head (this machine) is on it by the veth SimulatedLan.head_link. Nothing of
the machine's sshd, ssh configuration, /etc or Open vSwitch is touched: keys, the
client's configuration and known hosts live in SERVERS_DIR, and `ssh -F` reads them.

Every process carries SERVERS_MARKER, every interface on the machine SERVERS_PREFIX:
cleanup finds them after a crash, and tells them from a cluster run's leftovers.
"""
import json
import os
import subprocess
import time

from topo.errors import KubemnError
from topo.plan import simulated_servers as plan
from topo.plan.naming import RUN_MARKER
from topo.runtime import cleanup
from topo.runtime.cleanup import remove_simulated_servers
from topo.runtime.processes import enter_argv, wait_until
from topo.servers.remote import KUBEMN_ROOT

STATE = os.path.join(plan.SERVERS_DIR, "servers.json")
SSH_CONFIG = os.path.join(plan.SERVERS_DIR, "ssh_config")
LAN_BRIDGE = "lan0"
START_SECONDS = 10.0


def _run(argv, text_input=None):
    result = subprocess.run(argv, input=text_input, capture_output=True, text=True,
                            timeout=30)
    if result.returncode != 0:
        raise KubemnError("simulated servers: `%s` failed: %s"
                          % (" ".join(argv[:4]), (result.stderr.strip().splitlines()
                                                 or ["exit %d" % result.returncode])[-1]))
    return result.stdout


def _environment():
    """Ours, marked as the harness's, and not as any cluster run's."""
    found = {k: v for k, v in os.environ.items() if k != RUN_MARKER}
    found[plan.SERVERS_MARKER] = "1"
    return found


def _child(pid):
    """The first child of process pid (unshare --fork's: the server's PID 1), or None."""
    children = cleanup.children(pid)
    return children[0] if children else None


def ssh_argv(server, *command):
    """argv that runs command (words, one shell line on the server) on a simulated
    server, by name or address."""
    return ["ssh", "-F", SSH_CONFIG, server] + list(command)


class SimulatedServers:
    """start() makes them all or nothing; stop() ends them, safe at any point."""

    def __init__(self, count, progress=None):
        self.lan = plan.plan_lan(count)
        self.progress = progress or (lambda message: None)
        self.lan_holder = None
        self.servers = {}   # name -> its unshare Popen

    def start(self):
        if os.path.exists(plan.SERVERS_DIR):
            raise KubemnError("simulated servers are up already (%s): `kubemn servers down` "
                              "first" % plan.SERVERS_DIR)
        clash = plan.overlapping_routes(self.lan.cidr, _run(["ip", "-4", "route"]))
        if clash:
            raise KubemnError("the simulated servers' LAN %s overlaps this machine's route "
                              "%r" % (self.lan.cidr, clash[0]))
        try:
            os.makedirs(plan.SERVERS_DIR, mode=0o700)
            self._make_keys()
            self._make_lan()
            for server in self.lan.servers:
                self.progress("starting simulated %s at %s" % (server.name, server.address))
                self._make_server(server)
            self._write_client_files()
            for server in self.lan.servers:
                self._wait_ssh(server)
        except BaseException:
            self.stop()
            raise
        return self

    def _path(self, *names):
        return os.path.join(plan.SERVERS_DIR, *names)

    def _make_keys(self):
        _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "kubemn-servers",
              "-f", self._path("id_ed25519")])
        with open(self._path("id_ed25519.pub")) as handle:
            client = handle.read()
        for server in self.lan.servers:
            directory = self._path(server.name)
            os.makedirs(directory)
            _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", server.name,
                  "-f", os.path.join(directory, "host_key")])
            files = {"authorized_keys": client,
                     "sshd_config": plan.sshd_config("0.0.0.0"),
                     "start.sh": plan.start_script(server.name, directory, KUBEMN_ROOT)}
            if plan.hidden(KUBEMN_ROOT):
                os.makedirs(os.path.join(directory, "kubemn"))   # where it is carried
            for name, text in files.items():
                with open(os.path.join(directory, name), "w") as handle:
                    handle.write(text)

    def _make_lan(self):
        self.lan_holder = subprocess.Popen(["unshare", "--net", "--", "sleep", "infinity"],
                                           env=_environment(), start_new_session=True,
                                           stdin=subprocess.DEVNULL,
                                           stdout=subprocess.DEVNULL,
                                           stderr=subprocess.DEVNULL)
        own = os.readlink("/proc/self/ns/net")
        if not wait_until(lambda: self._namespace(self.lan_holder.pid) not in (None, own),
                          START_SECONDS):
            raise KubemnError("simulated servers: the LAN's namespace did not appear")
        lan = enter_argv(self.lan_holder.pid)
        _run(lan + ["ip", "link", "add", LAN_BRIDGE, "type", "bridge"])
        _run(lan + ["ip", "link", "set", LAN_BRIDGE, "up"])
        _run(["ip", "link", "add", self.lan.head_link, "type", "veth", "peer", "name", "head",
              "netns", "/proc/%d/ns/net" % self.lan_holder.pid])
        _run(lan + ["ip", "link", "set", "head", "master", LAN_BRIDGE, "up"])
        prefix = self.lan.cidr.split("/")[1]
        _run(["ip", "addr", "add", "%s/%s" % (self.lan.head_address, prefix),
              "dev", self.lan.head_link])
        _run(["ip", "link", "set", self.lan.head_link, "up"])

    @staticmethod
    def _namespace(pid):
        try:
            return os.readlink("/proc/%d/ns/net" % pid)
        except OSError:
            return None

    def _make_server(self, server):
        directory = self._path(server.name)
        with open(os.path.join(directory, "log"), "wb") as log:
            process = subprocess.Popen(
                ["unshare", "--net", "--mount", "--uts", "--pid", "--fork", "--kill-child",
                 "sh", os.path.join(directory, "start.sh")],
                env=_environment(), start_new_session=True, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT)
        self.servers[server.name] = process
        if not wait_until(lambda: _child(process.pid) or process.poll() is not None,
                          START_SECONDS) or process.poll() is not None:
            raise KubemnError("simulated %s did not start (its log: %s/log)"
                              % (server.name, directory))
        first = _child(process.pid)
        _run(["ip", "link", "add", server.link, "type", "veth", "peer", "name", "eth0",
              "netns", "/proc/%d/ns/net" % first])
        _run(["ip", "link", "set", server.link, "netns",
              "/proc/%d/ns/net" % self.lan_holder.pid])
        _run(enter_argv(self.lan_holder.pid) + ["ip", "link", "set", server.link,
                                                "master", LAN_BRIDGE, "up"])
        inside = enter_argv(first)
        _run(inside + ["ip", "addr", "add", "%s/%s" % (server.address,
                                                       self.lan.cidr.split("/")[1]),
                       "dev", "eth0"])
        _run(inside + ["ip", "link", "set", "eth0", "up"])

    def _write_client_files(self):
        keys = {}
        for server in self.lan.servers:
            with open(self._path(server.name, "host_key.pub")) as handle:
                keys[server.name] = handle.read()
        os.makedirs(self._path("control"))
        texts = {"known_hosts": plan.known_hosts(self.lan, keys),
                 "ssh_config": plan.ssh_config(self.lan, self._path("id_ed25519"),
                                               self._path("known_hosts"),
                                               self._path("control")),
                 "servers.json": json.dumps({
                     "servers": list(self.lan.names),
                     "addresses": dict([(plan.HEAD, self.lan.head_address)] +
                                       [(s.name, s.address) for s in self.lan.servers]),
                     "ssh_config": SSH_CONFIG}, indent=1) + "\n"}
        for name, text in texts.items():
            with open(self._path(name), "w") as handle:
                handle.write(text)

    def _wait_ssh(self, server):
        deadline = time.monotonic() + START_SECONDS
        while True:
            result = subprocess.run(ssh_argv(server.name, "hostname"), capture_output=True,
                                    text=True, stdin=subprocess.DEVNULL, timeout=30)
            if result.returncode == 0 and result.stdout.strip() == server.name:
                return
            if time.monotonic() > deadline:
                raise KubemnError("simulated %s: ssh does not answer: %s" % (
                    server.name, result.stderr.strip() or result.stdout.strip()))
            time.sleep(0.1)

    def stop(self):
        """Ends the servers (and all they run), the LAN, the head's veth and the files."""
        remove_simulated_servers()
        for process in list(self.servers.values()) + [self.lan_holder]:
            if process is not None:
                process.wait()
        self.servers, self.lan_holder = {}, None


def state():
    """servers.json of the simulated servers that are up, or None."""
    try:
        with open(STATE) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None
