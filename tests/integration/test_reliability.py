"""Reliability: crashes and signals leave nothing that `kubemn clean` does not remove,
a second run never damages the first, hostile packets and pod churn change nothing
that lasts."""
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.integration.conftest import ROOT, start_cluster
from topo.cluster import Cluster
from topo.errors import KubemnError
from topo.runtime import cleanup, conntrack
from topo.plan.ipam import GATEWAY_MAC
from topo.plan.naming import cni_mac
from topo.plan.naming import RUN_DIR_ROOT
from topo.runtime.processes import enter_argv
from topo.runtime.run_root import IN_MEMORY, MOUNT_SOURCE, file_system_type

# faulthandler: a kubemn that hangs can be made to show where (SIGABRT).
KUBEMN = [sys.executable, "-X", "faulthandler", "-m", "topo.main"]
HELPERS = os.path.join(ROOT, "tests", "helpers")


def start_kubemn(*args):
    """kubemn run with a script on a pipe that stays open; returns once it is ready."""
    process = subprocess.Popen(KUBEMN + ["run"] + list(args), cwd=ROOT, text=True,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    while True:
        line = process.stderr.readline()
        assert line, "kubemn exited before it was ready"
        if "cluster ready" in line:
            return process


def kubemn(*args, script=""):
    return subprocess.run(KUBEMN + list(args), cwd=ROOT, input=script, capture_output=True,
                          text=True, timeout=300)


def mounts():
    with open("/proc/mounts") as handle:
        return handle.read()


def test_kill_9_of_kubemn_then_clean_then_a_new_run():
    process = start_kubemn()
    assert file_system_type(RUN_DIR_ROOT, mounts()) in IN_MEMORY   # the run's files
    process.kill()
    process.wait()
    found = cleanup.leftovers()
    assert found["processes"] and found["ovs bridges"], found
    refused = kubemn("run", script="")
    assert refused.returncode == 1
    assert "leftovers of an earlier kubemn run" in refused.stderr
    assert "make clean" in refused.stderr
    cleaned = kubemn("clean")
    assert cleaned.returncode == 0 and cleaned.stdout.startswith("kubemn: removed")
    assert not any(cleanup.leftovers().values())
    assert MOUNT_SOURCE not in mounts()
    again = kubemn("run", script="kubectl get nodes\n")
    assert again.returncode == 0 and "node1   Ready" in again.stdout


def test_run_with_clean_removes_leftovers_itself():
    process = start_kubemn()
    process.kill()
    process.wait()
    result = kubemn("run", "--clean", script="kubectl get nodes\n")
    assert result.returncode == 0, result.stderr
    assert "removing leftovers of an earlier run" in result.stderr


@pytest.mark.parametrize("signum,code", [(signal.SIGTERM, 143), (signal.SIGINT, 130),
                                         (signal.SIGHUP, 129)])
def test_signals_tear_everything_down(signum, code):
    process = start_kubemn()
    process.send_signal(signum)
    try:
        status = process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGABRT)
        process.wait()
        pytest.fail("kubemn did not stop:\n%s" % process.stderr.read()[-4000:])
    assert status == code
    assert "everything torn down" in process.stderr.read()
    assert not any(cleanup.leftovers().values())


def test_a_second_run_is_refused_and_the_first_keeps_working():
    first = start_cluster("""
apiVersion: v1
kind: Pod
metadata: {name: steady}
spec:
  containers: [{name: web, image: "agnhost:2.39", args: [netexec, --http-port=80],
                   ports: [{containerPort: 80}]}]
""")
    try:
        second = kubemn("run", script="")
        assert second.returncode == 1
        assert "another kubemn run is active (pid %d)" % os.getpid() in second.stderr
        clean = kubemn("clean")
        assert clean.returncode == 1 and "a kubemn run is active" in clean.stderr
        answer = first.node_exec("node2", "curl -s -m 2 http://%s/hostname"
                                 % first.pod("steady").ip)
        assert answer.stdout == "steady"
    finally:
        first.stop()


def test_a_cluster_started_then_used_in_with_is_one_cluster_stopped_at_its_end():
    with Cluster(None, nodes=1).start() as cluster:
        assert cluster.running
        with pytest.raises(KubemnError, match="running already"):
            cluster.start()
    assert not cluster.running and not any(cleanup.leftovers().values())


