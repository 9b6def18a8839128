"""kubemn's end of the fork server (topo/runtime/fork_server.py): starts it, asks it
for containers and sandboxes, and hears of their exits. A ForkedProcess answers as
the Popen of a process started by kubemn itself does (pid, poll, wait, returncode,
signals), so the kubelet treats both alike."""
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time

from topo.errors import KubemnError
from topo.runtime import fork_protocol
from topo.runtime.process_image import ARGV_ROOM
from topo.runtime.processes import alive, stop_processes

START_SECONDS = 30.0   # the server imports the stand-ins before its first answer
STOP_GRACE_SECONDS = 2.0
NOT_STARTED = 127   # the exit status of a process the server could not start
SERVER = "from topo.runtime.fork_server import main; main()"


def signal_process(pid, signum, group=False):
    """signum to pid (its process group if group), if it is still there."""
    with contextlib.suppress(ProcessLookupError):
        (os.killpg if group else os.kill)(pid, signum)


class ForkServer:
    """One a run; start() before the first spawn(), stop() after the last container.

    It stands for the machine its containers run on: call() runs a function there
    and kill() signals a process there (here, this machine; on another server,
    topo/servers/remote_fork.py)."""

    remote = False
    what = "the fork server"       # in its errors
    thread_name = "fork-server"    # its reader's

    def __init__(self, log_path):
        self.log_path = log_path
        self.process = None
        self.sock = None
        self.lost = False            # the server's stream ended
        self.changed = threading.Condition()
        self.replies = {}            # request id -> the server's answer
        self.exits = {}              # pid -> returncode, until its ForkedProcess reads it
        self.requests = 0
        self.sending = threading.Lock()

    def start(self):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            with open(self.log_path, "ab") as log:
                self.process = self._launch(theirs, log)
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self.sock = ours
        threading.Thread(target=self._read, name=self.thread_name, daemon=True).start()
        return self

    def _launch(self, theirs, log):
        """The server's process, its end of the stream theirs, its errors on log."""
        # A session of its own: the terminal's Ctrl-C is kubemn's to handle.
        return subprocess.Popen(
            [sys.executable, "-c", SERVER, str(theirs.fileno()), " " * ARGV_ROOM],
            pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True, cwd="/")

    def spawn(self, argv, env, sandbox_pid, namespaces, stdin, stdout, stderr, cwd="/"):
        """A ForkedProcess running argv in the namespaces of process sandbox_pid (None:
        the server's own; a sandbox makes its own), its streams on these fds: forked
        when argv is `python -m MODULE ...` of a preloaded module, else argv's program
        executed (one that cannot be exits 127, its reason in its log). It returns once
        the request is sent: the process's pid waits for the server's answer (a wave of
        pods sends all its requests, then waits once, not once a request)."""
        request = self._next_request()
        container = fork_protocol.encode({"argv": list(argv), "env": dict(env),
                                          "sandbox": sandbox_pid,
                                          "namespaces": list(namespaces), "cwd": cwd})
        program = not fork_protocol.forkable(argv, sys.executable)
        self._send_start({"start": request, "exec": program}, (stdin, stdout, stderr),
                         container)
        return ForkedProcess(self, request, argv)

    def _next_request(self):
        with self.changed:
            self.requests += 1
            return self.requests

    def _send_start(self, message, streams, container):
        """A start's request; its streams ride with it as file descriptors."""
        self._send(message, container, streams)

    def _send(self, message, payload, fds=()):
        try:
            with self.sending:
                fork_protocol.send(self.sock, message, fds, payload)
        except OSError as exc:
            raise KubemnError("%s is gone (%s): see %s"
                              % (self.what, exc.strerror, self.log_path)) from None

    def answer(self, forked):
        """Waits for the server's answer to forked's request: its pid, or its error."""
        with self.changed:
            answered = self.changed.wait_for(
                lambda: forked.request in self.replies or self.lost or forked.answered(),
                START_SECONDS)
            if forked.answered():   # another thread took the answer
                return
            reply = self.replies.pop(forked.request, None)
            if reply is None:
                forked.error = "the fork server %s: see %s" % (
                    "is gone" if self.lost or answered else
                    "did not answer in %.0f s" % START_SECONDS, self.log_path)
            elif "failed" in reply:
                forked.error = "the fork server could not fork: %s" % reply["error"]
            else:
                forked.started_pid = reply["pid"]

    def call(self, function, *args, **kwargs):
        """function(*args, **kwargs) on the machine the containers run on."""
        return function(*args, **kwargs)

    def kill(self, pid, signum, group=False):
        """Sends signum to process pid there (its whole process group if group)."""
        signal_process(pid, signum, group)

    def heard(self, message, payload):
        """What the flow log's reader on another server sent (remote_fork.py)."""

    def _read(self):
        while True:
            try:
                message, payload, _ = fork_protocol.receive(self.sock)
            except (OSError, EOFError):
                message = None
            with self.changed:
                if message is None:
                    self.lost = True
                elif "exited" in message:
                    self.exits[message["exited"]] = message["code"]
                elif "reply" in message:   # to a call() on another server
                    self.replies[message["reply"]] = (message, payload)
                elif "flows" in message:   # the flow log's, read on another server
                    self.heard(message, payload)
                else:
                    self.replies[message.get("started", message.get("failed"))] = message
                self.changed.notify_all()
            if message is None:
                return

    def returncode(self, pid, timeout=0.0):
        """The exit status of a forked pid once it has ended (read once), else None
        after timeout seconds (None: no limit). A pid whose server is gone is reaped
        by another: its status is lost, -SIGKILL stands for it once it is gone."""
        if timeout == 0 and pid not in self.exits and not self.lost:
            return None   # most polls, thousands a second: no wait for the lock
        with self.changed:
            self.changed.wait_for(lambda: pid in self.exits or self.lost, timeout)
            if pid in self.exits:
                return self.exits.pop(pid)
        if self.lost and self.remote:
            return -signal.SIGKILL   # the agent's server went with its stream
        if self.lost:
            deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
            while alive(pid):
                if time.monotonic() >= deadline:
                    return None
                time.sleep(0.01)
            return -signal.SIGKILL
        return None

    def stop(self):
        """Ends the server (the containers it forked live on: their pods stop them)."""
        if self.sock is not None:
            with contextlib.suppress(OSError):   # gone already
                self.sock.shutdown(socket.SHUT_RDWR)   # its end of stream: it returns
        if self.process is not None:
            try:
                self.process.wait(STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                stop_processes([self.process], STOP_GRACE_SECONDS)
            self.process = None
        if self.sock is not None:
            self.sock.close()
            self.sock = None


class ForkedProcess:
    """A container forked by the fork server, as the kubelet's Popen would be; one the
    server could not start is an exited process (127) whose pid raises its error."""

    def __init__(self, server, request, args):
        self.server = server
        self.request = request   # its spawn's, until the server answered
        self.started_pid = None
        self.error = None
        self.args = list(args)
        self.returncode = None

    def answered(self):
        return self.started_pid is not None or self.error is not None

    @property
    def pid(self):
        """Its pid, once the server has answered; KubemnError if it could not start."""
        if not self.answered():
            self.server.answer(self)
        if self.error is not None:
            raise KubemnError(self.error)
        return self.started_pid

    def poll(self):
        if self.returncode is None:
            try:
                self.returncode = self.server.returncode(self.pid)
            except KubemnError:
                self.returncode = NOT_STARTED
        return self.returncode

    def wait(self, timeout=None):
        if self.poll() is None:
            self.returncode = self.server.returncode(self.pid, timeout)
            if self.returncode is None:
                raise subprocess.TimeoutExpired(self.args, timeout)
        return self.returncode

    def send_signal(self, signum):
        if self.poll() is None:
            self.server.kill(self.pid, signum)

    def signal_group(self, signum):
        """signum to its process group (a container's children go with it)."""
        if self.poll() is None:
            self.server.kill(self.pid, signum, group=True)

    def terminate(self):
        self.send_signal(signal.SIGTERM)

    def kill(self):
        self.send_signal(signal.SIGKILL)
