"""The Mininet CLI with kubectl verbs and pods as command targets.

Mininet's own verbs keep working (pingall, dump, net, `<node> <cmd>`); added:
`<pod> <cmd>` runs cmd in the pod's namespaces (pod and node names in the command
become their IPs, as Mininet does for hosts), `kubectl ...` (the real kubectl,
against the cluster's API), and `pods`. How a line is read (comments, what its first
word names) is lines.py's. No line ends the session but `exit`: a verb's failure is
one line, `Error: ...`, and the prompt comes back.
When standard input is not a terminal, each line is echoed after the prompt and run
to completion without reading further input, so scripts can be piped in.
"""
import os
import shlex
import subprocess
import sys

import mininet.cli
from mininet.cli import CLI
from mininet.log import error, output

from topo.cli import kubectl, lines
from topo.cli.console import split_mininet_output
from topo.errors import KubemnError, Stopped
from topo.inspect.draw import draw
from topo.inspect.flowview import service_flows
from topo.inspect.policyview import pod_policy
from topo.inspect.tracepath import trace
from topo.observe.flow_log import FORMS, matches
from topo.observe.observe_command import parse_observe
from topo.kubelet.pod import SANDBOX_NAMESPACES
from topo.runtime.processes import enter_argv, run_to_its_end

POD_COMMAND_TIMEOUT = 60   # seconds, for a piped script's pod command


