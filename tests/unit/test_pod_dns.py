"""dnsPolicy and dnsConfig into a pod's resolv.conf, as the kubelet writes it."""
import pytest

from topo.plan.pod_dns import DnsConfigError, parse_pod_dns, resolv_conf

NODE = "nameserver 192.0.2.53\nsearch corp.example\noptions edns0\n"


def conf(policy=None, config=None):
    return resolv_conf(parse_pod_dns(policy, config), "team", "10.96.0.10", NODE)


def test_cluster_first_is_the_default():
    assert conf() == ("search team.svc.cluster.local svc.cluster.local cluster.local\n"
                      "nameserver 10.96.0.10\noptions ndots:5\n")
    assert conf("ClusterFirstWithHostNet") == conf()


def test_default_is_the_nodes_resolv_conf():
    assert conf("Default") == "search corp.example\nnameserver 192.0.2.53\noptions edns0\n"


def test_none_takes_dns_config_alone_and_needs_a_nameserver():
    assert conf("None", {"nameservers": ["192.0.2.1"], "searches": ["ns1.svc.cluster-domain"
                                                                    ".example"],
                         "options": [{"name": "ndots", "value": "2"}, {"name": "edns0"}]}) == (
        "search ns1.svc.cluster-domain.example\nnameserver 192.0.2.1\noptions ndots:2 edns0\n")
    with pytest.raises(DnsConfigError) as caught:
        parse_pod_dns("None", {"searches": ["a"]})
    assert caught.value.field == "spec.dnsConfig.nameservers"


def test_dns_config_merges_into_the_policy():
    merged = conf(None, {"nameservers": ["1.2.3.4"], "searches": ["extra.example"],
                         "options": [{"name": "ndots", "value": "1"}]})
    assert merged == ("search team.svc.cluster.local svc.cluster.local cluster.local "
                      "extra.example\nnameserver 10.96.0.10\nnameserver 1.2.3.4\n"
                      "options ndots:1\n")


def test_bad_policies_and_configs_are_refused_naming_the_field():
    with pytest.raises(DnsConfigError) as caught:
        parse_pod_dns("Cluster", None)
    assert caught.value.field == "spec.dnsPolicy"
    with pytest.raises(DnsConfigError) as caught:
        parse_pod_dns(None, {"nameservers": ["not-an-ip"]})
    assert caught.value.field == "spec.dnsConfig.nameservers[0]"
    with pytest.raises(DnsConfigError):
        parse_pod_dns(None, {"nameservers": ["1.1.1.1", "1.1.1.2", "1.1.1.3", "1.1.1.4"]})


def test_a_manifest_with_a_bad_dns_config_is_refused_naming_the_field():
    from topo.errors import ManifestError
    from topo.plan.manifest import parse_texts
    text = """apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  dnsPolicy: "None"
  containers: [{name: c, image: busybox, command: [sleep, infinity]}]
"""
    with pytest.raises(ManifestError) as caught:
        parse_texts([("pod.yaml", text)])
    assert str(caught.value) == ("pod.yaml: document 1 (Pod p): spec.dnsConfig: Required "
                                 "value: must provide `dnsConfig` when `dnsPolicy` is None")
