"""Who owns which field of an object, and server-side apply (pure), as Kubernetes'
field manager keeps them (structured-merge-diff): each write names a manager; its
fields are recorded in metadata.managedFields (FieldsV1: `f:spec`, `f:replicas`,
a list item by its keys `k:{"name":"nginx"}`, a set's value `v:"x"`, `.` for an
item itself).

An apply (PATCH application/apply-patch+yaml) is a manager's whole intent: the
fields it gives are merged into the object (maps field by field, lists of objects
item by item by their keys, other lists whole) and become its own; the fields it
applied before and leaves out now are removed, unless another manager owns them; a
field it would change that another manager owns is a conflict (409, the fields
named), unless forced, which takes the field over. Any other write (an update) makes
its manager the owner of what it changed, and nobody the owner of what it removed.

Status, and the metadata the server keeps (name, uid, resourceVersion, ...), are
not tracked.
"""
import json

from topo.api.render import timestamp

# Lists of objects whose items are kept apart by keys, as the types declare them
# (x-kubernetes-list-map-keys, or the patch merge key); others are atomic.
LIST_KEYS = {"containers": ("name",), "initContainers": ("name",),
             "ephemeralContainers": ("name",), "env": ("name",), "volumes": ("name",),
             "volumeMounts": ("mountPath",), "imagePullSecrets": ("name",),
             "hostAliases": ("ip",), "conditions": ("type",), "ownerReferences": ("uid",),
             "topologySpreadConstraints": ("topologyKey", "whenUnsatisfiable"),
             "volumeDevices": ("devicePath",), "resourceClaims": ("name",)}
DEFAULTS = {"protocol": "TCP"}   # a key the API server defaults
SET_LISTS = ("finalizers",)
SERVER_METADATA = ("name", "namespace", "uid", "resourceVersion", "generation",
                   "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                   "managedFields", "selfLink")
MISSING = object()


class ApplyConflict(Exception):
    """Fields another manager owns that an apply would change: [(manager entry, path)]."""

    def __init__(self, conflicts):
        super().__init__("apply conflict")
        self.conflicts = conflicts


def _list_keys(field, items):
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    if field == "ports":
        return ("containerPort", "protocol") if "containerPort" in items[0] \
            else ("port", "protocol")
    return LIST_KEYS.get(field)


def _key_element(item, keys):
    return "k:" + json.dumps({k: item.get(k, DEFAULTS.get(k)) for k in sorted(keys)},
                             separators=(",", ":"))


def _tracked(obj):
    """The part of an object whose fields are owned."""
    tracked = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "status")}
    metadata = {k: v for k, v in (obj.get("metadata") or {}).items()
                if k not in SERVER_METADATA}
    if metadata:
        tracked["metadata"] = metadata
    else:
        tracked.pop("metadata", None)
    return tracked


def field_set(obj):
    """The set of field paths (tuples of FieldsV1 elements) an object sets."""
    out = set()
    _walk(_tracked(obj), (), out, None)
    return out


def _walk(value, path, out, field):
    if isinstance(value, dict) and value:
        for name, item in value.items():
            _walk(item, path + ("f:" + name,), out, name)
        return
    keys = _list_keys(field, value) if isinstance(value, list) else None
    if keys:
        for item in value:
            item_path = path + (_key_element(item, keys),)
            out.add(item_path)
            _walk(item, item_path, out, None)
    elif isinstance(value, list) and field in SET_LISTS and value:
        out.update(path + ("v:" + json.dumps(v, separators=(",", ":")),) for v in value)
    elif path:
        out.add(path)


def to_fields_v1(paths):
    """A set of paths as FieldsV1's nested object."""
    tree = {}
    for path in sorted(paths):
        node = tree
        for element in path:
            node = node.setdefault(element, {})
    for path in paths:   # an item that is itself owned and has fields: "."
        node = tree
        for element in path:
            node = node[element]
        if node and "." not in node:
            node["."] = {}
    return _sorted_tree(tree)


def _sorted_tree(tree):
    return {k: _sorted_tree(tree[k]) for k in sorted(tree)}


