"""Pods and Services as the API serves them, made the way the publisher makes them
(the model rendered), for the pure tests of what reads them."""
import yaml

from services.endpoints import pod_ready
from topo.api import render
from topo.plan.manifest import parse_service
from topo.plan.model import PodSpec

NOW = 1_800_000_000


def service(text, cluster_ip=None, node_ports=None, lb_ip=None):
    """A Service object from the YAML of its metadata and spec."""
    spec = parse_service(yaml.safe_load("apiVersion: v1\nkind: Service\n" + text))
    return render.service_json(render.ServiceView(spec, cluster_ip, node_ports or {}, lb_ip,
                                                  NOW))


def pod(name, ip, node, template, ready=True, namespace="default"):
    """A running Pod object; ready or not (its readiness probe failing)."""
    spec = PodSpec(name, template, namespace=namespace)
    containers = [render.ContainerView(c.name, "Running", None, 0, ready)
                  for c in template.containers]
    obj = render.pod_json(render.PodView(spec, ip, node, "192.168.0.1", NOW, ready,
                                         containers))
    assert pod_ready(obj) == ready
    return obj
