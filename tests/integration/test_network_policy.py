"""NetworkPolicy truth tables in the style of Kubernetes' own e2e suite: for each
policy, applied with the real kubectl, every pod of namespaces x, y and z tries every
other (a new connection each), and the whole matrix must be the expected one. Then
the same verdicts through Services, from the internet host by ipBlock, egress and
DNS, changes enforced at once, and the refusals of the API server."""
import json
import time

import dns.message
import dns.query
import pytest

from tests.integration.conftest import manifest_path
from tests.integration.reachability import probe, table
from topo.cli import kubectl
from topo.cluster import Cluster
from topo.runtime.netns import network_namespace_of

NAMESPACES = ("x", "y", "z")
PODS = ("a", "b", "c")
ALL = ["%s/%s" % (ns, pod) for ns in NAMESPACES for pod in PODS]
ENFORCED_WITHIN_SECONDS = 3.0   # the figure itself is in the benchmark


@pytest.fixture(scope="module")
def cluster():
    with Cluster.from_files([manifest_path("netpol.yaml")]) as running:
        yield running


@pytest.fixture(autouse=True)
def no_policies_after(cluster):
    yield
    for ns in NAMESPACES:
        run(cluster, "delete", "networkpolicy", "--all", "-n", ns)
        run(cluster, "label", "namespace", ns, "team-")
        for pod in PODS:
            run(cluster, "label", "pod", pod, "-n", ns, "role-")


def run(cluster, *args, stdin=None):
    result = kubectl.run(cluster, list(args), input=stdin)
    assert result.returncode == 0, result.stderr
    return result.stdout


def apply(cluster, namespace, name, spec):
    body = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec}
    run(cluster, "apply", "-f", "-", stdin=json.dumps(body))


def pod_ips(cluster):
    return {ref: cluster.pod(ref).ip for ref in ALL}


def matrix(cluster, port=80, protocol="TCP", targets=None):
    sources = {ref: cluster.pod(ref).pause.pid for ref in ALL}
    targets = targets or {ref: (ip, port) for ref, ip in pod_ips(cluster).items()}
    return probe(sources, targets, protocol)


def expect(allowed):
    """The expected matrix; a pod reaches itself over its own loopback, where no
    policy acts (the e2e suite's AllowLoopback)."""
    return {(s, t): s == t or bool(allowed(s, t)) for s in ALL for t in ALL}


def assert_matrix(cluster, allowed, **kwargs):
    found = matrix(cluster, **kwargs)
    wanted = expect(allowed)
    assert found == wanted, "expected:\n%s\nfound:\n%s" % (table(wanted, ALL, ALL),
                                                           table(found, ALL, ALL))


def ns(ref):
    return ref.split("/")[0]


def by_name(namespace):
    return {"matchLabels": {"kubernetes.io/metadata.name": namespace}}


# --- the truth tables --------------------------------------------------------------

def test_without_policies_everything_reaches_everything(cluster):
    assert_matrix(cluster, lambda s, t: True)
    assert_matrix(cluster, lambda s, t: True, port=81, protocol="UDP")


def test_default_deny_ingress_isolates_every_pod_of_the_namespace(cluster):
    apply(cluster, "x", "deny-ingress", {"podSelector": {}, "policyTypes": ["Ingress"]})
    assert_matrix(cluster, lambda s, t: ns(t) != "x")
    assert_matrix(cluster, lambda s, t: ns(t) != "x", port=80, protocol="UDP")


