"""The object store: every object the API serves, with resourceVersions, and the
watches that follow them (no processes, no network).

Every writer (the registry's strategies, the controllers, the kubelets' status)
put()s and remove()s objects one at a time; the store gives a changed object the next
resourceVersion, keeps its uid while it lives, bumps its generation when its spec
changed, and hands the change to every watcher in order.

Readers of thousands of objects need not look at them all: the store keeps each
resource's names in order (a list does not sort), and an index of the objects each
controller manages (their controller reference's uid), as client-go's informers
index pods for the ReplicaSet controller.
"""
import collections
import contextlib
import copy
import marshal
import threading
import uuid

HISTORY = 10000   # events kept for watches that resume from a resourceVersion


class Gone(Exception):
    """A watch asked to resume from a resourceVersion older than the history."""


def json_copy(value):
    """A copy of a JSON-shaped value (dicts, lists, strings, numbers): what
    copy.deepcopy does for it, several times faster (marshal copies in C)."""
    try:
        return marshal.loads(marshal.dumps(value))
    except ValueError:   # something beyond JSON's types: the general way
        return copy.deepcopy(value)


SERVER_SET = ("resourceVersion", "uid", "generation")


def _without_status(obj):
    """What a generation counts: the spec of a kind that has one (as the API server's
    strategies count it: metadata and status written leave it as it is), else the
    object but its status and what the store sets."""
    if "spec" in obj:
        return obj["spec"]
    out = {k: v for k, v in obj.items() if k != "status"}
    out["metadata"] = {k: v for k, v in obj["metadata"].items() if k not in SERVER_SET}
    return out