WORKLOAD = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: agnhost
        image: registry.k8s.io/e2e-test-images/agnhost:2.39
        args: ["netexec", "--http-port=8080", "--udp-port=-1"]
        ports: [{containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080, nodePort: 30080}]
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  nodeName: node1
  containers: [{name: shell, image: busybox, command: [sleep, infinity]}]
"""


@pytest.fixture(scope="module")
def cluster():
    running = start_cluster(WORKLOAD)
    yield running
    running.stop()


def services_answer(cluster):
    vip = cluster.served_service("web").cluster_ip
    for _ in range(10):
        answer = cluster.exec("client", "curl -s -m 2 http://%s/hostname" % vip)
        assert answer.stdout.startswith("web-"), answer
    outside = cluster.net["internet"].cmd("curl -s -m 2 http://192.168.0.2:30080/hostname")
    assert outside.startswith("web-"), outside
    name = cluster.exec("client", "getent hosts web.default.svc.cluster.local").stdout
    assert vip in name


def test_the_fabric_survives_ten_thousand_malformed_packets(cluster):
    controller_pid = cluster.controller.process.pid
    vip = cluster.served_service("web").cluster_ip
    target = next(p.ip for p in cluster.deployment_pods("web"))
    fuzz = [sys.executable, os.path.join(HELPERS, "fuzz.py"), vip, "80", target, "8080"]
    from_pod = cluster.exec("client", fuzz + ["1200"],
                            input=cni_mac(cluster.node_plans["node1"].bridge_ip) + "\n",
                            timeout=300)
    internet = cluster.net["internet"]
    from_outside = subprocess.run(enter_argv(internet.pid) + fuzz + ["1200"],
                                  input=GATEWAY_MAC + "\n", capture_output=True,
                                  text=True, timeout=300)
    sent = int(from_pod.stdout) + int(from_outside.stdout)
    assert sent >= 10000, (from_pod.stderr, from_outside.stderr)
    services_answer(cluster)
    assert cluster.controller.process.pid == controller_pid, "the controller never died"
    status = cluster.controller.status()
    assert not status["refusals"]
    assert set(status["switches"].values()) == {status["generation"]}


def counts(cluster):
    """What must come back to its baseline after churn."""
    switch = cluster.fabric.switches[0][0]
    ofctl = ["ovs-ofctl", "-O", "OpenFlow13"]
    flows = subprocess.run(ofctl + ["dump-flows", switch], capture_output=True,
                           text=True).stdout.count("cookie=")
    groups = subprocess.run(ofctl + ["dump-groups", switch], capture_output=True,
                            text=True).stdout.count("group_id=")
    interfaces = sum(len(cluster.node_exec(n, "ip -o link").stdout.splitlines())
                     for n in cluster.node_plans)
    cluster.janitor.drain()
    return {"processes": len(cleanup.marked_processes()), "interfaces": interfaces,
            "flows": flows, "groups": groups, "conntrack": conntrack.count_entries(),
            "controller_kib": controller_rss_kib(cluster)}


def controller_rss_kib(cluster):
    with open("/proc/%d/status" % cluster.controller.process.pid) as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def test_pod_churn_returns_everything_to_its_baseline(cluster):
    churn = """
apiVersion: v1
kind: Pod
metadata: {name: churn, labels: {app: web}}
spec:
  containers:
  - name: agnhost
    image: registry.k8s.io/e2e-test-images/agnhost:2.39
    args: ["netexec", "--http-port=8080", "--udp-port=-1"]
    ports: [{containerPort: 8080}]
"""
    vip = cluster.served_service("web").cluster_ip
    baseline = counts(cluster)
    started = time.monotonic()
    for cycle in range(300):
        cluster.apply_text(churn)
        if cycle % 30 == 0:
            cluster.exec("client", "curl -s -m 2 -o /dev/null http://%s/" % vip)
            cluster.exec("client", "curl -s -m 2 -o /dev/null http://%s:8080/"
                         % cluster.pod("churn").ip)
        cluster.delete("pod", "churn")
        assert time.monotonic() - started < 600, "churn is bounded in time"
    after = counts(cluster)
    # The curls' own connections to the Deployment's pods may linger in TIME_WAIT.
    assert after["conntrack"] <= baseline["conntrack"] + 10, (baseline, after)
    assert after["controller_kib"] < baseline["controller_kib"] + 20 * 1024, (baseline, after)
    for bounded in ("conntrack", "controller_kib"):
        del after[bounded], baseline[bounded]
    assert after == baseline
    services_answer(cluster)
