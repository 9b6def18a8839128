"""The controller manager against an in-memory store (no root, no Mininet): the
control loop's rules (level-triggered, retried, resynced), a whole-state agent's
(the policy agent's tables, the DNS pods' Corefile: one sync for a burst of the
changes that concern it, none for others) and the namespace controller's (contents
deleted owners first, the namespace last)."""
import time

from topo.api.store import Store
from topo.api.strategies import namespace
from topo.manager.loop import Again, ControlLoop, WholeSync
from topo.manager.namespaces import NamespaceController


def obj(kind, name, ns=None, **fields):
    metadata = {"name": name, "creationTimestamp": "2026-12-02T00:00:00Z"}
    if ns:
        metadata["namespace"] = ns
    return dict({"kind": kind, "metadata": metadata}, **fields)


def settle(loop, timeout=2.0):
    """Steps the loop until nothing is queued or due again (retries included)."""
    deadline = time.monotonic() + timeout
    loop.step()
    while not loop.idle():
        assert time.monotonic() < deadline, "the loop did not settle"
        loop.step(0.01)


class Recorder:
    """A controller that records what it saw in the store when it reconciled."""
    watches = ("configmaps",)

    def __init__(self, store, fail=0):
        self.store, self.fail, self.seen = store, fail, []

    def keys(self, resource, item):
        return [item["metadata"]["name"]]

    def all_keys(self):
        return [o["metadata"]["name"] for o in self.store.list("configmaps")[1]]

    def reconcile(self, key):
        stored = self.store.get("configmaps", "default", key)
        self.seen.append((key, stored["data"]["v"] if stored else None))
        if self.fail:
            self.fail -= 1
            raise Again


def test_a_reconcile_sees_what_is_stored_now_once_for_a_burst_of_changes():
    store = Store()
    recorder = Recorder(store)
    loop = ControlLoop(store, recorder, resync=3600)
    settle(loop)
    for value in ("1", "2", "3"):
        store.put("configmaps", obj("ConfigMap", "c", "default", data={"v": value}))
    settle(loop)
    assert recorder.seen == [("c", "3")]     # the last state, not each event
    store.remove("configmaps", "default", "c")
    settle(loop)
    assert recorder.seen[-1] == ("c", None)


def test_a_running_loop_is_synced_at_once_past_changes_of_what_it_does_not_watch():
    store = Store()
    recorder = Recorder(store)
    loop = ControlLoop(store, recorder, resync=3600).start()
    try:
        store.put("configmaps", obj("ConfigMap", "c", "default", data={"v": "1"}))
        assert loop.wait_synced(store.revision, 2.0)
        assert recorder.seen[-1] == ("c", "1")
        store.put("secrets", obj("Secret", "s", "default"))   # wakes it not
        assert loop.wait_synced(store.revision, 0), "it waits for a change it does not watch"
    finally:
        loop.stop()


def test_a_key_that_is_not_done_is_tried_again_until_it_is():
    store = Store()
    store.put("configmaps", obj("ConfigMap", "c", "default", data={"v": "1"}))
    recorder = Recorder(store, fail=3)
    loop = ControlLoop(store, recorder, resync=3600)
    settle(loop)
    assert recorder.seen == [("c", "1")] * 4


def test_a_failing_reconcile_is_reported_and_retried():
    store = Store()
    store.put("configmaps", obj("ConfigMap", "c", "default", data={"v": "1"}))
    reports = []

    class Broken(Recorder):
        def reconcile(self, key):
            super().reconcile(key)
            if len(self.seen) < 2:
                raise RuntimeError("no luck")

    recorder = Broken(store)
    settle(ControlLoop(store, recorder, resync=3600, report=reports.append))
    assert len(recorder.seen) == 2 and reports == ["Broken: c: no luck"]