class KubeCLI(CLI):
    prompt = "kubemn> "
    helpStr = (
        "Run a command in a pod or on a node:\n"
        "  kubemn> client1 curl -s http://web/hostname\n"
        "  kubemn> x/a ping -c1 y/b          (a pod of another namespace: namespace/name)\n"
        "  kubemn> node1 ip route\n"
        "Pod and node names in the command become their addresses.\n"
        "\n"
        "What the first word names: with a slash, always a pod (namespace/name, or\n"
        "default/name); otherwise a verb of this list if there is one, else a pod of the\n"
        "default namespace, else a node, switch or the internet host. A pod named like\n"
        "a verb (py, x, net, ...) is reached as default/NAME.\n"
        "\n"
        "`#` starts a comment where a shell would read one (at the start of a word,\n"
        "outside quotes): a line starting with # is ignored, while ${t#*=} or a URL's\n"
        "#fragment reach the command whole. Each pod or node command runs in a shell\n"
        "of its own: `cd` does not carry over, and `exit` ends only that shell.\n"
        "A failing line prints one line (Error: ...); only `exit` (or Ctrl-D) ends the\n"
        "session and tears the cluster down.\n"
    )

    def __init__(self, cluster, stdin=sys.stdin, **kwargs):
        self.cluster = cluster
        self.interactive = stdin.isatty()
        self.sourcing = []      # the files `source` is reading, outermost first
        if not self.interactive:
            self.use_rawinput = False
            self.prompt = ""
        if hasattr(stdin, "reconfigure"):
            stdin.reconfigure(errors="replace")  # a stray byte is not a reason to stop
        split_mininet_output()
        # The flow log runs for the whole session: observe shows what happened
        # before it was first asked for.
        cluster.flow_log()
        CLI.__init__(self, cluster.net, stdin=stdin, **kwargs)

    def precmd(self, line):
        line = lines.strip_comment(line)
        if not self.interactive and line.strip() and line != "EOF":
            output("kubemn> %s\n" % line.strip())
        return line

    def onecmd(self, line):
        """Runs one line: a verb, else a pod or node command (lines.py's rule). Any
        failure becomes one line and the prompt comes back; a signal still stops."""
        first, _ = lines.split_first(line)
        try:
            if not first or first in self.verbs() or first[0] in "?!":
                return super().onecmd(line)
            return self.default(line)
        except Stopped:
            raise
        except (Exception, SystemExit) as exc:
            self._interrupt_waiting_shells()
            error("Error: %s: %s\n" % (first, lines.one_line(exc)))
            return None

    def do_py(self, line):
        """py EXPRESSION: evaluates a Python expression with the network's names
        (net, node1, s1, ...) and prints its value."""
        try:
            result = eval(line, vars(mininet.cli), self.getLocals())
        except Exception as exc:
            error("Error: py: %s\n" % lines.one_line(exc))
            return
        if result is not None:
            output((result if isinstance(result, str) else repr(result)) + "\n")

    def do_px(self, line):
        """px STATEMENT: runs a Python statement with the network's names."""
        try:
            exec(line, vars(mininet.cli), self.getLocals())
        except Exception as exc:
            error("Error: px: %s\n" % lines.one_line(exc))

    def getLocals(self):
        """The names `py` and `px` see: Mininet's, with exit() and quit() that say how
        to leave (Python's would close the CLI's standard input first)."""
        names = super().getLocals()
        names["exit"] = names["quit"] = _leave_by_the_verb
        return names

    def verbs(self):
        return {name[3:] for name in self.get_names() if name.startswith("do_")}

    def _interrupt_waiting_shells(self):
        for node in self.mn.values():
            if node.waiting:
                node.sendInt()
                node.waitOutput()

    def do_kubectl(self, line):
        """kubectl ...: the real kubectl, against this cluster's API (its output, its
        errors, its exit status)."""
        try:
            args = kubectl.split_command(line)
            if self.interactive:
                kubectl.run_attached(self.cluster, args)
                self.cluster.wait_started()
                return
            result = kubectl.run(self.cluster, args)
            # A script's next line sees the pods kubectl made as started.
            self.cluster.wait_started()
        except (KubemnError, OSError, subprocess.TimeoutExpired) as exc:
            error("Error: %s\n" % exc)
            return
        output(_ended(result.stdout))
        error(_ended(result.stderr))

    def do_flows(self, line):
        """flows SERVICE: the Service's OpenFlow flows and groups, readable, with the
        packets each flow has matched."""
        try:
            output(service_flows(self.cluster, line.strip()) + "\n")
        except KubemnError as exc:
            error("Error: %s\n" % exc)

    def do_policy(self, line):
        """policy POD: the NetworkPolicy rules kubemn compiled for the pod (which
        policies isolate it, what each allows) and its node's nftables chains for it,
        with the packets each rule has matched."""
        try:
            output(pod_policy(self.cluster, line.strip()) + "\n")
        except KubemnError as exc:
            error("Error: %s\n" % exc)

    def do_trace(self, line):
        """trace SRC DST[:PORT] [--proto tcp|udp|icmp]: one real packet from a pod
        (or internet) and every hop it crossed, with the OpenFlow rules and NAT."""
        try:
            output(trace(self.cluster, line) + "\n")
        except KubemnError as exc:
            error("Error: %s\n" % exc)

    def do_observe(self, line):
        """observe [--last N] [-f] [--pod P] [--namespace NS] [--protocol P] [--port N]
        [--node N] [--verdict FORWARDED|DROPPED|REJECTED] [--ip A] [-o compact|json|table]:
        the flow log, the connections the nodes' conntrack saw (began, answered or
        refused, ended with its counts), the packets NetworkPolicies dropped and the
        fabric rejected or dropped, its addresses named; with --pod, inside that pod
        too from then on; -f follows it until Ctrl-C. It runs from the CLI's start."""
        try:
            options = parse_observe(line)
            collector = self.cluster.flow_log()
        except KubemnError as exc:
            error("Error: %s\n" % exc)
            return
        show, header = FORMS[options.output]
        watched = options.filters["pod"] and \
            self.cluster.watch_inside_if_a_pod(options.filters["pod"])
        if watched and watched[1]:   # asked about a pod: its loopback too, from now on
            error("kubemn: observe: from now on also inside %s (its containers' connections "
                  "to each other)\n" % watched[0])
        collector.settle()   # the connections of the commands before it are in
        records, index = collector.since(0)
        shown = [r for r in records if matches(r, **options.filters)]
        if header:
            output(header + "\n")
        for entry in shown[-options.last:] if options.last else []:
            output(show(entry) + "\n")
        if collector.lost:
            error("observe: the kernel dropped conntrack events %d times: the log misses "
                  "connections\n" % collector.lost)
        try:
            while options.follow:
                if collector.wait(index, 0.5):
                    records, index = collector.since(index)
                    for entry in records:
                        if matches(entry, **options.filters):
                            output(show(entry) + "\n")
        except KeyboardInterrupt:
            output("\n")

    def do_ui(self, _line):
        """ui: the URL of the browser view (with the run's token): the cluster's map
        and its flows, live, in a browser on this machine."""
        output(self.cluster.browser_view().url + "\n")

    def do_draw(self, line):
        """draw [PATH]: an SVG and a PNG picture of the cluster (default
        kubemn-cluster.svg and .png in the current directory)."""
        try:
            written = draw(self.cluster, line.strip() or "kubemn-cluster")
            output("wrote %s\n" % ", ".join(written))
        except KubemnError as exc:
            error("Error: %s\n" % exc)

    def do_pods(self, _line):
        """List pods with their node and IP."""
        self.do_kubectl("get pods -o wide")

    def default(self, line):
        """A line whose first word is a pod or a Mininet node (lines.py's rule)."""
        first, command = lines.split_first(line)
        kind, target = lines.target_of(first, self.cluster.pods, self.mn)
        if kind is None:
            what = "pod (namespace/name)" if "/" in first else "command, pod or node"
            error("Error: %s is not a %s: type `help`\n" % (first, what))
        elif not command:
            error("Error: enter a command for %s: %s <cmd>\n" % (first, first))
        elif kind == "pod":
            self.run_in_pod(self.cluster.pods[target], self.substitute_ips(command))
        else:
            self.run_on_host(self.mn[target], self.substitute_ips(command))

    def substitute_ips(self, command):
        """Pod and node names become their IPs, as whole words (`ping server2`) and as
        the host of `name:port` or a URL (`curl http://server2:8080/`)."""
        return lines.substitute_addresses(command, self._address_of)

    def _address_of(self, name):
        ref = lines.pod_ref(name, self.cluster.pods)
        if ref is not None:
            return self.cluster.pods[ref].ip
        if name in self.mn:
            return self.mn[name].IP() or name
        return None

    def run_in_pod(self, pod, command):
        argv = pod.nsenter_argv() + ["sh", "-c", command]   # with the machine's tools
        if self.interactive:   # the node's shell is on the pod's server
            self._run_in_shell_of(pod.node, enter_argv(pod.sandbox_pid, *SANDBOX_NAMESPACES)
                                  + ["sh", "-c", command])
        else:
            try:
                output(_ended(run_to_its_end(argv, timeout=POD_COMMAND_TIMEOUT)[1]))
            except subprocess.TimeoutExpired:
                error("Error: %s: the command did not end within %d s, and was stopped\n"
                      % (pod.ref, POD_COMMAND_TIMEOUT))

    def run_on_host(self, host, command):
        """A command on a Mininet node, in a shell of its own: `exit`, `exec` or an
        unclosed quote end that shell, never the node's (which holds its namespace)."""
        argv = ["bash", "-c", command]
        if self.interactive:
            self._run_in_shell_of(host, argv)
        else:
            on_server = self.cluster.server(host.server).prefix() \
                if getattr(host, "isRemote", False) else []
            output(_ended(run_to_its_end(on_server + ["mnexec", "-a", str(host.pid)] + argv)[1]))

    def _run_in_shell_of(self, node, argv):
        """Through the node's shell, so output streams and Ctrl-C reaches it."""
        node.sendCmd(" ".join(shlex.quote(a) for a in argv))
        self.waitForNode(node)

    def do_source(self, line):
        """source FILE: runs the CLI lines in FILE, one after another."""
        args = line.split()
        if len(args) != 1:
            error("Error: usage: source FILE\n")
            return
        path = os.path.realpath(args[0])
        if path in self.sourcing:
            error("Error: source: %s is already being read (it sources itself)\n" % args[0])
            return
        try:
            with open(path, errors="replace") as script:
                script_lines = script.read().splitlines()
        except OSError as exc:
            error("Error: source: %s: %s\n" % (args[0], exc.strerror or exc))
            return
        self.sourcing.append(path)
        try:
            for each in script_lines:
                self.onecmd(self.precmd(each))
        finally:
            self.sourcing.pop()

    def do_x(self, line):
        """x NODE [CMD ARGS]: an X11 client on a Mininet node (needs $DISPLAY)."""
        first, _ = lines.split_first(line)
        if first and first not in self.mn:
            error("Error: x: %s is not a node (x takes one of: %s)\n"
                  % (first, " ".join(sorted(self.mn))))
            return
        super().do_x(line)

    def do_sh(self, line):
        """sh CMD: runs CMD in a shell on the machine itself (outside the cluster)."""
        # A script's standard input is its next lines, not the command's.
        subprocess.call(line, shell=True,
                        stdin=None if self.interactive else subprocess.DEVNULL)

    def do_exit(self, line):
        """exit: ends the session and tears the cluster down."""
        if line.strip():
            error("Error: exit takes no arguments (a line with more is not a way out)\n")
            return None
        return super().do_exit(line)

    def do_quit(self, line):
        """quit: the same as exit."""
        return self.do_exit(line)

    def do_EOF(self, line):
        """The end of the input (Ctrl-D) ends the session; a typed `EOF ...` does not."""
        if line.strip():
            error("Error: EOF takes no arguments: type `exit` to leave\n")
            return None
        if self.interactive:
            output("\n")
        return True


def _leave_by_the_verb(*_args):
    raise KubemnError("type `exit` (the CLI's verb) to leave kubemn")


def _ended(text):
    """Output ends with a newline, so the next prompt starts a line of its own."""
    return text if not text or text.endswith("\n") else text + "\n"
