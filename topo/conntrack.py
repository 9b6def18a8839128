"""kubemn's entries in Open vSwitch's conntrack (zones in controllers/tables.py).

A deleted pod's entries are flushed, so that its address, when a later pod gets it,
starts clean; a stopped cluster's zones are flushed whole. Flushing spawns
ovs-appctl, so pod deletions hand it to a worker thread and stay fast.
"""
import queue
import subprocess
import threading

from controllers.tables import ZONE_SERVICE, ZONE_SNAT

ZONES = (ZONE_SERVICE, ZONE_SNAT)
PROTOCOLS = (6, 17, 1)


def _flush(*args):
    subprocess.run(["ovs-appctl", "dpctl/flush-conntrack"] + list(args),
                   stdin=subprocess.DEVNULL, capture_output=True, timeout=10)


def flush_zones():
    for zone in ZONES:
        _flush("zone=%d" % zone)


def flush_address(ip):
    """Every entry that has ip as original source or destination, or reply source."""
    for zone in ZONES:
        for proto in PROTOCOLS:
            base = "ct_nw_proto=%d" % proto
            _flush("zone=%d" % zone, base + ",ct_nw_src=" + ip)
            _flush("zone=%d" % zone, base + ",ct_nw_dst=" + ip)
            _flush("zone=%d" % zone, base, "ct_nw_src=" + ip)


def count_entries():
    dump = subprocess.run(["ovs-appctl", "dpctl/dump-conntrack"], capture_output=True,
                          text=True, timeout=30).stdout
    return sum(1 for line in dump.splitlines()
               if any("zone=%d" % zone in line for zone in ZONES))


class Janitor:
    """Flushes addresses in the background, in order."""

    def __init__(self):
        self.work = queue.Queue()
        self.thread = threading.Thread(target=self._run, name="kubemn-conntrack",
                                       daemon=True)
        self.thread.start()

    def forget(self, ip):
        self.work.put(ip)

    def drain(self):
        """Returns once every address handed over so far is flushed."""
        self.work.join()

    def _run(self):
        while True:
            ip = self.work.get()
            try:
                flush_address(ip)
            except (OSError, subprocess.SubprocessError):
                pass  # best effort: a later flush of the zones cleans up
            finally:
                self.work.task_done()