def test_default_deny_egress_with_dns_allowed(cluster):
    apply(cluster, "x", "deny-egress", {
        "podSelector": {}, "policyTypes": ["Egress"],
        "egress": [{"to": [{"namespaceSelector": by_name("kube-system"),
                            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                    "ports": [{"protocol": "UDP", "port": 53},
                              {"protocol": "TCP", "port": 53}]}]})
    assert_matrix(cluster, lambda s, t: ns(s) != "x")
    assert resolves(cluster, "x/a"), "DNS to kube-dns stays allowed by the rule"
    apply(cluster, "x", "deny-egress", {"podSelector": {}, "policyTypes": ["Egress"]})
    assert not resolves(cluster, "x/a"), "without the rule, DNS is denied too"
    assert resolves(cluster, "y/a")


def resolves(cluster, ref):
    query = dns.message.make_query("kubernetes.default.svc.cluster.local", "A")
    with network_namespace_of(cluster.pod(ref).pause.pid):
        try:
            answer = dns.query.udp(query, cluster.allocator.cluster_ips["kube-system/kube-dns"],
                                   timeout=1.5)
        except dns.exception.Timeout:
            return False
    return bool(answer.answer)


def test_allow_from_the_same_namespace(cluster):
    apply(cluster, "x", "same-ns", {"podSelector": {}, "ingress": [{"from": [
        {"podSelector": {}}]}]})
    assert_matrix(cluster, lambda s, t: ns(t) != "x" or ns(s) == "x")


def test_namespace_selector(cluster):
    apply(cluster, "x", "from-y", {"podSelector": {}, "ingress": [{"from": [
        {"namespaceSelector": by_name("y")}]}]})
    assert_matrix(cluster, lambda s, t: ns(t) != "x" or ns(s) == "y")


def test_pod_and_namespace_selector_in_one_peer_is_an_and(cluster):
    apply(cluster, "x", "and", {"podSelector": {"matchLabels": {"pod": "a"}}, "ingress": [
        {"from": [{"namespaceSelector": by_name("y"),
                   "podSelector": {"matchLabels": {"pod": "b"}}}]}]})
    assert_matrix(cluster, lambda s, t: t != "x/a" or s == "y/b")


def test_pod_and_namespace_selector_in_two_peers_is_an_or(cluster):
    apply(cluster, "x", "or", {"podSelector": {"matchLabels": {"pod": "a"}}, "ingress": [
        {"from": [{"namespaceSelector": by_name("y")},
                  {"podSelector": {"matchLabels": {"pod": "b"}}}]}]})
    assert_matrix(cluster, lambda s, t: t != "x/a" or ns(s) == "y" or s == "x/b")


def test_named_port_allows_only_that_port(cluster):
    apply(cluster, "x", "named", {"podSelector": {"matchLabels": {"pod": "a"}}, "ingress": [
        {"ports": [{"port": "serve-81-tcp"}]}]})
    assert_matrix(cluster, lambda s, t: t != "x/a", port=80)
    assert_matrix(cluster, lambda s, t: True, port=81)


def test_end_port_range(cluster):
    apply(cluster, "x", "range", {"podSelector": {"matchLabels": {"pod": "a"}}, "ingress": [
        {"ports": [{"protocol": "TCP", "port": 81, "endPort": 90}]}]})
    assert_matrix(cluster, lambda s, t: t != "x/a", port=80)
    assert_matrix(cluster, lambda s, t: True, port=81)


def test_udp_port_allows_udp_only(cluster):
    apply(cluster, "x", "udp", {"podSelector": {}, "ingress": [
        {"ports": [{"protocol": "UDP", "port": 80}]}]})
    assert_matrix(cluster, lambda s, t: True, port=80, protocol="UDP")
    assert_matrix(cluster, lambda s, t: ns(t) != "x", port=80, protocol="TCP")


def test_egress_to_one_pod_only(cluster):
    apply(cluster, "x", "to-b", {"podSelector": {"matchLabels": {"pod": "a"}},
                                 "policyTypes": ["Egress"],
                                 "egress": [{"to": [{"podSelector": {"matchLabels":
                                                                     {"pod": "b"}}}]}]})
    assert_matrix(cluster, lambda s, t: s != "x/a" or t == "x/b")


def test_allow_all_wins_over_deny_all(cluster):
    apply(cluster, "x", "deny", {"podSelector": {}, "policyTypes": ["Ingress"]})
    apply(cluster, "x", "allow", {"podSelector": {}, "ingress": [{}]})
    assert_matrix(cluster, lambda s, t: True)


def test_a_policy_updated_from_deny_to_allow(cluster):
    apply(cluster, "y", "p", {"podSelector": {}, "policyTypes": ["Ingress"]})
    assert_matrix(cluster, lambda s, t: ns(t) != "y")
    apply(cluster, "y", "p", {"podSelector": {}, "ingress": [{"from": [
        {"namespaceSelector": by_name("z")}]}]})
    assert_matrix(cluster, lambda s, t: ns(t) != "y" or ns(s) == "z")


def test_a_deleted_policy_stops_isolating(cluster):
    apply(cluster, "z", "deny", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})
    assert_matrix(cluster, lambda s, t: ns(s) != "z" and ns(t) != "z")
    run(cluster, "delete", "networkpolicy", "deny", "-n", "z")
    assert_matrix(cluster, lambda s, t: True)


def test_a_relabelled_pod_gains_access(cluster):
    apply(cluster, "x", "trusted", {"podSelector": {}, "ingress": [{"from": [
        {"namespaceSelector": {}, "podSelector": {"matchLabels": {"role": "trusted"}}}]}]})
    assert_matrix(cluster, lambda s, t: ns(t) != "x")
    run(cluster, "label", "pod", "b", "-n", "z", "role=trusted")
    assert_matrix(cluster, lambda s, t: ns(t) != "x" or s == "z/b")


def test_a_relabelled_namespace_gains_access(cluster):
    apply(cluster, "x", "team", {"podSelector": {}, "ingress": [{"from": [
        {"namespaceSelector": {"matchLabels": {"team": "blue"}}}]}]})
    assert_matrix(cluster, lambda s, t: ns(t) != "x")
    run(cluster, "label", "namespace", "y", "team=blue")
    assert_matrix(cluster, lambda s, t: ns(t) != "x" or ns(s) == "y")
