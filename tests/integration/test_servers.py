"""Simulated servers (topo/servers/simulated.py): each its own hostname, address and
sshd, reached by ssh from the head and from each other over the LAN; gone without a
trace on `servers down`, and on `kubemn clean` after the process that made them is
gone; a cluster run on the head runs over them rather than calling them leftovers."""
import subprocess
import sys

import pytest

from tests.integration.conftest import ROOT
from topo.runtime import cleanup
from topo.servers.simulated import SimulatedServers, ssh_argv, state

KUBEMN = [sys.executable, "-m", "topo.main"]


def ssh(server, command):
    return subprocess.run(ssh_argv(server, command), capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=30)


@pytest.fixture(scope="module")
def servers(over_servers):
    if over_servers is not None:
        pytest.skip("the session's simulated servers are up (make test-servers)")
    made = SimulatedServers(3).start()
    yield made
    made.stop()


def test_each_server_is_its_own_machine(servers):
    seen = {}
    for server in servers.lan.servers:
        answer = ssh(server.name, "hostname; ip -4 -o addr show dev eth0; ls /run")
        assert answer.returncode == 0, answer.stderr
        hostname, address, *run = answer.stdout.split("\n")
        assert hostname == server.name
        assert server.address + "/24" in address
        assert "kubemn-servers" not in run   # the head's /run is not its
        seen[server.name] = hostname
    assert len(set(seen.values())) == 2
    assert state()["servers"] == ["head", "server2", "server3"]


def test_servers_reach_each_other_and_the_head_over_the_lan(servers):
    lan = servers.lan
    answer = ssh("server2", "ping -c1 -W2 %s && ping -c1 -W2 %s"
                 % (lan.servers[1].address, lan.head_address))
    assert answer.returncode == 0, answer.stdout + answer.stderr


def test_a_server_ends_with_what_it_runs(servers):
    # A process started over ssh and left running lives in the server's PID namespace.
    answer = ssh("server3", "setsid sleep 300 </dev/null >/dev/null 2>&1 & echo started")
    assert answer.stdout.strip() == "started"
    assert "sleep 300" in ssh("server3", "ps -eo args").stdout


def test_a_second_harness_and_a_clashing_count_are_refused(servers):
    again = subprocess.run(KUBEMN + ["servers", "up", "3"], cwd=ROOT, capture_output=True,
                           text=True, timeout=60)
    assert again.returncode == 1
    assert again.stderr.startswith("kubemn: error: simulated servers are up already")
    assert len(again.stderr.splitlines()) == 1
    too_many = subprocess.run(KUBEMN + ["servers", "up", "40"], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
    assert too_many.stderr.strip() == \
        "kubemn: error: servers up: expected 2-16 servers (the head included), not 40"


def test_servers_down_and_clean_leave_nothing(servers):
    servers.stop()
    assert not any(cleanup.leftovers().values())
    made = subprocess.run(KUBEMN + ["servers", "up", "2"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    assert "head,server2" in made.stdout
    assert cleanup.leftovers()[cleanup.SERVERS_KIND]
    # Its maker is gone: `kubemn clean` finds what is left by the marker and prefix.
    sleeper = ssh("server2", "setsid sleep 300 </dev/null >/dev/null 2>&1 & echo $!")
    assert sleeper.returncode == 0
    cleaned = subprocess.run(KUBEMN + ["clean"], cwd=ROOT, capture_output=True, text=True,
                             timeout=60)
    assert "simulated servers" in cleaned.stdout
    assert not any(cleanup.leftovers().values())
    assert "sleep 300" not in subprocess.run(["ps", "-eo", "args"], capture_output=True,
                                             text=True).stdout
