"""Exec and attach sessions: a process's streams on Kubernetes' channels (stdin 0,
stdout 1, stderr 2, the final Status on 3, terminal sizes on 4; in v5, 255 closes
the client's stdin), carried by a WebSocket (WebSocketChannels, below) or by a bare
SPDY connection (topo/api/spdy_channels.py): the transport."""
import json
import os
import select
import subprocess
import threading
import time

from topo.api import websocket
from topo.api.connection import Connection
from topo.kubelet.console import Console


def exit_status(code):
    """The Status on the error channel: Success, or the exit code kubectl reports."""
    if code == 0:
        return {"metadata": {}, "status": "Success"}
    return {"metadata": {}, "status": "Failure", "reason": "NonZeroExitCode",
            "message": "command terminated with non-zero exit code: exit status %d" % code,
            "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]}}


class WebSocketChannels:
    """The WebSocket transport: sends channel messages, reads the client's."""

    def __init__(self, handler):
        self.connection = Connection(handler)

    def send(self, channel, data):
        self.connection.send_channel(channel, data)

    def finish(self, code):
        """The final Status, then the WebSocket's close."""
        self.send(websocket.ERROR, json.dumps(exit_status(code)).encode())
        self.connection.close()

    def read_client(self, console):
        """stdin, resizes and stdin's close from kubectl to console, until it goes."""
        try:
            for payload in self.connection.binary_messages():
                if not payload:
                    continue
                channel, data = payload[0], payload[1:]
                if channel == websocket.STDIN and data:
                    console.write(data)
                elif channel == websocket.RESIZE:
                    try:
                        size = json.loads(data)
                        console.resize(size["Width"], size["Height"])
                    except (ValueError, KeyError, TypeError, OSError):
                        pass
                elif channel == websocket.CLOSE and data[:1] == bytes([websocket.STDIN]):
                    console.close_input()
        except (EOFError, OSError, websocket.WebSocketError):
            pass


class ExecSession:
    """kubectl exec: a new process in the pod's namespaces, with a terminal for -t."""

    def __init__(self, transport, pod, container, command, flags):
        self.transport, self.send = transport, transport.send
        self.pod, self.container, self.command, self.flags = pod, container, command, flags

    def run(self):
        console = Console(self.flags["tty"])
        if self.flags["tty"]:
            streams = console.streams(None)
        else:   # stdout and stderr apart, on their own channels
            streams = {"stdin": subprocess.PIPE if self.flags["stdin"] else subprocess.DEVNULL,
                       "stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
        try:
            argv, env = self.pod.exec_command(self.container, self.command,
                                              self.flags["tty"])
            process = subprocess.Popen(argv, env=dict(env or os.environ, TERM="xterm"),
                                       start_new_session=True, **streams)
        except OSError as exc:
            self.send(websocket.STDERR, ("%s\n" % exc).encode())
            self.transport.finish(126)
            return
        ended = threading.Event()
        if self.flags["tty"]:
            console.attach(lambda data: self.send(websocket.STDOUT, data) if data
                           else ended.set())
        console.started(process)
        threading.Thread(target=self.transport.read_client, args=(console,),
                         daemon=True).start()
        if self.flags["tty"]:
            ended.wait()
        else:
            self._copy_pipes(process)
        self.transport.finish(process.wait())

    def _copy_pipes(self, process):
        outputs = {process.stdout.fileno(): websocket.STDOUT,
                   process.stderr.fileno(): websocket.STDERR}
        while outputs:
            ready, _, _ = select.select(list(outputs), [], [], 0.5)
            for fd in ready:
                data = os.read(fd, 65536)
                if data:
                    self.send(outputs[fd], data)
                else:
                    del outputs[fd]


class AttachSession:
    """kubectl attach: the container's own process, through its console; leaving
    does not stop it."""

    def __init__(self, transport, pod, container, console):
        self.transport, self.send = transport, transport.send
        self.pod, self.container, self.console = pod, container, console

    def run(self):
        process = self.pod.containers[self.container]
        ended = threading.Event()
        if self.console.tty:
            detach = self.console.attach(
                lambda data: self.send(websocket.STDOUT, data) if data else ended.set())
        else:
            detach = lambda: None  # noqa: E731  (output is followed in the log below)
            # As the kubelet's attach: what the container writes from now on, or from
            # where the log kubectl run -i read just before ended.
            start = self.pod.attach_offset(self.container)
            threading.Thread(target=self._follow_log, args=(process, ended, start),
                             daemon=True).start()
        reader = threading.Thread(target=self.transport.read_client, args=(self.console,),
                                  daemon=True)
        reader.start()
        while not ended.is_set() and reader.is_alive() and process.poll() is None:
            ended.wait(0.1)
        if process.poll() is not None:
            ended.wait(1)   # the container's last output reaches the client first
        detach()
        if process.poll() is not None:
            # As the kubelet's attach: the stream ends in Success whatever the
            # container's exit code (kubectl reads that from the pod's status).
            self.transport.finish(0)

    def _follow_log(self, process, ended, start):
        """Without a terminal the container writes to its log: what it adds after
        start is sent."""
        path = self.pod.log_path(self.container)
        with open(path, "rb") as log:
            log.seek(start)
            while True:
                exited = process.poll() is not None   # before the read: none is lost
                data = log.read(65536)
                if data:
                    self.send(websocket.STDOUT, data)
                elif exited:
                    break
                else:
                    time.sleep(0.05)
        ended.set()
