"""The flow log's collector: in every node's network namespace a ctnetlink listener
(its conntrack sees what the node forwards, bridged traffic included: br_netfilter)
and the listener of the NFLOG group its NetworkPolicy table logs drops to; the
fabric controller's datagrams (what it rejected or dropped) on a socket of the run;
inside the pods asked about, a ctnetlink listener of their own (inside_pod.py); one
thread reading them all, the records kept in a bounded ring (the oldest let go of
first; messages the kernel had to drop are counted). It starts with the CLI (in the
Python API, with the first flow_log()), as its cost is a few messages a connection a
node, and stops with the cluster."""
import collections
import contextlib
import errno
import json
import os
import selectors
import socket
import subprocess
import time

from topo.errors import KubemnError
from topo.observe import (conntrack_messages, flow_log, nflog_messages, remote_flows,
                          switch_conntrack, verdicts)
from topo.observe.address_names import AddressNames
from topo.observe.inside_pod import listen_inside, to_itself
from topo.observe.listeners import RECEIVE_BUFFER, node_listeners
from topo.runtime.loop_thread import LoopThread

ETHERNET_HEADER = 14
# What the controller says it did (controllers/observations.py), as a record.
CONTROLLER_RECORDS = {"REJECTED": verdicts.rejected, "DROPPED": verdicts.fabric_dropped}
KEPT = 100000          # records kept; older ones are let go of
NODES_SECONDS = 1.0    # how often it looks for nodes added or gone
BATCH_SECONDS = 0.02   # a round waits this long after a wake: fewer, larger reads


