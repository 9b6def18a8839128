"""The fork server's messages (topo/runtime/fork_server.py, topo/runtime/forked.py):
JSON objects, each after its length, over a Unix stream socket; a request to start
a container carries its standard streams as file descriptors beside it.

  kubemn -> server  {"start": id, "argv": [...], "env": {...}, "sandbox": pid,
                     "namespaces": ["net", "uts", "mnt"], "cwd": "/"} + 3 fds
  server -> kubemn  {"started": id, "pid": pid} or {"failed": id, "error": text}
                    {"exited": pid, "code": code}   (a Popen returncode: -N for signal N)
"""
import json
import socket
import struct

HEADER = struct.Struct("!I")
STREAMS = 3   # stdin, stdout, stderr
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


def encode(message):
    body = json.dumps(message, separators=(",", ":")).encode()
    return HEADER.pack(len(body)), body


def send(sock, message, fds=()):
    """Writes one message; its fds ride with its first bytes."""
    header, body = encode(message)
    if fds:
        socket.send_fds(sock, [header], list(fds))
    else:
        sock.sendall(header)
    sock.sendall(body)


def receive(sock):
    """(message, fds) of the next message; (None, []) at the end of the stream."""
    data, fds, _, _ = socket.recv_fds(sock, HEADER.size, STREAMS)
    if not data:
        return None, fds
    header = data + _exactly(sock, HEADER.size - len(data))
    body = _exactly(sock, HEADER.unpack(header)[0])
    return json.loads(body), fds


def _exactly(sock, size):
    chunks = []
    while size:
        chunk = sock.recv(size)
        if not chunk:
            raise EOFError("the fork server's stream ended inside a message")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)
