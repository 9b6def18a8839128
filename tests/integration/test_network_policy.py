"""NetworkPolicy truth tables in the style of Kubernetes' own e2e suite: for each
policy, applied with the real kubectl, every pod of namespaces x, y and z tries every
other (a new connection each), and the whole matrix must be the expected one. Then
the same verdicts through Services, from the internet host by ipBlock, egress and
DNS, changes enforced at once, and the refusals of the API server."""
import json
import re
import time

import pytest

from tests.integration.conftest import manifest_path
from tests.integration.reachability import probe, probe_from_pods, resolves_from, table
from topo.cli import kubectl
from topo.cluster import Cluster
from topo.inspect.policyview import pod_policy
from topo.inspect.tracepath import trace

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


def run(cluster, *args, stdin=None, check=True):
    """kubectl ARGS; then, as the e2e suite probes until a policy holds, the test waits
    until the policy agent has caught up with what kubectl wrote."""
    result = kubectl.run(cluster, list(args), input=stdin)
    cluster.wait_agents()
    if check:
        assert result.returncode == 0, result.stderr
    return result.stdout if check else result


def apply(cluster, namespace, name, spec, check=True):
    body = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec}
    return run(cluster, "apply", "-f", "-", stdin=json.dumps(body), check=check)


def pod_ips(cluster):
    return {ref: cluster.pod(ref).ip for ref in ALL}


def matrix(cluster, port=80, protocol="TCP", via=None):
    """via: None (each pod's own address), "cluster-ip" (its Service) or "node-port"
    (its Local NodePort on its node)."""
    return probe_from_pods({ref: cluster.pod(ref) for ref in ALL},
                           targets(cluster, port, via), protocol)


def targets(cluster, port=80, via=None):
    found = {}
    for index, ref in enumerate(ALL):
        namespace, name = ref.split("/")
        if via == "cluster-ip":
            found[ref] = (cluster.served_service("%s/s-%s" % (namespace, name)).cluster_ip, port)
        elif via == "node-port":
            found[ref] = (cluster.node_plans[cluster.pod(ref).node.name].ip, 30200 + index)
        else:
            found[ref] = (cluster.pod(ref).ip, port)
    return found


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
    pod = cluster.pod(ref)
    return pod.machine.call(resolves_from, pod.pause.pid, "kubernetes.default.svc.cluster.local",
                            cluster.served_service("kube-system/kube-dns").cluster_ip)


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


# --- through Services, from outside, and changes -------------------------------------

AND_POLICY = {"podSelector": {"matchLabels": {"pod": "a"}}, "ingress": [
    {"from": [{"namespaceSelector": by_name("y"),
               "podSelector": {"matchLabels": {"pod": "b"}}}]}]}
EGRESS_TO_B = {"podSelector": {"matchLabels": {"pod": "a"}}, "policyTypes": ["Egress"],
               "egress": [{"to": [{"podSelector": {"matchLabels": {"pod": "b"}}}]}]}


def test_through_a_cluster_ip_the_verdicts_are_those_of_the_pod_it_picks(cluster):
    apply(cluster, "x", "and", AND_POLICY)
    apply(cluster, "y", "to-b", EGRESS_TO_B)
    def wanted(s, t):
        return (t != "x/a" or s == "y/b") and (s != "y/a" or t == "y/b")
    assert_matrix(cluster, wanted)
    assert_matrix(cluster, wanted, via="cluster-ip")


def test_through_a_node_port_the_verdicts_are_those_of_the_pod_behind_it(cluster):
    apply(cluster, "x", "and", AND_POLICY)
    assert_matrix(cluster, lambda s, t: t != "x/a" or s == "y/b", via="node-port")


def from_internet(cluster, address):
    return probe({"internet": cluster.net["internet"].pid}, {"x/a": address})[
        ("internet", "x/a")]


