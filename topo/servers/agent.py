"""kubemn's agent on a server other than the head: what the head's kubelet does on
that server goes through it (topo/servers/remote_fork.py is the head's end).

  ssh SERVER 'cd KUBEMN && .venv/bin/python -m topo.servers.agent RUN_DIR'

It speaks the fork server's messages (topo/runtime/fork_protocol.py) on its standard
input and output, which ssh carries:

  head -> agent  {"start": id, "exec": bool, "streams": [[path, mode] or null] x 3}
                 + the container's payload: started by the server's own fork server
                 (topo/runtime/fork_server.py), its streams the files named there
                 (null: /dev/null), as the head's kubelet passes its own files
                 {"call": id, "function": "module:name"} + pickle of (args, kwargs):
                 one of kubemn's functions run here (a pod's files written, its
                 sockets read, a signal sent), each in a thread of its own
  agent -> head  the fork server's answers, as they come: started, failed, exited
                 {"reply": id, "ok": bool} + pickle of the result (or the error's text)
                 {"flows": node, "kind": ..., "time": t} + what the flow log's reader
                 read in a node's namespace here (topo/observe/remote_flows.py)

The channel is ssh's, to root: the head may run anything here, as it may over ssh.
It ends, its fork server with it, when the head's end of the stream does.
"""
import importlib
import json
import os
import pickle
import socket
import subprocess
import sys
import threading

from topo.runtime import fork_protocol
from topo.runtime.forked import SERVER
from topo.runtime.process_image import ARGV_ROOM

HEADER = fork_protocol.HEADER
CURRENT = []   # the agent serving in this process (what its functions send through)


def send_to_head(message, payload=b""):
    """A message of the agent's own to the head (the flow log's reads: remote_flows)."""
    CURRENT[0].send(message, payload)


def read_message(stream):
    """(message, payload) of the next message on a byte stream; (None, b"") at its end."""
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        return None, b""
    body_size, payload_size = HEADER.unpack(header)
    body = stream.read(body_size)
    payload = stream.read(payload_size)
    if len(body) < body_size or len(payload) < payload_size:
        return None, b""
    return json.loads(body), payload


def function_named(name):
    module, _, attribute = name.partition(":")
    found = importlib.import_module(module)
    for part in attribute.split("."):
        found = getattr(found, part)
    return found


class Agent:
    def __init__(self, run_dir, reader, writer):
        self.run_dir, self.reader, self.writer = run_dir, reader, writer
        self.writing = threading.Lock()
        self.fork = None

    def send(self, message, payload=b""):
        body = fork_protocol.encode(message)
        with self.writing:
            self.writer.write(HEADER.pack(len(body), len(payload)) + body + payload)
            self.writer.flush()

    def start_fork_server(self):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        with open(os.path.join(self.run_dir, "fork-server.log"), "ab") as log:
            subprocess.Popen([sys.executable, "-c", SERVER, str(theirs.fileno()),
                              " " * ARGV_ROOM], pass_fds=[theirs.fileno()],
                             stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True, cwd="/")
        theirs.close()
        self.fork = ours
        threading.Thread(target=self.relay_answers, daemon=True).start()

    def relay_answers(self):
        """The fork server's answers, to the head as they come."""
        while True:
            try:
                message, payload, _ = fork_protocol.receive(self.fork)
            except (OSError, EOFError):
                return
            if message is None:
                return
            self.send(message, payload)

    def start(self, message, payload):
        modes = {"r": os.O_RDONLY, "w": os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                 "a": os.O_WRONLY | os.O_CREAT | os.O_APPEND}
        fds = []
        try:
            for index, stream in enumerate(message["streams"]):
                if stream is None:
                    fds.append(os.open(os.devnull, os.O_RDONLY if index == 0 else os.O_WRONLY))
                else:
                    fds.append(os.open(stream[0], modes[stream[1]], 0o644))
            fork_protocol.send(self.fork, {"start": message["start"], "exec": message["exec"]},
                               fds, payload)
        except OSError as exc:
            self.send({"failed": message["start"], "error": str(exc)})
        finally:
            for fd in fds:
                os.close(fd)

    def call(self, message, payload):
        try:
            args, kwargs = pickle.loads(payload)
            result = pickle.dumps(function_named(message["function"])(*args, **kwargs))
            ok = True
        except Exception as exc:   # the caller raises it there, as its own
            result, ok = pickle.dumps("%s: %s" % (type(exc).__name__, exc)), False
        self.send({"reply": message["call"], "ok": ok}, result)

    def serve(self):
        # Run as __main__ (python -m), this module is another than the one kubemn's
        # functions import: both know the agent.
        from topo.servers import agent as imported
        CURRENT[:] = imported.CURRENT[:] = [self]
        os.makedirs(self.run_dir, exist_ok=True)
        self.start_fork_server()
        while True:
            message, payload = read_message(self.reader)
            if message is None:
                break
            if "start" in message:
                self.start(message, payload)
            else:
                threading.Thread(target=self.call, args=(message, payload),
                                 daemon=True).start()
        self.fork.shutdown(socket.SHUT_RDWR)   # its end of stream: the fork server returns


def main():
    Agent(sys.argv[1], sys.stdin.buffer, sys.stdout.buffer).serve()


if __name__ == "__main__":
    main()
