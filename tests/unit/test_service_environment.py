"""The Service variables a container starts with, as the kubelet writes them."""
from services.environment import service_environment
from tests.helpers.api_objects import service

WEB = service("metadata: {name: my-web}\nspec: {selector: {app: web}, ports: [{port: 80, "
              "targetPort: 8080, name: http}, {port: 53, protocol: UDP, name: dns}]}\n",
              "10.96.0.2")
API = service("metadata: {name: kubernetes}\nspec: {ports: [{port: 443, targetPort: 6443, "
              "name: https}]}\n", "10.96.0.1")
OTHER = service("metadata: {name: db, namespace: data}\nspec: {selector: {app: db}, "
                "ports: [{port: 5432}]}\n", "10.96.0.9")
HEADLESS = service("metadata: {name: peers}\nspec: {clusterIP: None, selector: {app: web}, "
                   "ports: [{port: 80}]}\n")


def test_a_pod_gets_its_namespaces_services_and_the_api_service():
    env = dict(service_environment([WEB, API, OTHER, HEADLESS], "default"))
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
    env = dict(service_environment([WEB, API, OTHER], "data"))
    assert env["DB_SERVICE_HOST"] == "10.96.0.9" and "KUBERNETES_PORT" in env
    assert "MY_WEB_SERVICE_HOST" not in env