def test_ip_block_with_except_judges_the_internet_host(cluster):
    node_port = (cluster.node_plans[cluster.pod("x/a").node.name].ip, 30200)
    load_balancer = (cluster.served_service("x/lb-a").lb_ip, 80)
    internet = cluster.addresses.internet.ip
    assert from_internet(cluster, node_port) and from_internet(cluster, load_balancer)
    apply(cluster, "x", "outside", {"podSelector": {"matchLabels": {"pod": "a"}}, "ingress": [
        {"from": [{"ipBlock": {"cidr": "203.0.113.0/24", "except": [internet + "/32"]}}]}]})
    assert not from_internet(cluster, node_port)
    assert not from_internet(cluster, load_balancer)
    assert_matrix(cluster, lambda s, t: t != "x/a")
    apply(cluster, "x", "outside", {"podSelector": {"matchLabels": {"pod": "a"}}, "ingress": [
        {"from": [{"ipBlock": {"cidr": "203.0.113.0/24"}}]}]})
    assert from_internet(cluster, node_port) and from_internet(cluster, load_balancer)


def test_a_change_is_enforced_for_new_connections_at_once(cluster):
    started = time.monotonic()
    apply(cluster, "x", "deny", {"podSelector": {}, "policyTypes": ["Ingress"]})
    pair = {"y/a": cluster.pod("y/a")}
    while probe_from_pods(pair, {"x/a": (cluster.pod("x/a").ip, 80)},
                          deadline=0.2)[("y/a", "x/a")]:
        assert time.monotonic() - started < ENFORCED_WITHIN_SECONDS
    assert time.monotonic() - started < ENFORCED_WITHIN_SECONDS


def test_a_new_pod_is_isolated_as_soon_as_it_runs(cluster):
    apply(cluster, "x", "same-ns", {"podSelector": {}, "ingress": [{"from": [
        {"podSelector": {}}]}]})
    run(cluster, "run", "d", "-n", "x", "--image=registry.k8s.io/e2e-test-images/agnhost:2.39",
        "--port=80", "--labels=pod=d", "--", "netexec", "--http-port=80", "--udp-port=-1")
    try:
        run(cluster, "wait", "-n", "x", "--for=condition=Ready", "pod/d", "--timeout=30s")
        new = {"x/d": (cluster.pod("x/d").ip, 80)}
        sources = {ref: cluster.pod(ref) for ref in ("x/a", "y/a")}
        assert probe_from_pods(sources, new) == {("x/a", "x/d"): True, ("y/a", "x/d"): False}
    finally:
        run(cluster, "delete", "pod", "d", "-n", "x")


