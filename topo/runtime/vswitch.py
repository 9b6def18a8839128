"""kubemn's own Open vSwitch: an ovsdb-server and an ovs-vswitchd of the run's, with
their database, sockets, pid files and logs in the run's directory (as Open vSwitch's
own ovs-sandbox runs them beside a system one), started with the cluster and stopped
at its teardown. The machine's Open vSwitch, if it has one, is neither needed nor
touched.

The binaries are Debian 13's (3.5, unpacked into build/ovs by scripts/fetch-ovs.sh):
its userspace conntrack NATs as Linux's does, where Debian 12's 3.1.0 aborts. Without
them (Debian 13's archive out of reach, or KUBEMN_OVS=system), the instance runs the
system's binaries, with the limits the README gives.

Every `ovs-*` command kubemn, Mininet and the CLI's `sh` run finds the instance
through OVS_RUNDIR and friends in the process's environment, and the build's
commands first on its PATH. Its daemons carry the run's marker in their environment,
so cleanup.py stops them after a crash. Standard library only (cleanup uses it).
"""
import glob
import os
import re
import subprocess

from topo.errors import KubemnError
from topo.runtime.processes import stop_pids

HOME = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "build", "ovs")
BUILD_BIN = os.path.join(HOME, "bin")
BUILD_SCHEMA = os.path.join(HOME, "vswitch.ovsschema")
SYSTEM_SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"
CHOICE_VARIABLE = "KUBEMN_OVS"   # "system": the system's binaries, even with the build's
DIRECTORY_VARIABLES = ("OVS_RUNDIR", "OVS_DBDIR", "OVS_LOGDIR", "OVS_SYSCONFDIR")
DAEMONS = ("ovs-vswitchd", "ovsdb-server")   # stopped in this order
STOP_SECONDS = 5.0
COMMAND_SECONDS = 30


def nats_as_linux(version):
    """Whether this Open vSwitch's userspace conntrack NATs as Linux's does: it may
    commit a connection with a source NAT that keeps its address (`ct(commit,
    nat(src))`, the null binding), and a SYN that reuses a closed connection's tuple
    replaces that connection whole. 3.1.0 to 3.1.2 and 3.2.0 to 3.2.2 abort on the
    first (lib/conntrack.c's conn_update_state) and keep a replaced connection's NAT
    half until their sweeper comes by; the fix ("conntrack: Remove nat_conn
    introducing key directionality") is in 3.1.3, 3.2.3 and every 3.3 on (older ones
    are not trusted with it). version: (major, minor, patch)."""
    return version >= (3, 2, 3) or (3, 1, 3) <= version < (3, 2, 0)


def parse_version(text):
    """(major, minor, patch) from what `ovs-vswitchd --version` prints."""
    found = re.search(r"\(Open vSwitch\) (\d+)\.(\d+)\.(\d+)", text)
    if found is None:
        raise KubemnError("cannot tell this Open vSwitch's version: %r" % text[:80])
    return tuple(int(part) for part in found.groups())


def build_present():
    return os.access(os.path.join(BUILD_BIN, "ovs-vswitchd"), os.X_OK)


def uses_build():
    return build_present() and os.environ.get(CHOICE_VARIABLE, "") != "system"


def run_directory(run_dir):
    return os.path.join(run_dir, "ovs")


SHELL_FILE = "env.sh"   # in the instance's directory: what `kubemn ovs-env` prints


def shell_exports(directory, own):
    """The lines that point a user's shell's ovs-* commands at the instance."""
    lines = ["export %s=%s" % (name, directory) for name in DIRECTORY_VARIABLES]
    if own:
        lines.append('export PATH=%s:"$PATH"' % BUILD_BIN)
    return "\n".join(lines) + "\n"


def active_exports(run_dir_root):
    """What `kubemn ovs-env` prints: the exports of the newest run's instance, or None."""
    found = sorted(glob.glob(os.path.join(run_directory(os.path.join(run_dir_root, "*")),
                                          SHELL_FILE)),
                   key=os.path.getmtime)
    if not found:
        return None
    with open(found[-1]) as handle:
        return handle.read()


def environment(directory, path=None):
    """The variables that point every ovs-* command at the instance in directory."""
    found = dict.fromkeys(DIRECTORY_VARIABLES, directory)
    path = os.environ.get("PATH", "") if path is None else path
    others = [entry for entry in path.split(os.pathsep) if entry != BUILD_BIN]
    found["PATH"] = os.pathsep.join(([BUILD_BIN] if uses_build() else []) + others)
    return found


