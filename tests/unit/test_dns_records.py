"""Cluster DNS names as CoreDNS's kubernetes plugin answers them, without a server."""
from services.dns_records import pod_address


def test_pod_names_stand_for_their_address_as_coredns_pods_insecure_answers():
    assert pod_address("10-244-1-3.default.pod.cluster.local.") == "10.244.1.3"
    assert pod_address("10-244-1-3.Kube-System.pod.cluster.local.") == "10.244.1.3"
    assert pod_address("10-244-1-300.default.pod.cluster.local.") is None
    assert pod_address("web.default.svc.cluster.local.") is None
