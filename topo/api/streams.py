"""The streaming subresources: a container's log (with follow), and exec over a
WebSocket (with a terminal for -t)."""
import fcntl
import json
import os
import pty
import select
import struct
import subprocess
import termios
import threading
import time

from topo.api import portforward, websocket
from topo.api.status import ApiError
from topo.errors import KubemnError

FOLLOW_POLL = 0.1


def _tail(text, lines):
    if lines is None:
        return text
    kept = text.splitlines(keepends=True)
    return "".join(kept[-lines:]) if lines > 0 else ""


def serve_logs(api, request, handler):
    """GET pods/NAME/log: ?container=, ?tailLines=, ?follow=true, ?previous=true."""
    cluster = api.cluster
    pod_ref = request.name if request.namespace == "default" else \
        "%s/%s" % (request.namespace, request.name)
    container = request.param("container")
    _refuse_pending(cluster, pod_ref, container)
    try:
        text = cluster.logs(pod_ref, container)
        pod = cluster.pod(pod_ref)
    except KubemnError as exc:
        code = 404 if "not found" in str(exc) else 400
        raise ApiError(code, str(exc)) from None
    if request.param("previous") in ("true", "1"):
        raise ApiError(400, 'previous terminated container "%s" in pod "%s" not found: '
                       'kubemn keeps one log per container, across restarts'
                       % (container or pod.spec.template.containers[0].name, request.name))
    tail = request.param("tailLines")
    try:
        tail = None if tail is None else int(tail)
    except ValueError:
        raise ApiError(400, "tailLines: not a number: %r" % tail) from None
    if request.param("follow") not in ("true", "1"):
        handler.send_text(200, _tail(text, tail))
        return None, None
    name = container or pod.spec.template.containers[0].name
    path = pod.log_path(name)
    handler.start_stream("text/plain; charset=utf-8")
    try:
        handler.send_chunk(_tail(text, tail).encode())
        offset = len(text.encode())
        while not api.stopping.is_set() and cluster.pods.get(pod.ref) is pod:
            try:
                size = os.path.getsize(path)
            except OSError:
                break
            if size > offset:
                with open(path, "rb") as log:
                    log.seek(offset)
                    data = log.read(size - offset)
                offset += len(data)
                handler.send_chunk(data)
            time.sleep(FOLLOW_POLL)
    except (BrokenPipeError, ConnectionResetError):
        return None, None
    handler.end_stream()
    return None, None


def _refuse_pending(cluster, pod_ref, container):
    """A pod the kubelet has not started has no logs and runs nothing yet."""
    waiting = cluster.pending.get(pod_ref)
    if waiting is not None:
        name = container or waiting.spec.template.containers[0].name
        raise ApiError(400, 'container "%s" in pod "%s" is waiting to start: %s' % (
            name, waiting.spec.name,
            "CreateContainerError" if waiting.error else "ContainerCreating"))


def _upgrade(handler, protocols, what):
    """Answers a WebSocket upgrade with the first of protocols the client offers."""
    if "websocket" not in (handler.headers.get("Upgrade") or "").lower():
        raise ApiError(400, "%s needs a WebSocket upgrade (kubectl 1.31 or newer)" % what)
    protocol = websocket.choose_protocol(handler.headers.get("Sec-WebSocket-Protocol"),
                                         protocols)
    if protocol is None:
        raise ApiError(400, "none of the offered protocols is served: kubemn speaks %s"
                       % ", ".join(protocols))
    handler.send_response(101, "Switching Protocols")
    handler.send_header("Upgrade", "websocket")
    handler.send_header("Connection", "Upgrade")
    handler.send_header("Sec-WebSocket-Accept",
                        websocket.accept_key(handler.headers.get("Sec-WebSocket-Key", "")))
    handler.send_header("Sec-WebSocket-Protocol", protocol)
    handler.end_headers()
    handler.wfile.flush()
    handler.close_connection = True


def _running_pod(cluster, request):
    """The started pod a streaming request names (404, or 400 while it is pending)."""
    pod_ref = request.name if request.namespace == "default" else \
        "%s/%s" % (request.namespace, request.name)
    _refuse_pending(cluster, pod_ref, request.param("container"))
    try:
        return cluster.pod(pod_ref)
    except KubemnError as exc:
        raise ApiError(404, str(exc)) from None


def serve_portforward(api, request, handler):
    """pods/NAME/portforward: kubectl's SPDY session through a WebSocket."""
    pod = _running_pod(api.cluster, request)
    _upgrade(handler, (portforward.PROTOCOL,), "port-forward")
    portforward.PortForwardSession(pod, handler, api.note).run()
    return None, None