# A server's commands find the build's binaries first, then the system's.
SERVER_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class Vswitch:
    """One run's Open vSwitch on one server: start() before Mininet, stop() after it.
    On the head it is this process's (its environment becomes ours); on another
    server (server: topo/servers/remote.Server) its commands go there, and
    environment() is what a command there needs to find it."""

    def __init__(self, run_dir, server=None):
        self.directory = run_directory(run_dir)
        self.run_dir = run_dir
        self.server = server if server is not None and not server.is_head else None
        self.own = uses_build()   # the build's binaries, not the system's
        self.version = None
        self.saved_environment = None

    def environment(self):
        """The variables that point a command on its server at this instance."""
        return environment(self.directory, SERVER_PATH if self.server else None)

    def describe(self):
        version = ".".join(map(str, self.version))
        if self.own:
            return "Open vSwitch %s (kubemn's own, %s)" % (version, HOME)
        reason = "KUBEMN_OVS=system" if build_present() else \
            "build/ovs is missing: `make deps` fetches kubemn's own"
        return "Open vSwitch %s (the system's binaries; %s)" % (version, reason)

    def start(self):
        """Creates the database and starts both daemons; their environment becomes
        this process's (children included). A clear error when they cannot start."""
        self.own = uses_build()
        self.saved_environment = {name: os.environ.get(name)
                                  for name in DIRECTORY_VARIABLES + ("PATH",)}
        if self.server:
            self.server.run(["mkdir", "-p", self.directory])
        else:
            os.makedirs(self.directory)
            os.environ.update(environment(self.directory))
        schema = BUILD_SCHEMA if self.own else SYSTEM_SCHEMA
        database = os.path.join(self.directory, "conf.db")
        self._run(["ovsdb-tool", "create", database, schema])
        self._run(["ovsdb-server", database, "--remote=punix:" + self._path("db.sock"),
                   "--pidfile", "--detach", "--no-chdir",
                   "--log-file=" + self._path("ovsdb-server.log")])
        self._run(["ovs-vsctl", "--no-wait", "init"])
        self._run(["ovs-vswitchd", "unix:" + self._path("db.sock"), "--pidfile", "--detach",
                   "--no-chdir", "--log-file=" + self._path("ovs-vswitchd.log")])
        self.version = parse_version(self._run(["ovs-vswitchd", "--version"]))
        if not self.server:
            with open(self._path(SHELL_FILE), "w") as handle:
                handle.write(shell_exports(self.directory, self.own))
        return self

    def stop(self):
        """Ends both daemons (their bridges, ports and conntrack go with them) and
        gives the process its environment back. Safe to call twice."""
        if self.saved_environment is None:
            return
        if self.server:
            self._stop_there()
            return
        for daemon in DAEMONS:
            pid = self._pid(daemon)
            if pid is not None:
                # An OVS daemon ends cleanly on SIGTERM (removing its pid file).
                stop_pids([pid], STOP_SECONDS)
        for name, value in self.saved_environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self.saved_environment = None

    def _stop_there(self):
        """On another server: both daemons asked to end (ovs-vswitchd taking its
        datapath's devices with it), then the run's directory there removed."""
        self.saved_environment = None
        self.server.run(["sh", "-c", "ovs-appctl -t ovs-vswitchd exit --cleanup; "
                         "ovs-appctl -t ovsdb-server exit; rm -rf %s" % self.run_dir],
                        env=self.environment(), check=False)

    def _path(self, name):
        return os.path.join(self.directory, name)

    def _pid(self, daemon):
        try:
            with open(self._path(daemon + ".pid")) as handle:
                return int(handle.read().strip())
        except (OSError, ValueError):
            return None

    def _run(self, argv):
        if self.server:
            return self.server.run(argv, env=self.environment())
        try:
            result = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                                    text=True, timeout=COMMAND_SECONDS)
        except FileNotFoundError:
            raise KubemnError("Open vSwitch is not installed (%s missing): `make deps` "
                              "fetches kubemn's own" % argv[0]) from None
        except subprocess.TimeoutExpired:
            raise KubemnError("Open vSwitch: `%s` did not end within %d s (logs in %s)"
                              % (" ".join(argv[:2]), COMMAND_SECONDS, self.directory)) from None
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or ["exit code %d" % result.returncode])
            raise KubemnError("Open vSwitch: `%s` failed: %s (logs in %s)"
                              % (" ".join(argv[:2]), last[-1], self.directory))
        return result.stdout
