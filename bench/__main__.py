"""kubemn's benchmark: prints one table and writes it, with the machine's description,
to docs/benchmarks.md. A benchmark reports; it does not fail on a slow machine.

  python -m bench            quick (a few minutes)
  python -m bench --full     the figures the goals are stated for
"""
import argparse
import datetime
import os
import sys

from bench import api, datapath, scenarios, servers, ui
from bench.report import describe_machine, document, fmt, median, table

QUICK = {"runs": 3, "pods": 200, "services": 100, "seconds": 2, "deletions": 5,
         "listed": 300, "long": 20, "image_pods": 100, "scale": (400, 100, 10, 10)}
FULL = {"runs": 5, "pods": 1000, "services": 1000, "seconds": 5, "deletions": 10,
        "listed": 1000, "long": 60, "image_pods": 500, "scale": (4000, 1000, 100, 50)}
POD_COST_GOALS = {"pause": "<= 1 MiB", "agnhost netexec": "<= 3 MiB"}


def progress(message):
    sys.stderr.write("bench: %s\n" % message)
    sys.stderr.flush()


def measure(size):
    rows = []
    runs = size["runs"]

    progress("default cluster start, %d runs" % runs)
    starts = [scenarios.default_cluster_start() for _ in range(runs)]
    rows.append(("default cluster: command to all pods Ready and every Service answering",
                 fmt(median(starts), "s"), runs, "<= 5 s"))

    progress("%d pods over 10 nodes" % size["pods"])
    ready, per_pod, teardown = scenarios.many_pods(size["pods"])
    rows.append(("%d pods over 10 nodes: command to all Ready" % size["pods"],
                 fmt(ready, "s"), 1, "<= 30 s for 1000"))
    rows.append(("memory per pod beyond its container", fmt(per_pod, "MiB"), 1, "<= 1 MiB"))
    rows.append(("teardown of those pods", fmt(teardown, "s"), 1, "<= 5 s for 1000"))

    for image, container in scenarios.POD_IMAGES:
        progress("what a pod of %s costs, %d pods over 10 nodes" % (image, size["image_pods"]))
        processes, whole = scenarios.pod_cost(container, size["image_pods"])
        rows.append(("a pod of %s: PSS of its processes (machine memory per pod, whole)"
                     % image, "%s (%s)" % (fmt(processes, "MiB"), fmt(whole, "MiB")), 1,
                     POD_COST_GOALS.get(image, "")))

    paused, served, services, nodes = size["scale"]
    progress("%d pods (%d pause, %d agnhost netexec behind %d Services) over %d nodes"
             % (paused + served, paused, served, services, nodes))
    scale = scenarios.thousands_of_pods(paused, served, services, nodes)
    rows.append(("%d pods (%d pause, %d agnhost netexec behind %d Services) over %d nodes: "
                 "apply to all Ready (to every Service answering; how many answered)"
                 % (paused + served, paused, served, services, nodes),
                 "%s (%s; %d)" % (fmt(scale["apply to all Ready"], "s"),
                                  fmt(scale["apply to every Service answering"], "s"),
                                  scale["Services answering"]), 1, "<= 60 s for 5000"))
    rows.append(("  machine memory in use then (what the run added)", "%.1f GiB (%.1f GiB)" % (
        scale["memory in use, GiB"], scale["memory the run added, GiB"]), 1,
        "<= 12 GiB for 5000"))
    rows.append(("  their teardown (what of kubemn's was left)", "%s (%d)" % (
        fmt(scale["teardown"], "s"), scale["left after teardown"]), 1,
        "<= 15 s for 5000, nothing"))

    progress("the API: kubectl apply, get, and a watch")
    figures = api.api_figures(100, size["listed"], runs)
    rows.append(("kubectl apply of 100 pods until the API shows all Ready "
                 "(of which the apply)", "%s (%s)" % (fmt(figures["apply"], "s"),
                                                       fmt(figures["applying"], "s")),
                 1, "<= 3 s"))
    rows.append(("kubectl apply --server-side of 100 more pods until all Ready "
                 "(of which the apply)", "%s (%s)" % (fmt(figures["server_apply"], "s"),
                                                       fmt(figures["server_applying"], "s")),
                 1, "<= 3 s"))
    rows.append(("kubectl get pods with %d pods (its process start included) / get nodes"
                 % size["listed"], "%s (%s vs %s)" % (
                     fmt(figures["list"] / figures["nodes"], "ratio"),
                     fmt(figures["list"], "s"), fmt(figures["nodes"], "s")),
                 runs, "<= 0.5 s for 1000"))
    rows.append(("a change (PATCH sent) to its watch event at a watcher",
                 fmt(figures["watch"], "ms"), 20, "<= 50 ms"))
    pushes, answering, answered = figures["burst"]
    rows.append(("100 Services applied in one burst (kubectl apply -f): pushes to the "
                 "controller (until all answer from a pod; how many answered)",
                 "%d (%s; %d)" % (pushes, fmt(answering, "s"), answered), 1,
                 "one or few, all answering"))

    progress("the browser view in Chromium, %d pods over 10 nodes" % size["pods"])
    view = ui.browser_view(size["pods"])
    rows.append(("browser view, %d pods over 10 nodes: first paint in headless Chromium "
                 "(pods drawn)" % size["pods"], "%s (%d)" % (fmt(view["first paint"], "s"),
                                                              view["pods drawn"]),
                 runs, "<= 2 s for 1000"))
    rows.append(("  a new flow drawn after its node saw it, one connection at a time: "
                 "median (most)", "%s (%s)" % (fmt(view["flow delay"][0], "s"),
                                               fmt(view["flow delay"][1], "s")), 20, "<= 1 s"))
    rows.append(("  the same during a burst of 1,000 connections: median (most)",
                 "%s (%s)" % (fmt(view["burst delay"][0], "s"),
                              fmt(view["burst delay"][1], "s")), 1, "<= 1 s"))

    rows += datapath.rows(size)
    rows += servers.rows(size)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true")
    args = parser.parse_args(argv)
    size = FULL if args.full else QUICK
    rows = measure(size)
    if args.full:
        progress("make test wall time")
        rows.append(("`make test` wall time", fmt(scenarios.test_suite_minutes(), "min"), 1,
                     "<= 5 min"))
    machine = describe_machine()
    text = table(rows)
    print(text)
    path = os.path.join(scenarios.ROOT, "docs", "benchmarks.md")
    try:
        with open(path) as handle:
            previous = handle.read()
    except FileNotFoundError:
        previous = None
    run_line = "`make bench%s`, %s, on: %s" % (" FULL=1" if args.full else "",
                                               datetime.date.today().isoformat(), machine)
    with open(path, "w") as handle:
        handle.write(document(run_line, text, previous, NOTES))
    progress("table written to %s (its notes kept)" % path)


