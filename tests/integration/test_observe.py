"""observe: the flow log of the connections the nodes' conntrack saw, each end named
as the cluster names it, on every path it covers so far: same node (bridged), across
nodes (seen by both), and the connection's close and end with its counts."""
import pytest

from tests.integration.conftest import first_answer, manifest_path, wait_for
from topo.cluster import Cluster
from topo.observe.flow_log import matches
from topo.plan.manifest import parse_files


@pytest.fixture(scope="module")
def cluster():
    manifests = parse_files([manifest_path("../../topo/default-cluster.yaml")])
    with Cluster(manifests) as running:
        yield running


def _records(cluster, **filters):
    records, _ = cluster.flow_log().since(0)
    return [r for r in records if matches(r, **filters)]


def _connections(cluster, pod, **filters):
    return [r for r in _records(cluster, pod=pod, **filters)
            if r["source"].get("name") == "default/client1"]


def test_a_cross_node_connection_is_logged_at_both_nodes_with_its_pods_named(cluster):
    cluster.flow_log()
    server = cluster.pod("server2")
    result = cluster.exec("client1", "curl -s -m 5 http://%s:8080/hostname" % server.ip)
    assert result.stdout == "server2"
    wait_for(lambda: {(r["node"], r["event"]) for r in _connections(
        cluster, "server2", port=8080)} >= {("node1", "BEGAN"), ("node2", "BEGAN"),
                                            ("node1", "ANSWERED"), ("node1", "CLOSED")}, 5)
    began = [r for r in _connections(cluster, "server2", port=8080) if r["event"] == "BEGAN"]
    for record in began:
        assert record["protocol"] == "TCP"
        assert record["destination"] == {"ip": server.ip, "port": 8080,
                                         "name": "default/server2"}
        assert "translated" not in record


def test_a_same_node_connection_is_logged_at_its_node_only(cluster):
    multi = cluster.pod("multi")
    assert cluster.exec("client1", "curl -s -m 5 http://%s/hostname" % multi.ip).stdout == \
        "multi"
    wait_for(lambda: any(r["event"] == "CLOSED" for r in _connections(cluster, "multi",
                                                                        port=80)), 5)
    assert {r["node"] for r in _connections(cluster, "multi", port=80)} == {"node1"}


def test_filters_keep_only_what_they_name(cluster):
    cluster.exec("client1", "curl -s -m 5 http://%s/hostname" % cluster.pod("multi").ip)
    wait_for(lambda: _connections(cluster, "multi"), 5)
    assert not _records(cluster, pod="multi", protocol="udp", port=80)
    assert not _records(cluster, namespace="kube-system", pod="multi")
    assert all(r["node"] == "node2" for r in _records(cluster, node="node2"))


def test_a_connection_through_a_service_names_it_and_the_endpoint_it_reached(cluster):
    cluster.flow_log()
    answered = first_answer(cluster, "client1", "curl -s -m 2 http://web/hostname")
    assert answered.startswith("web-")
    endpoint = cluster.pod(answered)

    def through_web():
        return [r for r in _connections(cluster, answered, port=8080)
                if r["event"] == "BEGAN" and r.get("service") == "default/web"]
    wait_for(through_web, 5)
    for record in through_web():
        assert record["node"] == endpoint.node.name
        assert record["destination"]["ip"] == endpoint.ip
        assert record["translated_from"]["name"] == "svc:default/web"
        assert record["translated_from"]["port"] == 80


def test_a_connection_to_the_internet_shows_its_nodes_masquerade(cluster):
    cluster.flow_log()
    internet = cluster.addresses.internet.ip
    assert cluster.exec("client1", "curl -s -m 5 http://%s/hostname" % internet).stdout
    node_ip = cluster.pod("client1").node.plan.ip

    def masqueraded():
        return [r for r in _connections(cluster, "client1", port=80)
                if r["event"] == "BEGAN" and r["destination"].get("name") == "internet"
                and r["node"] == "node1"]
    wait_for(masqueraded, 5)
    record = masqueraded()[0]
    assert record["translated"]["source"]["ip"] == node_ip
    assert record["translated"]["source"]["name"] == "node:node1"
