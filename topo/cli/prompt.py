"""The Mininet CLI with kubectl verbs and pods as command targets.

Mininet's own verbs keep working (pingall, dump, net, `<node> <cmd>`); added:
`<pod> <cmd>` runs cmd in the pod's namespaces (pod and node names in the command
become their IPs, as Mininet does for hosts), `kubectl ...` (the real kubectl,
against the cluster's API), and `pods`.
When standard input is not a terminal, each line is echoed after the prompt and run
to completion without reading further input, so scripts can be piped in.
"""
import re
import shlex
import subprocess
import sys

from mininet.cli import CLI
from mininet.log import error, output

from topo.cli import kubectl
from topo.cli.console import split_mininet_output
from topo.errors import KubemnError
from topo.inspect.draw import draw
from topo.inspect.flowview import service_flows
from topo.inspect.policyview import pod_policy
from topo.inspect.tracepath import trace


HOST_IN_WORD = re.compile(r"^(?P<scheme>[a-z]+://)?(?P<host>[a-z0-9][-a-z0-9./]*?)"
                          r"(?P<rest>(:\d+)?(/.*)?)$")


class KubeCLI(CLI):
    prompt = "kubemn> "

    def __init__(self, cluster, stdin=sys.stdin, **kwargs):
        self.cluster = cluster
        self.interactive = stdin.isatty()
        if not self.interactive:
            self.use_rawinput = False
            self.prompt = ""
        split_mininet_output()
        CLI.__init__(self, cluster.net, stdin=stdin, **kwargs)

    def precmd(self, line):
        line = super().precmd(line)
        if not self.interactive and line.strip() and line != "EOF":
            output("kubemn> %s\n" % line.strip())
        return line

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
        # Cmd's parser stops a name at '-', which pod names are full of.
        first, _, args = line.strip().partition(" ")
        args = args.strip()
        if first in self.cluster.pods:
            if not args:
                error("*** Please enter a command for pod: %s <cmd>\n" % first)
                return
            self.run_in_pod(self.cluster.pods[first], self.substitute_ips(args))
        elif first in self.mn and not self.interactive:
            output(_ended(self.mn[first].cmd(self.substitute_ips(args))))
        else:
            super().default(line)

    def substitute_ips(self, args):
        """Pod and node names become their IPs, as whole words (`ping server2`) and as
        the host of `name:port` or a URL (`curl http://server2:8080/`)."""
        return " ".join(HOST_IN_WORD.sub(self._address_of, word) for word in args.split(" "))

    def _address_of(self, match):
        name = match.group("host")
        if name in self.cluster.pods:
            address = self.cluster.pods[name].ip
        elif name in self.mn:
            address = self.mn[name].IP() or name
        else:
            address = name
        return (match.group("scheme") or "") + address + match.group("rest")

    def run_in_pod(self, pod, command, container=None):
        if container is not None and container not in pod.containers:
            error("Error: container %s is not valid for pod %s\n" % (container, pod.name))
            return
        argv = " ".join(shlex.quote(a) for a in pod.nsenter_argv() + ["sh", "-c", command])
        if self.interactive:
            # Through the node's shell, so output streams and Ctrl-C reaches it.
            pod.node.sendCmd(argv)
            self.waitForNode(pod.node)
        else:
            # The machine's tools, as through the node's shell above.
            result = self.cluster.exec(pod.ref, command, container, machine_tools=True)
            output(_ended(result.stdout + result.stderr))

    def do_EOF(self, line):
        if self.interactive:
            output("\n")
        return True


def _ended(text):
    """Output ends with a newline, so the next prompt starts a line of its own."""
    return text if not text or text.endswith("\n") else text + "\n"
