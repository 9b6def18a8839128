"""Integration fixtures: real clusters, scapy captures in namespaces, and the leak
audit that every integration module passes through."""
import json
import os
import subprocess
import sys
import time

import pytest

from topo.runtime import cleanup
from topo.cluster import PLACER_VARIABLE, SERVERS_VARIABLE, Cluster
from topo.plan.manifest import parse_texts
from topo.servers.simulated import SimulatedServers

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACKETS = os.path.join(ROOT, "tests", "helpers", "packets.py")
MANIFESTS = os.path.join(ROOT, "tests", "manifests")


def wait_for(condition, seconds):
    """Until condition() holds; fails the test after seconds."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in %s s" % seconds
        time.sleep(0.05)


def first_answer(cluster, pod, argv, seconds=10):
    """What argv (a client in the pod, e.g. wget of a Service) prints once it answers:
    a Service answers a moment after its endpoints are Ready, when the proxy has
    programmed it (kube-proxy's sync follows the endpoints, as the e2e suite's
    probes allow for); fails the test after seconds."""
    deadline = time.monotonic() + seconds
    while True:
        result = cluster.exec(pod, argv)
        if result.stdout:
            return result.stdout
        assert time.monotonic() < deadline, "%s: no answer in %s s: %s" % (
            argv, seconds, result.stderr)
        time.sleep(0.1)


def manifest_path(name):
    return os.path.join(MANIFESTS, name)


@pytest.fixture(scope="session", autouse=True)
def over_servers():
    """With KUBEMN_TEST_SERVERS=N (make test-servers), every cluster of the session
    runs over N simulated servers, its nodes dealt out round-robin."""
    count = int(os.environ.get("KUBEMN_TEST_SERVERS") or 1)
    if count == 1:
        yield None
        return
    servers = SimulatedServers(count).start()
    os.environ[SERVERS_VARIABLE] = ",".join(servers.lan.names)
    os.environ[PLACER_VARIABLE] = "round-robin"
    yield servers
    del os.environ[SERVERS_VARIABLE], os.environ[PLACER_VARIABLE]
    servers.stop()


def _leftovers(over_servers):
    found = cleanup.leftovers()
    if over_servers is not None:
        found.pop(cleanup.SERVERS_KIND)   # the session's, up from start to end
    return found


@pytest.fixture(scope="module", autouse=True)
def leak_audit(over_servers):
    """Nothing of kubemn's may exist before or after an integration module."""
    before = _leftovers(over_servers)
    assert not any(before.values()), "leftovers before the module: %s" % before
    yield
    after = _leftovers(over_servers)
    assert not any(after.values()), "leftovers after the module: %s %s" % (
        after, [_cmdline(pid) for pid in after["processes"]])


def _cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "(gone)"


def start_cluster(text=None, **kwargs):
    manifests = parse_texts([("test manifest", text)]) if text else None
    return Cluster(manifests, **kwargs).start()


class Capture:
    """A scapy capture in a namespace (given as the argv prefix that enters it),
    started before the traffic it must see."""

    def __init__(self, enter, iface, bpf, count=1, timeout=5):
        self.process = subprocess.Popen(
            enter + [sys.executable, "-m", "topo.runtime.capture", iface, bpf, str(timeout),
                     str(count)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if line.strip() != "READY":
            self.process.kill()
            raise RuntimeError("capture on %s did not start: %s %s"
                               % (iface, line, self.process.stderr.read()))

    def packets(self):
        out, err = self.process.communicate(timeout=30)
        assert self.process.returncode == 0, err
        return json.loads(out.strip().splitlines()[-1])


def node_enter(cluster, node):
    return cluster.node_enter(node)


def pod_enter(cluster, pod):
    return cluster.pod(pod).nsenter_argv()


def scapy_in_pod(cluster, pod, *args):
    """Runs tests/helpers/packets.py in the pod; returns its JSON answer."""
    result = cluster.exec(pod, [sys.executable, PACKETS] + [str(a) for a in args])
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])
