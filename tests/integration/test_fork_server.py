"""The fork server (topo/runtime/fork_server.py, forked.py) on its own, against real
namespaces: a forked stand-in is a container of its own, as the one an exec would
start, in its pod's namespaces, with its own session, argv, environment, streams
and exit status; a program it executes is the same, as nsenter would start it."""
import json
import os
import signal
import subprocess
import sys
import urllib.parse

import pytest

from tests.integration.conftest import wait_for
from topo.runtime.forked import ForkServer
from topo.runtime.processes import enter_argv

HOSTNAME = "forked-pod"
AGNHOST = [sys.executable, "-m", "services.apps.agnhost"]


@pytest.fixture(scope="module")
def sandbox():
    """A pod's pause process, as far as namespaces go: net (lo up), uts, mount."""
    process = subprocess.Popen(
        ["unshare", "--net", "--uts", "--mount", "--", "bash", "-c",
         "ip link set lo up; echo %s > /proc/sys/kernel/hostname; "
         "exec -a kubemn-test-sandbox sleep infinity" % HOSTNAME])
    wait_for(lambda: _hostname(process.pid) == HOSTNAME, 5)
    yield process
    process.kill()
    process.wait()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    forks = ForkServer(str(tmp_path_factory.mktemp("fork") / "server.log")).start()
    yield forks
    forks.stop()


@pytest.fixture
def spawn(server, sandbox, tmp_path):
    """spawn(argv, **env) -> (ForkedProcess, its log's path); what it started is
    killed after the test."""
    started = []

    def start(argv, sandbox_pid=None, **env):
        log_path = str(tmp_path / ("c%d.log" % len(started)))
        stdin = os.open(os.devnull, os.O_RDONLY)
        with open(log_path, "wb") as log:
            process = server.spawn(argv, dict(os.environ, **env),
                                   sandbox_pid or sandbox.pid, ("net", "uts", "mnt"),
                                   stdin, log.fileno(), log.fileno())
        os.close(stdin)
        started.append(process)
        return process, log_path
    yield start
    for process in started:
        process.kill()
        process.wait(5)


def _hostname(pid):
    return subprocess.run(enter_argv(pid, "uts") + ["hostname"], capture_output=True,
                          text=True).stdout.strip()


def _get(sandbox, port, path):
    return subprocess.run(enter_argv(sandbox.pid) + [
        "curl", "-s", "--max-time", "5", "http://127.0.0.1:%d%s" % (port, path)],
        capture_output=True, text=True).stdout


def _netexec(spawn, sandbox, port, **env):
    argv = AGNHOST + ["netexec", "--http-port", str(port), "--udp-port", "-1"]
    process, log_path = spawn(argv, **env)
    wait_for(lambda: _get(sandbox, port, "/hostname") or process.poll() is not None, 10)
    return process, log_path, argv


def test_a_forked_container_serves_in_its_pods_namespaces_in_a_session_of_its_own(
        spawn, sandbox):
    process, _, argv = _netexec(spawn, sandbox, 8080)
    assert _get(sandbox, 8080, "/hostname") == HOSTNAME
    for namespace in ("net", "uts", "mnt"):
        assert os.readlink("/proc/%d/ns/%s" % (process.pid, namespace)) == \
            os.readlink("/proc/%d/ns/%s" % (sandbox.pid, namespace))
    assert os.getsid(process.pid) == process.pid
    shown = subprocess.run(["ps", "-ww", "-o", "args=", "-p", str(process.pid)],
                           capture_output=True, text=True).stdout.strip()
    assert shown == " ".join(argv)


def test_a_forked_container_has_its_own_environment(spawn, sandbox):
    _netexec(spawn, sandbox, 8081, KUBEMN_TEST_GREETING="hello from the pod")
    answer = _get(sandbox, 8081, "/shell?cmd=" + urllib.parse.quote(
        "echo $KUBEMN_TEST_GREETING"))
    assert json.loads(answer)["output"] == "hello from the pod\n"


