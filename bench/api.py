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

from topo.cluster import Cluster

KUBECTL = os.path.join(os.path.dirname(sys.executable), "kubectl")
POD = """apiVersion: v1
kind: Pod
metadata: {name: applied-%d, labels: {bench: applied}}
spec: {containers: [{name: c, image: busybox}]}
"""
CROWD = """apiVersion: apps/v1
kind: Deployment
metadata: {name: crowd}
spec:
  replicas: %d
  selector: {matchLabels: {app: crowd}}
  template:
    metadata: {labels: {app: crowd}}
    spec: {containers: [{name: sleeper, image: busybox}]}
"""


def _kubectl(cluster, *args, stdin=None):
    return subprocess.run([KUBECTL] + list(args), input=stdin, capture_output=True,
                          text=True, timeout=120,
                          env=dict(os.environ, KUBECONFIG=cluster.kubeconfig))


def _timed(action):
    started = time.monotonic()
    result = action()
    return time.monotonic() - started, result


def apply_until_ready(cluster, count):
    """(seconds from `kubectl apply` of count pods to `kubectl wait` seeing all Ready,
    seconds of the apply alone)."""
    manifest = "---\n".join(POD % i for i in range(count))
    started = time.monotonic()
    applied = _kubectl(cluster, "apply", "-f", "-", stdin=manifest)
    applying = time.monotonic() - started
    waited = _kubectl(cluster, "wait", "--for=condition=Ready", "pods", "-l",
                      "bench=applied", "--timeout=60s")
    if applied.returncode or waited.returncode:
        return float("nan"), float("nan")
    return time.monotonic() - started, applying


def list_seconds(cluster, runs, *args):
    """Median seconds of `kubectl get ARGS` (process start included)."""
    times = sorted(_timed(lambda: _kubectl(cluster, "get", *args))[0] for _ in range(runs))
    return times[len(times) // 2]


def watch_delay_ms(cluster, runs):
    """Median milliseconds from an annotation's PATCH being sent to the watch event
    that carries it arriving at a watcher (raw HTTPS, no kubectl start-up)."""
    config = yaml.safe_load(open(cluster.kubeconfig))
    token = config["users"][0]["user"]["token"]
    context = ssl.create_default_context(cafile=cluster.api.cert)
    pod = "applied-0"
    path = "/api/v1/namespaces/default/pods"
    seen = {}
    ready = threading.Event()

    def watch():
        request = urllib.request.Request(
            cluster.api.url + path + "?watch=true&fieldSelector=metadata.name%3D" + pod,
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
            cluster.api.url + path + "/" + pod, data=body, method="PATCH",
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


def api_figures(applied, listed, runs):
    """{figure: value} from one cluster of 10 nodes."""
    cluster = Cluster(None, nodes=10).start()
    try:
        figures = dict(zip(("apply", "applying"), apply_until_ready(cluster, applied)))
        figures["watch"] = watch_delay_ms(cluster, 20)
        cluster.apply_text(CROWD % (listed - applied))
        figures["list"] = list_seconds(cluster, runs, "pods")
        figures["nodes"] = list_seconds(cluster, runs, "nodes")
        return figures
    finally:
        cluster.stop()