def finished_phase(cluster, namespace, name, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        phase = run(cluster, "get", "pod", name, "-n", namespace, "-o",
                    "jsonpath={.status.phase}")
        if phase in ("Succeeded", "Failed"):
            return phase
        time.sleep(0.2)
    raise AssertionError("pod %s/%s still %s after %.0f s" % (namespace, name, phase, timeout))


FIRST_PACKET_PODS = 12   # each a chance to start before its policy holds


def test_new_pods_meet_their_policy_from_their_first_packet(cluster):
    """Each one's container connects the moment it starts (busybox's wget, first
    thing, as the e2e suite's probe pods do): the egress policy of namespace x must
    hold by then, and the same pods in y (no policies) must get through."""
    apply(cluster, "x", "deny-egress", {"podSelector": {}, "policyTypes": ["Egress"]})
    target = "http://%s:80/" % cluster.pod("y/a").ip
    node = cluster.pod("y/a").node.name   # its packets meet no other hop first
    names = ["first-%d" % i for i in range(FIRST_PACKET_PODS)]
    pods = [{"apiVersion": "v1", "kind": "Pod",
             "metadata": {"name": name, "namespace": namespace},
             "spec": {"restartPolicy": "Never", "nodeName": node, "containers": [{
                 "name": "wget", "image": "busybox",
                 "command": ["wget", "-q", "-T", "1", "-O", "/dev/null", target]}]}}
            for namespace in ("x", "y") for name in names]
    run(cluster, "apply", "-f", "-", stdin="\n---\n".join(map(json.dumps, pods)))
    try:
        phases = {(ns, name): finished_phase(cluster, ns, name)
                  for ns in ("x", "y") for name in names}
        assert phases == {(ns, name): "Failed" if ns == "x" else "Succeeded"
                          for ns in ("x", "y") for name in names}
    finally:
        for namespace in ("x", "y"):
            run(cluster, "delete", "pod", *names, "-n", namespace, "--ignore-not-found")


def test_a_policy_kubernetes_would_refuse_is_refused_and_nothing_changes(cluster):
    apply(cluster, "x", "p", {"podSelector": {}, "policyTypes": ["Ingress"]})
    for spec, field in (
            ({"podSelector": {}, "ingress": [{"ports": [{"port": 70000}]}]},
             "spec.ingress[0].ports[0].port"),
            ({"podSelector": {}, "ingress": [{"from": [{"ipBlock": {
                "cidr": "10.0.0.0/24", "except": ["10.1.0.0/24"]}}]}]},
             "spec.ingress[0].from[0].ipBlock.except[0]"),
            ({"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0/33"}}]}]},
             "spec.ingress[0].from[0].ipBlock.cidr"),
            ({"podSelector": {"matchExpressions": [{"key": "a", "operator": "Is"}]}},
             "spec.podSelector.matchExpressions[0].operator"),
            ({"podSelector": {}, "policyTypes": ["Inward"]}, "spec.policyTypes[0]")):
        result = apply(cluster, "x", "p", spec, check=False)
        assert result.returncode == 1 and field in result.stderr, (field, result.stderr)
        assert 'The NetworkPolicy "p" is invalid' in result.stderr
    stored = json.loads(run(cluster, "get", "networkpolicy", "p", "-n", "x", "-o", "json"))
    assert stored["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
    assert_matrix(cluster, lambda s, t: ns(t) != "x")


def test_kubectl_describe_prints_the_policy_as_kubectl_does(cluster):
    apply(cluster, "x", "and", dict(AND_POLICY, ingress=[dict(AND_POLICY["ingress"][0], ports=[
        {"protocol": "TCP", "port": 80}])]))
    text = run(cluster, "describe", "networkpolicy", "and", "-n", "x")
    for line in ("Name:         and", "Namespace:    x", "PodSelector:     pod=a",
                 "Allowing ingress traffic:", "To Port: 80/TCP",
                 "NamespaceSelector: kubernetes.io/metadata.name=y", "PodSelector: pod=b",
                 "Not affecting egress traffic", "Policy Types: Ingress"):
        assert line in text, (line, text)


def test_trace_and_the_policy_verb_name_the_policy_that_drops(cluster):
    apply(cluster, "x", "deny", {"podSelector": {}, "policyTypes": ["Ingress"]})
    text = trace(cluster, "y/a x/a:80")
    assert "DROPPED" in text
    # The node's policy table logged the drop: the hop of the component that did it.
    assert re.search(r"node\d policy table\s+dropped\s+chain ingress_10_244_\d+_\d+: no "
                     r"NetworkPolicy allows ingress to x/a \(isolated by x/deny\)", text), text
    assert re.search(r"NetworkPolicy: DROPPED by node\d's forward hook: no policy allows "
                     r"ingress to x/a from "
                     r"10\.244\.\d+\.\d+ TCP/80 \(isolated by x/deny\)", text), text
    shown = pod_policy(cluster, "x/a")
    assert "ingress: isolated by x/deny" in shown and "egress: not isolated" in shown
    assert re.search(r"chain ingress_10_244_\d+_\d+:\n.*drop", shown), shown
    apply(cluster, "x", "allow", {"podSelector": {}, "ingress": [{"from": [
        {"namespaceSelector": by_name("y")}]}]})
    assert "NetworkPolicy" not in trace(cluster, "y/a x/a:80")
    assert "allow from %s" % cluster.pod("y/a").ip in pod_policy(cluster, "x/a")


def test_policies_and_namespaces_from_manifest_files_are_kept_by_the_api(cluster):
    lines = cluster.apply_text("""
apiVersion: v1
kind: Namespace
metadata: {name: y, labels: {team: blue}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: team, namespace: x}
spec:
  podSelector: {}
  ingress: [{from: [{namespaceSelector: {matchLabels: {team: blue}}}]}]
""")
    assert lines == ["namespace/y configured",
                     "networkpolicy.networking.k8s.io/team created"]
    assert "team" in run(cluster, "get", "networkpolicy", "-n", "x")
    assert_matrix(cluster, lambda s, t: ns(t) != "x" or ns(s) == "y")
