"""kubemn's own Open vSwitch: the run's ovsdb-server and ovs-vswitchd, every ovs-*
command pointed at them (kubemn's, and a user's shell's through `kubemn ovs-env`),
the machine's Open vSwitch untouched, and nothing of them left after teardown."""
import os
import subprocess
import sys

from tests.integration.conftest import ROOT, start_cluster
from topo.plan.naming import RUN_MARKER
from topo.runtime import vswitch
from topo.runtime.processes import alive

SYSTEM_SOCKET = "/var/run/openvswitch/db.sock"


def daemon_pids(directory):
    pids = {}
    for daemon in vswitch.DAEMONS:
        with open(os.path.join(directory, daemon + ".pid")) as handle:
            pids[daemon] = int(handle.read())
    return pids


def environment_of(pid):
    with open("/proc/%d/environ" % pid, "rb") as handle:
        return dict(entry.split(b"=", 1) for entry in handle.read().split(b"\0") if b"=" in entry)


def test_a_run_has_its_own_open_vswitch_a_shell_can_reach_and_leaves_nothing_of_it():
    cluster = start_cluster(nodes=1)
    try:
        directory = cluster.vswitch.directory
        pids = daemon_pids(directory)
        for pid in pids.values():
            # the run's own: marked as the run's, so that `make clean` finds it
            assert environment_of(pid)[RUN_MARKER.encode()] == cluster.run_id.encode()
        if vswitch.uses_build():
            assert cluster.vswitch.own and vswitch.nats_as_linux(cluster.vswitch.version)
        shell = subprocess.run(
            ["bash", "-c", 'eval "$(%s -m topo.main ovs-env)" && ovs-vsctl list-br && '
             'ovs-appctl version' % sys.executable],
            cwd=ROOT, capture_output=True, text=True, timeout=30,
            env={name: value for name, value in os.environ.items()
                 if name not in vswitch.DIRECTORY_VARIABLES})
        assert shell.returncode == 0, shell.stderr
        bridges, version = shell.stdout.split("\n", 1)
        assert bridges == "kmn-s1"
        assert "(Open vSwitch) %s" % ".".join(map(str, cluster.vswitch.version)) in version
        if os.path.exists(SYSTEM_SOCKET):   # the machine's own, if it runs, has none of it
            system = subprocess.run(["ovs-vsctl", "--db=unix:" + SYSTEM_SOCKET, "list-br"],
                                    capture_output=True, text=True, timeout=30)
            assert "kmn-" not in system.stdout
    finally:
        cluster.stop()
    for daemon, pid in pids.items():
        # not even a zombie of it (a detached daemon's parent, init, reaps it later)
        assert not alive(pid), daemon
    assert not os.path.exists(directory)
    assert all(os.environ.get(name) != directory for name in vswitch.DIRECTORY_VARIABLES)
