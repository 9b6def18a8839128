"""The flow log's collector: a ctnetlink listener in every node's network namespace
(its conntrack sees what the node forwards, bridged traffic included: br_netfilter),
one thread reading them all, the records kept in a bounded ring (the oldest let go
of first; events the kernel had to drop are counted). It starts with the first
`observe`, as its cost is a few messages a connection a node, and stops with the
cluster."""
import collections
import errno
import selectors
import socket
import threading
import time

from topo.observe import conntrack_messages, flow_log
from topo.runtime.netns import network_namespace_of

NETLINK_NETFILTER = 12
KEPT = 100000          # records kept; older ones are let go of
NODES_SECONDS = 1.0    # how often it looks for nodes added or gone
RECEIVE_BUFFER = 4 << 20
ACCOUNTING = "/proc/sys/net/netfilter/nf_conntrack_acct"
NAMES_SECONDS = 0.1


class FlowCollector:
    def __init__(self, nodes, names):
        """nodes(): [(name, pid)] of the cluster's nodes now; names(): the
        {address: name} the records are named from (flow_log.names_of)."""
        self.nodes, self.names = nodes, names
        self.records = collections.deque(maxlen=KEPT)
        self.services = flow_log.ServiceMatcher()
        self.named, self.named_at = {}, None
        self.seen = 0          # records made so far (their index in the log)
        self.lost = 0          # times the kernel had to drop messages for us (ENOBUFS)
        self.changed = threading.Condition()
        self.listeners = {}    # node name -> socket
        self.selector = selectors.DefaultSelector()
        self.stopping = False
        self.thread = None

    def start(self):
        self._refresh_nodes()
        self.thread = threading.Thread(target=self._run, name="kubemn-flow-log", daemon=True)
        self.thread.start()
        return self

    def stop(self):
        with self.changed:
            self.stopping = True
            self.changed.notify_all()
        if self.thread is not None:
            self.thread.join(5)
        for sock in self.listeners.values():
            sock.close()
        self.listeners.clear()

    def since(self, index):
        """(records made after the index-th, the next index); those let go of are
        skipped."""
        with self.changed:
            first = self.seen - len(self.records)
            return list(self.records)[max(0, index - first):], self.seen

    def wait(self, index, timeout):
        """Waits until a record after the index-th exists, or timeout."""
        with self.changed:
            return self.changed.wait_for(lambda: self.seen > index or self.stopping, timeout)

    def _listen(self, name, pid):
        with network_namespace_of(pid):   # the socket stays the node's
            sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
            # A connection's packets and bytes, counted from now on (the thread's
            # network namespace is the node's: so are the sysctls it opens).
            with open(ACCOUNTING, "w") as sysctl:
                sysctl.write("1")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
        sock.bind((0, conntrack_messages.GROUPS))
        sock.setblocking(False)
        self.listeners[name] = sock
        self.selector.register(sock, selectors.EVENT_READ, name)

    def _refresh_nodes(self):
        present = dict(self.nodes())
        for name in set(self.listeners) - set(present):
            sock = self.listeners.pop(name)
            self.selector.unregister(sock)
            sock.close()
        for name, pid in present.items():
            if name not in self.listeners:
                try:
                    self._listen(name, pid)
                except OSError:
                    pass   # a node going away meanwhile: the next refresh forgets it

    def _run(self):
        looked = time.monotonic()
        while not self.stopping:
            for key, _ in self.selector.select(0.2):
                self._read(key.fileobj, key.data)
            if time.monotonic() - looked >= NODES_SECONDS:
                looked = time.monotonic()
                self._refresh_nodes()

    def _names(self):
        """The cluster's names of its addresses, read again at most every NAMES_SECONDS
        (a burst of connections is named once)."""
        now = time.monotonic()
        if self.named_at is None or now - self.named_at >= NAMES_SECONDS:
            self.named, self.named_at = self.names(), now
        return self.named

    def _read(self, sock, node):
        while True:
            try:
                data = sock.recv(1 << 16)
            except BlockingIOError:
                return
            except OSError as exc:
                if exc.errno != errno.ENOBUFS:
                    return
                with self.changed:   # the kernel dropped messages for us: say so
                    self.lost += 1
                continue
            now = time.time()
            for event in conntrack_messages.parse_messages(data, flow_log.LOGGED_TCP_STATES):
                entry = flow_log.record(event, node, self._names(), now)
                if entry is None:   # a state change not logged
                    continue
                entry = self.services.follow(entry)
                with self.changed:
                    self.records.append(entry)
                    self.seen += 1
                    self.changed.notify_all()
