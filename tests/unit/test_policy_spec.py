"""NetworkPolicy objects checked as the API server checks them: what it refuses,
with the field it names, and Kubernetes' defaults."""
import pytest

from topo.policy.spec import IPBlock, PolicyInvalid, parse_policy, policy_types


def policy(spec):
    return {"metadata": {"name": "p", "namespace": "x"}, "spec": spec}


def refused(spec):
    with pytest.raises(PolicyInvalid) as caught:
        parse_policy(policy(spec))
    return caught.value.field, caught.value.message


def test_policy_types_default_to_ingress_and_to_egress_when_it_has_egress_rules():
    assert policy_types({"podSelector": {}}) == ("Ingress",)
    assert policy_types({"egress": [{}]}) == ("Ingress", "Egress")
    assert policy_types({"policyTypes": ["Egress"], "ingress": [{}]}) == ("Egress",)
    assert parse_policy(policy({"podSelector": {}})).types == ("Ingress",)


def test_a_malformed_selector_is_refused_naming_its_field():
    assert refused({"podSelector": {"matchLabels": {"bad key!": "x"}}})[0] == \
        "spec.podSelector.matchLabels"
    field, message = refused({"podSelector": {"matchExpressions": [
        {"key": "app", "operator": "Near", "values": ["a"]}]}})
    assert field == "spec.podSelector.matchExpressions[0].operator"
    assert "Unsupported value" in message
    assert refused({"podSelector": {"matchExpressions": [
        {"key": "app", "operator": "In"}]}})[0] == "spec.podSelector.matchExpressions[0].values"


def test_ports_out_of_range_and_bad_end_ports_are_refused():
    assert refused({"ingress": [{"ports": [{"port": 70000}]}]}) == (
        "spec.ingress[0].ports[0].port",
        "Invalid value: 70000: must be between 1 and 65535, inclusive")
    assert refused({"ingress": [{"ports": [{"port": 90, "endPort": 80}]}]})[0] == \
        "spec.ingress[0].ports[0].endPort"
    assert refused({"egress": [{"ports": [{"port": "http", "endPort": 90}]}]})[0] == \
        "spec.egress[0].ports[0].endPort"
    assert refused({"ingress": [{"ports": [{"protocol": "ICMP", "port": 1}]}]})[0] == \
        "spec.ingress[0].ports[0].protocol"


def test_bad_cidrs_and_excepts_outside_the_cidr_are_refused():
    assert refused({"ingress": [{"from": [{"ipBlock": {"cidr": "10.0.0.300/8"}}]}]})[0] == \
        "spec.ingress[0].from[0].ipBlock.cidr"
    field, message = refused({"ingress": [{"from": [{"ipBlock": {
        "cidr": "10.0.0.0/24", "except": ["192.168.0.0/24"]}}]}]})
    assert field == "spec.ingress[0].from[0].ipBlock.except[0]"
    assert "must be a strict subset of `cidr`" in message
    assert refused({"ingress": [{"from": [{"ipBlock": {
        "cidr": "10.0.0.0/24", "except": ["10.0.0.0/24"]}}]}]})[0].endswith("except[0]")


def test_peers_need_a_kind_and_an_ip_block_stands_alone():
    assert refused({"ingress": [{"from": [{}]}]}) == (
        "spec.ingress[0].from[0]", "Required value: must specify a peer")
    assert refused({"egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"},
                                        "podSelector": {}}]}]})[1].startswith("Forbidden")


def test_an_unknown_policy_type_is_refused():
    assert refused({"policyTypes": ["Ingress", "Sideways"]}) == (
        "spec.policyTypes[1]", 'Unsupported value: "Sideways": supported values: '
        '"Ingress", "Egress"')


def test_an_ip_block_contains_its_cidr_but_its_excepts():
    block = IPBlock("203.0.113.0/24", ("203.0.113.1/32",))
    assert block.contains("203.0.113.7") and not block.contains("203.0.113.1")
    assert not block.contains("198.51.100.1")


def test_a_manifest_file_with_a_bad_policy_is_refused_naming_file_document_and_field():
    from topo.errors import ManifestError
    from topo.plan.manifest import parse_texts
    text = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p}
spec: {podSelector: {}, ingress: [{ports: [{port: 0}]}]}
"""
    with pytest.raises(ManifestError) as caught:
        parse_texts([("policy.yaml", text)])
    assert str(caught.value) == (
        "policy.yaml: document 1 (NetworkPolicy p): spec.ingress[0].ports[0].port: Invalid "
        "value: 0: must be between 1 and 65535, inclusive")
    good = parse_texts([("policy.yaml", text.replace("port: 0", "port: 80"))])
    assert good.api_objects[0]["metadata"] == {"name": "p", "namespace": "default"}
