"""The datapath's figures (throughput, connection rates, Services at scale, policy),
measured on kubemn's own Open vSwitch and, in the same run, on the system's (where
the machine has one), each on a cluster of its own: the figures of each in one row."""
import contextlib
import os
import sys

from bench import policy, scenarios
from bench.report import fmt, median
from topo.runtime import vswitch

# A client that opens connections for this long has used all its ephemeral ports
# (net.ipv4.ip_local_port_range, 28,232 of them) at ~4,000 a second.
EPHEMERAL_PORTS = 28232
WRAP_SECONDS = 10
# The alternating client: three rounds of each, from one new client.
ROUNDS, ROUND_SECONDS = 3, 3
SYSTEM_VSWITCHD = "/usr/sbin/ovs-vswitchd"


def progress(message):
    sys.stderr.write("bench: %s\n" % message)
    sys.stderr.flush()


@contextlib.contextmanager
def open_vswitch(choice):
    """KUBEMN_OVS as choice ("" for kubemn's own) while the block runs."""
    saved = os.environ.get(vswitch.CHOICE_VARIABLE)
    os.environ[vswitch.CHOICE_VARIABLE] = choice
    try:
        yield
    finally:
        if saved is None:
            del os.environ[vswitch.CHOICE_VARIABLE]
        else:
            os.environ[vswitch.CHOICE_VARIABLE] = saved


def figures(size):
    """{name: figure} of one datapath cluster, on the Open vSwitch chosen now."""
    found = {}
    runs = size["runs"]
    cluster = scenarios.datapath_cluster()
    try:
        found["version"] = ".".join(map(str, cluster.vswitch.version))
        progress("datapath on Open vSwitch %s: throughput, connection rates"
                 % found["version"])
        vip = cluster.served_service("sink").cluster_ip
        direct = cluster.pod("sink").ip
        via_vip, straight = [], []
        for _ in range(runs):  # side by side, alternating
            via_vip.append(scenarios.throughput_gbits(cluster, vip, size["seconds"]))
            straight.append(scenarios.throughput_gbits(cluster, direct, size["seconds"]))
        found["throughput"] = (median(via_vip), median(straight))
        via_vip, straight = [], []
        for run in range(runs):  # each run from a new client pod, VIP then direct
            client = scenarios.fresh_client(cluster, "client-%d" % run)
            via_vip.append(scenarios.connection_rate(cluster, vip, 80, size["seconds"], client))
            straight.append(scenarios.connection_rate(cluster, direct, 8080, size["seconds"],
                                                      client))
            cluster.delete("pod", client)
        found["rate"] = (median(via_vip), median(straight))
        progress("the flow log's cost")
        found["observed"] = scenarios.flow_log_cost(cluster, direct, runs, size["seconds"])
        progress("one client past its %d ephemeral ports, one backend" % EPHEMERAL_PORTS)
        scenarios.connection_rate(cluster, vip, 80, WRAP_SECONDS)
        found["worn"] = (scenarios.connection_rate(cluster, vip, 80, size["seconds"]),
                         scenarios.connection_rate(cluster, direct, 8080, size["seconds"]))
        progress("one client alternating direct and VIP rounds; one client for %d s"
                 % size["long"])
        found["rounds"] = scenarios.alternating_rounds(cluster, vip, direct, ROUNDS,
                                                       ROUND_SECONDS)
        found["long"] = (
            scenarios.connection_rate(cluster, vip, 80, size["long"],
                                      scenarios.fresh_client(cluster, "long-vip"), "close"),
            scenarios.connection_rate(cluster, direct, 8080, size["long"],
                                      scenarios.fresh_client(cluster, "long-direct"), "close"))
        progress("Services at scale")
        cluster.apply_text(scenarios.services_manifest(1))
        target = cluster.served_service("many-0").cluster_ip
        alone = [scenarios.connection_rate(cluster, target, 80, size["seconds"])
                 for _ in range(runs)]
        found["programming"] = scenarios.program_services(cluster, size["services"] - 1)
        crowded = [scenarios.connection_rate(cluster, target, 80, size["seconds"])
                   for _ in range(runs)]
        found["crowded"] = (median(crowded), median(alone))
        found["deletion"] = median([scenarios.deletion_to_flows_ms(cluster)
                                    for _ in range(size["deletions"])])
        progress("NetworkPolicy: a change to enforced, 100 policies on a server")
        found["policy_change"] = policy.change_to_enforced_ms(cluster, runs)
        guarded_alone = policy.rate_with_policies(cluster, 100, runs, size["seconds"])
        found["guarded"] = (guarded_alone[1], guarded_alone[0])
    finally:
        cluster.stop()
    return found


