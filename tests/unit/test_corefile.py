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
