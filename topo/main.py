"""The kubemn command.

  kubemn run [-f FILE ...] [--nodes N] [--fabric single|racks:N] [--clean]
             [--servers head,SERVER,... [--placer bins|round-robin]]
  kubemn clean
  kubemn kubeconfig     the active run's kubeconfig: export KUBECONFIG=$(kubemn kubeconfig)
  kubemn ovs-env        the active run's Open vSwitch for ovs-* commands in another
                        shell: eval "$(kubemn ovs-env)"
  kubemn observe [-f] [--last N] [filters] [-o compact|json|table]
                        the active run's flow log, as the CLI's observe shows it
  kubemn ui             the URL of the active run's browser view (with its token)
  kubemn servers up N | down | list
                        simulated servers on this machine (N in all, the head
                        included), for `kubemn run --servers` without spare machines
"""
import argparse
import os
import signal
import sys

from topo.errors import Stopped

DEFAULT_CLUSTER = "default-cluster.yaml"


def _parser():
    parser = argparse.ArgumentParser(
        prog="kubemn", description="The Kubernetes networking model on one machine: "
        "Mininet nodes, pods in namespaces, an Open vSwitch fabric run by Ryu.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start a cluster and open the CLI")
    run.add_argument("-f", "--filename", action="append", default=[], metavar="FILE",
                     help="Kubernetes manifests (Pod, Deployment, Service, kubemn Cluster); "
                          "repeatable; default: the built-in example cluster")
    run.add_argument("--nodes", type=int, help="number of nodes (overrides the Cluster)")
    run.add_argument("--fabric", help="'single' switch or 'racks:N' leaves under a spine")
    run.add_argument("--servers", metavar="head,SERVER,...",
                     help="run the nodes over several servers (the head, this machine, "
                          "first; ssh as root to each, the same kubemn on each); "
                          "`kubemn servers up N` simulates some")
    run.add_argument("--placer", help="how nodes are placed over the servers: 'bins' "
                     "(contiguous runs, the default) or 'round-robin'")
    run.add_argument("--clean", action="store_true",
                     help="remove leftovers of an earlier run before starting")
    sub.add_parser("clean", help="remove everything kubemn made on this machine")
    sub.add_parser("kubeconfig", help="print the path of the active run's kubeconfig, for "
                   "export KUBECONFIG=$(kubemn kubeconfig)")
    sub.add_parser("ovs-env", help="print the shell exports that point ovs-vsctl, ovs-ofctl "
                   "and ovs-appctl at the active run's Open vSwitch, for "
                   "eval \"$(kubemn ovs-env)\"")
    sub.add_parser("ui", help="print the URL of the active run's browser view (with its "
                   "token)")
    servers = sub.add_parser("servers", help="simulated servers on this machine, each with "
                             "its own namespaces, address and sshd: `servers up N` (N in "
                             "all, the head included), `servers down`, `servers list`")
    servers.add_argument("action", choices=("up", "down", "list"))
    servers.add_argument("count", type=int, nargs="?", default=3,
                         help="servers in all, the head included (up; default 3)")
    sub.add_parser("observe", add_help=False,
                   help="the active run's flow log, as the CLI's observe shows it (its "
                   "options: -f, --last N, --pod, --namespace, --protocol, --port, --node, "
                   "--verdict, --ip, -o compact|json|table)")
    return parser


RECEIVED = []


def _stop(signum, _frame):
    """Raises Stopped. Python may run a handler inside a garbage collector callback,
    where an exception is lost: standard input turned to /dev/null as well ends the
    CLI at its next read anyway."""
    RECEIVED.append(signum)
    try:
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, sys.stdin.fileno())
        os.close(null)
    except (OSError, ValueError):
        pass
    raise Stopped(128 + signum)


def run(args):
    from topo.cli import kubectl
    from topo.cli.prompt import KubeCLI
    from topo.cluster import Cluster, progress_to_stderr
    from topo.plan.manifest import parse_files, parse_texts
    if args.filename:
        manifests = parse_files(args.filename)
    else:
        from importlib.resources import files
        text = files("topo").joinpath(DEFAULT_CLUSTER).read_text()
        manifests = parse_texts([("default cluster", text)])
    cluster = Cluster(manifests, nodes=args.nodes, fabric=args.fabric, clean=args.clean,
                      progress=progress_to_stderr, servers=args.servers, placer=args.placer)
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGHUP, _stop)
    if not sys.stdin.isatty():
        signal.signal(signal.SIGINT, _stop)  # a script's Ctrl-C ends it
    with cluster:
        progress_to_stderr("the Kubernetes API is at %s; for kubectl in another shell: %s"
                           % (cluster.api.url, kubectl.shell_setup()))
        progress_to_stderr("the browser view (this machine only): %s"
                           % cluster.browser_view().url)
        progress_to_stderr("cluster ready: %d nodes, %d pods; type `help`, "
                           "`kubectl get pods -o wide`, or `exit`"
                           % (len(cluster.node_plans), len(cluster.pods)))
        KubeCLI(cluster)
        if RECEIVED:
            raise Stopped(128 + RECEIVED[0])
        progress_to_stderr("tearing down")
    return 0


