"""The browser view's figures, measured in headless Chromium: with many pods over 10
nodes, the first paint (from the navigation to the map drawn with every pod) and how
late a new flow is drawn after its node saw it, one connection at a time and during
a burst of connections."""
import os
import statistics
import sys

from bench.report import median
from bench.scenarios import DEPLOYMENT, POD_IMAGES
from tests.integration.browser import start_browser, until
from topo.cluster import Cluster
from topo.runtime.processes import wait_until

HELPERS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests",
                       "helpers")
# The crowd, and a client and a server whose flows the page is timed on.
PAIR = """---
apiVersion: v1
kind: Pod
metadata: {name: server}
spec:
  containers: [{name: c, image: "registry.k8s.io/e2e-test-images/agnhost:2.39",
                args: [netexec]}]
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  containers: [{name: c, image: busybox, command: [sleep, infinity]}]
"""
CLIENT_DELAYS = """return window.kubemn.flowDelays.filter(d => d.from === "default/client")
                         .map(d => d.delay)"""


def _delays_of(page, connect, count):
    """The page's delays for the client's flows that came of count calls of
    connect() (the kubelets' probes, flows too, are left out)."""
    page.execute_script("window.kubemn.flowDelays = []")
    for _ in range(count):
        connect()
    wait_until(lambda: len(page.execute_script(CLIENT_DELAYS)) >= count, 10, pause=0.05)
    return page.execute_script(CLIENT_DELAYS)


def browser_view(pods, nodes=10, runs=3):
    """{"first paint": median s, "pods drawn", "flow delay": (median, max) s one at a
    time, "burst delay": (median, max) s during a burst of 1000 connections}."""
    cluster = Cluster(None, nodes=nodes).start()
    page = None
    try:
        cluster.apply_text(DEPLOYMENT % {"name": "crowd", "replicas": pods,
                                         "container": POD_IMAGES[0][1]} + PAIR)
        every = len(cluster.pods)
        url = cluster.browser_view().url
        page = start_browser()
        paints = []
        for _ in range(runs):
            page.get(url)
            until(page, "return document.querySelectorAll('circle.pod').length === %d && "
                        "window.kubemn.firstPaint" % every, 30)
            paints.append(page.execute_script("return window.kubemn.firstPaint") / 1000)
        server = cluster.pod("server").ip
        one = _delays_of(page, lambda: cluster.exec(
            "client", "wget -q -O /dev/null http://%s:8080/hostname" % server), 20)
        burst = _delays_of(page, lambda: cluster.exec("client", [
            sys.executable, os.path.join(HELPERS, "http_loop.py"), "burst", "1000",
            "http://%s:8080/hostname" % server], timeout=120), 1)
        drawn = page.execute_script("return document.querySelectorAll('circle.pod').length")
        return {"first paint": median(paints), "pods drawn": drawn,
                "flow delay": (statistics.median(one), max(one)),
                "burst delay": (statistics.median(burst), max(burst))}
    finally:
        if page is not None:
            page.quit()
        cluster.stop()
