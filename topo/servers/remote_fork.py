"""The fork server of another server, as the head's kubelet uses its own
(topo/runtime/forked.py): its containers are forked there by that server's fork
server, through kubemn's agent there (topo/servers/agent.py) on an ssh channel; a
container's streams are files there, named rather than passed; call() runs one of
kubemn's functions there and kill() signals a process there. The pids are that
server's."""
import os
import pickle
import socket
import subprocess
import sys
import threading

from topo.errors import KubemnError
from topo.runtime import fork_protocol
from topo.runtime.forked import ForkedProcess, ForkServer, START_SECONDS, signal_process

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class RemoteForkServer(ForkServer):
    remote = True

    def __init__(self, server, run_dir, log_path, environment=None):
        """server: topo/servers/remote.Server; run_dir: the run's directory, there as
        here; log_path: the agent's errors, here; environment: the agent's there (the
        run's Open vSwitch there, for what it runs)."""
        super().__init__(log_path)
        self.server, self.run_dir = server, run_dir
        self.environment = environment or {}
        self.flows_to = None   # the flow log collector's heard(), while it runs

    def start(self):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        command = "cd %s && exec .venv/bin/python -m topo.servers.agent %s" % (
            ROOT, self.run_dir)
        try:
            with open(self.log_path, "ab") as log:
                self.process = subprocess.Popen(
                    self.server.argv(["sh", "-c", command], self.environment),
                    stdin=theirs, stdout=theirs,
                    stderr=log, start_new_session=True)
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self.sock = ours
        threading.Thread(target=self._read, name="fork-server-" + self.server.name,
                         daemon=True).start()
        return self

    def spawn(self, argv, env, sandbox_pid, namespaces, stdin, stdout, stderr, cwd="/"):
        """As ForkServer.spawn, the streams named: (path there, "r" | "w" | "a") or
        None for /dev/null."""
        request = self._next_request()
        container = fork_protocol.encode({"argv": list(argv), "env": dict(env),
                                          "sandbox": sandbox_pid,
                                          "namespaces": list(namespaces), "cwd": cwd})
        program = not fork_protocol.forkable(argv, sys.executable)
        self._send({"start": request, "exec": program,
                    "streams": [stdin, stdout, stderr]}, container)
        return ForkedProcess(self, request, argv)

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

    def _next_request(self):
        with self.changed:
            self.requests += 1
            return self.requests

    def _send(self, message, payload):
        try:
            with self.sending:
                fork_protocol.send(self.sock, message, (), payload)
        except OSError as exc:
            raise KubemnError("%s: kubemn's agent is gone (%s): see %s"
                              % (self.server.name, exc.strerror, self.log_path)) from None
