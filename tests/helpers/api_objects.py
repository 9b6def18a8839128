"""Pods and Services as the API serves them, from kubemn's model (a pod's spec as the
API server defaults it, its status as the kubelet reports it; a Service as its
strategy stores it), for the pure tests of what reads them."""
import yaml

from services.endpoints import pod_ready
from topo.api import render
from topo.api.strategies.pod_template import pull_policy
from topo.plan.manifest import parse_service
from topo.plan.model import PodSpec

NOW = 1_800_000_000


def service(text, cluster_ip=None, node_ports=None, lb_ip=None):
    """A Service object from the YAML of its metadata and spec."""
    spec = parse_service(yaml.safe_load("apiVersion: v1\nkind: Service\n" + text))
    return render.service_json(render.ServiceView(spec, cluster_ip, node_ports or {}, lb_ip,
                                                  NOW))


def _probe(probe):
    handler = {"httpGet": {"path": probe.path, "port": probe.port, "scheme": "HTTP"},
               "tcpSocket": {"port": probe.port},
               "exec": {"command": list(probe.command)}}[probe.kind]
    return {probe.kind: handler, "initialDelaySeconds": probe.initial_delay,
            "periodSeconds": probe.period, "timeoutSeconds": probe.timeout,
            "successThreshold": probe.success_threshold,
            "failureThreshold": probe.failure_threshold}


def container_json(container):
    out = {"name": container.name, "image": container.image,
           "imagePullPolicy": pull_policy(container.image), "resources": {},
           "terminationMessagePath": "/dev/termination-log",
           "terminationMessagePolicy": "File"}
    if container.command:
        out["command"] = list(container.command)
    if container.args:
        out["args"] = list(container.args)
    if container.ports:
        out["ports"] = [dict({"containerPort": p.container_port, "protocol": p.protocol},
                             **({"name": p.name} if p.name else {}))
                        for p in container.ports]
    if container.env:
        out["env"] = [{"name": k, "value": v} for k, v in container.env]
    if container.readiness_probe:
        out["readinessProbe"] = _probe(container.readiness_probe)
    if container.stdin:
        out["stdin"] = True
    if container.tty:
        out["tty"] = True
    if container.volume_mounts:
        out["volumeMounts"] = [{"name": m.name, "mountPath": m.mount_path}
                               for m in container.volume_mounts]
    return out


def pod_spec_json(template, node_name=None):
    spec = {"containers": [container_json(c) for c in template.containers],
            "restartPolicy": template.restart_policy, "dnsPolicy": template.dns.policy,
            "schedulerName": "default-scheduler", "securityContext": {},
            "serviceAccountName": "default", "terminationGracePeriodSeconds": 30,
            "enableServiceLinks": True, "priority": 0}
    if node_name or template.node_name:
        spec["nodeName"] = node_name or template.node_name
    if template.node_selector:
        spec["nodeSelector"] = dict(template.node_selector)
    if template.empty_dirs:
        spec["volumes"] = [{"name": name, "emptyDir": {}} for name in template.empty_dirs]
    for field in ("hostname", "subdomain"):
        if getattr(template, field):
            spec[field] = getattr(template, field)
    dns = template.dns
    config = {k: v for k, v in (
        ("nameservers", list(dns.nameservers)), ("searches", list(dns.searches)),
        ("options", [dict({"name": n}, **({"value": v} if v is not None else {}))
                     for n, v in dns.options])) if v}
    if config:
        spec["dnsConfig"] = config
    return spec


def pod_json(view):
    """A pod bound to view.node as the store serves it once its kubelet has reported
    (from kubemn's model), its status rendered as the kubelet's is."""
    spec, template = view.spec, view.spec.template
    metadata = {"name": spec.name, "namespace": spec.namespace,
                "creationTimestamp": render.timestamp(view.created)}
    if template.labels:
        metadata["labels"] = dict(template.labels)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata,
            "spec": pod_spec_json(template, view.node), "status": render.pod_status(view)}


def pod(name, ip, node, template, ready=True, namespace="default"):
    """A running Pod object; ready or not (its readiness probe failing)."""
    spec = PodSpec(name, template, namespace=namespace)
    containers = [render.ContainerView(c.name, "Running", None, 0, ready)
                  for c in template.containers]
    obj = pod_json(render.PodView(spec, ip, node, "192.168.0.1", NOW, ready,
                                  containers))
    assert pod_ready(obj) == ready
    return obj
