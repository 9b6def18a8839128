"""What the browser view's pages are sent, as it happens: one thread follows the
API store's changes (the watches' own source) and the flow log, and publishes the
cluster's map when it changed (at most every MAP_SECONDS) and the flows' digest
every FLOW_SECONDS; each page's stream waits for what comes after what it sent."""
import collections
import json
import time

from topo.api.store import Gone
from topo.runtime.loop_thread import LoopThread
from topo.ui.cluster_map import cluster_map
from topo.ui.flow_digest import FlowDigest

RESOURCES = ("pods", "services", "endpointslices.discovery.k8s.io", "nodes",
             "networkpolicies.networking.k8s.io", "namespaces")
MAP_SECONDS = 0.2
FLOW_SECONDS = 0.1
KEPT = 64   # events kept for pages a little behind; one further behind starts again


class Hub(LoopThread):
    thread_name = "kubemn-ui-hub"

    def __init__(self, cluster):
        super().__init__()
        self.cluster = cluster
        self.events = collections.deque(maxlen=KEPT)   # (sequence, name, data)
        self.sequence = 0
        self.latest_map = None                          # (sequence, data)

    def map_now(self):
        store = self.cluster.api.store
        lists = [store.list(resource)[1] for resource in RESOURCES]
        return cluster_map(*lists, self.cluster.addresses.internet.ip)

    def _publish(self, name, data):
        with self.changed:
            self.sequence += 1
            text = json.dumps(data, separators=(",", ":"))
            self.events.append((self.sequence, name, text))
            if name == "cluster":
                self.latest_map = (self.sequence, text)
            self.changed.notify_all()

    def since(self, sequence, timeout):
        """(events after sequence, the last one's sequence), waiting up to timeout;
        a page further behind than KEPT gets the latest map first."""
        with self.changed:
            self.changed.wait_for(lambda: self.sequence > sequence or self.stopping, timeout)
            events = [e for e in self.events if e[0] > sequence]
            if events and events[0][0] > sequence + 1 and self.latest_map is not None and \
                    self.latest_map[0] < events[0][0]:
                events.insert(0, (self.latest_map[0], "cluster", self.latest_map[1]))
            return events, self.sequence

    def first(self):
        """(the latest map as an event, its sequence) for a page that starts."""
        with self.changed:
            self.changed.wait_for(lambda: self.latest_map is not None or self.stopping, 10)
            if self.latest_map is None:
                return [], self.sequence
            return [(self.latest_map[0], "cluster", self.latest_map[1])], self.sequence

    def _run(self):
        store = self.cluster.api.store
        collector = self.cluster.flow_log()
        digest = FlowDigest()
        since = int(store.revision)   # the map below has every change up to it
        self._publish("cluster", self.map_now())
        _, index = collector.since(0)
        dirty, mapped, flushed = False, time.monotonic(), time.monotonic()
        while not self.stopping:
            try:
                changes, since = store.changes_since(RESOURCES, since, FLOW_SECONDS)
                dirty |= bool(changes)
            except Gone:
                since, dirty = int(store.revision), True
            now = time.monotonic()
            if dirty and now - mapped >= MAP_SECONDS:
                self._publish("cluster", self.map_now())
                dirty, mapped = False, now
            records, index = collector.since(index)
            digest.add(records)
            if digest.fresh and now - flushed >= FLOW_SECONDS:
                self._publish("flows", digest.take(time.time()))
                flushed = now
