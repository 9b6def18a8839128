"""What a node's kubelet port answers (topo/kubelet/endpoints.py), as nodes/NAME/proxy
relays it: health, the node's pods, and its containers' logs with Go's listings."""
import json

from topo.kubelet.endpoints import answer, log_name

LOGS = {log_name("default", "web-1", "nginx"): "/run/kubemn/x/pods/web-1/nginx.log"}


def test_health_and_the_nodes_pods_as_a_pod_list():
    assert answer("/healthz", [], {})[:3] == (200, "text/plain; charset=utf-8", "ok")
    status, kind, text, _ = answer("/pods", [{"metadata": {"name": "web-1"}}], {})
    assert (status, kind) == (200, "application/json")
    assert [p["metadata"]["name"] for p in json.loads(text)["items"]] == ["web-1"]


def test_logs_are_listed_as_a_nodes_var_log_containers_and_read_by_name():
    assert answer("/logs/", [], LOGS)[2] == '<pre>\n<a href="containers/">containers/</a>\n</pre>\n'
    assert 'href="web-1_default_nginx.log"' in answer("/logs/containers/", [], LOGS)[2]
    assert answer("/logs/containers/web-1_default_nginx.log", [], LOGS)[3] == \
        "/run/kubemn/x/pods/web-1/nginx.log"
    assert answer("/logs/containers/../../etc/passwd", [], LOGS)[0] == 404
    assert answer("/metrics", [], LOGS)[0] == 404
