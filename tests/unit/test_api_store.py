"""The object store: resourceVersions, uids, generations and the watch history."""
import pytest

from topo.api.store import Gone, Store


def pod(name, phase="Running", image="nginx", created="2026-01-01T00:00:00Z", owner=None):
    metadata = {"name": name, "namespace": "default", "creationTimestamp": created}
    if owner:
        metadata["ownerReferences"] = [{"kind": "ReplicaSet", "name": owner}]
    return {"kind": "Pod", "metadata": metadata, "spec": {"image": image},
            "status": {"phase": phase}}


def test_a_write_gives_a_changed_object_the_next_resource_version_only():
    store = Store()
    for obj in (pod("a"), pod("b")):
        store.put("pods", obj)
    first = {o["metadata"]["name"]: o["metadata"]["resourceVersion"]
             for o in store.list("pods")[1]}
    for obj in (pod("a"), pod("b", phase="Failed")):
        store.put("pods", obj)
    second = {o["metadata"]["name"]: o["metadata"]["resourceVersion"]
              for o in store.list("pods")[1]}
    assert second["a"] == first["a"] and int(second["b"]) > int(first["b"])


def test_generation_follows_the_spec_not_the_status_and_the_uid_stays():
    store = Store()
    store.put("pods", pod("a"))
    uid = store.get("pods", "default", "a")["metadata"]["uid"]
    store.put("pods", pod("a", phase="Failed"))
    assert store.get("pods", "default", "a")["metadata"]["generation"] == 1
    store.put("pods", pod("a", image="nginx:2"))
    again = store.get("pods", "default", "a")["metadata"]
    assert again["generation"] == 2 and again["uid"] == uid


def test_an_object_made_anew_under_the_same_name_gets_a_new_uid():
    store = Store()
    store.put("pods", pod("a"))
    uid = store.get("pods", "default", "a")["metadata"]["uid"]
    store.put("pods", pod("a", created="2026-01-01T00:00:09Z"))
    assert store.get("pods", "default", "a")["metadata"]["uid"] != uid


def test_watchers_get_every_change_in_order_and_a_deletion_last():
    store = Store()
    store.put("pods", pod("a"))
    since = int(store.list("pods")[0])
    store.put("pods", pod("a", phase="Failed"))
    store.put("pods", pod("b"))
    store.remove("pods", "default", "a")
    events, reached = store.events_since("pods", since, timeout=0)
    assert [(kind, obj["metadata"]["name"]) for _, kind, obj in events] == [
        ("MODIFIED", "a"), ("ADDED", "b"), ("DELETED", "a")]
    assert [rv for rv, _, _ in events] == sorted(rv for rv, _, _ in events)
    assert reached == int(store.list("pods")[0])
    assert store.events_since("services", since, timeout=0)[0] == []


def test_a_watch_from_a_version_older_than_the_history_is_gone():
    store = Store()
    store.history = type(store.history)(maxlen=3)
    for phase in "abcdef":
        store.put("pods", pod("a", phase=phase))
    with pytest.raises(Gone):
        store.events_since("pods", 1, timeout=0)


def test_owner_references_get_the_owners_uid():
    store = Store()
    store.put("replicasets.apps", {"kind": "ReplicaSet", "metadata": {
        "name": "web-1", "namespace": "default", "creationTimestamp": "x"}})
    store.put("pods", pod("web-1-abc", owner="web-1"))
    owner = store.get("replicasets.apps", "default", "web-1")["metadata"]["uid"]
    ref = store.get("pods", "default", "web-1-abc")["metadata"]["ownerReferences"][0]
    assert ref["uid"] == owner


