"""Services as a Kubernetes user expects them, implemented by the Ryu controller in
Open vSwitch and proven with real packets: pod to Service (TCP, UDP), spread, churn,
readiness, hairpin, affinity, rejects, internet to Service, the conntrack port-reuse
trap, and a controller restart under load."""
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

from tests.integration.conftest import (ROOT, Capture, manifest_path, pod_enter,
                                        scapy_in_pod, wait_for)
from topo.cli import kubectl
from topo.cluster import Cluster
from topo.runtime.processes import enter_argv

HELPERS = os.path.join(ROOT, "tests", "helpers")
LOAD = os.path.join(ROOT, "bench", "load.py")
INTERNET_IP = "203.0.113.1"


@pytest.fixture(scope="module")
def cluster():
    with Cluster.from_files([manifest_path("services.yaml")]) as running:
        yield running


def vip(cluster, service):
    return cluster.served_service(service).cluster_ip


def backends(cluster, app="web"):
    return {p.name: p for p in cluster.pods.values() if p.spec.template.label_dict().get(
        "app") == app}


def loop(cluster, pod, mode, amount, url):
    result = cluster.exec(pod, [sys.executable, os.path.join(HELPERS, "http_loop.py"),
                                mode, str(amount), url], timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def internet(cluster, command):
    host = cluster.net["internet"]
    return subprocess.run(enter_argv(host.pid) + ["sh", "-c", command],
                          capture_output=True, text=True, timeout=30)


# Holds one HTTP/1.1 connection open, asking over it for each path read from stdin.
KEEPALIVE = """
import http.client, sys
connection = http.client.HTTPConnection(sys.argv[1], int(sys.argv[2]), timeout=3)
for path in sys.stdin:
    connection.request("GET", path.strip())
    print(connection.getresponse().read().decode(), flush=True)
"""


def keepalive_connection(cluster, pod, host, port):
    """An HTTP/1.1 connection opened from inside the pod (a process there, on its
    node's server); it stays there until the test ends."""
    return cluster.popen(pod, [sys.executable, "-c", KEEPALIVE, host, str(port)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def ask(connection, path="/hostname"):
    connection.stdin.write(path + "\n")
    connection.stdin.flush()
    return connection.stdout.readline().strip()


# --- pod to Service ---------------------------------------------------------------

def test_tcp_syn_to_the_vip_is_answered_by_the_vip_and_the_backend_sees_the_client(cluster):
    client = cluster.pod("client")
    bpf = "tcp[tcpflags] & tcp-syn != 0 and dst port 8080"
    seen_on = set()
    # Until a backend on the client's node and one elsewhere have each had a SYN: with
    # one of three backends local, 40 tries all missing one is a 1e-7 chance.
    for _ in range(40):
        if seen_on == {True, False}:
            break
        captures = {name: Capture(pod_enter(cluster, name), "eth0", bpf, timeout=4)
                    for name in backends(cluster)}
        answer = scapy_in_pod(cluster, "client", "syn", vip(cluster, "web"), 80)
        assert answer["flags"] == "SA"
        assert (answer["src"], answer["sport"]) == (vip(cluster, "web"), 80)
        seen = {name: capture.packets() for name, capture in captures.items()}
        (chosen,) = [name for name, packets in seen.items() if packets]
        # ClusterIP keeps the client's address, its own node's backends included.
        assert seen[chosen][0]["src"] == client.ip
        seen_on.add(cluster.pod(chosen).node is client.node)
    assert seen_on == {True, False}, "backends on the client's node and on others"


def test_udp_to_a_udp_port_of_the_same_service(cluster):
    answer = scapy_in_pod(cluster, "client", "udp", vip(cluster, "web"), 8081, "hostname")
    assert (answer["src"], answer["sport"]) == (vip(cluster, "web"), 8081)
    assert answer["payload"] in backends(cluster)


def test_connections_spread_over_every_backend(cluster):
    found = loop(cluster, "client", "count", 200, "http://%s/hostname" % vip(cluster, "web"))
    assert found["errors"] == 0
    names = backends(cluster)
    assert set(found["counts"]) == set(names)
    fair = 200 / len(names)
    assert min(found["counts"].values()) >= fair / 2, found["counts"]


def test_hairpin_to_a_backend_on_the_same_node_and_to_itself(cluster):
    for name, pod in backends(cluster).items():
        answers = loop(cluster, name, "count", 30, "http://%s/hostname" % vip(cluster, "web"))
        assert answers["errors"] == 0
        assert name in answers["counts"], "a pod reaches itself through its Service"
    neighbour = loop(cluster, "neighbour", "count", 30,
                     "http://%s/hostname" % vip(cluster, "web"))
    node1_backends = {n for n, p in backends(cluster).items() if p.node.name == "node1"}
    assert neighbour["errors"] == 0 and node1_backends & set(neighbour["counts"])


def test_session_affinity_sticks_until_the_timeout(cluster):
    url = "http://%s/hostname" % vip(cluster, "sticky")
    # Well within the timeout, even on a loaded machine: the affinity is learned for
    # timeoutSeconds from the first connection.
    found = loop(cluster, "client", "count", 10, url)
    assert found["errors"] == 0 and len(found["counts"]) == 1
    client_ip = cluster.pod("client").ip
    switch = cluster.attachments[cluster.pod("client").node.name]   # where it is learned

    def learned():
        dump = subprocess.run(cluster.switch_enter(switch) + [
            "ovs-ofctl", "-O", "OpenFlow13", "dump-flows", switch, "table=23"],
            capture_output=True, text=True).stdout
        return [line for line in dump.splitlines() if "nw_src=%s," % client_ip in line]

    assert learned() and "hard_timeout=5" in learned()[0]
    time.sleep(6.5)
    assert not learned(), "the affinity is forgotten after timeoutSeconds"


def test_a_service_without_endpoints_refuses_at_once(cluster):
    target = vip(cluster, "nobody")
    started = time.monotonic()
    reset = scapy_in_pod(cluster, "client", "syn", target, 80)
    assert reset["flags"] == "RA" and reset["src"] == target
    unreachable = scapy_in_pod(cluster, "client", "udp", target, 53, "hello")
    assert (unreachable["icmp_type"], unreachable["icmp_code"]) == (3, 3)
    assert time.monotonic() - started < 5
    refused = cluster.exec("client", "curl -s -m 5 http://%s/" % target)
    assert refused.returncode == 7, "connection refused, not a timeout"


# --- endpoints follow the pods ------------------------------------------------------

def test_readiness_takes_a_pod_out_of_the_endpoints_and_back(cluster):
    url = "http://%s/hostname" % vip(cluster, "flaky")
    victim = sorted(backends(cluster, "flaky"))[0]
    marker = "/run/kubemn-test-unready-%s" % victim
    machine = backends(cluster, "flaky")[victim].machine   # its node's server, where
    machine.call(os.mknod, marker)                          # its probe looks
    try:
        wait_for(lambda: victim not in [e.pod for e in cluster.endpoints("flaky")], 5)
        # The proxy follows the slices within its sync period, as kube-proxy does, and
        # Open vSwitch's flow cache within its revalidation's: both brought forward.
        cluster.sync_services(endpoints_left=True)
        found = loop(cluster, "client", "count", 30, url)
        assert victim not in found["counts"] and found["errors"] == 0
    finally:
        machine.call(os.unlink, marker)
    wait_for(lambda: victim in [e.pod for e in cluster.endpoints("flaky")], 5)
    cluster.sync_services()
    found = loop(cluster, "client", "count", 40, url)
    assert victim in found["counts"]


def test_endpoint_churn_breaks_nothing_after_a_second(cluster):
    url = "http://%s/hostname" % vip(cluster, "web")
    kept = keepalive_connection(cluster, "client", vip(cluster, "web"), 80)
    survivor = ask(kept)
    changes = []
    outcome = {}
    thread = threading.Thread(target=lambda: outcome.update(
        loop(cluster, "client", "for", 9, url)))
    thread.start()
    time.sleep(1)
    victim = next(n for n in sorted(backends(cluster)) if n != survivor)
    changes.append(time.time())
    cluster.delete("pod", victim)
    time.sleep(1.5)
    changes.append(time.time())
    cluster.scale("web", 5)
    time.sleep(1.5)
    changes.append(time.time())
    cluster.scale("web", 3)
    thread.join()
    assert survivor in backends(cluster), "the newest pods go first when scaling down"
    failures = [t for t, answer in outcome["results"] if answer is None]
    late = [t for t in failures if not any(c <= t <= c + 1 for c in changes)]
    assert not late, "requests failed more than a second after a change: %s" % late
    assert len(outcome["results"]) > 100
    assert ask(kept) == survivor, "the established connection kept its backend"


def test_a_deleted_pod_leaves_the_endpoints_before_it_stops(cluster, monkeypatch):
    """Each desired state the controller is told is recorded with whether the victim
    still ran then: one without it as an endpoint must come while it still runs."""
    before = {e.pod for e in cluster.endpoints("web")}
    victim = cluster.pod(sorted(before)[0])
    told = []
    push_state = cluster.push_state

    def recording_push(*args, **kwargs):
        endpoint_ips = {e["ip"] for members in cluster.desired_state()["endpoint_sets"].values()
                        for e in members}
        told.append((victim.ip in endpoint_ips, victim.pause is not None and
                     victim.pause.poll() is None))
        return push_state(*args, **kwargs)
    monkeypatch.setattr(cluster, "push_state", recording_push)
    cluster.delete("pod", victim.name)
    assert victim.name not in {e.pod for e in cluster.endpoints("web")}
    assert (False, True) in told, told
    # Its ReplicaSet makes another, which joins the endpoints once ready.
    wait_for(lambda: len(cluster.endpoints("web")) == len(before), 15)


# --- internet to Service -------------------------------------------------------------

def test_node_ports_answer_on_every_node(cluster):
    for plan in cluster.node_plans.values():
        answer = internet(cluster, "curl -s -m 3 http://%s:30080/hostname" % plan.ip)
        assert answer.stdout in backends(cluster), (plan.name, answer)
        seen_as = internet(cluster, "curl -s -m 3 http://%s:30080/clientip" % plan.ip)
        # externalTrafficPolicy Cluster: the source is the node the traffic entered.
        assert seen_as.stdout.split(":")[0] == plan.ip


def test_load_balancer_address_is_reachable_and_shown(cluster):
    address = cluster.served_service("web-lb").lb_ip
    assert address.startswith("198.51.100.")
    answer = internet(cluster, "curl -s -m 3 http://%s/hostname" % address)
    assert answer.stdout in backends(cluster)


def test_local_traffic_policy_keeps_the_client_ip_and_stays_on_the_node(cluster):
    (local,) = backends(cluster, "local-web").values()
    node_ip = cluster.node_plans[local.node.name].ip
    answer = internet(cluster, "curl -s -m 3 http://%s:30081/clientip" % node_ip)
    assert answer.stdout.split(":")[0] == INTERNET_IP
    other = next(p.ip for n, p in cluster.node_plans.items() if n != local.node.name)
    dropped = internet(cluster, "curl -s -m 2 http://%s:30081/hostname" % other)
    assert dropped.returncode == 28, "no local endpoint: the node drops the traffic"


# --- conntrack -------------------------------------------------------------------------

def test_direct_connections_reusing_a_vip_connections_port_are_not_rewritten(cluster):
    helper = [sys.executable, os.path.join(HELPERS, "http_from_port.py")]
    pods = backends(cluster)
    for port in range(40100, 40106):
        chosen = cluster.exec("client", helper + [str(port), vip(cluster, "web"), "80",
                                                  "/hostname"]).stdout.strip()
        assert chosen in pods
        # Same source port, straight to the backend the VIP connection went to: its
        # replies match the VIP connection's reply tuple, still in TIME_WAIT.
        direct = cluster.exec("client", helper + [str(port), pods[chosen].ip, "8080",
                                                  "/hostname"]).stdout.strip()
        assert direct == chosen


def test_a_service_connection_from_a_just_closed_ones_port_keeps_that_port(cluster):
    """A busy client reuses its source ports while the connections that last used
    them are in conntrack's TIME_WAIT. On Linux the SYN replaces the old entry and
    the endpoint sees the client's own port, as kubemn's own Open vSwitch does it;
    Open vSwitch 3.1.0 (the system's fallback) would keep the old entry's reverse
    tuple and give the new connection another port, which the endpoint may still
    hold in its own TIME_WAIT, unless the controller flushed the closed one
    (controllers/closing.py)."""
    helper = [sys.executable, os.path.join(HELPERS, "http_from_port.py")]
    port = "61100"   # above the ephemeral range: no other test's client took it
    for _ in range(3):
        seen = cluster.exec("client", helper + [port, vip(cluster, "web"), "80",
                                                "/clientip"]).stdout.strip()
        assert seen == "%s:%s" % (cluster.pod("client").ip, port)
        time.sleep(1.5)   # closed; on 3.1.0 its flush comes half a second later


def test_a_direct_connection_on_a_service_connections_reply_tuple_gets_another_port(cluster):
    """Right after a Service connection from source port P to its endpoint closed, a
    direct connection from P to that endpoint has the reply tuple the closing one still
    holds in the switch's conntrack. The null binding (ct(commit, nat(src)), Open
    vSwitch >= 3.1.3) gives it another source port, as Linux's conntrack does: it
    completes at once, and the endpoint sees the new port."""
    if not cluster.desired_state()["linux_nat"]:
        pytest.skip("the system's Open vSwitch %s cannot take the null binding"
                    % ".".join(map(str, cluster.vswitch.version)))
    helper = [sys.executable, os.path.join(HELPERS, "service_then_direct.py")]
    endpoint = cluster.pod(next(iter(backends(cluster, "local-web")))).ip
    assert cluster.pod(next(iter(backends(cluster, "local-web")))).node.name != \
        cluster.pod("client").node.name   # the two connections cross the fabric
    client = cluster.pod("client").ip
    for port in (61200, 61300, 61400):   # apart: a remapped port is a nearby one
        result = json.loads(cluster.exec("client", helper + [
            str(port), vip(cluster, "web-local"), "80", endpoint, "8080",
            "/clientip"]).stdout)
        assert result["service"] == "%s:%d" % (client, port), result
        seen_ip, seen_port = result["direct"].rsplit(":", 1)
        assert seen_ip == client and int(seen_port) != port, result
        assert result["seconds"] < 0.5, result


def test_a_client_alternating_direct_and_service_connections_completes_every_one(cluster):
    pods = backends(cluster)
    targets = ((next(iter(pods.values())).ip, "8080"), (vip(cluster, "web"), "80"))
    for _ in range(3):
        for host, port in targets:
            # bench/load.py's client, closing each connection as the did
            result = cluster.exec("client", [sys.executable, LOAD, "rate", "1", host, port,
                                             "close"], timeout=30)
            rounds = json.loads(result.stdout)
            assert rounds["done"] > 50 and rounds["failed"] == 0, (host, rounds)
            assert rounds["slowest"] < 1.0, (host, rounds)


# --- the controller --------------------------------------------------------------------

def test_controller_killed_under_load_recovers_by_itself(cluster):
    url = "http://%s/hostname" % vip(cluster, "web")
    kept = keepalive_connection(cluster, "client", vip(cluster, "web"), 80)
    first = ask(kept)
    outcome = {}
    thread = threading.Thread(target=lambda: outcome.update(
        loop(cluster, "client", "for", 6, url)))
    thread.start()
    time.sleep(1)
    old = cluster.controller.process.pid
    killed_at = time.time()
    os.kill(old, signal.SIGKILL)
    wait_for(lambda: cluster.controller.alive() and cluster.controller.process.pid != old, 10)
    thread.join()
    failures = [t for t, answer in outcome["results"] if answer is None]
    assert not [t for t in failures if t > killed_at + 2], failures
    assert ask(kept) == first
    status = cluster.controller.status()
    assert set(status["switches"].values()) == {status["generation"]}


ONCE = """
apiVersion: v1
kind: Pod
metadata: {name: once, labels: {app: web}}
spec:
  restartPolicy: Never
  containers:
  - name: agnhost
    image: registry.k8s.io/e2e-test-images/agnhost:2.39
    args: ["netexec", "--http-port=8080"]
    ports: [{containerPort: 8080, name: http}]
"""


def test_a_failed_container_leaves_the_endpoints_at_once(cluster):
    cluster.apply_text(ONCE)
    try:
        assert "once" in [e.pod for e in cluster.endpoints("web")]
        cluster.exec("once", "curl -s -m 2 http://localhost:8080/shutdown")
        wait_for(lambda: "once" not in [e.pod for e in cluster.endpoints("web")], 1)
        time.sleep(0.3)  # restartPolicy Never: it stays out
        assert cluster.pod("once").status() == "Completed"
        assert cluster.pod("once").restart_count() == 0
    finally:
        cluster.delete("pod", "once")


def test_a_deployments_container_that_exits_is_restarted_and_comes_back(cluster):
    victim = sorted(backends(cluster))[0]
    cluster.exec(victim, "curl -s -m 2 http://localhost:8080/shutdown")
    wait_for(lambda: cluster.pod(victim).restart_count() == 1, 2)
    wait_for(lambda: victim in [e.pod for e in cluster.endpoints("web")], 5)
    assert cluster.pod(victim).status() == "Running"
    answer = cluster.exec("client", "curl -s -m 2 http://%s:8080/hostname"
                          % cluster.pod(victim).ip)
    assert answer.stdout == victim


CRASHING = """
apiVersion: v1
kind: Pod
metadata: {name: crasher}
spec:
  containers: [{name: main, image: busybox, command: [sh, -c, "exit 3"]}]
---
apiVersion: v1
kind: Pod
metadata: {name: job}
spec:
  restartPolicy: OnFailure
  containers: [{name: main, image: busybox, command: ["true"]}]
"""


def test_a_container_that_keeps_failing_waits_in_crash_loop_back_off(cluster):
    cluster.apply_text(CRASHING)
    try:
        # Error first, for the kubelet's next sync or two (topo/kubelet/status.py).
        wait_for(lambda: cluster.pod("crasher").status() == "Error", 3)
        wait_for(lambda: cluster.pod("crasher").status() == "CrashLoopBackOff", 5)
        assert cluster.pod("crasher").restart_count() == 1  # at once, then 10 s back-off
        wait_for(lambda: cluster.pod("job").status() == "Completed", 3)
        assert cluster.pod("job").restart_count() == 0      # OnFailure, and it succeeded
        # The API follows the kubelet within milliseconds.
        wait_for(lambda: re.search(r"crasher\s+0/1\s+CrashLoopBackOff\s+1\s", kubectl.run(
            cluster, "get pods crasher job").stdout), 2)
        described = kubectl.run(cluster, "describe pod crasher").stdout
        for line in (r"State:\s+Waiting", r"Reason:\s+CrashLoopBackOff", r"Exit Code:\s+3",
                     r"Restart Count:\s+1"):
            assert re.search(line, described), described
        assert kubectl.run(cluster, ["get", "pod", "crasher", "-o",
                                     "jsonpath={.spec.restartPolicy}"]).stdout == "Always"
    finally:
        cluster.delete("pod", "crasher")
        cluster.delete("pod", "job")


def test_the_controller_refuses_an_invalid_state_and_keeps_its_own(cluster):
    before = cluster.controller.status()
    request = urllib.request.Request(
        "http://127.0.0.1:%d/kubemn/state" % cluster.controller.api_port, method="PUT",
        data=json.dumps({"generation": 99, "gateway": {"ip": "300.1.1.1"}}).encode(),
        headers={"Authorization": "Bearer " + cluster.controller.token})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 400
    assert "error" in json.loads(refused.value.read())
    assert cluster.controller.status()["generation"] == before["generation"]
    answer = cluster.exec("client", "curl -s -m 2 http://%s/hostname" % vip(cluster, "web"))
    assert answer.stdout in backends(cluster)
