"""The fork server's messages (topo/runtime/fork_server.py, topo/runtime/forked.py):
a small JSON object and an opaque payload, each after its length, over a Unix stream
socket; a request to start a process carries its standard streams as file
descriptors beside it.

  kubemn -> server  {"start": id, "exec": bool} + 3 fds, its payload the process as
                    JSON: {"argv": [...], "env": {...}, "sandbox": pid or null,
                     "namespaces": ["net", "uts", "mnt"], "cwd": "/"}
                    (exec: argv is a program to execute, else a preloaded module's)
  server -> kubemn  {"started": id, "pid": pid} or {"failed": id, "error": text}
                    {"exited": pid, "code": code}   (a Popen returncode: -N for signal N)

Only the forked child decodes a module's payload: every page the server writes after
a fork stays a copy of the child's own, so the server reads as little as it can (a
program's it decodes itself: it spawns the program without a fork).
"""
import json
import socket
import struct

HEADER = struct.Struct("!II")   # the message's length, the payload's
STREAMS = 3   # stdin, stdout, stderr
# The namespaces a request's process may join: the server visits them to spawn a
# program, and comes back.
NAMESPACES = ("net", "uts", "mnt")
# The modules the server imports once, for every container to fork from: the
# stand-ins kubemn runs with `python -m` (topo/kubelet/images.py, the DNS add-on).
PRELOADED = (
    "services.apps.agnhost", "services.apps.netexec", "services.apps.serve_hostname",
    "services.apps.liveness", "services.apps.porter", "services.apps.test_webserver",
    "services.apps.pause", "services.apps.connect", "services.apps.resolver_files",
    "services.apps.echoserver", "services.apps.samples", "services.apps.nginx",
    "services.apps.redis", "services.apps.clusterdns",
)


def forkable(argv, interpreter):
    """The module argv runs when it is `interpreter -m MODULE ...` of a preloaded
    module, else None (anything else runs as a program of its own)."""
    if len(argv) >= 3 and argv[0] == interpreter and argv[1] == "-m" and \
            argv[2] in PRELOADED:
        return argv[2]
    return None


def encode(value):
    return json.dumps(value, separators=(",", ":")).encode()


def send(sock, message, fds=(), payload=b""):
    """Writes one message and its payload (bytes); the fds ride with its first bytes."""
    body = encode(message)
    header = HEADER.pack(len(body), len(payload))
    if fds:
        socket.send_fds(sock, [header], list(fds))
    else:
        sock.sendall(header)
    sock.sendall(body + payload)


def receive(sock):
    """(message, payload, fds) of the next message; (None, b"", []) at the end of the
    stream."""
    data, fds, _, _ = socket.recv_fds(sock, HEADER.size, STREAMS)
    if not data:
        return None, b"", fds
    header = data + _exactly(sock, HEADER.size - len(data))
    body_size, payload_size = HEADER.unpack(header)
    return json.loads(_exactly(sock, body_size)), _exactly(sock, payload_size), fds


def _exactly(sock, size):
    chunks = []
    while size:
        chunk = sock.recv(size)
        if not chunk:
            raise EOFError("the fork server's stream ended inside a message")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)
