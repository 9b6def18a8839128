"""The browser view's pure parts: the cluster's map from API objects, and the flow
log's digest (each connection once, gathered into edges, the busiest kept)."""
from topo.ui import flow_digest
from topo.ui.cluster_map import cluster_map
from topo.ui.flow_digest import FlowDigest


def pod(name, ip, node, labels=None, ready=True, namespace="default"):
    return {"metadata": {"name": name, "namespace": namespace, "labels": labels or {}},
            "spec": {"nodeName": node, "containers": []},
            "status": {"podIP": ip, "phase": "Running",
                       "conditions": [{"type": "Ready", "status": str(ready)}]}}


NODES = [{"metadata": {"name": "node1"}, "spec": {"podCIDR": "10.244.1.0/24"},
          "status": {"addresses": [{"type": "InternalIP", "address": "192.168.0.1"}],
                     "conditions": [{"type": "Ready", "status": "True"}]}}]
PODS = [pod("web-1", "10.244.1.5", "node1", {"app": "web"}),
        pod("web-2", "10.244.1.6", "node1", {"app": "web"}, ready=False),
        pod("client", "10.244.1.7", "node1")]
SERVICES = [{"metadata": {"name": "web", "namespace": "default"},
             "spec": {"type": "NodePort", "clusterIP": "10.96.0.2",
                      "ports": [{"port": 80, "protocol": "TCP", "nodePort": 30080}]}}]
SLICES = [{"metadata": {"name": "web-x", "namespace": "default",
                        "labels": {"kubernetes.io/service-name": "web"}},
           "endpoints": [{"addresses": ["10.244.1.5"], "conditions": {"ready": True},
                          "targetRef": {"kind": "Pod", "name": "web-1", "namespace": "default"}},
                         {"addresses": ["10.244.1.6"], "conditions": {"ready": False},
                          "targetRef": {"kind": "Pod", "name": "web-2",
                                        "namespace": "default"}}]}]
POLICIES = [{"metadata": {"name": "web-only", "namespace": "default"},
             "spec": {"podSelector": {"matchLabels": {"app": "web"}},
                      "policyTypes": ["Ingress"]}}]
NAMESPACES = [{"metadata": {"name": "default"}}]


def test_the_map_has_nodes_pods_services_with_ready_endpoints_and_policies():
    drawn = cluster_map(PODS, SERVICES, SLICES, NODES, POLICIES, NAMESPACES, "203.0.113.1")
    assert drawn["nodes"] == [{"name": "node1", "podCIDR": "10.244.1.0/24",
                               "ip": "192.168.0.1", "ready": True}]
    by_ref = {p["ref"]: p for p in drawn["pods"]}
    assert by_ref["default/web-1"]["isolated"] == {"ingress": ["default/web-only"],
                                                   "egress": []}
    assert by_ref["default/client"]["isolated"] == {"ingress": [], "egress": []}
    assert not by_ref["default/web-2"]["ready"] and by_ref["default/web-1"]["ready"]
    (web,) = drawn["services"]
    assert (web["ref"], web["clusterIP"], web["nodePorts"], web["endpoints"]) == \
        ("default/web", "10.96.0.2", [30080], ["default/web-1"])
    assert drawn["policies"] == [{"ref": "default/web-only", "types": ["Ingress"],
                                  "selects": ["default/web-1", "default/web-2"]}]
    assert drawn["internet"] == "203.0.113.1"


def record(event, sport, node="node1", time=100.0, verdict="FORWARDED", **more):
    entry = {"time": time, "node": node, "event": event, "verdict": verdict,
             "protocol": "TCP", "source": {"ip": "10.244.1.7", "port": sport,
                                           "name": "default/client"},
             "destination": {"ip": "10.244.2.3", "port": 8080, "name": "default/server"}}
    entry.update(more)
    return entry


def test_a_connection_seen_at_two_nodes_and_its_later_events_count_once():
    digest = FlowDigest()
    digest.add([record("BEGAN", 1), record("BEGAN", 1, node="node2"),
                record("ANSWERED", 1), record("BEGAN", 2)])
    taken = digest.take(100.1)
    assert taken["edges"] == [{"from": "default/client", "to": "default/server",
                               "verdict": "FORWARDED", "count": 2}]
    assert [r["source"]["port"] for r in taken["recent"]] == [1, 2]
    assert not digest.fresh and digest.take(100.2)["edges"] == []


def test_a_drop_sent_again_is_one_drop_with_its_policies_and_a_service_is_drawn_to_its_endpoint():
    digest = FlowDigest()
    reason = "no NetworkPolicy allows ingress to default/server (isolated by default/deny)"
    drops = [record("DROPPED", 3, node="node2", time=t, verdict="DROPPED", reason=reason,
                    policies=["default/deny"]) for t in (100.0, 101.0, 103.0)]
    through = record("BEGAN", 4, service="default/web")
    digest.add(drops + [through])
    edges = {(e["from"], e["verdict"]): e for e in digest.take(104)["edges"]}
    drop = edges[("default/client", "DROPPED")]
    assert (drop["count"], drop["reason"], drop["policies"]) == (1, reason, ["default/deny"])
    assert edges[("svc:default/web", "FORWARDED")]["to"] == "default/server"
    digest.add([record("DROPPED", 3, node="node2", time=110.0, verdict="DROPPED")])
    assert digest.take(110.1)["edges"][0]["count"] == 1   # long after: a new attempt


def test_only_the_busiest_edges_are_sent_and_the_rest_counted(monkeypatch):
    monkeypatch.setattr(flow_digest, "EDGES", 2)
    digest = FlowDigest()
    for sport, server in enumerate(["a"] * 3 + ["b"] * 2 + ["c"]):
        entry = record("BEGAN", sport)
        entry["destination"] = {"ip": "10.244.2.9", "port": 80, "name": "default/" + server}
        digest.add([entry])
    taken = digest.take(101)
    assert [(e["to"], e["count"]) for e in taken["edges"]] == [("default/a", 3),
                                                              ("default/b", 2)]
    assert taken["more"] == 1
