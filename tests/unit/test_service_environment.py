"""The Service variables a container starts with, as the kubelet writes them."""
from services.environment import service_environment
from topo.plan.model import ServicePort, ServiceSpec

WEB = ServiceSpec("my-web", (("app", "web"),), (ServicePort(80, 8080, "TCP", "http"),
                                                ServicePort(53, 53, "UDP")))
API = ServiceSpec("kubernetes", (), (ServicePort(443, 6443, "TCP", "https"),))
OTHER = ServiceSpec("db", (("app", "db"),), (ServicePort(5432, 5432),), namespace="data")
HEADLESS = ServiceSpec("peers", (("app", "web"),), (ServicePort(80, 80),), cluster_ip="None")


def test_a_pod_gets_its_namespaces_services_and_the_api_service():
    env = dict(service_environment(
        {"my-web": WEB, "kubernetes": API, "data/db": OTHER, "peers": HEADLESS},
        {"my-web": "10.96.0.2", "kubernetes": "10.96.0.1", "data/db": "10.96.0.9",
         "peers": None}, "default"))
    assert env["MY_WEB_SERVICE_HOST"] == "10.96.0.2"
    assert env["MY_WEB_SERVICE_PORT"] == "80" and env["MY_WEB_SERVICE_PORT_HTTP"] == "80"
    assert env["MY_WEB_PORT"] == "tcp://10.96.0.2:80"
    assert env["MY_WEB_PORT_53_UDP"] == "udp://10.96.0.2:53"
    assert env["MY_WEB_PORT_53_UDP_PROTO"] == "udp"
    assert env["MY_WEB_PORT_80_TCP_ADDR"] == "10.96.0.2"
    assert env["KUBERNETES_SERVICE_HOST"] == "10.96.0.1"
    assert env["KUBERNETES_SERVICE_PORT_HTTPS"] == "443"
    assert not any(k.startswith(("DB_", "PEERS_")) for k in env)


def test_a_pod_elsewhere_gets_its_own_namespaces_services_and_the_api_service():
    env = dict(service_environment({"my-web": WEB, "kubernetes": API, "data/db": OTHER},
                                   {"my-web": "10.96.0.2", "kubernetes": "10.96.0.1",
                                    "data/db": "10.96.0.9"}, "data"))
    assert env["DB_SERVICE_HOST"] == "10.96.0.9" and "KUBERNETES_PORT" in env
    assert "MY_WEB_SERVICE_HOST" not in env
