"""The API's figures: the real kubectl applying pods until all are Ready, listing
many pods (its own process start included), and how soon a watcher hears of a
change. Bounded in count and time; the cluster stays on the machine's loopback."""
import json
import os
import ssl
import subprocess
import sys
import threading
import time
import urllib.request

import yaml

from bench.scenarios import CROWD
from topo.cluster import Cluster

KUBECTL = os.path.join(os.path.dirname(sys.executable), "kubectl")
POD = """apiVersion: v1
kind: Pod
metadata: {name: %(batch)s-%(n)d, labels: {bench: %(batch)s}}
spec: {containers: [{name: c, image: busybox, command: [sleep, infinity]}]}
"""


def _kubectl(cluster, *args, stdin=None):
    return subprocess.run([KUBECTL] + list(args), input=stdin, capture_output=True,
                          text=True, timeout=120,
                          env=dict(os.environ, KUBECONFIG=cluster.kubeconfig))


def _timed(action):
    started = time.monotonic()
    result = action()
    return time.monotonic() - started, result


def _api(cluster):
    """(base URL, headers, TLS context) for raw requests to the run's API."""
    token = yaml.safe_load(open(cluster.kubeconfig))["users"][0]["user"]["token"]
    return (cluster.api.url, {"Authorization": "Bearer " + token},
            ssl.create_default_context(cafile=cluster.api.cert))


def _ready_count(cluster, selector):
    url, headers, context = _api(cluster)
    request = urllib.request.Request(
        url + "/api/v1/namespaces/default/pods?labelSelector=" + selector, headers=headers)
    with urllib.request.urlopen(request, context=context, timeout=10) as response:
        pods = json.loads(response.read())["items"]
    return sum(1 for p in pods for c in p["status"].get("conditions", [])
               if c["type"] == "Ready" and c["status"] == "True")


def apply_until_ready(cluster, count, server_side=False):
    """(seconds from `kubectl apply` (`--server-side`) of count pods until the API
    shows them all Ready, seconds of the apply alone). Readiness is polled from the
    API every 20 ms: `kubectl wait` would add its own 100 ms a pod (client-go's
    cache-sync poll, one pod after another), whatever the server."""
    batch = "server-applied" if server_side else "applied"
    manifest = "---\n".join(POD % {"batch": batch, "n": n} for n in range(count))
    started = time.monotonic()
    applied = _kubectl(cluster, "apply", *(["--server-side"] if server_side else []), "-f",
                       "-", stdin=manifest)
    applying = time.monotonic() - started
    deadline = started + 60
    while applied.returncode == 0 and time.monotonic() < deadline:
        if _ready_count(cluster, "bench%3D" + batch) == count:
            return time.monotonic() - started, applying
        time.sleep(0.02)
    return float("nan"), float("nan")


def list_seconds(cluster, runs, *args):
    """Median seconds of `kubectl get ARGS` (process start included)."""
    times = sorted(_timed(lambda: _kubectl(cluster, "get", *args))[0] for _ in range(runs))
    return times[len(times) // 2]


def watch_delay_ms(cluster, runs):
    """Median milliseconds from an annotation's PATCH being sent to the watch event
    that carries it arriving at a watcher (raw HTTPS, no kubectl start-up)."""
    url, headers, context = _api(cluster)
    token = headers["Authorization"].split()[1]
    pod = "applied-0"
    path = "/api/v1/namespaces/default/pods"
    seen = {}
    ready = threading.Event()

    def watch():
        request = urllib.request.Request(
            url + path + "?watch=true&fieldSelector=metadata.name%3D" + pod,
            headers={"Authorization": "Bearer " + token})
        with urllib.request.urlopen(request, context=context, timeout=60) as stream:
            ready.set()
            for line in stream:
                event = json.loads(line)
                mark = event["object"]["metadata"].get("annotations", {}).get("mark")
                if mark is not None and mark not in seen:
                    seen[mark] = time.monotonic()
                    if len(seen) == runs:
                        return
    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    ready.wait(10)
    time.sleep(0.5)   # the initial events are past
    delays = []
    for run in range(runs):
        body = json.dumps({"metadata": {"annotations": {"mark": str(run)}}}).encode()
        request = urllib.request.Request(
            url + path + "/" + pod, data=body, method="PATCH",
            headers={"Authorization": "Bearer " + token,
                     "Content-Type": "application/merge-patch+json"})
        sent = time.monotonic()
        urllib.request.urlopen(request, context=context, timeout=10).read()
        deadline = time.monotonic() + 5
        while str(run) not in seen and time.monotonic() < deadline:
            time.sleep(0.0005)
        if str(run) in seen:
            delays.append((seen[str(run)] - sent) * 1000)
        time.sleep(0.05)
    delays.sort()
    return delays[len(delays) // 2] if delays else float("nan")


SERVICE = """apiVersion: v1
kind: Service
metadata: {name: burst-%d}
spec:
  selector: {app: burst}
  ports: [{port: 80, targetPort: 8080}]
"""
BACKEND = """apiVersion: apps/v1
kind: Deployment
metadata: {name: burst}
spec:
  replicas: 2
  selector: {matchLabels: {app: burst}}
  template:
    metadata: {labels: {app: burst}}
    spec:
      containers:
      - name: agnhost
        image: registry.k8s.io/e2e-test-images/agnhost:2.39
        args: [netexec, --http-port=8080, --udp-port=-1]
        ports: [{containerPort: 8080}]
---
apiVersion: v1
kind: Pod
metadata: {name: burst-client}
spec: {containers: [{name: c, image: busybox, command: [sleep, infinity]}]}
"""


def service_burst(cluster, count):
    """(pushes to the controller, seconds from `kubectl apply` of count Services in one
    file until every one answers from a pod, how many answered)."""
    cluster.apply_text(BACKEND)
    manifest = "---\n".join(SERVICE % i for i in range(count))
    before = cluster.generation   # one more each push of the desired state
    started = time.monotonic()
    applied = _kubectl(cluster, "apply", "-f", "-", stdin=manifest)
    if applied.returncode != 0:
        return float("nan"), float("nan"), 0
    listed = _kubectl(cluster, "get", "services", "-o", "jsonpath={range .items[*]}"
                      "{.metadata.name} {.spec.clusterIP}{\"\\n\"}{end}").stdout
    ips = [line.split()[1] for line in listed.splitlines() if line.startswith("burst-")]
    loop = "for ip in %s; do curl -s -m 2 -o /dev/null -w '%%{http_code}\\n' " \
           "http://$ip/hostname; done" % " ".join(ips)
    answered = 0
    while time.monotonic() - started < 30 and answered < count:
        codes = cluster.exec("burst-client", loop, timeout=120,
                             machine_tools=True).stdout.split()
        answered = codes.count("200")
    return cluster.generation - before, time.monotonic() - started, answered


def api_figures(applied, listed, runs):
    """{figure: value} from one cluster of 10 nodes."""
    cluster = Cluster(None, nodes=10).start()
    try:
        figures = dict(zip(("apply", "applying"), apply_until_ready(cluster, applied)))
        figures.update(zip(("server_apply", "server_applying"),
                           apply_until_ready(cluster, applied, server_side=True)))
        figures["watch"] = watch_delay_ms(cluster, 20)
        figures["burst"] = service_burst(cluster, 100)
        cluster.apply_text(CROWD % (listed - 2 * applied))
        figures["list"] = list_seconds(cluster, runs, "pods")
        figures["nodes"] = list_seconds(cluster, runs, "nodes")
        return figures
    finally:
        cluster.stop()
