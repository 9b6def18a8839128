"""Several servers (simulated on this machine, `kubemn servers up`): pod to pod
across servers (a VXLAN tunnel between two servers' Open vSwitch) against pod to pod
between two nodes of one server, side by side, and how long 3 servers x 10 nodes
take to start against 30 nodes on one."""
import json
import sys
import time

from bench import scenarios
from bench.report import fmt, median
from topo.cluster import Cluster
from topo.plan.manifest import parse_texts
from topo.servers.simulated import SimulatedServers

# Over head and server2, bins: node1 and node2 on the head, node3 and node4 on server2.
# The sink on node2; "near" on node1 (the same server), "far" on node3 (the other).
PAIRS = """
apiVersion: v1
kind: Pod
metadata: {name: sink}
spec:
  nodeName: node2
  containers:
  - {name: iperf, image: iperf, command: [iperf3, -s], ports: [{containerPort: 5201}]}
  - {name: http, image: server, command: [%(python)s, %(load)s, serve, "8080"],
     ports: [{containerPort: 8080}]}
---
apiVersion: v1
kind: Pod
metadata: {name: near}
spec:
  nodeName: node1
  containers: [{name: shell, image: busybox, command: [sleep, infinity]}]
---
apiVersion: v1
kind: Pod
metadata: {name: far}
spec:
  nodeName: node3
  containers: [{name: shell, image: busybox, command: [sleep, infinity]}]
""" % {"python": sys.executable, "load": scenarios.LOAD}


def progress(message):
    sys.stderr.write("bench: %s\n" % message)
    sys.stderr.flush()


def _throughput(cluster, client, host, seconds):
    result = cluster.exec(client, ["iperf3", "-c", host, "-t", str(seconds), "-J"],
                          timeout=seconds + 30)
    try:
        return json.loads(result.stdout)["end"]["sum_received"]["bits_per_second"] / 1e9
    except (ValueError, KeyError):
        return float("nan")


def across_and_within(runs, seconds):
    """{"throughput": (across, within) Gbit/s, "rate": (across, within) /s}, medians of
    runs alternating."""
    servers = SimulatedServers(2, progress).start()
    try:
        cluster = Cluster(parse_texts([("servers benchmark", PAIRS)]), nodes=4,
                          servers=",".join(servers.lan.names), placer="bins").start()
        try:
            sink = cluster.pod("sink").ip
            found = {"throughput": ([], []), "rate": ([], [])}
            for _ in range(runs):
                for index, client in enumerate(("far", "near")):
                    found["throughput"][index].append(_throughput(cluster, client, sink,
                                                                  seconds))
                    found["rate"][index].append(scenarios.connection_rate(
                        cluster, sink, 8080, seconds, client))
            return {key: (median(a), median(b)) for key, (a, b) in found.items()}
        finally:
            cluster.stop()
    finally:
        servers.stop()


def start_seconds(servers_count, nodes):
    """Seconds from the command to a cluster of nodes nodes over servers_count
    servers (1: this machine alone) serving its API, all pods Ready."""
    servers = SimulatedServers(servers_count, progress).start() if servers_count > 1 else None
    try:
        started = time.monotonic()
        cluster = Cluster(nodes=nodes, servers=",".join(servers.lan.names)
                          if servers else None).start()
        took = time.monotonic() - started
        cluster.stop()
        return took
    finally:
        if servers is not None:
            servers.stop()


def rows(size):
    runs, seconds = size["runs"], size["seconds"]
    progress("pod to pod across two servers / between two nodes of one, %d runs" % runs)
    pair = across_and_within(runs, seconds)
    progress("start of 3 servers x 10 nodes / 30 nodes on this machine")
    over = [start_seconds(3, 30) for _ in range(runs)]
    one = [start_seconds(1, 30) for _ in range(runs)]

    def ratio(values, unit):
        first, second = values
        return "%s (%s vs %s)" % (fmt(first / second, "ratio"), fmt(first, unit),
                                  fmt(second, unit))

    return [
        ("TCP throughput pod -> pod across servers (VXLAN) / between nodes of one server",
         ratio(pair["throughput"], "Gbit/s"), runs, ""),
        ("new TCP connections/s pod -> pod across servers / between nodes of one server",
         ratio(pair["rate"], "/s"), runs, ""),
        ("start, command to all pods Ready: 3 servers x 10 nodes / 30 nodes on one",
         ratio((median(over), median(one)), "s"), runs, ""),
    ]
