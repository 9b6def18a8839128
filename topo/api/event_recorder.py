"""Where every component's events go (the scheduler's, each kubelet's, the
controllers'): into the store, the oldest going beyond MAX_EVENTS, as the API server
lets events expire."""
import collections
import threading

MAX_EVENTS = 1000


class EventRecorder:
    def __init__(self, store):
        self.store = store
        self.lock = threading.Lock()
        self.recent = collections.deque()   # the events' metadata, oldest first

    def record(self, found):
        """Stores the events found ([Event]); the store's lock first, as a caller inside
        a batch of the store (the scheduler's step) holds it already."""
        with self.store.batch(), self.lock:
            for event in found:
                self.store.put("events", event)
                self.recent.append(event["metadata"])
            while len(self.recent) > MAX_EVENTS:
                old = self.recent.popleft()
                self.store.remove("events", old["namespace"], old["name"])
