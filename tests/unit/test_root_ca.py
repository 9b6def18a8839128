"""The root CA certificate publisher against an in-memory store (no root): each
namespace that is not terminating has `kube-root-ca.crt` with the API's certificate,
made again when deleted and put back when changed."""
from topo.api.store import Store
from topo.api.strategies import config_map
from topo.manager.loop import ControlLoop
from topo.manager.root_ca import CA_CONFIG_MAP as NAME, RootCAPublisher

CERTIFICATE = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def namespace(name, phase="Active"):
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name},
            "status": {"phase": phase}}


def test_each_namespace_gets_the_certificate_and_keeps_it():
    store = Store()
    for name in ("default", "team"):
        store.put("namespaces", namespace(name))
    store.put("namespaces", namespace("closing", phase="Terminating"))

    def write(ns, body, exists):
        store.put("configmaps", config_map.for_create(dict(body, metadata=dict(
            body["metadata"], namespace=ns)), 0))
    loop = ControlLoop(store, RootCAPublisher(store, CERTIFICATE, write), resync=3600)
    loop.step()
    published = {c["metadata"]["namespace"]: c["data"] for c in store.list("configmaps")[1]}
    assert published == {"default": {"ca.crt": CERTIFICATE}, "team": {"ca.crt": CERTIFICATE}}
    changed = store.get("configmaps", "team", NAME)
    store.put("configmaps", dict(changed, data={"ca.crt": "forged"}))
    store.remove("configmaps", "default", NAME)
    loop.step()
    assert store.get("configmaps", "team", NAME)["data"] == {"ca.crt": CERTIFICATE}
    assert store.get("configmaps", "default", NAME)["data"] == {"ca.crt": CERTIFICATE}
