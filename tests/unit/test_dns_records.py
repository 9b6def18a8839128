"""Cluster DNS names as CoreDNS's kubernetes plugin answers them, without a server."""
from services.dns_records import pod_address


def test_pod_names_stand_for_their_address_as_coredns_pods_insecure_answers():
    assert pod_address("10-244-1-3.default.pod.cluster.local.") == "10.244.1.3"
    assert pod_address("10-244-1-3.Kube-System.pod.cluster.local.") == "10.244.1.3"
    assert pod_address("10-244-1-300.default.pod.cluster.local.") is None
    assert pod_address("web.default.svc.cluster.local.") is None


def records_for(services, cluster_ips, pods):
    from services.dns_records import dns_records

    class Allocator:
        pass
    allocator = Allocator()
    allocator.cluster_ips = cluster_ips
    return dns_records(services, allocator, pods)


def test_a_headless_service_has_a_name_an_srv_and_a_ptr_for_each_ready_pod():
    from topo.plan.model import Container, ContainerPort, PodTemplate, ServicePort, ServiceSpec
    template = PodTemplate((("app", "web"),), (Container("c", "agnhost", ports=(
        ContainerPort(8080, "TCP", "http"),)),))
    headless = ServiceSpec("web", (("app", "web"),), (ServicePort(80, "http", "TCP", "http"),))
    pods = {"default": [("a", "node1", "10.244.1.3", template, True),
                        ("b", "node2", "10.244.2.3", template, True),
                        ("c", "node2", "10.244.2.4", template, False)]}
    records = records_for({"web": headless}, {}, pods)
    fqdn = "web.default.svc.cluster.local."
    assert records[fqdn]["A"] == ["10.244.1.3", "10.244.2.3"]
    assert records["_http._tcp." + fqdn]["SRV"] == [
        [0, 50, 8080, "10-244-1-3." + fqdn], [0, 50, 8080, "10-244-2-3." + fqdn]]
    assert records["10-244-2-3." + fqdn]["A"] == ["10.244.2.3"]
    assert records["3.2.244.10.in-addr.arpa."]["PTR"] == ["10-244-2-3." + fqdn]
    clustered = records_for({"web": headless}, {"web": "10.96.0.20"}, pods)
    assert clustered["20.0.96.10.in-addr.arpa."]["PTR"] == [fqdn]
    assert clustered["_http._tcp." + fqdn]["SRV"] == [[0, 100, 80, fqdn]]


def test_a_pod_with_hostname_and_subdomain_is_named_by_its_headless_service():
    from dataclasses import replace

    from topo.plan.model import Container, PodTemplate, ServicePort, ServiceSpec
    template = PodTemplate((("name", "busybox"),), (Container("c", "busybox"),),
                           hostname="busybox-1", subdomain="busybox-subdomain")
    other = replace(template, subdomain="elsewhere")
    service = ServiceSpec("busybox-subdomain", (("name", "busybox"),),
                          (ServicePort(1234, 1234, "TCP", "foo"),))
    pods = {"default": [("busybox1", "node1", "10.244.1.3", template, True),
                        ("busybox2", "node1", "10.244.1.4", other, True)]}
    records = records_for({"busybox-subdomain": service}, {}, pods)
    fqdn = "busybox-subdomain.default.svc.cluster.local."
    assert records["busybox-1." + fqdn]["A"] == ["10.244.1.3"]
    assert records["_foo._tcp." + fqdn]["SRV"] == [[0, 50, 1234, "busybox-1." + fqdn],
                                                   [0, 50, 1234, "10-244-1-4." + fqdn]]


def test_an_external_name_is_a_cname_and_not_ready_pods_are_published_when_asked():
    from topo.plan.model import Container, PodTemplate, ServicePort, ServiceSpec
    alias = ServiceSpec("db", (), (), "ExternalName", external_name="db.example.com")
    template = PodTemplate((("app", "slow"),), (Container("c", "agnhost"),))
    port = (ServicePort(80, 80, "TCP", None),)
    eager = ServiceSpec("eager", (("app", "slow"),), port, publish_not_ready=True)
    strict = ServiceSpec("strict", (("app", "slow"),), port)
    pods = {"default": [("s", "node1", "10.244.1.9", template, False)]}
    records = records_for({"db": alias, "eager": eager, "strict": strict}, {}, pods)
    assert records["db.default.svc.cluster.local."]["CNAME"] == "db.example.com."
    assert records["eager.default.svc.cluster.local."]["A"] == ["10.244.1.9"]
    assert records["strict.default.svc.cluster.local."]["A"] == []
