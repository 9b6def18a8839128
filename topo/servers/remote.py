"""A server of the cluster, as the head reaches it: commands on the head run
directly, on any other server through ssh (the same kubemn at the same path on
each, as Mininet Cluster Edition wants the same Mininet).

ssh_options: what every ssh to the servers takes first (the simulated servers'
`-F FILE`; none on real machines, whose ssh configuration the user keeps).
"""
import os
import shlex
import subprocess

from topo.errors import KubemnError
from topo.plan.naming import RUN_MARKER
from topo.plan.servers import HEAD

COMMAND_SECONDS = 60
# This checkout, which every server runs at the same path, and its Python.
KUBEMN_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KUBEMN_PYTHON = os.path.join(KUBEMN_ROOT, ".venv", "bin", "python")


class Server:
    def __init__(self, name, address, ssh_options=(), run_id=None):
        self.name, self.address = name, address
        self.ssh_options = tuple(ssh_options)
        self.run_id = run_id   # its processes carry the run's marker, for cleanup there

    @property
    def is_head(self):
        return self.name == HEAD

    def ssh_argv(self):
        """ssh to the server, as Mininet Cluster Edition's nodes do it (by address)."""
        return ["ssh"] + list(self.ssh_options) + ["-o", "BatchMode=yes", "-o",
                                                   "ConnectTimeout=10",
                                                   "root@%s" % self.address]

    def prefix(self, tty=False):
        """The argv prefix that runs the argv after it on the server, each word as it
        is (bash quotes them for the server's shell, as ssh joins its arguments
        with spaces), on a terminal there if tty; on the head, nothing."""
        if self.is_head:
            return []
        ssh = self.ssh_argv()
        if tty:
            ssh.insert(1, "-tt")
        return ["bash", "-c", 'exec %s "${*@Q}"' % shlex.join(ssh), "on-" + self.name]

    def argv(self, words, env=None):
        """argv that runs words (a program and its arguments) on the server, with env
        (name -> value) added to its environment."""
        env = dict(env or {})
        if self.run_id and not self.is_head:
            env.setdefault(RUN_MARKER, self.run_id)
        prefix = ["env"] + ["%s=%s" % item for item in sorted(env.items())] if env else []
        if self.is_head:
            return prefix + list(words)
        return self.ssh_argv() + [shlex.join(prefix + list(words))]

    def run(self, words, env=None, input_text=None, check=True):
        """Runs words on the server; its output, or a one-line KubemnError (check)."""
        try:
            result = subprocess.run(self.argv(words, env), input=input_text,
                                    capture_output=True, text=True,
                                    stdin=None if input_text is not None else subprocess.DEVNULL,
                                    timeout=COMMAND_SECONDS)
        except subprocess.TimeoutExpired:
            raise KubemnError("%s: `%s` did not end within %d s"
                              % (self.name, " ".join(words[:3]), COMMAND_SECONDS)) from None
        if check and result.returncode != 0:
            last = result.stderr.strip().splitlines() or ["exit %d" % result.returncode]
            raise KubemnError("%s: `%s` failed: %s" % (self.name, " ".join(words[:3]), last[-1]))
        return result.stdout

    def __repr__(self):
        return "Server(%s, %s)" % (self.name, self.address)