def _exec_status(code):
    if code == 0:
        return {"metadata": {}, "status": "Success"}
    return {"metadata": {}, "status": "Failure", "reason": "NonZeroExitCode",
            "message": "command terminated with non-zero exit code: exit status %d" % code,
            "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]}}


def serve_exec(api, request, handler):
    """pods/NAME/exec over a WebSocket: the command runs in the pod's namespaces,
    with a terminal when tty=true, its streams carried on the channels."""
    pod = _running_pod(api.cluster, request)
    container = request.param("container")
    names = [c.name for c in pod.spec.template.containers]
    if container is not None and container not in names:
        raise ApiError(400, "container %s is not valid for pod %s" % (container, pod.name))
    command = request.query.get("command") or []
    if not command:
        raise ApiError(400, "you must specify at least one command for the container")
    _upgrade(handler, websocket.PROTOCOLS, "exec")
    flags = {name: request.param(name) in ("true", "1")
             for name in ("stdin", "stdout", "stderr", "tty")}
    ExecSession(pod, container, command, flags, handler).run()
    return None, None


class ExecSession:
    """One exec: the process, and the WebSocket that carries its streams."""

    def __init__(self, pod, container, command, flags, handler):
        self.pod, self.container, self.command = pod, container, command
        self.flags, self.handler = flags, handler
        self.send_lock = threading.Lock()
        self.process = self.terminal = None

    def send(self, channel, data):
        with self.send_lock:
            try:
                self.handler.wfile.write(websocket.channel_message(channel, data))
                self.handler.wfile.flush()
            except (BrokenPipeError, ConnectionResetError, ValueError, OSError):
                pass

    def run(self):
        env = dict(self.pod.container_env(self.container), TERM="xterm")
        argv = self.pod.nsenter_argv() + list(self.command)
        if self.flags["tty"]:
            primary, secondary = pty.openpty()
            self.terminal = primary
            streams = {"stdin": secondary, "stdout": secondary, "stderr": secondary}
        else:
            streams = {"stdin": subprocess.PIPE if self.flags["stdin"] else subprocess.DEVNULL,
                       "stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
        try:
            self.process = subprocess.Popen(argv, env=env, start_new_session=True, **streams)
        except OSError as exc:
            self.send(websocket.ERROR, json.dumps(_exec_status(126)).encode())
            self.send(websocket.STDERR, ("%s\n" % exc).encode())
            return
        finally:
            if self.terminal is not None:
                os.close(secondary)
        threading.Thread(target=self._read_client, daemon=True).start()
        outputs = [self.terminal] if self.terminal is not None else \
            [self.process.stdout.fileno(), self.process.stderr.fileno()]
        channel = {fd: websocket.STDOUT for fd in outputs}
        if self.terminal is None:
            channel[self.process.stderr.fileno()] = websocket.STDERR
        while outputs:
            ready, _, _ = select.select(outputs, [], [], 0.5)
            for fd in ready:
                try:
                    data = os.read(fd, 65536)
                except OSError:   # a terminal whose process ended
                    data = b""
                if data:
                    self.send(channel[fd], data)
                else:
                    outputs.remove(fd)
        code = self.process.wait()
        if self.terminal is not None:
            os.close(self.terminal)
        self.send(websocket.ERROR, json.dumps(_exec_status(code)).encode())
        with self.send_lock:
            try:
                self.handler.wfile.write(websocket.frame(websocket.CLOSE_FRAME,
                                                         b"\x03\xe8"))
                self.handler.wfile.flush()
            except OSError:
                pass

    def _read_client(self):
        """stdin, resizes and channel closes from kubectl, until it goes."""
        read = self.handler.rfile.read
        try:
            while True:
                opcode, payload = websocket.read_message(read)
                if opcode == websocket.CLOSE_FRAME:
                    break
                if opcode != websocket.BINARY or not payload:
                    continue
                channel, data = payload[0], payload[1:]
                if channel == websocket.STDIN and data:
                    self._write_stdin(data)
                elif channel == websocket.RESIZE and self.terminal is not None:
                    self._resize(data)
                elif channel == websocket.CLOSE and data[:1] == bytes([websocket.STDIN]):
                    self._close_stdin()
        except (EOFError, OSError, websocket.WebSocketError):
            pass
        finally:
            if self.process.poll() is None and self.terminal is None:
                self._close_stdin()

    def _write_stdin(self, data):
        try:
            if self.terminal is not None:
                os.write(self.terminal, data)
            elif self.process.stdin is not None:
                self.process.stdin.write(data)
                self.process.stdin.flush()
        except OSError:
            pass

    def _close_stdin(self):
        if self.terminal is not None:
            self._write_stdin(b"\x04")   # end of input on a terminal: Ctrl-D
        elif self.process.stdin is not None:
            try:
                self.process.stdin.close()
            except OSError:
                pass

    def _resize(self, data):
        try:
            size = json.loads(data)
            fcntl.ioctl(self.terminal, termios.TIOCSWINSZ,
                        struct.pack("HHHH", size["Height"], size["Width"], 0, 0))
        except (ValueError, KeyError, TypeError, OSError):
            pass
