"""The flow log's reader on a server other than the head, run by kubemn's agent
there (topo/servers/agent.py): a node's conntrack events and policy drop log read
in the node's namespace there, each read sent to the head's collector as it comes
(the collector parses them as its own: topo/observe/collector.py)."""
import errno
import selectors
import threading
import time

from topo.observe.listeners import node_listeners
from topo.servers import agent

LISTENING = {}   # node name -> (its sockets, the event that ends its reader)


def listen(name, pid):
    """Starts reading node name (its process pid, on this server) for the head."""
    if name in LISTENING:
        return
    sockets = dict(zip(("conntrack", "nflog"), node_listeners(pid)))
    done = threading.Event()
    LISTENING[name] = (sockets, done)
    threading.Thread(target=_read, args=(name, sockets, done), daemon=True).start()


def forget(name):
    found = LISTENING.pop(name, None)
    if found is not None:
        found[1].set()


def _read(name, sockets, done):
    chooser = selectors.DefaultSelector()
    for kind, sock in sockets.items():
        sock.setblocking(False)
        chooser.register(sock, selectors.EVENT_READ, kind)
    try:
        while not done.is_set():
            for key, _ in chooser.select(0.2):
                while True:
                    try:
                        data = key.fileobj.recv(1 << 16)
                    except BlockingIOError:
                        break
                    except OSError as exc:
                        if exc.errno != errno.ENOBUFS:
                            break
                        agent.send_to_head({"flows": name, "kind": "lost", "time": 0}, b"")
                        continue
                    agent.send_to_head({"flows": name, "kind": key.data,
                                        "time": time.time()}, data)
    finally:
        chooser.close()
        for sock in sockets.values():
            sock.close()