def test_a_whole_sync_runs_once_for_a_burst_of_changes_that_concern_it_none_for_others():
    store, synced = Store(), []
    agent = WholeSync(("configmaps", "pods"), lambda: synced.append(
        sorted(o["metadata"]["name"] for o in store.list("configmaps")[1])),
        concerns=lambda resource, item: item["metadata"]["name"] != "unrelated")
    loop = ControlLoop(store, agent, resync=3600)
    settle(loop)
    assert synced == [[]]   # at start, what there is
    store.put("configmaps", obj("ConfigMap", "a", "default", data={"v": "1"}))
    store.put("configmaps", obj("ConfigMap", "b", "default", data={"v": "1"}))
    settle(loop)
    assert synced == [[], ["a", "b"]]
    store.put("configmaps", obj("ConfigMap", "unrelated", "default", data={"v": "1"}))
    store.put("secrets", obj("Secret", "c", "default"))
    settle(loop)
    assert len(synced) == 2


def test_a_resync_looks_at_every_key_without_a_change():
    store = Store()
    store.put("configmaps", obj("ConfigMap", "c", "default", data={"v": "1"}))
    recorder = Recorder(store)
    loop = ControlLoop(store, recorder, resync=0.05)
    settle(loop)
    time.sleep(0.06)
    loop.step()
    assert recorder.seen == [("c", "1"), ("c", "1")]


# --- the namespace controller --------------------------------------------------------
CONTENTS = ("pods", "endpoints", "deployments.apps")
DELETABLE = ("deployments.apps", "pods")


class InMemoryApi:
    """Deletes as kubemn's API does them: a Deployment takes its pods with it;
    Endpoints, which no client deletes, follow their pods a step later."""

    def __init__(self, store):
        self.store, self.deleted = store, []

    def delete(self, resource, ns, name):
        self.deleted.append((resource, name))
        self.store.remove(resource, ns, name)
        if resource == "deployments.apps":
            for pod in self.store.list("pods", ns)[1]:
                if pod["metadata"].get("owner") == name:
                    self.store.remove("pods", ns, pod["metadata"]["name"])

    def endpoints_follow(self, ns):
        if not self.store.list("pods", ns)[1]:
            for item in self.store.list("endpoints", ns)[1]:
                self.store.remove("endpoints", ns, item["metadata"]["name"])


def cluster_store():
    store = Store()
    for name in ("default", "x"):
        store.put("namespaces", namespace.for_create({"metadata": {"name": name}}, 0))
    for ns in ("default", "x"):
        store.put("deployments.apps", obj("Deployment", "web", ns))
        for pod in ("web-1", "web-2"):
            item = obj("Pod", pod, ns)
            item["metadata"]["owner"] = "web"
            store.put("pods", item)
        store.put("pods", obj("Pod", "lone", ns))
        store.put("endpoints", obj("Endpoints", "web", ns))
    return store


def terminate(store, name):
    store.put("namespaces", namespace.for_delete(store.get("namespaces", "", name), 1))


def test_a_terminating_namespace_loses_its_contents_owners_first_then_goes():
    store = cluster_store()
    api = InMemoryApi(store)
    loop = ControlLoop(store, NamespaceController(store, api.delete, CONTENTS, DELETABLE),
                       resync=3600)
    settle(loop)
    assert api.deleted == []                      # nothing terminating: nothing deleted
    terminate(store, "x")
    loop.step()
    assert api.deleted == [("deployments.apps", "web"), ("pods", "lone")]
    assert store.get("namespaces", "", "x") is not None   # its Endpoints are still there
    api.endpoints_follow("x")
    settle(loop)
    assert store.get("namespaces", "", "x") is None
    assert len(store.list("pods", "default")[1]) == 3 and store.get("namespaces", "", "default")


def test_a_namespace_whose_contents_never_leave_stays_terminating():
    store = cluster_store()
    api = InMemoryApi(store)
    loop = ControlLoop(store, NamespaceController(store, api.delete, CONTENTS, DELETABLE),
                       resync=3600)
    terminate(store, "x")
    for _ in range(5):
        loop.step(0.05)
    stored = store.get("namespaces", "", "x")
    assert stored["status"]["phase"] == "Terminating" and store.list("endpoints", "x")[1]