def ratio(pair, unit):
    """"ratio (first vs second)" of a pair of figures measured side by side."""
    first, second = pair
    return "%s (%s vs %s)" % (fmt(first / second, "ratio"), fmt(first, unit), fmt(second, unit))


def slowest_round(rounds):
    first = rounds[0][0]
    return "%s (%s)" % (fmt(min(min(pair) for pair in rounds) / first, "ratio"),
                        ", ".join("%.0f, %.0f" % pair for pair in rounds))


def rows(size):
    """The datapath's rows: kubemn's own Open vSwitch's figure, then the system's
    (measured in this run, when the machine has both)."""
    measured = []
    with open_vswitch(""):
        measured.append(figures(size))
    if vswitch.build_present() and os.access(SYSTEM_VSWITCHD, os.X_OK):
        with open_vswitch("system"):
            measured.append(figures(size))

    def row(name, show, runs, goal):
        shown = ["%s: %s" % (f["version"], show(f)) for f in measured]
        return (name, "<br>".join(shown), runs, goal)

    runs = size["runs"]
    return [
        row("TCP throughput pod -> VIP / pod -> same backend directly",
            lambda f: ratio(f["throughput"], "Gbit/s"), runs, ">= 0.95"),
        row("new TCP connections/s through the VIP / directly",
            lambda f: ratio(f["rate"], "/s"), runs, ">= 0.9"),
        row("the same, one client to one backend after %d s of new connections (its "
            "ports reused within TIME_WAIT)" % WRAP_SECONDS,
            lambda f: ratio(f["worn"], "/s"), 1, ">= 0.8"),
        row("a client alternating rounds of %d s to the backend directly and through the "
            "VIP, closing normally: its slowest round / its first direct round (direct, "
            "VIP per round)" % ROUND_SECONDS, lambda f: slowest_round(f["rounds"]), 1,
            ">= 0.9"),
        row("one client to one backend for %d s, closing normally, through the VIP / "
            "directly" % size["long"], lambda f: ratio(f["long"], "/s"), 1, ">= 0.9"),
        row("connection rate with %d Services of 10 endpoints / with 1" % size["services"],
            lambda f: ratio(f["crowded"], "/s"), runs, ">= 0.95"),
        row("programming %d Services of 10 endpoints" % (size["services"] - 1),
            lambda f: fmt(f["programming"], "s"), 1, "<= 5 s for 1000"),
        row("pod deletion to the flows no longer selecting it",
            lambda f: fmt(f["deletion"], "ms"), size["deletions"], "<= 100 ms"),
        row("NetworkPolicy created or deleted (API request sent) to the first new "
            "connection that obeys it", lambda f: fmt(f["policy_change"], "ms"), 2 * runs,
            "<= 1000 ms"),
        row("connection rate to a server with 100 NetworkPolicies selecting it / with none",
            lambda f: ratio(f["guarded"], "/s"), runs, ">= 0.9"),
        row("new TCP connections/s directly with the flow log on / off (times the kernel "
            "dropped events for it)", lambda f: "%s (%d)" % (
                ratio(f["observed"][:2], "/s"), f["observed"][2]), runs, ">= 0.9"),
    ]
