"""NetworkPolicy's figures: how soon a policy written through the API is enforced for
new connections, and what 100 policies selecting a server cost its connection rate.
Bounded in count and time; the cluster's API stays on the machine's loopback."""
import json
import socket
import ssl
import statistics
import time
import urllib.request

import yaml

from bench import scenarios
from topo.runtime.netns import network_namespace_of

CONNECT_TIMEOUT = 0.05
GIVE_UP_SECONDS = 5.0


def _request(cluster, method, path, body=None):
    token = yaml.safe_load(open(cluster.kubeconfig))["users"][0]["user"]["token"]
    request = urllib.request.Request(
        cluster.api.url + path, method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    context = ssl.create_default_context(cafile=cluster.api.cert)
    with urllib.request.urlopen(request, context=context, timeout=10) as answer:
        return answer.read()


def _connects(pid, address):
    with network_namespace_of(pid):
        sock = socket.socket()
    sock.settimeout(CONNECT_TIMEOUT)
    try:
        return sock.connect_ex(address) == 0
    finally:
        sock.close()


POLICIES = "/apis/networking.k8s.io/v1/namespaces/default/networkpolicies"


def _policy(name, spec):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name}, "spec": spec}


def _until(pid, address, reachable, started):
    """Seconds from started until a new connection's fate is `reachable`."""
    while time.monotonic() - started < GIVE_UP_SECONDS:
        attempt = time.monotonic()
        if _connects(pid, address) == reachable:
            return attempt - started
    return float("nan")


def change_to_enforced_ms(cluster, runs):
    """Median milliseconds from a policy's POST (deny the sink) to the first refused
    new connection, and from its DELETE to the first allowed one."""
    pid = cluster.pod("source").pause.pid
    address = (cluster.pod("sink").ip, 8080)
    figures = []
    for _ in range(runs):
        started = time.monotonic()
        _request(cluster, "POST", POLICIES, _policy("deny-sink", {
            "podSelector": {"matchLabels": {"app": "sink"}}, "policyTypes": ["Ingress"]}))
        figures.append(_until(pid, address, False, started))
        started = time.monotonic()
        _request(cluster, "DELETE", POLICIES + "/deny-sink")
        figures.append(_until(pid, address, True, started))
    return statistics.median(figures) * 1000


def many_policies(count):
    """count policies selecting the sink; the connection is allowed by the last one
    only, so each new connection crosses every rule before it."""
    docs = [_policy("p-%03d" % i, {
        "podSelector": {"matchLabels": {"app": "sink"}},
        "ingress": [{"from": [{"ipBlock": {"cidr": "10.250.%d.0/24" % i}}],
                     "ports": [{"port": 8080}]}]}) for i in range(count - 1)]
    docs.append(_policy("p-last", {"podSelector": {"matchLabels": {"app": "sink"}},
                                   "ingress": [{"ports": [{"port": 8080}]}]}))
    return docs


def rate_with_policies(cluster, count, runs, seconds):
    """(rate with none, rate with count policies selecting the server), alternating."""
    address = cluster.pod("sink").ip
    without, with_policies = [], []
    for _ in range(runs):
        without.append(scenarios.connection_rate(cluster, address, 8080, seconds))
        for doc in many_policies(count):
            _request(cluster, "POST", POLICIES, doc)
        with_policies.append(scenarios.connection_rate(cluster, address, 8080, seconds))
        _request(cluster, "DELETE", POLICIES)
    return statistics.median(without), statistics.median(with_policies)
