"""The browser view in a real browser (headless Chromium): the page shows the
cluster, a connection between two pods appears on the map, a NetworkPolicy's drop
appears as a drop with the policy's name, a deleted pod leaves the map, a pod's
details and a trace; and the view's server refuses what it must (no token, bad
input), on loopback only."""
import json
import time
import urllib.error
import urllib.request

import pytest

from tests.integration.browser import screenshot, start_browser, until
from tests.integration.conftest import manifest_path, wait_for
from topo.cluster import Cluster
from topo.plan.manifest import parse_files

FLOW = "return document.querySelector(arguments[0]) !== null"


@pytest.fixture(scope="module")
def cluster():
    manifests = parse_files([manifest_path("../../topo/default-cluster.yaml")])
    with Cluster(manifests) as running:
        yield running


@pytest.fixture(scope="module")
def page(cluster):
    browser = start_browser()
    try:
        browser.get(cluster.browser_view().url)
        until(browser, "return window.kubemn.firstPaint", 10)
        yield browser
    finally:
        browser.quit()


def _pods_drawn(page):
    return page.execute_script(
        "return [...document.querySelectorAll('circle.pod')].map(c => c.dataset.pod)")


def test_the_page_shows_the_nodes_pods_and_services(cluster, page):
    every = sorted("%s/%s" % (p.namespace, p.name) for p in cluster.pods.values())
    wait_for(lambda: sorted(_pods_drawn(page)) == every, 5)
    nodes = page.execute_script(
        "return [...document.querySelectorAll('[data-node]')].map(g => g.dataset.node)")
    assert sorted(nodes) == sorted(cluster.node_plans)
    web = page.execute_script("return document.querySelector('[data-service=\"default/web\"]')"
                              ".textContent")
    assert cluster.served_service("web").cluster_ip in web
    assert "3 endpoints" in web
    screenshot(page, "ui-cluster.png")


def test_a_connection_between_two_pods_appears_on_the_map(cluster, page):
    server = cluster.pod("server2")
    assert cluster.exec("client1", "curl -s -m 5 http://%s:8080/hostname"
                        % server.ip).stdout == "server2"
    until(page, FLOW, 5, '.flow.FORWARDED[data-from="default/client1"]'
                         '[data-to="default/server2"]')
    listed = page.execute_script("return document.getElementById('recent').textContent")
    assert "default/client1" in listed and "default/server2 (%s:8080)" % server.ip in listed


def test_a_networkpolicy_drop_appears_as_a_drop_with_the_policys_name(cluster, page):
    cluster.apply_text("""
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-server}
spec:
  podSelector: {matchLabels: {app: server}}
  policyTypes: [Ingress]
""")
    try:
        until(page, FLOW, 5, 'circle.pod.isolated[data-pod="default/server2"]')
        listed = page.execute_script("return document.querySelector("
                                     "'[data-policy=\"default/deny-server\"]').textContent")
        assert "(Ingress)" in listed and "default/server2" in listed
        ip = cluster.pod("server2").ip
        assert cluster.exec("client1", "curl -s -m 1 http://%s:8080/" % ip).returncode == 28
        drop = '.flow.DROPPED[data-from="default/client1"][data-to="default/server2"]'
        until(page, FLOW, 5, drop)
        assert page.execute_script("return document.querySelector(arguments[0]).dataset"
                                   ".policies", drop) == "default/deny-server"
        listed = page.execute_script(
            "return [...document.querySelectorAll('#recent li[data-verdict=DROPPED]')]"
            ".map(li => li.textContent).join('\\n')")
        assert "isolated by default/deny-server" in listed
        screenshot(page, "ui-drop.png")
    finally:
        cluster.delete("networkpolicy", "deny-server")
    until(page, FLOW, 5, 'circle.pod:not(.isolated)[data-pod="default/server2"]')


def test_a_new_pod_joins_the_map_and_a_deleted_one_leaves_it(cluster, page):
    cluster.apply_text("""
apiVersion: v1
kind: Pod
metadata: {name: visitor}
spec:
  containers: [{name: sleep, image: busybox, command: [sleep, "3600"]}]
""")
    until(page, FLOW, 10, 'circle.pod[data-pod="default/visitor"]')
    cluster.delete("pod", "visitor")
    until(page, "return document.querySelector('circle.pod[data-pod=\"default/visitor\"]') "
                "=== null", 10)


def test_a_pods_details_its_flows_and_a_trace(cluster, page):
    cluster.exec("client1", "curl -s -m 5 http://web/hostname")
    page.find_element("css selector", 'circle.pod[data-pod="default/client1"]').click()
    until(page, "return document.getElementById('details-title').textContent === "
                "'default/client1'", 5)
    fields = page.execute_script("return document.getElementById('details-fields')"
                                 ".textContent")
    assert cluster.pod("client1").ip in fields and "node1" in fields
    until(page, "return document.getElementById('details-flows').children.length > 0", 5)
    page.find_element("id", "trace-to").send_keys("server2:8080")
    page.find_element("css selector", "#trace-form button").click()
    text = until(page, "const t = document.getElementById('trace-output').textContent;"
                       "return t.startsWith('tracing') ? null : t", 30)
    assert "answered" in text, text
    hops = until(page, "const p = document.querySelector('.trace-path.answered');"
                       "return p && Number(p.dataset.hops)", 5)
    assert hops >= 4   # client1, node1, node2, server2
    screenshot(page, "ui-details.png")


def _get(cluster, path, method="GET"):
    view = cluster.browser_view()
    url = "http://127.0.0.1:%d%s" % (view.httpd.server_address[1], path)
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method),
                                    timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as refusal:
        return refusal.code, json.loads(refusal.read())["error"]


def test_the_view_wants_its_token_and_refuses_bad_input_with_4xx(cluster):
    view = cluster.browser_view()
    assert view.httpd.server_address[0] == "127.0.0.1"
    token = view.token
    assert _get(cluster, "/")[0] == 403
    assert _get(cluster, "/events?token=wrong")[0] == 403
    assert _get(cluster, "/?token=" + token)[0] == 200
    for path, code, said in (
            ("/pod?token=%s" % token, 400, "'pod' is missing"),
            ("/pod?token=%s&pod=nobody" % token, 404, "pod default/nobody not found"),
            ("/trace?token=%s&from=client1" % token, 400, "'to' is missing"),
            ("/trace?token=%s&from=client1&to=server2:99999" % token, 400, "99999"),
            ("/static/../server.py?token=%s" % token, 404, "no such page"),
            ("/nothing?token=%s" % token, 404, "no such page")):
        assert _get(cluster, path) == (code, _get(cluster, path)[1]), path
        status, message = _get(cluster, path)
        assert status == code and said in message, (path, status, message)
    assert _get(cluster, "/?token=" + token, method="POST")[0] == 405
    started = time.monotonic()
    status, body = _get(cluster, "/pod?token=%s&pod=default/client1" % token)
    assert status == 200 and json.loads(body)["pod"]["ip"] == cluster.pod("client1").ip
    assert time.monotonic() - started < 10
