"""Cluster DNS names as CoreDNS's kubernetes plugin answers them, without a server."""
from services.dns_records import pod_address
from tests.helpers.api_objects import pod, service


def test_pod_names_stand_for_their_address_as_coredns_pods_insecure_answers():
    assert pod_address("10-244-1-3.default.pod.cluster.local.") == "10.244.1.3"
    assert pod_address("10-244-1-3.Kube-System.pod.cluster.local.") == "10.244.1.3"
    assert pod_address("10-244-1-300.default.pod.cluster.local.") is None
    assert pod_address("web.default.svc.cluster.local.") is None


def records_for(services, pods):
    """The records of Services (objects) and pods (objects), through the endpoints
    controller and what the DNS reads back, as in a cluster."""
    from services.dns_records import dns_records
    from services.served import served_services
    from topo.api.store import Store
    from topo.manager.endpoints import SLICES, EndpointSliceController
    from topo.manager.loop import ControlLoop
    store = Store()
    for obj in services:
        store.put("services", obj)
    for obj in pods:
        store.put("pods", obj)
    ControlLoop(store, EndpointSliceController(store)).step()
    return dns_records(served_services(store.list("services")[1], store.list(SLICES)[1]))


def test_a_headless_service_has_a_name_an_srv_and_a_ptr_for_each_ready_pod():
    from topo.plan.model import Container, ContainerPort, PodTemplate
    template = PodTemplate((("app", "web"),), (Container("c", "agnhost", ports=(
        ContainerPort(8080, "TCP", "http"),)),))
    web = "metadata: {name: web}\nspec: {selector: {app: web}, ports: [{port: 80, " \
        "targetPort: http, name: http}]}\n"
    pods = [pod("a", "10.244.1.3", "node1", template), pod("b", "10.244.2.3", "node2", template),
            pod("c", "10.244.2.4", "node2", template, ready=False)]
    records = records_for([service(web)], pods)
    fqdn = "web.default.svc.cluster.local."
    assert records[fqdn]["A"] == ["10.244.1.3", "10.244.2.3"]
    assert records["_http._tcp." + fqdn]["SRV"] == [
        [0, 50, 8080, "10-244-1-3." + fqdn], [0, 50, 8080, "10-244-2-3." + fqdn]]
    assert records["10-244-2-3." + fqdn]["A"] == ["10.244.2.3"]
    assert records["3.2.244.10.in-addr.arpa."]["PTR"] == ["10-244-2-3." + fqdn]
    clustered = records_for([service(web, "10.96.0.20")], pods)
    assert clustered["20.0.96.10.in-addr.arpa."]["PTR"] == [fqdn]
    assert clustered["_http._tcp." + fqdn]["SRV"] == [[0, 100, 80, fqdn]]


def test_a_pod_with_hostname_and_subdomain_is_named_by_its_headless_service():
    from dataclasses import replace

    from topo.plan.model import Container, PodTemplate
    template = PodTemplate((("name", "busybox"),), (Container("c", "busybox"),),
                           hostname="busybox-1", subdomain="busybox-subdomain")
    other = replace(template, subdomain="elsewhere")
    headless = service("metadata: {name: busybox-subdomain}\nspec: {selector: {name: busybox}, "
                       "ports: [{port: 1234, name: foo}]}\n")
    records = records_for([headless], [pod("busybox1", "10.244.1.3", "node1", template),
                                       pod("busybox2", "10.244.1.4", "node1", other)])
    fqdn = "busybox-subdomain.default.svc.cluster.local."
    assert records["busybox-1." + fqdn]["A"] == ["10.244.1.3"]
    assert records["_foo._tcp." + fqdn]["SRV"] == [[0, 50, 1234, "busybox-1." + fqdn],
                                                   [0, 50, 1234, "10-244-1-4." + fqdn]]


def test_an_external_name_is_a_cname_and_not_ready_pods_are_published_when_asked():
    from topo.plan.model import Container, PodTemplate
    alias = service("metadata: {name: db}\nspec: {type: ExternalName, "
                    "externalName: db.example.com}\n")
    template = PodTemplate((("app", "slow"),), (Container("c", "agnhost"),))
    eager = service("metadata: {name: eager}\nspec: {selector: {app: slow}, "
                    "publishNotReadyAddresses: true, ports: [{port: 80}]}\n")
    strict = service("metadata: {name: strict}\nspec: {selector: {app: slow}, "
                     "ports: [{port: 80}]}\n")
    records = records_for([alias, eager, strict],
                          [pod("s", "10.244.1.9", "node1", template, ready=False)])
    assert records["db.default.svc.cluster.local."]["CNAME"] == "db.example.com."
    assert records["eager.default.svc.cluster.local."]["A"] == ["10.244.1.9"]
    assert records["strict.default.svc.cluster.local."]["A"] == []