def test_its_exit_status_reaches_the_kubelet(spawn, sandbox):
    exiting, _, _ = _netexec(spawn, sandbox, 8082)
    _get(sandbox, 8082, "/exit?code=3")
    assert exiting.wait(5) == 3
    paused, log_path = spawn(AGNHOST + ["pause"])
    wait_for(lambda: open(log_path).read() == "Paused\n", 5)
    paused.terminate()
    assert paused.wait(5) == 0   # agnhost pause ends on SIGTERM with status 0
    killed, _ = spawn(AGNHOST + ["pause"])
    assert killed.poll() is None
    os.kill(killed.pid, signal.SIGKILL)
    assert killed.wait(5) == -signal.SIGKILL


def test_what_it_prints_goes_to_its_log_and_an_error_ends_it_as_python_would(spawn):
    unknown, log_path = spawn(AGNHOST + ["no-such-subcommand"])
    assert unknown.wait(5) == 1
    assert open(log_path).read().startswith(
        'Error: unknown command "no-such-subcommand" for "agnhost"\n')


def test_a_container_whose_pod_is_gone_fails_with_the_reason(spawn):
    gone = subprocess.Popen(["true"])
    gone.wait()
    orphan, log_path = spawn(AGNHOST + ["pause"], sandbox_pid=gone.pid)
    assert orphan.wait(5) == 1
    assert "entering the pod's namespaces failed" in open(log_path).read()


def test_a_program_runs_in_its_pods_namespaces_with_its_environment_as_nsenter_ran_it(
        spawn, sandbox):
    # The shell reports its hostname, a variable, its session and what SIGPIPE does.
    program, log_path = spawn(["sh", "-c", 'echo "$(hostname) $KUBEMN_TEST_GREETING '
                               '$(ps -o sid= -p $$) $(grep SigIgn /proc/self/status)"'],
                              KUBEMN_TEST_GREETING="hello")
    assert program.wait(5) == 0
    hostname, greeting, session, _, ignored = open(log_path).read().split()
    assert (hostname, greeting, int(session)) == (HOSTNAME, "hello", program.pid)
    assert not int(ignored, 16) & (1 << (signal.SIGPIPE - 1)), "SIGPIPE left ignored"


def test_a_program_holds_its_streams_alone_and_the_server_comes_back_from_its_pod(
        server, spawn, sandbox):
    program, log_path = spawn(["sh", "-c", "exec ls /proc/self/fd"])
    assert program.wait(5) == 0
    # ls's own directory descriptor besides the streams: nothing of the server's.
    assert len(open(log_path).read().split()) == 4
    assert os.readlink("/proc/%d/cwd" % server.process.pid) == "/"
    for namespace in ("net", "uts", "mnt"):
        assert os.readlink("/proc/%d/ns/%s" % (server.process.pid, namespace)) == \
            os.readlink("/proc/self/ns/%s" % namespace)
    sleeper, _ = spawn(["sleep", "30"])
    for namespace in ("net", "uts", "mnt"):
        assert os.readlink("/proc/%d/ns/%s" % (sleeper.pid, namespace)) == \
            os.readlink("/proc/%d/ns/%s" % (sandbox.pid, namespace))


def test_a_program_that_cannot_run_exits_127_saying_why(spawn):
    missing, log_path = spawn(["/no/such/program", "--flag"])
    assert missing.wait(5) == 127
    assert open(log_path).read() == \
        "kubemn: failed to execute /no/such/program: No such file or directory\n"


def test_a_pods_sandbox_is_a_program_that_makes_its_own_namespaces(server, tmp_path):
    stdin, log = os.open(os.devnull, os.O_RDONLY), open(tmp_path / "sandbox.log", "wb")
    sandbox = server.spawn(["unshare", "--net", "--", "sleep", "infinity"], dict(os.environ),
                           None, (), stdin, log.fileno(), log.fileno())
    os.close(stdin)
    log.close()
    try:
        wait_for(lambda: open("/proc/%d/cmdline" % sandbox.pid).read().startswith("sleep"), 5)
        assert os.readlink("/proc/%d/ns/net" % sandbox.pid) != os.readlink("/proc/self/ns/net")
    finally:
        sandbox.kill()
    assert sandbox.wait(5) == -signal.SIGKILL


def test_the_server_ends_when_kubemn_stops_it(tmp_path):
    forks = ForkServer(str(tmp_path / "server.log")).start()
    pid = forks.process.pid
    forks.stop()
    assert not os.path.exists("/proc/%d" % pid)
