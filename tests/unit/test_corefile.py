"""The coredns ConfigMap's Corefile as kubemn's DNS pods read it."""
from services.corefile import KUBEADM_COREFILE, dns_settings, plugins


def test_kubeadms_corefile_has_its_plugins_and_nothing_unsupported():
    assert plugins(KUBEADM_COREFILE) == ["errors", "health", "ready", "kubernetes",
                                         "prometheus", "forward", "cache", "loop", "reload",
                                         "loadbalance"]
    settings = dns_settings(KUBEADM_COREFILE)
    assert settings["log"] is False and settings["unsupported"] == []


def test_log_turns_the_query_log_on_and_unknown_plugins_are_named():
    corefile = KUBEADM_COREFILE.replace("    errors\n", "    log\n    errors\n    rewrite "
                                        "name foo.example bar.example\n")
    settings = dns_settings(corefile)
    assert settings["log"] is True and settings["unsupported"] == ["rewrite"]
    assert settings["sha512"] != dns_settings(KUBEADM_COREFILE)["sha512"]


def test_a_query_is_logged_as_corednss_log_plugin_prints_it():
    import dns.message
    from services.apps.clusterdns import answer, query_log_line
    query = dns.message.make_query("kubernetes.default.svc.cluster.local.", "A")
    query.id = 59155
    wire = query.to_wire()
    reply = answer(wire, {"kubernetes.default.svc.cluster.local.": {"A": ["10.96.0.1"],
                                                                    "SRV": []}})
    assert query_log_line(("10.244.1.4", 44563), wire, reply, "udp", 0.000096917) == (
        '[INFO] 10.244.1.4:44563 - 59155 "A IN kubernetes.default.svc.cluster.local. udp 54 '
        'false 512" NOERROR qr,aa,rd,ra 70 0.000096917s')


def test_forward_sends_outside_names_where_the_corefile_says():
    assert dns_settings(KUBEADM_COREFILE)["forward"] == ["/etc/resolv.conf"]
    assert dns_settings(KUBEADM_COREFILE.replace(
        "forward . /etc/resolv.conf", "forward . 8.8.8.8 dns://1.1.1.1:53"))["forward"] == [
        "8.8.8.8", "1.1.1.1"]
    assert dns_settings(".:53 {\n    errors\n    kubernetes cluster.local\n}\n")[
        "forward"] == []


def test_only_nxdomain_outside_the_cluster_domain_falls_through(tmp_path):
    import dns.message
    from services.apps.clusterdns import answer, falls_through, upstreams
    records = {"web.default.svc.cluster.local.": {"A": ["10.96.0.2"], "SRV": []}}

    def local(name, kind="A"):
        return answer(dns.message.make_query(name, kind).to_wire(), records)
    assert falls_through(local("example.com."))
    assert falls_through(local("1.113.0.203.in-addr.arpa.", "PTR"))
    assert not falls_through(local("nothing.default.svc.cluster.local."))
    assert not falls_through(local("web.default.svc.cluster.local."))
    resolv = tmp_path / "resolv.conf"
    resolv.write_text("search x\nnameserver 203.0.113.1\nnameserver 192.0.2.9\n")
    assert upstreams(["/etc/resolv.conf", "10.0.0.1"], str(resolv)) == [
        "203.0.113.1", "192.0.2.9", "10.0.0.1"]


def test_the_outside_zone_names_the_internet_host():
    from topo.plan.internet_zone import node_resolv_conf, zone_records
    records = zone_records("203.0.113.1")
    assert records["example.com."]["A"] == records["www.example.com."]["A"] == ["203.0.113.1"]
    assert records["1.113.0.203.in-addr.arpa."]["PTR"] == ["example.com."]
    assert node_resolv_conf("203.0.113.1") == "nameserver 203.0.113.1\n"
