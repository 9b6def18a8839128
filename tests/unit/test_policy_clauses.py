"""What NetworkPolicies allow, decided for one connection at a time without a
cluster: isolation per direction, the union of rules, peers (AND within one, OR
between them), named ports, endPort ranges and ipBlocks; and the nftables table a
node gets from the same clauses."""
from topo.policy import nft
from topo.policy.clauses import (PodInfo, egress_clauses, ingress_clauses,
                                 namespace_labels, verdict)
from topo.policy.spec import parse_policy
from topo.policy.view import isolators, with_starting

PORTS = (("serve-80-tcp", "TCP", 80), ("serve-81-tcp", "TCP", 81), ("dns", "UDP", 53))
PODS = [PodInfo(ns, name, "10.244.%d.%d" % (i % 2 + 1, i + 2), "node%d" % (i % 2 + 1),
                (("pod", name),), PORTS)
        for i, (ns, name) in enumerate((ns, n) for ns in "xyz" for n in "abc")]
NAMESPACES = {n: namespace_labels(n, {"team": "blue"} if n == "y" else {}) for n in "xyz"}


def pod(ref):
    return next(p for p in PODS if p.ref == ref)


def policy(namespace, spec):
    return parse_policy({"metadata": {"name": "p-%d" % id(spec), "namespace": namespace},
                         "spec": spec})


def allowed(policies, source, target, port=80, protocol="TCP"):
    """Both directions: the source's egress and the target's ingress."""
    src, dst = pod(source), pod(target)
    out = egress_clauses(src, policies, PODS, NAMESPACES)
    into = ingress_clauses(dst, policies, PODS, NAMESPACES)
    return verdict(out, dst.ip, protocol, port)[0] and verdict(into, src.ip, protocol, port)[0]


def test_a_pod_no_policy_selects_is_not_isolated():
    policies = [policy("x", {"podSelector": {"matchLabels": {"pod": "a"}}})]
    assert ingress_clauses(pod("x/b"), policies, PODS, NAMESPACES) is None
    assert not allowed(policies, "y/a", "x/a") and allowed(policies, "y/a", "x/b")


def test_an_ingress_policy_does_not_isolate_egress():
    policies = [policy("x", {"podSelector": {}})]
    assert allowed(policies, "x/a", "y/a") and not allowed(policies, "y/a", "x/a")


def test_rules_add_up_across_policies():
    policies = [policy("x", {"podSelector": {}, "ingress": [{"from": [
        {"namespaceSelector": {"matchLabels": {"team": "blue"}}}]}]}),
        policy("x", {"podSelector": {}, "ingress": [{"from": [{"podSelector": {}}]}]})]
    assert allowed(policies, "y/c", "x/a") and allowed(policies, "x/b", "x/a")
    assert not allowed(policies, "z/a", "x/a")


def test_one_peer_with_both_selectors_is_an_and_two_peers_an_or():
    both = {"namespaceSelector": {"matchLabels": {"team": "blue"}},
            "podSelector": {"matchLabels": {"pod": "b"}}}
    one = [policy("x", {"podSelector": {}, "ingress": [{"from": [both]}]})]
    assert allowed(one, "y/b", "x/a") and not allowed(one, "y/a", "x/a")
    assert not allowed(one, "x/b", "x/a")
    two = [policy("x", {"podSelector": {}, "ingress": [{"from": [
        {"namespaceSelector": both["namespaceSelector"]},
        {"podSelector": both["podSelector"]}]}]})]
    assert allowed(two, "y/a", "x/a") and allowed(two, "x/b", "x/a")
    assert not allowed(two, "z/b", "x/a"), "a podSelector alone means the policy's namespace"


def test_named_ports_and_end_port_ranges():
    named = [policy("x", {"podSelector": {}, "ingress": [{"ports": [{"port": "serve-81-tcp"}]}]})]
    assert allowed(named, "y/a", "x/a", 81) and not allowed(named, "y/a", "x/a", 80)
    ranged = [policy("x", {"podSelector": {}, "ingress": [{"ports": [
        {"port": 81, "endPort": 90}]}]})]
    assert allowed(ranged, "y/a", "x/a", 90) and not allowed(ranged, "y/a", "x/a", 91)
    udp = [policy("x", {"podSelector": {}, "ingress": [{"ports": [{"protocol": "UDP"}]}]})]
    assert allowed(udp, "y/a", "x/a", 53, "UDP") and not allowed(udp, "y/a", "x/a", 53)


