"""observe: the flow log of the connections the nodes' conntrack saw, each end named
as the cluster names it, on every path it covers so far: same node (bridged), across
nodes (seen by both), through a Service, DNS, a NodePort from the internet (its client
found behind the source NAT), egress; and the verdicts: a NetworkPolicy's drop with
the policy's name, a reject for want of endpoints."""
import json
import os
import select
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from tests.integration.conftest import first_answer, manifest_path, wait_for
from topo.cluster import Cluster
from topo.observe.flow_log import matches
from topo.plan.manifest import parse_files
from topo.runtime.processes import enter_argv


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
                                            ("node1", "ANSWERED"), ("node2", "ANSWERED")}, 5)
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
    wait_for(lambda: any(r["event"] == "ANSWERED" for r in _connections(cluster, "multi",
                                                                        port=80)), 5)
    assert {r["node"] for r in _connections(cluster, "multi", port=80)} == {"node1"}


def test_containers_of_one_pod_talking_over_its_loopback_are_logged_inside_it(cluster):
    ref, newly = cluster.watch_inside("multi")
    assert (ref, newly) == ("default/multi", True)
    assert cluster.watch_inside("default/multi") == ("default/multi", False)
    shell = cluster.exec("multi", "wget -q -O - http://127.0.0.1:80/hostname",
                         container="shell")
    assert shell.stdout == "multi"

    def inside():
        return [r for r in _records(cluster, pod="multi", port=80)
                if r.get("inside") == "default/multi" and r["event"] == "BEGAN"]
    wait_for(inside, 5)
    record = inside()[0]
    assert record["node"] == "node1"
    assert record["source"]["name"] == record["destination"]["name"] == "default/multi"
    assert record["destination"]["ip"] == "127.0.0.1"
    # What leaves the pod is its node's to log, not logged twice.
    cluster.exec("multi", "wget -q -O - http://%s:8080/hostname" % cluster.pod("server2").ip,
                 container="shell")
    cluster.flow_log().settle()
    assert not [r for r in _records(cluster, pod="server2") if "inside" in r]


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


def test_the_internet_hosts_packet_to_a_pod_is_logged_as_the_fabrics_drop(cluster):
    cluster.flow_log()
    server = cluster.pod("server2")
    curl = subprocess.run(enter_argv(cluster.net["internet"].pid) + [
        "curl", "-s", "-m", "1", "http://%s:8080/" % server.ip],
        capture_output=True, text=True, timeout=30)
    assert curl.returncode == 28   # nothing answers: pod addresses are not routable

    def drops():
        return [r for r in _records(cluster, pod="server2", verdict="DROPPED")
                if r["source"].get("name") == "internet"]
    wait_for(drops, 5)
    record = drops()[0]
    assert record["node"] == cluster.fabric.switches[0][0]
    assert record["destination"] == {"ip": server.ip, "port": 8080, "name": "default/server2"}
    assert "only NodePorts, LoadBalancer and external IPs are reachable" in record["reason"]


HELPERS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "helpers")
BURST = 1000


def test_a_burst_of_a_thousand_connections_is_a_thousand_flows_in_the_log(cluster):
    collector = cluster.flow_log()
    _, start = collector.since(0)
    lost = collector.lost
    server = cluster.pod("server2")
    burst = cluster.exec("client1", [sys.executable, os.path.join(HELPERS, "http_loop.py"),
                                     "burst", str(BURST), "http://%s:8080/hostname" % server.ip],
                         timeout=120)
    assert json.loads(burst.stdout) == {"counts": {"server2": BURST}, "errors": 0}

    def began_at(node):
        records, _ = collector.since(start)
        return {r["source"]["port"] for r in records if r["event"] == "BEGAN" and
                r["node"] == node and r["source"].get("name") == "default/client1" and
                r["destination"] == {"ip": server.ip, "port": 8080, "name": "default/server2"}}
    wait_for(lambda: len(began_at("node1")) == len(began_at("node2")) == BURST, 10)
    assert collector.lost == lost, "the kernel dropped messages for the log"


def test_a_dns_query_names_cluster_dns_and_the_coredns_pod_that_answered(cluster):
    cluster.flow_log()
    assert cluster.exec("client1", "nslookup web.default.svc.cluster.local").returncode == 0

    def answered_by_coredns():
        return [r for r in _connections(cluster, "client1", protocol="udp", port=53)
                if r.get("service") == "kube-system/kube-dns"]
    wait_for(answered_by_coredns, 5)
    record = answered_by_coredns()[0]
    assert record["destination"]["name"].startswith("kube-system/coredns-")
    assert record["translated_from"]["name"] == "svc:kube-system/kube-dns"


def test_a_nodeport_from_the_internet_shows_the_client_behind_the_source_nat(cluster):
    cluster.flow_log()
    node1 = cluster.node_plans["node1"].ip
    curl = subprocess.run(enter_argv(cluster.net["internet"].pid) + [
        "curl", "-s", "-m", "5", "http://%s:30080/hostname" % node1],
        capture_output=True, text=True, timeout=30)
    assert curl.stdout.startswith("web-"), curl
    endpoint = cluster.pod(curl.stdout)

    def from_the_internet():
        return [r for r in _records(cluster, pod=curl.stdout, port=8080)
                if r["event"] == "BEGAN" and r.get("client", {}).get("name") == "internet"]
    wait_for(from_the_internet, 5)
    record = from_the_internet()[0]
    assert record["node"] == endpoint.node.name
    assert record["source"] == {"ip": node1, "port": record["source"]["port"],
                                "name": "node:node1"}   # externalTrafficPolicy Cluster
    assert record["service"] == "default/web-nodeport"
    assert record["translated_from"] == {"ip": node1, "port": 30080, "name": "node:node1"}


