"""A controller's loop over the store, as client-go's informer and work queue make
it: every change of a resource the controller watches puts the keys it names into a
queue; reconcile(key) works from what is stored now (level-triggered, never from the
event alone); a key whose reconcile fails, or asks to, comes back after a pause that
doubles up to a limit; every resync period each key is looked at again, so a missed
event or a restart converges.

A controller is any object with:
    watches               the store resources whose changes concern it
    keys(resource, obj)   the keys a change of obj names (often one: its name)
    all_keys()            every key there is now (at start, and at each resync)
    reconcile(key)        makes the world match what is stored for key; raises Again
                          (or anything) to be called again later, Later(seconds) to
                          be called again then
    store_only            (optional) True: reconcile touches the store alone, so a
                          step's writes may reach the watchers together
step() runs what is due without a thread, for tests against an in-memory store;
wait_synced(revision) waits until the loop has reconciled every change up to a
revision of the store (a caller that must see the controller's writes first).
"""
import contextlib
import heapq
import threading
import time

from topo.api.store import Gone


def name_key(obj):
    """'namespace/name': the key of a namespaced object in a controller's queue (the
    scheduler's, the kubelets', the pod garbage collector's)."""
    return "%s/%s" % (obj["metadata"]["namespace"], obj["metadata"]["name"])


class WholeSync:
    """A controller of one key, for a component that works out all it keeps at once
    (the policy agent's tables, the DNS pods' Corefile): any change of what it watches
    that concerns(resource, obj) calls sync()."""
    KEY = "all"

    def __init__(self, watches, sync, concerns=lambda resource, obj: True):
        self.watches, self.sync, self.concerns = tuple(watches), sync, concerns

    def keys(self, resource, obj):
        return [self.KEY] if self.concerns(resource, obj) else []

    def all_keys(self):
        return [self.KEY]

    def reconcile(self, key):
        self.sync()


class Again(Exception):
    """reconcile() is not done with its key: call it again after a pause."""


class Later(Exception):
    """reconcile() is done with its key until a time it knows (a CronJob's next
    schedule): call it again after seconds."""

    def __init__(self, seconds):
        super().__init__(seconds)
        self.seconds = seconds


class ControlLoop:
    FIRST_PAUSE = 0.02   # seconds before a key is tried again; doubles each time
    LONGEST_PAUSE = 1.0

    def __init__(self, store, controller, resync=30.0, report=None):
        self.store, self.controller, self.resync = store, controller, resync
        self.report = report or (lambda message: None)
        self.queued = set()      # keys due now
        self.later = []          # heap of (due time, key) to try again
        self.pauses = {}         # key -> its pause before the next try
        self.seen = int(store.list(controller.watches[0])[0]) if controller.watches else 0
        self.next_resync = 0.0   # the first step looks at every key
        self.synced = threading.Condition()
        self.synced_to = 0       # every change up to this revision is reconciled
        self.stopping = threading.Event()
        self.thread = None

    # --- running -----------------------------------------------------------------
    def start(self):
        self.thread = threading.Thread(target=self._run, daemon=True,
                                       name="kubemn-%s" % type(self.controller).__name__)
        self.thread.start()
        return self

    def stop(self):
        self.stopping.set()
        self.store.wake()   # a step waiting for a change ends now
        with self.synced:
            self.synced.notify_all()
        if self.thread is not None and self.thread.is_alive():
            self.thread.join()

    def _run(self):
        while not self.stopping.is_set():
            self.step(self._idle_for())

    def _idle_for(self):
        """How long the loop may wait for a change: until a retry or resync is due."""
        due = [self.next_resync] + ([self.later[0][0]] if self.later else [])
        return 0.0 if self.queued else max(0.0, min(min(due) - time.monotonic(), 1.0))

    def step(self, wait=0.0):
        """Takes the changes since the last step (waiting up to wait for one), then
        reconciles every key that is due."""
        self._take_changes(wait)
        now = time.monotonic()
        if now >= self.next_resync:
            self.queued.update(self.controller.all_keys())
            self.next_resync = now + self.resync
        while self.later and self.later[0][0] <= now:
            self.queued.add(heapq.heappop(self.later)[1])
        reached = self.seen
        keys, self.queued = sorted(self.queued), set()
        # A controller that touches nothing but the store may have the step's writes
        # reach the watchers at once (a thousand writes, one wake); one that takes
        # other locks must not hold the store's meanwhile.
        batch = self.store.batch() if getattr(self.controller, "store_only", False) \
            else contextlib.nullcontext()
        with batch:
            for key in keys:
                self._reconcile(key)
        with self.synced:
            self.synced_to = reached
            self.synced.notify_all()

    def wait_synced(self, revision, timeout):
        """Waits until the changes up to revision are reconciled (once: a key that
        failed is tried again later); False if timeout passed first or the loop
        stopped."""
        # A change of what it does not watch is nothing to it (and wakes it not): it
        # is synced once the changes of its own resources up to revision are.
        revision = min(revision, max((self.store.changed_at(r) for r in self.controller.watches),
                                     default=0))
        with self.synced:
            return self.synced.wait_for(
                lambda: self.synced_to >= revision or self.stopping.is_set(), timeout) \
                and not self.stopping.is_set()

    def idle(self):
        """Nothing queued and nothing to try again."""
        return not self.queued and not self.later

    def _take_changes(self, wait):
        try:
            changes, self.seen = self.store.changes_since(self.controller.watches, self.seen,
                                                         wait, until=self.stopping)
        except Gone:   # fell behind the store's history: look at everything
            self.seen = int(self.store.list(self.controller.watches[0])[0])
            self.queued.update(self.controller.all_keys())
            return
        for _, resource, _, obj in changes:
            self.queued.update(self.controller.keys(resource, obj))

    def _reconcile(self, key):
        try:
            self.controller.reconcile(key)
        except Again:
            self._again(key)
        except Later as later:
            self.pauses.pop(key, None)
            heapq.heappush(self.later, (time.monotonic() + max(0.0, later.seconds), key))
        except Exception as exc:   # keep going; say what went wrong, try again later
            self.report("%s: %s: %s" % (type(self.controller).__name__, key, exc))
            self._again(key)
        else:
            self.pauses.pop(key, None)

    def _again(self, key):
        pause = self.pauses.get(key, self.FIRST_PAUSE)
        self.pauses[key] = min(pause * 2, self.LONGEST_PAUSE)
        heapq.heappush(self.later, (time.monotonic() + pause, key))