def test_egress_named_ports_are_the_destinations():
    policies = [policy("x", {"podSelector": {"matchLabels": {"pod": "a"}},
                             "policyTypes": ["Egress"],
                             "egress": [{"ports": [{"port": "dns", "protocol": "UDP"}]}]})]
    assert allowed(policies, "x/a", "z/c", 53, "UDP")
    assert not allowed(policies, "x/a", "z/c", 80)


def test_ip_blocks_with_except():
    policies = [policy("x", {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {
        "cidr": "203.0.113.0/24", "except": ["203.0.113.1/32"]}}]}]})]
    clauses = ingress_clauses(pod("x/a"), policies, PODS, NAMESPACES)
    assert verdict(clauses, "203.0.113.9", "TCP", 80) == (True, "x/" + policies[0].name)
    assert verdict(clauses, "203.0.113.1", "TCP", 80) == (False, None)


def test_a_node_table_checks_ingress_of_its_own_pods_and_egress_of_every_pod():
    class Node:
        name, ip, pod_cidr, bridge_ip = "node1", "192.168.0.1", "10.244.1.0/24", "10.244.1.1"
    policies = [policy("x", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})]
    ingress = {p.ip: ingress_clauses(p, policies, PODS, NAMESPACES) for p in PODS}
    egress = {p.ip: egress_clauses(p, policies, PODS, NAMESPACES) for p in PODS}
    text = nft.node_table(Node, ("10.244.0.0/16", "10.96.0.0/12"), "169.254.169.5", PODS,
                          ingress, egress, isolators(PODS, policies))
    isolated = [p for p in PODS if p.namespace == "x"]
    for p in isolated:
        assert ("chain %s " % nft.chain_name("egress", p)) in text
        assert (("chain %s " % nft.chain_name("ingress", p)) in text) == (p.node == "node1")
    assert "ct state established,related accept" in text
    local = next(p for p in isolated if p.node == "node1")
    assert 'log group 1 prefix "ingress %s %s" counter drop' % (local.ip, policies[0].name) \
        in text


def test_a_drop_prefix_names_the_pod_and_its_isolating_policies_within_the_kernels_bytes():
    assert nft.drop_prefix("ingress", "10.244.1.2", ["deny", "allow-db"]) == \
        "ingress 10.244.1.2 deny,allow-db"
    assert nft.parse_drop_prefix("ingress 10.244.1.2 deny,allow-db") == \
        ("ingress", "10.244.1.2", ["deny", "allow-db"])
    many = nft.drop_prefix("egress", "10.244.1.2", ["policy-%02d" % i for i in range(20)])
    assert len(many) <= nft.PREFIX_BYTES
    direction, ip, names = nft.parse_drop_prefix(many)
    assert (direction, ip) == ("egress", "10.244.1.2")
    assert names[:3] == ["policy-00", "policy-01", "policy-02"]
    assert names[-1] == "+%d" % (20 - len(names) + 1)
    assert nft.parse_drop_prefix("something else") is None


def test_a_starting_pod_counts_before_the_store_shows_it_and_takes_its_address_over():
    shown = [PodInfo("x", "a", "10.244.1.2", "node1", (), ()),
             PodInfo("x", "gone", "10.244.1.3", "node1", (), ()),      # left; address reused
             PodInfo("x", "again", "10.244.1.4", "node1", (("v", "1"),), ())]
    starting = [PodInfo("y", "new", "10.244.1.3", "node1", (), ()),
                PodInfo("x", "again", "10.244.1.9", "node1", (("v", "2"),), ())]
    assert [(p.ref, p.ip) for p in with_starting(shown, starting)] == [
        ("x/a", "10.244.1.2"), ("x/again", "10.244.1.9"), ("y/new", "10.244.1.3")]
