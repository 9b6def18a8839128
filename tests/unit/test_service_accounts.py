"""The service account controller against an in-memory store (no root): each
namespace that is not terminating has a `default` ServiceAccount, made again when
deleted; the strategy keeps what a client gives and refuses what the API would."""
import pytest

from topo.api.status import ApiError
from topo.api.store import Store
from topo.api.strategies import service_account
from topo.manager.loop import ControlLoop
from topo.manager.service_accounts import ServiceAccountsController


def namespace(name, phase="Active"):
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name},
            "status": {"phase": phase}}


def running(*names):
    store = Store()
    for name in names:
        store.put("namespaces", namespace(name))

    def create(ns, body):
        stored = service_account.for_create(dict(body, metadata=dict(
            body["metadata"], namespace=ns)), 0)
        store.put("serviceaccounts", stored)
    loop = ControlLoop(store, ServiceAccountsController(store, create), resync=3600)
    loop.step()
    return store, loop


def accounts(store):
    return sorted((a["metadata"]["namespace"], a["metadata"]["name"])
                  for a in store.list("serviceaccounts")[1])


def test_each_namespace_gets_a_default_account_and_a_deleted_one_comes_back():
    store, loop = running("default", "kube-system")
    assert accounts(store) == [("default", "default"), ("kube-system", "default")]
    store.put("namespaces", namespace("team-a"))
    store.remove("serviceaccounts", "default", "default")
    loop.step()
    assert accounts(store) == [("default", "default"), ("kube-system", "default"),
                               ("team-a", "default")]


def test_a_terminating_namespace_gets_none():
    store, loop = running()
    store.put("namespaces", namespace("closing", phase="Terminating"))
    loop.step()
    assert accounts(store) == []


def test_an_account_is_kept_as_given_and_a_bad_one_refused():
    body = {"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": "robot", "namespace": "default"},
            "secrets": [{"name": "robot-token"}], "automountServiceAccountToken": False}
    stored = service_account.for_create(body, 0)
    assert stored["secrets"] == [{"name": "robot-token"}]
    assert stored["automountServiceAccountToken"] is False
    with pytest.raises(ApiError) as refused:
        service_account.for_create(dict(body, secrets="robot-token"), 0)
    assert refused.value.code == 422 and "secrets" in refused.value.message
