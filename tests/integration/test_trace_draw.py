"""trace: one real packet's hops, in order, with the NAT it met; draw: a picture that
names every node, pod and Service."""
import re
import xml.etree.ElementTree as ElementTree

import pytest

from tests.integration.conftest import manifest_path
from topo.cluster import Cluster
from topo.inspect.draw import draw
from topo.errors import KubemnError
from topo.plan.manifest import parse_files
from topo.inspect.tracepath import trace

NOBODY = """
apiVersion: v1
kind: Service
metadata: {name: nobody}
spec:
  selector: {app: nobody}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: hairpin}
spec:
  selector: {app: multi}
  ports: [{port: 80}]
"""


@pytest.fixture(scope="module")
def cluster():
    manifests = parse_files([manifest_path("../../topo/default-cluster.yaml")])
    with Cluster(manifests) as running:
        running.apply_text(NOBODY)
        yield running


def hops(text):
    return [m.group(1).strip() for m in re.finditer(r"^\s*\d+\. (\S+(?: \S+)?)\s", text, re.M)]


def test_same_node_crosses_the_bridge_only(cluster):
    text = trace(cluster, "client1 multi")
    assert hops(text) == ["client1 eth0", "node1 " + cluster.pod("client1").veth, "node1 cbr0",
                          "node1 routing", "node1 " + cluster.pod("multi").veth, "multi eth0"]
    assert "ttl 64" in text.splitlines()[-2] and "answered" in text


def test_cross_node_is_routed_three_times(cluster):
    text = trace(cluster, "client1 server2")
    assert hops(text) == ["client1 eth0", "node1 " + cluster.pod("client1").veth, "node1 cbr0",
                          "node1 routing", "node1 eth0", "kmn-s1", "node2 eth0", "node2 cbr0",
                          "node2 " + cluster.pod("server2").veth, "server2 eth0"]
    assert re.search(r"server2 eth0\s+delivered\s+\S+ -> \S+ icmp type 8 ttl 61", text)
    assert "ROUTE" in text and "NAT:" not in text


def test_pod_to_service_names_the_nat_and_the_un_nat(cluster):
    text = trace(cluster, "client2 web:80")
    assert hops(text)[:6] == ["client2 eth0", "node2 " + cluster.pod("client2").veth,
                              "node2 cbr0", "node2 routing", "node2 eth0", "kmn-s1"]
    assert re.search(r"SERVICE .*ipv4_dst=10\.96\.0\.2 tcp_dst=80 -> .*group", text)
    assert re.search(r"DNAT .*nat\(dst=10\.244\.\d+\.\d+:8080\)", text)
    assert re.search(r"NAT: 10\.96\.0\.2:80 -> 10\.244\.\d+\.\d+:8080", text)
    assert re.search(r"un-NAT: 10\.244\.\d+\.\d+ -> 10\.96\.0\.2", text)
    assert hops(text)[-1].endswith(" eth0") and hops(text)[-1].startswith("web-")


def test_hairpin_shows_the_packet_entering_its_own_node_again(cluster):
    # multi, the only endpoint, is on client1's node: the switch sends the packet back.
    text = trace(cluster, "client1 hairpin:80")
    veth = {name: "node1 " + cluster.pod(name).veth for name in ("client1", "multi")}
    assert hops(text) == ["client1 eth0", veth["client1"], "node1 cbr0", "node1 routing",
                          "node1 eth0", "kmn-s1", "node1 eth0", "node1 cbr0", veth["multi"],
                          "multi eth0"], text
    # The backend sees the client's own address (no ", source ..."): ClusterIP is never
    # source-NATed between pods; the node sends the reply back through the switch.
    assert re.search(r"NAT: 10\.96\.\d+\.\d+:80 -> 10\.244\.1\.\d+:80$", text, re.M), text
    assert re.search(r"un-NAT: 10\.244\.1\.\d+ -> 10\.96\.\d+\.\d+", text), text
    assert "answered" in text


def test_internet_to_node_port(cluster):
    text = trace(cluster, "internet node1:30080")
    assert hops(text)[:2] == ["internet eth0", "kmn-s1"]
    # externalTrafficPolicy Cluster: the backend sees the node the traffic entered.
    assert re.search(r"NAT: 192\.168\.0\.1:30080 -> 10\.244\.\d+\.\d+:8080, source "
                     r"192\.168\.0\.1$", text, re.M), text
    assert "answered: 192.168.0.1:30080 -> 203.0.113.1:" in text


def test_a_service_without_endpoints_is_rejected_at_the_switch(cluster):
    text = trace(cluster, "client1 nobody:80")
    assert "REJECTED at kmn-s1" in text and "TCP reset" in text


def test_trace_refuses_bad_requests(cluster):
    for line, message in (("client1", "usage: trace"), ("client1 web:99999", "expected 1-65535"),
                          ("client1 nowhere", "is not a pod, Service or node"),
                          ("client1 web --proto tcp", "tcp needs a port")):
        with pytest.raises(KubemnError, match=message):
            trace(cluster, line)


def test_draw_names_every_node_pod_and_service(cluster, tmp_path):
    svg, png = draw(cluster, str(tmp_path / "cluster"))
    root = ElementTree.parse(svg).getroot()
    assert root.tag.endswith("svg")
    text = " ".join(t.text or "" for t in root.iter() if t.tag.endswith("text"))
    for name in list(cluster.node_plans) + [p.ref for p in cluster.pods.values()] + \
            ["svc " + s.ref for s in cluster.served_services()] + ["kmn-s1", "internet"]:
        assert name in text, name
    with open(png, "rb") as image:
        assert image.read(8) == b"\x89PNG\r\n\x1a\n"