class Store:
    def __init__(self):
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)   # held by every read and write
        self.watchers = {}      # resource -> {Condition of a changes_since waiting on it}
        self.unannounced = set()   # resources changed since the watchers were woken
        self.batching = 0   # nested batch() depth: watchers are woken when it ends
        self.revision = 1
        self.content = {}    # resource -> {(namespace, name): object as written}
        self.objects = {}    # resource -> {(namespace, name): object as served}
        self.history = collections.deque(maxlen=HISTORY)  # (rv, resource, type, object)
        self.uids = {}       # (kind, namespace, name) -> uid, for ownerReferences
        self.last_change = {}   # resource -> the revision of its newest change
        self.in_order = {}   # resource -> its keys sorted, until one comes or goes
        # resource -> {(namespace, controller's uid or None): {keys}}
        self.by_controller = {}

    # --- writing ---------------------------------------------------------------
    def put(self, resource, obj, shared=False):
        """Stores obj. shared: obj is the caller's to give away, and parts of it may be
        in other objects it gives (the endpoints controllers write a thousand slices of
        the same endpoints when a pod leaves): the store serves it without copying
        more than its metadata. Nobody changes an object the store holds."""
        with self.changed:
            key = _key(obj)
            if self.content.get(resource, {}).get(key) != obj:
                self._put(resource, key, obj, shared)
                self._notify()
            return self.objects[resource][key]

    def put_status(self, resource, obj, status):
        """obj's status becomes status, if obj is still what is stored (a controller's
        write of what it observed; False: obj changed meanwhile, read it again)."""
        with self.changed:
            key = _key(obj)
            current = self.objects.get(resource, {}).get(key)
            if current is None or current["metadata"]["resourceVersion"] != \
                    obj["metadata"]["resourceVersion"]:
                return False
            if current.get("status") != status:
                self._put(resource, key, dict(self.content[resource][key], status=status))
                self._notify()
            return True

    def remove(self, resource, namespace, name):
        with self.changed:
            if (namespace, name) in self.content.get(resource, {}):
                self._remove(resource, (namespace, name))
                self._notify()

    @contextlib.contextmanager
    def batch(self):
        """Writes made inside are seen by watchers at once when it ends (a controller
        that writes a thousand slices wakes every watcher once, not a thousand times);
        the store is the writer's meanwhile. A batch that wrote nothing (a kubelet's
        report that found every status as stored) wakes nobody."""
        with self.changed:
            if not self.batching:
                self.batch_began = self.revision
            self.batching += 1
            try:
                yield
            finally:
                self.batching -= 1
                if not self.batching and self.revision != self.batch_began:
                    self._wake_watchers()

    def _notify(self):
        if not self.batching:
            self._wake_watchers()

    def _wake_watchers(self):
        """Wakes the watchers of what changed, not every watcher (an event written
        wakes no pod's watcher: thousands of writes a second, dozens of watchers)."""
        for resource in self.unannounced:
            for waiter in self.watchers.get(resource, ()):
                waiter.notify()
        self.unannounced.clear()

    def _put(self, resource, key, obj, shared=False):
        content = self.content.setdefault(resource, {})
        old_content = content.get(key)
        old = self.objects.get(resource, {}).get(key)
        created = obj["metadata"].get("creationTimestamp")
        same_object = old is not None and \
            old["metadata"].get("creationTimestamp") == created
        if old is not None and not same_object:
            self._remove(resource, key)
            old = None
        if shared:
            served = dict(obj, metadata=json_copy(obj["metadata"]))
            if "status" in obj:
                served["status"] = json_copy(obj["status"])
        else:
            served = json_copy(obj)
        metadata = served["metadata"]
        self.revision += 1
        metadata["resourceVersion"] = str(self.revision)
        metadata["uid"] = old["metadata"]["uid"] if old else metadata.get("uid") or \
            str(uuid.uuid4())
        generation = old["metadata"].get("generation", 1) if old else 1
        if old_content is not None and _without_status(old_content) != _without_status(obj):
            generation += 1
        metadata["generation"] = generation
        self.uids[(obj["kind"], key[0], key[1])] = metadata["uid"]
        for owner in metadata.get("ownerReferences", ()):   # a rendered owner's, by name
            if not owner.get("uid"):
                owner["uid"] = self.uids.get((owner["kind"], key[0], owner["name"]), "")
        if old is None:
            self.in_order.pop(resource, None)
        else:
            self._unindex(resource, key, old)
        content[key] = obj
        self.objects.setdefault(resource, {})[key] = served
        self.by_controller.setdefault(resource, {}).setdefault(
            (key[0], _controller_uid(served)), set()).add(key)
        self.last_change[resource] = self.revision
        self.unannounced.add(resource)
        self.history.append((self.revision, resource, "MODIFIED" if old else "ADDED", served))

    def _remove(self, resource, key):
        served = self.objects[resource].pop(key)
        del self.content[resource][key]
        self.in_order.pop(resource, None)
        self._unindex(resource, key, served)
        self.uids.pop((served["kind"], key[0], key[1]), None)
        self.revision += 1
        self.last_change[resource] = self.revision
        self.unannounced.add(resource)
        gone = json_copy(served)
        gone["metadata"]["resourceVersion"] = str(self.revision)
        self.history.append((self.revision, resource, "DELETED", gone))

    def _unindex(self, resource, key, served):
        index = self.by_controller[resource]
        owned = (key[0], _controller_uid(served))
        index[owned].discard(key)
        if not index[owned]:
            del index[owned]

    # --- reading ---------------------------------------------------------------
    def list(self, resource, namespace=None):
        """(resourceVersion of the list, [objects]) in name order."""
        with self.changed:
            objects = self.objects.get(resource, {})
            keys = self.in_order.get(resource)
            if keys is None:
                keys = self.in_order[resource] = sorted(objects)
            found = [objects[key] for key in keys if namespace is None or key[0] == namespace]
            return str(self.revision), found

    def controlled(self, resource, namespace, uid):
        """The objects of resource in namespace whose controller reference has uid (None:
        those without a controller), in no order."""
        with self.changed:
            objects = self.objects.get(resource, {})
            return [objects[key] for key in
                    self.by_controller.get(resource, {}).get((namespace, uid), ())]

    def changed_at(self, resource):
        """The revision of resource's newest change (0: never changed): a reader that
        keeps what it derived from a list may keep it while this stays."""
        return self.last_change.get(resource, 0)

    def get(self, resource, namespace, name):
        with self.changed:
            return self.objects.get(resource, {}).get((namespace, name))

    def wake(self):
        """Wakes every waiter, to look at its until event (a watcher stopping)."""
        with self.changed:
            for waiters in self.watchers.values():
                for waiter in waiters:
                    waiter.notify()

    def events_since(self, resource, since, timeout):
        """Events of resource after resourceVersion since, waiting up to timeout for
        the first; (events, revision reached). Raises Gone if since is too old."""
        changes, reached = self.changes_since((resource,), since, timeout)
        return [(rv, kind, obj) for rv, _, kind, obj in changes], reached

    def changes_since(self, resources, since, timeout, until=None):
        """What happened to any of resources after resourceVersion since, as
        (resourceVersion, resource, type, object), waiting up to timeout for the first
        change of any resource, or until the event until is set (and wake() called);
        (changes, revision reached). Raises Gone if changes of resources after since
        are no longer in the history."""
        with self.changed:
            def changed():
                return any(self.last_change.get(r, 0) > since for r in resources)
            if timeout and not changed():   # woken by a change of its resources alone
                since = self.revision   # (none of theirs before now)
                waiter = threading.Condition(self.lock)
                for resource in resources:
                    self.watchers.setdefault(resource, set()).add(waiter)
                try:
                    waiter.wait_for(lambda: changed() or until is not None and until.is_set(),
                                    timeout)
                finally:
                    for resource in resources:
                        self.watchers[resource].discard(waiter)
            # Gone: changes of its resources left the history (as the API server's
            # watch cache, one a resource, says it; others' do not count).
            if changed() and self.history and since < self.history[0][0] - 1:
                raise Gone(since)
            # From the newest back to since: a watcher's wake costs what is new, not
            # the whole history.
            changes = []
            for change in reversed(self.history):
                if change[0] <= since:
                    break
                if change[1] in resources:
                    changes.append(change)
            changes.reverse()
            return changes, self.revision


def controller_of(obj):
    """The ownerReference of obj's managing controller, or None."""
    return next((r for r in obj["metadata"].get("ownerReferences") or ()
                 if r.get("controller")), None)


def _controller_uid(obj):
    return (controller_of(obj) or {}).get("uid")


def _key(obj):
    metadata = obj["metadata"]
    return metadata.get("namespace", ""), metadata["name"]