class FlowCollector(LoopThread):
    thread_name = "kubemn-flow-log"

    def __init__(self, nodes, names, switches=None, controller_socket=None,
                 translated_sources=frozenset, switch_conntrack_dump=None,
                 machine_of=None):
        """nodes(): [(name, pid)] of the cluster's nodes now; names(): the
        {address: name} the records are named from (flow_log.names_of); switches:
        {dpid: name} of the fabric; controller_socket: the path the fabric's
        controller sends its datagrams to (controllers/observations.py);
        translated_sources(): the addresses the fabric's source NAT gives (the
        nodes', the hairpin's), whose connections' origin switch_conntrack_dump()
        tells; machine_of(node): the fork server of a node on another server
        (topo/servers/remote_fork.py), whose agent reads there and sends it here
        (heard()), or None for the head's."""
        super().__init__()
        self.machine_of = machine_of or (lambda name: None)
        self.remote = collections.deque()   # (node, kind, data, when) heard
        self.nodes = nodes
        self.switches = switches or {}
        self.controller_socket = controller_socket
        self.translated_sources = translated_sources
        self.switch_conntrack_dump = switch_conntrack_dump
        self.records = collections.deque(maxlen=KEPT)
        self.services = flow_log.ServiceMatcher()
        self.known = AddressNames(names)
        self.seen = 0          # records made so far (their index in the log)
        self.lost = 0          # times the kernel had to drop messages for us (ENOBUFS)
        self.listeners = {}    # node name -> (its conntrack socket, its NFLOG socket),
                               # or (its server's fork server,)
        self.controller_listener = None
        self.insides = {}      # pod ref -> (its socket, its node, its address, its pid)
        self.selector = selectors.DefaultSelector()
        self.rounds = 0        # reads of every socket done so far
        self.waker, self.woken = socket.socketpair()   # ends a wait in select at once
        self.woken.setblocking(False)
        self.selector.register(self.woken, selectors.EVENT_READ, ("wake", None))

    def start(self):
        if self.controller_socket:
            self._listen_to_controller()
        self._refresh_nodes()
        return super().start()

    def stop(self):
        super().stop()
        for name in list(self.listeners):
            self._forget(name)
        self.listeners.clear()
        for sock, *_ in self.insides.values():
            sock.close()
        self.insides.clear()
        self.waker.close()
        self.woken.close()
        if self.controller_listener is not None:
            self.controller_listener.close()
            with contextlib.suppress(FileNotFoundError):   # the run's directory went first
                os.unlink(self.controller_socket)
        self.selector.close()

    def since(self, index):
        """(records made after the index-th, the next index); those let go of are
        skipped."""
        with self.changed:
            first = self.seen - len(self.records)
            return list(self.records)[max(0, index - first):], self.seen

    def watch_inside(self, ref, node, ip, pid):
        """Logs the connections the pod makes to itself (its loopback) from now on;
        False if it was watched already."""
        with self.changed:
            if ref in self.insides:
                return False
            sock = listen_inside(pid)
            self.insides[ref] = (sock, node, ip, pid)
            self.selector.register(sock, selectors.EVENT_READ, ("inside", ref))
        self.waker.send(b"\0")   # its select takes the new socket in
        return True

    def settle(self, timeout=3.0):
        """Waits until everything the kernel and the controller had sent before the
        call is in the log (a command's connections, for an observe that follows it)."""
        with self.changed:
            target = self.rounds + 2   # the round under way may have read before the call
        self.waker.send(b"\0")
        with self.changed:
            return self.changed.wait_for(lambda: self.rounds >= target or self.stopping,
                                         timeout)

    def wait(self, index, timeout):
        """Waits until a record after the index-th exists, or timeout."""
        with self.changed:
            return self.changed.wait_for(lambda: self.seen > index or self.stopping, timeout)

    def _listen(self, name, pid):
        machine = self.machine_of(name)
        if machine is not None:   # another server's node: its agent reads there
            machine.call(remote_flows.listen, name, pid)
            self.listeners[name] = (machine,)
            return
        conntrack, nflog = node_listeners(pid)
        self.listeners[name] = (conntrack, nflog)
        for sock, kind in ((conntrack, "conntrack"), (nflog, "nflog")):
            sock.setblocking(False)
            self.selector.register(sock, selectors.EVENT_READ, (kind, name))

    def heard(self, node, kind, data, when):
        """What another server's agent read in node's namespace (kind: "conntrack" or
        "nflog"), at when; read in the next round."""
        if kind == "lost":   # the kernel dropped messages there
            with self.changed:
                self.lost += 1
            return
        self.remote.append((node, kind, data, when))
        with contextlib.suppress(BlockingIOError):
            self.waker.send(b"\0")

    def _listen_to_controller(self):
        with contextlib.suppress(FileNotFoundError):   # a collector's before this one
            os.unlink(self.controller_socket)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(self.controller_socket)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
        sock.setblocking(False)
        self.controller_listener = sock
        self.selector.register(sock, selectors.EVENT_READ, ("controller", None))

    def _refresh_nodes(self):
        with self.changed:
            for ref, (sock, _, _, pid) in list(self.insides.items()):
                if not os.path.exists("/proc/%d" % pid):   # the pod went
                    del self.insides[ref]
                    self.selector.unregister(sock)
                    sock.close()
        present = dict(self.nodes())
        for name in set(self.listeners) - set(present):
            self._forget(name)
        for name, pid in present.items():
            if name not in self.listeners:
                try:
                    self._listen(name, pid)
                except (OSError, KubemnError):
                    pass   # a node going away meanwhile: the next refresh forgets it

    def _forget(self, name):
        listeners = self.listeners.pop(name)
        if len(listeners) == 1:   # another server's
            with contextlib.suppress(KubemnError):
                listeners[0].call(remote_flows.forget, name)
            return
        for sock in listeners:
            self.selector.unregister(sock)
            sock.close()

    def _run(self):
        looked = time.monotonic()
        while not self.stopping:
            entries = []
            ready = self.selector.select(0.2)
            time.sleep(BATCH_SECONDS)   # what comes meanwhile is read in the same round
            for key, _ in ready:
                entries += self._read(key.fileobj, *key.data)
            while self.remote:
                node, kind, data, when = self.remote.popleft()
                entries += [self.services.follow(entry) for entry in
                            self._entries(kind, node, data, when) if entry is not None]
            self._keep(self._with_origins(entries))
            with self.changed:
                self.rounds += 1
                self.changed.notify_all()
            if time.monotonic() - looked >= NODES_SECONDS:
                looked = time.monotonic()
                self._refresh_nodes()

    def _read(self, sock, kind, node):
        """The records of what the socket holds."""
        entries = []
        while True:
            try:
                data = sock.recv(1 << 16)
            except BlockingIOError:
                return entries
            except OSError as exc:
                if exc.errno != errno.ENOBUFS:
                    return entries
                with self.changed:   # the kernel dropped messages for us: say so
                    self.lost += 1
                continue
            now = time.time()
            entries += [self.services.follow(entry)
                        for entry in self._entries(kind, node, data, now)
                        if entry is not None]

    def _with_origins(self, entries):
        """The entries, those the fabric translated twice with their origin: one look
        at the switch's conntrack for all of them."""
        sources = self.translated_sources() if entries else ()
        translated = [e for e in entries if e["event"] == "BEGAN" and
                      e["source"]["ip"] in sources]
        if not translated or self.switch_conntrack_dump is None:
            return entries
        try:
            switch_entries = switch_conntrack.parse_dump(self.switch_conntrack_dump())
        except (OSError, subprocess.SubprocessError):
            return entries   # the switch did not answer: the entries as the nodes saw them
        for entry in translated:
            source, destination = entry["source"], entry["destination"]
            found = switch_conntrack.origin(switch_entries, entry["protocol"],
                                            (source["ip"], source["port"]),
                                            (destination["ip"], destination["port"]))
            if found is not None:
                flow_log.with_origin(entry, *found, self.known)
        return entries

    def _entries(self, kind, node, data, now):
        """The records of one read (None for a log or a datagram not the drops' or
        the controller's)."""
        if kind == "wake":
            return []
        if kind == "conntrack":
            return (flow_log.record(event, node, self.known, now) for event in
                    conntrack_messages.parse_messages(data))
        if kind == "inside":
            return self._inside_entries(node, data, now)
        if kind == "nflog":
            return (verdicts.dropped(packet, node, self.known, now)
                    for packet in nflog_messages.parse_packets(data))
        return [self._controller_entry(data, now)]

    def _inside_entries(self, ref, data, now):
        found = self.insides.get(ref)
        if found is None:
            return []
        _, node, ip, _ = found
        names = collections.ChainMap({"127.0.0.1": ref, ip: ref}, self.known)
        entries = []
        for event in conntrack_messages.parse_messages(data):
            if to_itself(event, ip):
                entry = flow_log.record(event, node, names, now)
                entry["inside"] = ref
                entries.append(entry)
        return entries

    def _controller_entry(self, data, now):
        try:
            message = json.loads(data)
            frame = bytes.fromhex(message["frame"])
            switch = self.switches.get(message["switch"], "switch %#x" % message["switch"])
            record = CONTROLLER_RECORDS[message["event"]]
        except (ValueError, KeyError, TypeError):
            return None   # not the controller's datagram: let go of
        packet = nflog_messages.parse_payload("", frame[ETHERNET_HEADER:])
        return packet and record(packet, switch, self.known, now)

    def _keep(self, entries):
        if not entries:
            return
        with self.changed:
            self.records.extend(entries)
            self.seen += len(entries)
            self.changed.notify_all()
