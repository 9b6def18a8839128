"""The benchmark's scenarios. Each returns figures; none fails on a slow machine.
Loads are bounded in count and time, and stay inside the clusters' namespaces."""
import json
import os
import subprocess
import sys
import time

from topo.cluster import Cluster
from topo.plan.manifest import parse_texts

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOAD = os.path.join(ROOT, "bench", "load.py")


# count pods that only sleep, for the scenarios of many pods.
CROWD = """apiVersion: apps/v1
kind: Deployment
metadata: {name: crowd}
spec:
  replicas: %d
  selector: {matchLabels: {app: crowd}}
  template:
    metadata: {labels: {app: crowd}}
    spec: {containers: [{name: sleeper, image: busybox, command: [sleep, infinity]}]}
"""


def default_cluster_start():
    """Seconds from `kubemn run` to every pod Ready and every Service answering (a
    request to each Service port from a pod has come back)."""
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "topo.main", "run"], cwd=ROOT,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        for line in process.stderr:
            if "cluster ready" in line:
                break
        # The default cluster's Services: web (80/TCP, 8081/UDP), web-nodeport, kube-dns.
        process.stdin.write("client1 curl -s -m 5 -o /dev/null -w 'web=%{http_code}\\n' "
                            "http://web/\n"
                            "client1 sh -c 'echo hostname | nc -u -w1 web 8081 | "
                            "sed s/^/udp=/'\n"
                            "internet curl -s -m 5 -o /dev/null -w 'nodeport=%{http_code}\\n' "
                            "http://192.168.0.1:30080/\n"
                            "client1 echo done\n")
        process.stdin.flush()
        answers = []
        for line in process.stdout:
            if line.startswith(("web=", "udp=", "nodeport=")):
                answers.append(line.strip())
            if line.strip() == "done":
                break
        elapsed = time.monotonic() - started
        ok = answers[:1] == ["web=200"] and any(a.startswith("udp=web-") for a in answers) \
            and "nodeport=200" in answers
        return elapsed if ok else float("nan")
    finally:
        process.stdin.close()
        process.wait(timeout=120)


def _used_kib():
    """Memory in use, as free(1) counts it: neither free nor page cache nor
    reclaimable slab."""
    with open("/proc/meminfo") as handle:
        info = {line.split(":")[0]: int(line.split()[1]) for line in handle}
    return info["MemTotal"] - info["MemFree"] - info["Buffers"] - info["Cached"] - \
        info.get("SReclaimable", 0)


def _pss_kib(pid):
    """A process's proportional share of memory (shared pages divided among users)."""
    try:
        with open("/proc/%d/smaps_rollup" % pid) as handle:
            return next(int(line.split()[1]) for line in handle if line.startswith("Pss:"))
    except (OSError, StopIteration):
        return 0


def many_pods(count, nodes=10):
    """(seconds from the command to all Ready, MiB per pod beyond its container,
    teardown seconds). The cluster starts first and then gets the Deployment, so
    that the memory figure leaves out the nodes and the controller."""
    started = time.monotonic()
    cluster = Cluster(None, nodes=nodes).start()
    stopped = False
    try:
        before = _used_kib()
        cluster.apply_text(CROWD % count)
        ready_seconds = time.monotonic() - started
        crowd = cluster.deployment_pods("crowd")
        containers_kib = sum(_pss_kib(proc.pid) for p in crowd for proc in p.containers.values())
        per_pod_mib = ((_used_kib() - before) - containers_kib) / 1024 / len(crowd)
        started = time.monotonic()
        cluster.stop()
        stopped = True
        return ready_seconds, per_pod_mib, time.monotonic() - started
    finally:
        if not stopped:
            cluster.stop()


DATAPATH = """
apiVersion: v1
kind: Pod
metadata: {name: sink, labels: {app: sink}}
spec:
  nodeName: node2
  containers:
  - {name: iperf, image: iperf, command: [iperf3, -s], ports: [{containerPort: 5201}]}
  - {name: http, image: server, command: [%(python)s, %(load)s, serve, "8080"],
     ports: [{containerPort: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: sink}
spec:
  selector: {app: sink}
  ports:
  - {name: iperf, port: 5201}
  - {name: http, port: 80, targetPort: 8080}
---
apiVersion: v1
kind: Pod
metadata: {name: source}
spec:
  nodeName: node1
  containers: [{name: shell, image: busybox, command: [sleep, infinity]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: many}
spec:
  replicas: 10
  selector: {matchLabels: {app: many}}
  template:
    metadata: {labels: {app: many}}
    spec:
      nodeName: node2
      containers:
      - {name: http, image: server, command: [%(python)s, %(load)s, serve, "8080"],
         ports: [{containerPort: 8080}]}
""" % {"python": sys.executable, "load": LOAD}


def datapath_cluster():
    return Cluster(parse_texts([("benchmark", DATAPATH)]), nodes=2).start()


def throughput_gbits(cluster, host, seconds):
    result = cluster.exec("source", ["iperf3", "-c", host, "-t", str(seconds), "-J"],
                          timeout=seconds + 30)
    try:
        return json.loads(result.stdout)["end"]["sum_received"]["bits_per_second"] / 1e9
    except (ValueError, KeyError):
        return float("nan")


def fresh_client(cluster, name):
    """A new client pod beside "source": its own address, so its own conntrack tuples."""
    cluster.apply_text("""
apiVersion: v1
kind: Pod
metadata: {name: %s}
spec:
  nodeName: node1
  containers: [{name: shell, image: busybox, command: [sleep, infinity]}]
""" % name)
    return name


def connection_rate(cluster, host, port, seconds, client="source", ending="reset"):
    """New connections per second from client; ending: "reset" or "close"
    (bench/load.py)."""
    result = cluster.exec(client, [sys.executable, LOAD, "rate", str(seconds), host,
                                   str(port), ending], timeout=seconds + 30)
    try:
        return json.loads(result.stdout)["per_second"]
    except ValueError:
        return float("nan")


def alternating_rounds(cluster, vip, direct, rounds, seconds):
    """[(direct, VIP) connections/s] of one new client alternating between the
    backend and its VIP, round after round, closing its connections normally."""
    client = fresh_client(cluster, "alternating")
    return [(connection_rate(cluster, direct, 8080, seconds, client, "close"),
             connection_rate(cluster, vip, 80, seconds, client, "close"))
            for _ in range(rounds)]


def services_manifest(count, first=0):
    return "\n---\n".join("""apiVersion: v1
kind: Service
metadata: {name: many-%d}
spec:
  selector: {app: many}
  ports: [{port: 80, targetPort: 8080}]""" % i for i in range(first, first + count))


def program_services(cluster, count):
    """Seconds to apply count Services of 10 endpoints until every switch has them."""
    started = time.monotonic()
    cluster.apply_text(services_manifest(count, first=1))
    return time.monotonic() - started


def deletion_to_flows_ms(cluster):
    """Milliseconds from a pod's deletion to the switch's groups no longer selecting
    it (the controller has confirmed, with a barrier, that they are in place)."""
    victim = next(p for p in cluster.deployment_pods("many"))
    confirmed = []
    original = cluster.push_state

    def timed_push(*args):
        original(*args)
        confirmed.append(time.monotonic())

    cluster.push_state = timed_push
    try:
        started = time.monotonic()
        cluster.delete("pod", victim.ref)
        return (confirmed[0] - started) * 1000 if confirmed else float("nan")
    finally:
        del cluster.push_state


def test_suite_minutes():
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
                   cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.monotonic() - started) / 60