def test_a_networkpolicy_drop_is_logged_with_the_policy_that_isolates(cluster):
    cluster.flow_log()
    server = cluster.pod("server2")
    cluster.apply_text("""
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: server-ingress-denied}
spec:
  podSelector: {matchLabels: {app: server}}
  policyTypes: [Ingress]
""")
    try:
        dropped = cluster.exec("client1", "curl -s -m 2 http://%s:8080/hostname" % server.ip)
        assert dropped.returncode == 28

        def drops():
            return [r for r in _connections(cluster, "server2", port=8080,
                                            verdict="DROPPED")]
        wait_for(drops, 5)
        record = drops()[0]
        assert record["node"] == "node2" and record["tcp_flags"] == ["SYN"]
        assert record["policies"] == ["default/server-ingress-denied"]
        assert record["reason"] == ("no NetworkPolicy allows ingress to default/server2 "
                                    "(isolated by default/server-ingress-denied)")
        # It was dropped at once, not a second later: the log's time is the drop's.
        began = [r for r in _connections(cluster, "server2", port=8080) if
                 r["event"] == "BEGAN" and r["source"]["port"] == record["source"]["port"]]
        assert began and record["time"] - began[0]["time"] < 0.5
    finally:
        cluster.delete("networkpolicy", "server-ingress-denied")
    assert cluster.exec("client1", "curl -s -m 5 http://%s:8080/hostname"
                        % server.ip).stdout == "server2"


def test_a_service_without_endpoints_is_rejected_by_the_fabric_and_logged(cluster):
    cluster.flow_log()
    cluster.apply_text("""
apiVersion: v1
kind: Service
metadata: {name: nobody-home}
spec:
  selector: {app: nobody-home}
  ports: [{port: 80}]
""")
    try:
        refused = cluster.exec("client1", "curl -s -m 2 http://nobody-home/")
        assert refused.returncode == 7   # connection refused: the fabric's reset

        def rejects():
            return [r for r in _records(cluster, pod="client1", verdict="REJECTED")
                    if r["destination"].get("name") == "svc:default/nobody-home"]
        wait_for(rejects, 5)
        record = rejects()[0]
        assert record["node"] == cluster.fabric.switch_of("node1")
        assert record["destination"]["port"] == 80 and record["tcp_flags"] == ["SYN"]
        assert record["reason"] == "no ready endpoint behind svc:default/nobody-home port 80/TCP"
    finally:
        cluster.delete("service", "nobody-home")


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _kubemn(*args, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "topo.main"] + list(args), cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def test_kubemn_observe_in_another_shell_follows_the_flow_log(cluster):
    server = cluster.pod("server2")
    follower = _kubemn("observe", "-f", "--last", "0", "--pod", "server2", "--port", "8080")
    try:
        line = ""
        deadline = time.monotonic() + 15
        while "default/client1" not in line and time.monotonic() < deadline:
            cluster.exec("client1", "curl -s -m 2 http://%s:8080/hostname" % server.ip)
            if select.select([follower.stdout], [], [], 0.5)[0]:
                line = follower.stdout.readline()
        assert "default/client1" in line and "default/server2 (%s:8080)" % server.ip in line
    finally:
        follower.terminate()
        follower.wait(10)
    shown = _kubemn("observe", "--last", "3", "--pod", "server2", "-o", "json")
    out, _ = shown.communicate(timeout=30)
    records = [json.loads(line) for line in out.splitlines()]
    assert len(records) == 3 and all(r["destination"]["name"] == "default/server2" or
                                     r["source"]["name"] == "default/server2" for r in records)
    table = _kubemn("observe", "--last", "2", "--pod", "server2", "-o", "table")
    out, _ = table.communicate(timeout=30)
    header, *rows = out.splitlines()
    assert header.split()[:4] == ["TIME", "NODE", "EVENT", "VERDICT"] and len(rows) == 2
    assert all("default/server2" in row for row in rows)


def test_bad_observe_options_get_one_line_in_the_shell_and_a_400_from_the_api(cluster):
    refused = _kubemn("observe", "--port", "99999")
    _, err = refused.communicate(timeout=30)
    assert refused.returncode == 1
    assert err == "kubemn: error: observe: --port 99999 is out of range (1-65535)\n"
    token = cluster.api.token
    context = ssl.create_default_context(cafile=cluster.api.cert)
    for query, said in (("output=json", "unknown parameter 'output'"),
                        ("verdict=LOST", "invalid choice")):
        request = urllib.request.Request(cluster.api.url + "/kubemn/v1/flows?" + query,
                                         headers={"Authorization": "Bearer " + token})
        with pytest.raises(urllib.error.HTTPError) as refusal:
            urllib.request.urlopen(request, context=context, timeout=10)
        assert refusal.value.code == 400
        assert said in json.loads(refusal.value.read())["message"]
    anonymous = urllib.request.Request(cluster.api.url + "/kubemn/v1/flows")
    with pytest.raises(urllib.error.HTTPError) as refusal:
        urllib.request.urlopen(anonymous, context=context, timeout=10)
    assert refusal.value.code == 401