def from_fields_v1(tree, path=()):
    paths = set()
    for element, below in (tree or {}).items():
        if element == ".":
            paths.add(path)
        elif below:
            paths |= from_fields_v1(below, path + (element,))
        else:
            paths.add(path + (element,))
    return paths


def value_at(obj, path):
    """The value an object has at a path, or MISSING."""
    value = obj
    for element in path:
        kind, name = element[:1], element[2:]
        if kind == "f" and isinstance(value, dict) and name in value:
            value = value[name]
        elif kind == "k" and isinstance(value, list):
            wanted = json.loads(name)
            value = next((i for i in value if isinstance(i, dict) and all(
                i.get(k, DEFAULTS.get(k)) == v for k, v in wanted.items())), MISSING)
        elif kind == "v" and isinstance(value, list):
            wanted = json.loads(name)
            value = wanted if wanted in value else MISSING
        else:
            return MISSING
        if value is MISSING:
            return MISSING
    return value


def merge(live, applied, field=None):
    """applied merged into live by the schema: maps field by field, lists of objects
    with keys item by item (live's order, new items after), sets as sets, anything
    else replaced."""
    if isinstance(live, dict) and isinstance(applied, dict):
        merged = dict(live)
        for name, value in applied.items():
            merged[name] = merge(live.get(name, MISSING), value, name)
        return merged
    if isinstance(live, list) and isinstance(applied, list):
        keys = _list_keys(field, applied) or _list_keys(field, live) \
            if applied and live else None
        if keys and all(isinstance(i, dict) for i in live + applied):
            merged = list(live)
            for item in applied:
                element = _key_element(item, keys)
                at = next((n for n, old in enumerate(merged)
                           if _key_element(old, keys) == element), None)
                if at is None:
                    merged.append(item)
                else:
                    merged[at] = merge(merged[at], item)
            return merged
        if field in SET_LISTS:
            return live + [v for v in applied if v not in live]
    return applied


def remove_at(obj, path):
    """obj without what is at path (an item of a keyed list, a set's value, a field)."""
    if not path:
        return obj
    element, rest = path[0], path[1:]
    kind, name = element[:1], element[2:]
    if kind == "f" and isinstance(obj, dict) and name in obj:
        out = dict(obj)
        if rest:
            out[name] = remove_at(obj[name], rest)
        else:
            del out[name]
        return out
    if kind in "kv" and isinstance(obj, list):
        wanted = json.loads(name)
        out = []
        for item in obj:
            match = item == wanted if kind == "v" else isinstance(item, dict) and all(
                item.get(k, DEFAULTS.get(k)) == v for k, v in wanted.items())
            if not match:
                out.append(item)
            elif rest:
                out.append(remove_at(item, rest))
        return out
    return obj


# --- managedFields -----------------------------------------------------------------
def entries(obj):
    """[(entry without its fields, set of paths)] of an object's managedFields."""
    return [({k: v for k, v in e.items() if k != "fieldsV1"},
             from_fields_v1(e.get("fieldsV1")))
            for e in (obj or {}).get("metadata", {}).get("managedFields") or ()]


def managed_fields(owned):
    """[(entry, paths)] -> metadata.managedFields (entries that own nothing left out)."""
    return [dict(entry, fieldsType="FieldsV1", fieldsV1=to_fields_v1(paths))
            for entry, paths in owned if paths]


def _entry(manager, operation, api_version, now, subresource=None):
    entry = {"manager": manager, "operation": operation, "apiVersion": api_version,
             "time": timestamp(now)}
    if subresource:
        entry["subresource"] = subresource
    return entry


def _same(entry, manager, operation, subresource=None):
    return entry["manager"] == manager and entry["operation"] == operation and \
        entry.get("subresource") == subresource


def changed_fields(before, after, paths):
    """Of paths (after's), those after sets anew or to another value: a list item or
    map that was there already is not changed itself, only its fields."""
    parents = {p[:i] for p in paths for i in range(1, len(p))}
    changed = set()
    for path in paths:
        was = value_at(before, path)
        if was is MISSING or path not in parents and was != value_at(after, path):
            changed.add(path)
    return changed