# The notes of a docs/benchmarks.md that has none yet (a kept file keeps its own).
NOTES = """## How to read this

Each figure is a median over the runs shown; ratios compare two figures measured side by
side in the same run (alternating), since these machines are noisy. The clients loop in
one process inside a pod (bench/load.py), so process start-up does not dominate. Each
connection-rate run starts from a new client pod; the row after it shows what one client
that keeps going meets (see the limit below). `make bench FULL=1` runs the sizes the
goals are stated for and times `make test`.

## What the changes bought (figures from earlier runs on the same machine)

- The controller reads a switch back only when it connects, then converges from what
  it sent: one round of messages and a barrier per change. Pod deletion to flows,
  100 Services: 141 ms -> 44 ms.
- A cluster's pods stop in one grace period, not one each: teardown of 200 pods
  8.10 s -> 0.66 s (1000 pods: 1.5 s).
- A pod's veth is deleted at once, its listening ports are read once, its conntrack
  entries are flushed in the background: pod create/delete cycle 240 ms -> 125 ms.
- Services with the same endpoints share one select group (named after the first
  service port that selects them, so the id survives endpoint changes) and the DNAT
  flows; the per-Service pipeline is cached. Programming 999 Services of 10 endpoints
  1.57 s -> 0.61 s; an endpoint change under 1000 Services went from 1000 group and
  1000 flow modifications to one of each.
- A leaving endpoint purges Open vSwitch's datapath flow cache, which otherwise keeps
  sending new connections by the old group for up to its 500 ms revalidation period.
- The controller builds a shared endpoint set's group and DNAT flows once, not once per
  Service that selects it, and converts addresses without the ipaddress module: one
  endpoint change under 1000 Services on one set, 117 ms -> 20 ms of controller time.
  kubemn computes the endpoints once per distinct selector and ports. Pod deletion to
  flows under 1000 Services: median 87-136 ms -> 34 ms.
- Each pod's pause process makes the pod's namespaces, veth pair, addresses and route
  itself, in one script (`ip -batch`, one `ethtool`, one `nsenter` for the bridge
  port) instead of kubemn spawning `ip` and `nsenter` one command at a time through
  the node's shell, and pods are launched sixteen at a time: 23 ms -> 10 ms a pod;
  1000 pods over 10 nodes, command to all Ready, 28.4 s -> 11.2 s.

## Limits, and why

- The datapath rows show kubemn's own Open vSwitch (Debian 13's 3.5) first, then the
  system's (Debian 12's 3.1.0, `KUBEMN_OVS=system`), each on a cluster of its own in
  the same run. On 3.1.0, a client alternating fast between a backend and its
  Service, closing its connections normally, sees its direct rounds fall to about a
  fifth of the first: its direct connections reuse source ports whose tuple the
  backend still holds in TIME_WAIT from Service connections, and that Open vSwitch
  cannot take the null binding (`ct(commit,nat(src))`: it aborts) that gives such a
  connection another source port, as Linux's conntrack and 3.5 do. On 3.1.0 the
  controller's closing channel also flushes each closed Service connection, without
  which one client to one backend through a VIP fell to 1% of the direct rate once
  its ports wrapped (3.1.0 kept a replaced connection's NAT half); 3.5 needs neither
  flush nor workaround.
- Since NetworkPolicy and faithful source addresses (2026-11-27), every node's kernel
  tracks connections (nftables: the fabric-hairpin mark, the egress masquerade, the
  policy table's established-connection rule), as a kube-proxy node's does. Measured
  side by side, alternating the commit before and after on the same machine, new
  direct connections/s across nodes: 2,779 / 2,639 / 2,430 and 2,932 / 2,630 / 2,850
  before, 2,263 / 2,116 / 2,218 and 2,783 / 2,756 / 2,649 after: a cost of 0 to 20%
  within this machine's noise. A policy is loaded into the nodes before the API
  request that made it returns (a table per node, replaced atomically, only where it
  changed); 100 policies selecting a server leave its connection rate as it was,
  since only a connection's first packet crosses the rules.
"""


if __name__ == "__main__":
    main()
