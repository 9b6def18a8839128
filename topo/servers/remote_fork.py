"""The fork server of another server, as the head's kubelet uses its own
(topo/runtime/forked.py): its containers are forked there by that server's fork
server, through kubemn's agent there (topo/servers/agent.py) on an ssh channel; a
container's streams are files there, named rather than passed; call() runs one of
kubemn's functions there and kill() signals a process there. The pids are that
server's."""
import pickle
import subprocess

from topo.errors import KubemnError
from topo.servers.remote import KUBEMN_PYTHON, KUBEMN_ROOT
from topo.runtime.forked import ForkServer, START_SECONDS, signal_process



class RemoteForkServer(ForkServer):
    remote = True

    def __init__(self, server, run_dir, log_path, environment=None):
        """server: topo/servers/remote.Server; run_dir: the run's directory, there as
        here; log_path: the agent's errors, here; environment: the agent's there (the
        run's Open vSwitch there, for what it runs)."""
        super().__init__(log_path)
        self.server, self.run_dir = server, run_dir
        self.what = "%s: kubemn's agent" % server.name
        self.thread_name = "fork-server-" + server.name
        self.environment = environment or {}
        self.flows_to = None   # the flow log collector's heard(), while it runs

    def _launch(self, theirs, log):
        """kubemn's agent there, the stream ssh's standard input and output."""
        command = "cd %s && exec %s -m topo.servers.agent %s" % (
            KUBEMN_ROOT, KUBEMN_PYTHON, self.run_dir)
        return subprocess.Popen(self.server.argv(["sh", "-c", command], self.environment),
                                stdin=theirs, stdout=theirs, stderr=log,
                                start_new_session=True)

    def _send_start(self, message, streams, container):
        # spawn()'s streams are named here, (path there, "r" | "w" | "a") or None for
        # /dev/null, and the agent opens them there.
        self._send(dict(message, streams=list(streams)), container)

    def call(self, function, *args, **kwargs):
        request = self._next_request()
        self._send({"call": request, "function": "%s:%s" % (function.__module__,
                                                            function.__qualname__)},
                   pickle.dumps((args, kwargs)))
        with self.changed:
            self.changed.wait_for(lambda: request in self.replies or self.lost,
                                  START_SECONDS)
            answer = self.replies.pop(request, None)
        if answer is None:
            raise KubemnError("%s: kubemn's agent %s (its log: %s)" % (
                self.server.name, "is gone" if self.lost else "did not answer",
                self.log_path))
        message, payload = answer
        result = pickle.loads(payload)
        if not message["ok"]:
            raise KubemnError("%s: %s" % (self.server.name, result))
        return result

    def heard(self, message, payload):
        listener = self.flows_to
        if listener is not None:
            listener(message["flows"], message["kind"], payload, message["time"])

    def kill(self, pid, signum, group=False):
        if not self.lost:
            self.call(signal_process, pid, signum, group)
