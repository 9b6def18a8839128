"""kubemn's entries in Open vSwitch's conntrack (zones in controllers/tables.py).

A deleted pod's entries are flushed, so that its address, when a later pod gets it,
starts clean (a stopped cluster's go with its Open vSwitch). Flushing spawns
ovs-appctl, so pod deletions hand it to a worker thread and stay fast.
"""
import collections
import queue
import subprocess
import threading

from controllers.tables import ZONE_SERVICE, ZONE_SNAT
from topo.errors import KubemnError

ZONES = (ZONE_SERVICE, ZONE_SNAT)


def _flush(*args):
    subprocess.run(["ovs-appctl", "dpctl/flush-conntrack"] + list(args),
                   stdin=subprocess.DEVNULL, capture_output=True, timeout=10)


PROTOCOL_NUMBERS = {"tcp": 6, "udp": 17, "icmp": 1}


def dump_text():
    """Open vSwitch's conntrack table, as dpctl/dump-conntrack prints it."""
    return subprocess.run(["ovs-appctl", "dpctl/dump-conntrack"], capture_output=True,
                          text=True, timeout=30).stdout


def _our_entries():
    dump = dump_text()
    zones = tuple("zone=%d" % zone for zone in ZONES)
    return [line for line in dump.splitlines() if any(z in line for z in zones)]


def flush_address(ip):
    """Every entry of kubemn's zones that has ip as original source or destination,
    or as reply source: one dump, then flushes only where such entries exist."""
    pattern = "=%s," % ip
    found = set()
    for line in _our_entries():
        if pattern in line:
            protocol = PROTOCOL_NUMBERS.get(line.split(",", 1)[0])
            zone = line.rsplit("zone=", 1)[1].split(",", 1)[0]
            if protocol is not None:
                found.add((zone, protocol))
    for zone, protocol in sorted(found):
        base = "ct_nw_proto=%d" % protocol
        _flush("zone=" + zone, base + ",ct_nw_src=" + ip)
        _flush("zone=" + zone, base + ",ct_nw_dst=" + ip)
        _flush("zone=" + zone, base, "ct_nw_src=" + ip)


def count_entries():
    return len(_our_entries())


class Janitor:
    """Flushes addresses in the background, in order. An address is pending until
    its entries are gone: a new pod must not get it before (the late flush would
    cut the new pod's connections)."""

    def __init__(self):
        self.elsewhere = []   # the other servers' fork servers: their conntrack too
        self.work = queue.Queue()
        self.lock = threading.Lock()
        self.waiting = collections.Counter()  # address -> flushes queued
        self.thread = threading.Thread(target=self._run, name="kubemn-conntrack",
                                       daemon=True)
        self.thread.start()

    def forget(self, ip):
        with self.lock:
            self.waiting[ip] += 1
        self.work.put(ip)

    def pending(self):
        with self.lock:
            return frozenset(self.waiting)

    def drain(self):
        """Returns once every address handed over so far is flushed."""
        self.work.join()

    def _run(self):
        while True:
            ip = self.work.get()
            try:
                flush_address(ip)
                for server in self.elsewhere:   # where the address's connections began
                    server.call(flush_address, ip)
            except (OSError, subprocess.SubprocessError, KubemnError):
                pass  # best effort: a later flush of the zones cleans up
            finally:
                with self.lock:
                    self.waiting[ip] -= 1
                    if not self.waiting[ip]:
                        del self.waiting[ip]
                self.work.task_done()
