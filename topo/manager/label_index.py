"""The objects of a resource by label, kept from a controller's change stream (as
client-go's indexers keep an informer's cache): a selector's objects are found among
the few that carry one of its labels, and a change names what its object was
labelled before, without a look at every object of the resource."""
from services.endpoints import selects


class LabelIndex:
    def __init__(self, store, resource):
        self.store, self.resource = store, resource
        self.labels = None   # (namespace, name) -> its labels as last seen; None: unread
        self.by_pair = {}    # (namespace, key, value) -> {names}

    def forget(self):
        """Read the store again at the next use (a controller's resync, or a watch
        that fell behind)."""
        self.labels, self.by_pair = None, {}

    def changed(self, obj):
        """Takes a change of obj (in the order of the store's changes); returns the
        labels it had before it."""
        self._read()
        metadata = obj["metadata"]
        key = (metadata["namespace"], metadata["name"])
        before = self._drop(key)
        if self.store.get(self.resource, *key) is not None:
            self._add(key, metadata.get("labels") or {})
        return before

    def select(self, namespace, selector):
        """The stored objects of namespace whose labels selector matches (a Service's:
        an empty one matches none), in name order."""
        self._read()
        if not selector:
            return []
        groups = [self.by_pair.get((namespace, k, v), ()) for k, v in selector.items()]
        fewest = min(groups, key=len)
        found = (self.store.get(self.resource, namespace, name) for name in sorted(fewest))
        return [o for o in found
                if o is not None and selects(selector, o["metadata"].get("labels") or {})]

    def _read(self):
        if self.labels is None:
            self.labels = {}
            for obj in self.store.list(self.resource)[1]:
                metadata = obj["metadata"]
                self._add((metadata["namespace"], metadata["name"]),
                          metadata.get("labels") or {})

    def _add(self, key, labels):
        self.labels[key] = labels
        for pair in labels.items():
            self.by_pair.setdefault((key[0],) + pair, set()).add(key[1])

    def _drop(self, key):
        labels = self.labels.pop(key, {})
        for pair in labels.items():
            names = self.by_pair[(key[0],) + pair]
            names.discard(key[1])
            if not names:
                del self.by_pair[(key[0],) + pair]
        return labels
