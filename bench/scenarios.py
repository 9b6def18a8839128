"""The benchmark's scenarios. Each returns figures; none fails on a slow machine.
Loads are bounded in count and time, and stay inside the clusters' namespaces."""
import json
import os
import subprocess
import sys
import time

from bench.report import median
from topo.cluster import Cluster
from topo.runtime import cleanup
from topo.runtime.processes import wait_until
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


def _settled_used_kib(seconds=30):
    """Memory in use once it stops falling: the kernel frees an earlier cluster's
    namespaces some seconds after its processes end."""
    deadline, used = time.monotonic() + seconds, _used_kib()
    while time.monotonic() < deadline:
        time.sleep(1)
        now, used = used, _used_kib()
        if abs(now - used) < 2048:
            break
    return used


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


# A Deployment of one container (its pods labelled app: NAME), and a Service of it.
DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata: {name: %(name)s}
spec:
  replicas: %(replicas)d
  selector: {matchLabels: {app: %(name)s}}
  template:
    metadata: {labels: {app: %(name)s}}
    spec: {containers: [%(container)s]}
"""
SERVICE = """apiVersion: v1
kind: Service
metadata: {name: %(name)s}
spec:
  selector: {app: %(name)s}
  ports: [{port: 80, targetPort: 8080}]
"""
POD_IMAGES = (
    ("pause", '{name: c, image: "registry.k8s.io/pause:3.9"}'),
    ("agnhost netexec", '{name: c, image: "registry.k8s.io/e2e-test-images/agnhost:2.39", '
                        'args: [netexec]}'),
    ("busybox sleep", '{name: c, image: busybox, command: [sleep, infinity]}'),
    ("nginx", '{name: c, image: "nginx:1.25"}'),
)


def _processes_by_netns():
    """{network namespace: [pids]} of every process on the machine."""
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                found.setdefault(os.readlink("/proc/%s/ns/net" % entry), []).append(int(entry))
            except OSError:
                pass
    return found


def pod_cost(container, count, nodes=10):
    """What one pod of an image costs, in MiB: (PSS of every process in its network
    namespace: its sandbox, its containers and their children; the machine's memory
    in use per pod, whole: those, the kernel's namespaces and veths, and the pod's
    share of the nodes', the API's and the controller's state). The cluster starts
    first, so the nodes themselves are left out."""
    cluster = Cluster(None, nodes=nodes).start()
    try:
        before = _settled_used_kib()
        cluster.apply_text(DEPLOYMENT % {"name": "crowd", "replicas": count,
                                         "container": container})
        crowd = cluster.deployment_pods("crowd")
        time.sleep(2)   # what the containers do once started (a server's first pages)
        by_netns = _processes_by_netns()
        pss_kib = sum(_pss_kib(pid) for pod in crowd for pid in by_netns.get(
            os.readlink("/proc/%d/ns/net" % pod.sandbox_pid), ()))
        return pss_kib / 1024 / len(crowd), (_used_kib() - before) / 1024 / len(crowd)
    finally:
        cluster.stop()


# The mix: pause pods, and agnhost netexec pods behind Services.
SERVED = ('{name: agnhost, image: "registry.k8s.io/e2e-test-images/agnhost:2.39", '
          'args: [netexec], ports: [{containerPort: 8080}]}')
CLIENT = """apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  containers: [{name: shell, image: busybox, command: [sleep, infinity]}]
"""


def mix_manifest(paused, served, services):
    """The Deployments (up to 1000 replicas each, as kubemn takes them) and Services."""
    groups = (paused + 999) // 1000
    documents = [DEPLOYMENT % {"name": "paused-%d" % i, "replicas": paused // groups,
                               "container": dict(POD_IMAGES)["pause"]} for i in range(groups)]
    for i in range(services):
        name = "served-%d" % i
        documents += [DEPLOYMENT % {"name": name, "replicas": served // services,
                                    "container": SERVED}, SERVICE % {"name": name}]
    return "---\n".join(documents)


def thousands_of_pods(paused, served, services, nodes):
    """The issue's scale run: {figure: value}. The cluster starts (nodes, DNS, a
    client pod), then one apply of paused pause pods and served agnhost netexec pods
    behind services Services: seconds from the apply to all Ready, to every Service
    answering from the client, the machine's memory in use then (and what the run
    added to it), the teardown's seconds and whether anything was left."""
    before = _used_kib()
    started = time.monotonic()
    cluster = Cluster(None, nodes=nodes).start()
    stopped = False
    try:
        figures = {"cluster start": time.monotonic() - started}
        cluster.apply_text(CLIENT)
        text = mix_manifest(paused, served, services)
        applied = time.monotonic()
        cluster.apply(parse_texts([("<bench>", text)]), wait=False)
        cluster.wait_started(timeout=600)

        def ready():
            return sum(p.is_ready for p in list(cluster.pods.values()))
        wait_until(lambda: ready() >= paused + served + 1, 600)
        figures["apply to all Ready"] = time.monotonic() - applied
        figures["pods Ready"] = ready()
        script = ("n=0; for i in $(seq 0 %d); do wget -q -T 2 -O /dev/null "
                  "http://served-$i/hostname && n=$((n+1)); done; echo $n" % (services - 1))
        deadline = time.monotonic() + 60
        answering = 0
        while answering < services and time.monotonic() < deadline:
            answering = int(cluster.exec("client", script, timeout=120).stdout.strip() or 0)
        figures["apply to every Service answering"] = time.monotonic() - applied
        figures["Services answering"] = answering
        figures["memory in use, GiB"] = _used_kib() / 2 ** 20
        figures["memory the run added, GiB"] = (_used_kib() - before) / 2 ** 20
        stopping = time.monotonic()
        cluster.stop()
        stopped = True
        figures["teardown"] = time.monotonic() - stopping
        figures["left after teardown"] = sum(len(v) for v in cleanup.leftovers().values())
        return figures
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


def flow_log_cost(cluster, host, runs, seconds):
    """(connections/s with the flow log on, off; times the kernel dropped events for
    it), alternating, medians: a client to a backend directly, the log started for
    the one and stopped for the other."""
    on, off, lost = [], [], 0
    for _ in range(runs):
        off.append(connection_rate(cluster, host, 8080, seconds))
        collector = cluster.flow_log()
        on.append(connection_rate(cluster, host, 8080, seconds))
        lost += collector.lost
        cluster.stop_flow_log()
    return median(on), median(off), lost


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