def clean(_args):
    from topo.runtime import cleanup
    from topo.errors import KubemnError
    from topo.runtime.runlock import active_run
    holder = active_run()
    if holder is not None:
        raise KubemnError("a kubemn run is active (pid %s): exit it first" % holder)
    found = cleanup.clean()
    summary = cleanup.describe(found)
    print("kubemn: removed %s" % summary if summary else "kubemn: nothing to clean")
    return 0


def kubeconfig(_args):
    from topo.api.kubeconfig import active_kubeconfig
    from topo.errors import KubemnError
    from topo.runtime.runlock import active_run
    path = active_kubeconfig() if active_run() is not None else None
    if path is None:
        raise KubemnError("no kubemn run is active: start one with `make run-topology`")
    print(path)
    return 0


def ovs_env(_args):
    from topo.errors import KubemnError
    from topo.plan.naming import RUN_DIR_ROOT
    from topo.runtime.runlock import active_run
    from topo.runtime.vswitch import active_exports
    exports = active_exports(RUN_DIR_ROOT) if active_run() is not None else None
    if exports is None:
        raise KubemnError("no kubemn run is active: start one with `make run-topology`")
    sys.stdout.write(exports)
    return 0


def ui(_args):
    from topo.errors import KubemnError
    from topo.runtime.runlock import active_run
    from topo.ui.server import active_view_url_file
    path = active_view_url_file() if active_run() is not None else None
    if path is None:
        raise KubemnError("no kubemn run with a browser view is active: start one with "
                          "`make run-topology`")
    with open(path) as handle:
        sys.stdout.write(handle.read())
    return 0


def observe(args):
    from topo.api.kubeconfig import active_kubeconfig
    from topo.errors import KubemnError
    from topo.observe.observe_command import parse_observe_words
    from topo.observe.remote import observe_remote
    from topo.runtime.runlock import active_run
    options = parse_observe_words(args.words)
    path = active_kubeconfig() if active_run() is not None else None
    if path is None:
        raise KubemnError("no kubemn run is active: start one with `make run-topology`")
    try:
        observe_remote(path, options, lambda line: print(line, flush=True),
                       lambda line: print(line, file=sys.stderr, flush=True))
    except KeyboardInterrupt:
        pass   # how -f ends
    except BrokenPipeError:   # its reader (head, grep -m) has had enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def servers(args):
    from topo.cluster import progress_to_stderr
    from topo.errors import KubemnError
    from topo.runtime import cleanup
    from topo.servers import simulated
    if args.action == "up":
        try:
            lan = simulated.SimulatedServers(args.count, progress_to_stderr).start().lan
        except ValueError as exc:
            raise KubemnError("servers up: %s" % exc) from None
        print("kubemn: %d servers up: %s; ssh -F %s server2 reaches one"
              % (len(lan.names), ",".join(lan.names), simulated.SSH_CONFIG))
    elif args.action == "down":
        found = cleanup.simulated_servers()
        cleanup.remove_simulated_servers()
        print("kubemn: simulated servers down" if found else
              "kubemn: no simulated servers were up")
    else:
        state = simulated.state()
        if state is None:
            print("kubemn: no simulated servers are up (`kubemn servers up 3` makes some)")
        else:
            for name in state["servers"]:
                print("%-10s %s" % (name, state["addresses"][name]))
    return 0


def main(argv=None):
    parser = _parser()
    args, words = parser.parse_known_args(argv)
    if args.command == "observe":
        args.words = words   # observe's own options, read as the CLI's observe reads them
    elif words:
        parser.error("unrecognized arguments: %s" % " ".join(words))
    from topo.errors import KubemnError
    try:
        return {"run": run, "clean": clean, "kubeconfig": kubeconfig,
                "ovs-env": ovs_env, "observe": observe, "ui": ui,
                "servers": servers}[args.command](args)
    except KubemnError as exc:
        sys.stderr.write("kubemn: error: %s\n" % exc)
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("kubemn: interrupted; everything torn down\n")
        return 130
    except Stopped as stop:
        sys.stderr.write("kubemn: stopped by a signal; everything torn down\n")
        return stop.code


if __name__ == "__main__":
    sys.exit(main())