def test_a_controllers_objects_are_found_by_its_uid_and_follow_a_changed_reference():
    store = Store()
    for name in ("web-1", "web-2"):
        store.put("replicasets.apps", {"kind": "ReplicaSet", "metadata": {
            "name": name, "namespace": "default", "creationTimestamp": "x"}})
    uid = {n: store.get("replicasets.apps", "default", n)["metadata"]["uid"]
           for n in ("web-1", "web-2")}

    def names(owner):
        return sorted(p["metadata"]["name"] for p in store.controlled(
            "pods", "default", owner and uid[owner]))

    def controlled(name, owner, phase="Running"):
        obj = pod(name, phase, owner=owner)
        obj["metadata"]["ownerReferences"][0]["controller"] = True
        return obj
    store.put("pods", controlled("a", "web-1"))
    store.put("pods", controlled("b", "web-1"))
    store.put("pods", pod("c", owner="web-2"))   # owned, not controlled
    assert (names("web-1"), names("web-2"), names(None)) == (["a", "b"], [], ["c"])
    store.put("pods", controlled("b", "web-2"))
    store.put("pods", controlled("a", "web-1", "Failed"))
    store.remove("pods", "default", "c")
    assert (names("web-1"), names("web-2"), names(None)) == (["a"], ["b"], [])
    assert store.controlled("pods", "other", uid["web-1"]) == []
    assert store.controlled("pods", "default", uid["web-1"])[0]["status"]["phase"] == \
        "Failed"


def test_a_list_is_in_name_order_as_objects_come_and_go():
    store = Store()
    for name in ("m", "b", "x"):
        store.put("pods", pod(name))
    assert [p["metadata"]["name"] for p in store.list("pods")[1]] == ["b", "m", "x"]
    store.remove("pods", "default", "b")
    store.put("pods", pod("a"))
    store.put("pods", pod("m", phase="Failed"))
    assert [p["metadata"]["name"] for p in store.list("pods")[1]] == ["a", "m", "x"]


def test_a_watch_from_before_other_resources_changes_left_the_history_goes_on():
    store = Store()
    store.history = type(store.history)(maxlen=3)
    store.put("pods", pod("a"))
    since = store.revision
    for phase in "abcdef":
        store.put("events", pod("e", phase=phase))
    assert store.events_since("pods", since, timeout=0)[0] == []
    store.put("pods", pod("a", phase="Failed"))   # now its own may have left it
    with pytest.raises(Gone):
        store.events_since("pods", since, timeout=0)


def test_a_watch_is_woken_by_a_change_of_its_resources_alone():
    import threading
    import time
    store = Store()
    seen = []
    since = store.revision
    watcher = threading.Thread(
        target=lambda: seen.append(store.changes_since(("pods",), since, 5)[0]))
    watcher.start()
    store.put("events", pod("e"))
    time.sleep(0.2)
    assert watcher.is_alive(), "an event's write ended a watch of pods"
    store.put("pods", pod("a"))
    watcher.join(5)
    assert [(resource, obj["metadata"]["name"]) for _, resource, _, obj in seen[0]] == [
        ("pods", "a")]


def test_a_batchs_writes_wake_a_watcher_once_when_it_ends():
    import threading
    store = Store()
    woken = []
    since = store.revision

    def watch():
        changes, _ = store.changes_since(("pods",), since, 5)
        woken.append(len(changes))

    watcher = threading.Thread(target=watch)
    watcher.start()
    with store.batch():
        for name in ("a", "b", "c"):
            store.put("pods", pod(name))
        assert not woken
    watcher.join(5)
    assert woken == [3], "one wake, with every write of the batch"


def test_a_batch_that_writes_nothing_wakes_nobody():
    store = Store()
    store.put("pods", pod("a"))
    wakes = []
    wake_watchers = store._wake_watchers
    store._wake_watchers = lambda: (wakes.append(1), wake_watchers())
    with store.batch():
        store.put("pods", pod("a"))   # as stored: no change
    assert wakes == []
    with store.batch():
        store.put("pods", pod("b"))
    assert wakes == [1]


def test_a_shared_object_is_served_without_its_metadata_being_the_writers():
    store = Store()
    store.put("replicasets", {"kind": "ReplicaSet", "metadata": {
        "name": "rs", "namespace": "default", "creationTimestamp": "2026-01-01T00:00:00Z"}})
    given = pod("a", owner="rs")
    served = store.put("pods", given, shared=True)
    assert served["metadata"]["ownerReferences"][0]["uid"]
    assert "uid" not in given["metadata"]["ownerReferences"][0], "the writer's stays as given"
    assert served["spec"] == given["spec"]
    assert store.put("pods", pod("a", owner="rs"), shared=True) is served, "unchanged"