def _with(owned, manager, operation, api_version, now, paths):
    """owned with manager's entry for operation owning paths: in its place, its time
    kept if it owned just those already (a write that changed nothing changes no
    managedFields)."""
    result, placed = [], False
    for entry, had in owned:
        if _same(entry, manager, operation):
            result.append((entry if had == paths else
                           _entry(manager, operation, api_version, now), paths))
            placed = True
        else:
            result.append((entry, had))
    if not placed:
        result.append((_entry(manager, operation, api_version, now), paths))
    return result


def update(live, new, manager, api_version, now):
    """managedFields after an update (a create: live None) by manager: it owns what it
    set anew or changed; what was removed belongs to nobody."""
    owned = entries(live)
    new_paths = field_set(new)
    changed = changed_fields(live or {}, new, new_paths) if live else new_paths
    removed = field_set(live) - new_paths if live else set()
    mine = set(changed)
    for entry, paths in owned:
        if _same(entry, manager, "Update"):
            mine |= paths - removed
    others = [(e, p if _same(e, manager, "Update") else p - changed - removed)
              for e, p in owned]
    return managed_fields(_with(others, manager, "Update", api_version, now,
                                mine & new_paths))


def apply(live, applied, manager, api_version, now, force=False):
    """(the object after manager's apply of applied, its managedFields); raises
    ApplyConflict. live: the stored object, or None (the apply creates it)."""
    applied_paths = field_set(applied)
    if live is None:
        return applied, managed_fields([(_entry(manager, "Apply", api_version, now),
                                         applied_paths)])
    owned = entries(live)
    merged = merge({k: v for k, v in live.items() if k != "status"}, _tracked(applied))
    if "status" in live:
        merged["status"] = live["status"]
    changed = changed_fields(live, merged, applied_paths)
    previous = next((p for e, p in owned if _same(e, manager, "Apply")), set())
    others = [(e, p) for e, p in owned if not _same(e, manager, "Apply")]
    conflicts = [(e, path) for e, paths in others for path in sorted(changed & paths)]
    if conflicts and not force:
        raise ApplyConflict(conflicts)
    kept = set().union(*(p - changed for _, p in others)) if others else set()
    # What it applied before and leaves out now goes, unless another manager has it;
    # the deepest first, so an item's removal does not hide its fields'.
    for path in sorted(previous - applied_paths - kept, key=len, reverse=True):
        if not any(p[:len(path)] == path for p in applied_paths | kept):
            merged = remove_at(merged, path)
    others = [(e, p if _same(e, manager, "Apply") else p - changed) for e, p in owned]
    return merged, managed_fields(_with(others, manager, "Apply", api_version, now,
                                        applied_paths))


def conflict_message(conflicts):
    """The API server's message for an apply's conflicts ([(entry, path)])."""
    def who(entry):
        if entry["operation"] == "Update":
            return '"%s" using %s' % (entry["manager"], entry["apiVersion"])
        return '"%s"' % entry["manager"]
    if len(conflicts) == 1:
        entry, path = conflicts[0]
        return "Apply failed with 1 conflict: conflict with %s: %s" % (
            who(entry), path_string(path))
    lines = []
    for manager in sorted({who(e) for e, _ in conflicts}):
        lines.append("conflicts with %s:" % manager)
        lines += ["- %s" % path_string(p) for e, p in conflicts if who(e) == manager]
    return "Apply failed with %d conflicts: %s" % (len(conflicts), "\n".join(lines))


def conflict_causes(conflicts):
    return [{"reason": "FieldManagerConflict", "message": "conflict with %s" % (
        '"%s" using %s' % (e["manager"], e["apiVersion"]) if e["operation"] == "Update"
        else '"%s"' % e["manager"]), "field": path_string(p)} for e, p in conflicts]


def path_string(path):
    """'.spec.replicas', '.spec.containers[name="nginx"].image', as Go prints a path."""
    out = []
    for element in path:
        kind, name = element[:1], element[2:]
        if kind == "f":
            out.append("." + name)
        elif kind == "k":
            out.append("[%s]" % ",".join("%s=%s" % (k, json.dumps(v))
                                         for k, v in json.loads(name).items()))
        else:
            out.append("[=%s]" % name)
    return "".join(out)
