"""kubectl verbs against a running Cluster, printing what kubectl prints.

  kubectl get nodes|pods|deployments|services|endpoints [NAME] [-o wide]
  kubectl apply -f FILE            kubectl delete pod|deployment|service NAME
  kubectl scale deployment NAME --replicas=N
  kubectl exec POD [-c CONTAINER] -- CMD...    kubectl logs POD [-c CONTAINER]
"""
import os
import platform
import shlex
import time

from topo.errors import KubemnError
from topo.kubectl_format import (NONE, age, endpoints_text, selector_text,
                                 service_ports_text, table)

VERSION = "v1.30.0-kubemn"
RESOURCES = {
    "node": "nodes", "nodes": "nodes", "no": "nodes",
    "pod": "pods", "pods": "pods", "po": "pods",
    "deployment": "deployments", "deployments": "deployments", "deploy": "deployments",
    "service": "services", "services": "services", "svc": "services",
    "endpoints": "endpoints", "ep": "endpoints",
}


class Usage(KubemnError):
    pass


def split_command(line):
    try:
        return shlex.split(line)
    except ValueError as exc:
        raise Usage("cannot parse the command: %s" % exc) from None


def _take_option(args, *names):
    """Removes '-c X', '-cX', '--container=X' style options from args; returns X."""
    value = None
    for i, arg in enumerate(list(args)):
        for name in names:
            if arg == name:
                if i + 1 >= len(args):
                    raise Usage("flag needs an argument: %s" % name)
                value = args[i + 1]
                del args[i:i + 2]
                return value
            if name.startswith("--") and arg.startswith(name + "="):
                del args[i]
                return arg.split("=", 1)[1]
    return value


def run(cluster, line):
    """Runs one kubectl command line (without 'kubectl'); returns the text to print.
    Raises KubemnError with kubectl-like messages."""
    args = split_command(line)
    if not args:
        raise Usage(__doc__.strip())
    verb, rest = args[0], args[1:]
    handlers = {"get": get, "describe": describe, "apply": apply, "delete": delete,
                "scale": scale, "logs": logs}
    if verb == "exec":
        raise Usage("kubectl exec runs from the CLI: kubectl exec POD -- CMD")
    if verb not in handlers:
        raise Usage('unknown command "%s" for "kubectl" (kubemn supports: %s, exec)'
                    % (verb, ", ".join(sorted(handlers))))
    return handlers[verb](cluster, rest)


def get(cluster, args):
    output = _take_option(args, "-o", "--output")
    if output not in (None, "wide", "name"):
        raise Usage('unable to match a printer suitable for the output format "%s"' % output)
    if not args:
        raise Usage("You must specify the type of resource to get.")
    resource = args[0]
    if "/" in resource:
        resource, name = resource.split("/", 1)
        args = [resource, name]
    kind = RESOURCES.get(resource)
    if kind is None:
        raise KubemnError('the server doesn\'t have a resource type "%s"' % resource)
    rows, headers, names = GETTERS[kind](cluster, output == "wide")
    if len(args) > 1:
        wanted = args[1:]
        missing = [n for n in wanted if n not in names]
        if missing:
            raise KubemnError('%s "%s" not found' % (kind if kind != "deployments"
                                                    else "deployments.apps", missing[0]))
        rows = [r for r, n in zip(rows, names) if n in wanted]
        names = [n for n in names if n in wanted]
    if output == "name":
        singular = {"nodes": "node", "pods": "pod", "deployments": "deployment.apps",
                    "services": "service", "endpoints": "endpoints"}[kind]
        return "\n".join("%s/%s" % (singular, n) for n in names)
    if not rows:
        return "No resources found in default namespace."
    return table(headers, rows)


def _nodes(cluster, wide):
    now, kernel = time.time(), platform.release()
    headers = ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    if wide:
        headers += ["INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION",
                    "CONTAINER-RUNTIME"]
    rows, names = [], []
    for plan in cluster.node_plans.values():
        row = [plan.name, "Ready", NONE, age(now - cluster.node_created[plan.name]), VERSION]
        if wide:
            row += [plan.ip, NONE, "Mininet host", kernel, "kubemn://0.1.0"]
        rows.append(row)
        names.append(plan.name)
    return rows, headers, names


def _pods(cluster, wide):
    now = time.time()
    headers = ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    if wide:
        headers += ["IP", "NODE", "NOMINATED NODE", "READINESS GATES"]
    rows, names = [], []
    for pod in cluster.pods.values():
        row = [pod.name, "%d/%d" % (pod.ready_containers(), len(pod.containers)), pod.status(), 0,
               age(now - pod.created)]
        if wide:
            row += [pod.ip, pod.node.name, NONE, NONE]
        rows.append(row)
        names.append(pod.name)
    return rows, headers, names


def _deployments(cluster, wide):
    now = time.time()
    headers = ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    if wide:
        headers += ["CONTAINERS", "IMAGES", "SELECTOR"]
    rows, names = [], []
    for deployment in cluster.deployments.values():
        pods = [p for p in cluster.pods.values() if p.spec.owner == deployment.name]
        ready = sum(1 for p in pods if p.is_ready)
        current = sum(1 for p in pods if p.spec.template == deployment.template)
        created = min([p.created for p in pods], default=now)
        row = [deployment.name, "%d/%d" % (ready, deployment.replicas), current, ready,
               age(now - created)]
        if wide:
            containers = deployment.template.containers
            row += [",".join(c.name for c in containers), ",".join(c.image for c in containers),
                    selector_text(deployment.selector)]
        rows.append(row)
        names.append(deployment.name)
    return rows, headers, names


def _services(cluster, wide):
    now = time.time()
    headers = ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    if wide:
        headers += ["SELECTOR"]
    rows, names = [], []
    for service in cluster.services.values():
        ip = cluster.allocator.cluster_ips.get(service.name)
        external = cluster.allocator.lb_ips.get(service.name, NONE)
        row = [service.name, service.type, ip or "None", external,
               service_ports_text(service, cluster.allocator.node_ports.get(service.name)),
               age(now - cluster.service_created[service.name])]
        if wide:
            row += [selector_text(service.selector)]
        rows.append(row)
        names.append(service.name)
    return rows, headers, names


def _endpoints(cluster, wide):
    now = time.time()
    rows, names = [], []
    for service in cluster.services.values():
        addresses = ["%s:%d" % (e.ip, port[2]) for e in cluster.endpoints(service.name)
                     for port in e.ports]
        rows.append([service.name, endpoints_text(addresses),
                     age(now - cluster.service_created[service.name])])
        names.append(service.name)
    return rows, ["NAME", "ENDPOINTS", "AGE"], names


GETTERS = {"nodes": _nodes, "pods": _pods, "deployments": _deployments,
           "services": _services, "endpoints": _endpoints}


def describe(cluster, args):
    """kubectl describe service NAME (the kind kubemn adds most to)."""
    if len(args) == 1 and "/" in args[0]:
        args = args[0].split("/", 1)
    if len(args) != 2 or RESOURCES.get(args[0]) != "services":
        raise Usage("usage: kubectl describe service NAME")
    name = args[1]
    if name not in cluster.services:
        raise KubemnError('services "%s" not found' % name)
    service = cluster.services[name]
    allocator = cluster.allocator
    ip = allocator.cluster_ips.get(name) or "None"
    lines = [("Name", name), ("Namespace", "default"), ("Labels", NONE),
             ("Annotations", NONE), ("Selector", selector_text(service.selector)),
             ("Type", service.type), ("IP Family Policy", "SingleStack"),
             ("IP Families", "IPv4"), ("IP", ip), ("IPs", ip)]
    if name in allocator.lb_ips:
        lines.append(("LoadBalancer Ingress", allocator.lb_ips[name]))
    endpoints = cluster.endpoints(name)
    node_ports = allocator.node_ports.get(name, {})
    for port in service.ports:
        label = port.name or "<unset>"
        target = port.target_port
        lines.append(("Port", "%s  %d/%s" % (label, port.port, port.protocol)))
        lines.append(("TargetPort", "%s/%s" % (target, port.protocol)))
        if (port.port, port.protocol) in node_ports:
            lines.append(("NodePort", "%s  %d/%s" % (label, node_ports[(port.port,
                                                                        port.protocol)],
                                                     port.protocol)))
        addresses = ["%s:%d" % (e.ip, p[2]) for e in endpoints for p in e.ports
                     if (p[0], p[1]) == (port.port, port.protocol)]
        lines.append(("Endpoints", ",".join(addresses) or NONE))
    affinity = "ClientIP" if service.affinity_timeout else "None"
    lines.append(("Session Affinity", affinity))
    if service.affinity_timeout:
        lines.append(("Session Affinity Timeout", "%ds" % service.affinity_timeout))
    if service.type != "ClusterIP":
        lines.append(("External Traffic Policy", service.external_traffic_policy))
    lines.append(("Events", NONE))
    width = max(len(key) for key, _ in lines) + 2
    return "\n".join(("%s:" % key).ljust(width) + value for key, value in lines)


def apply(cluster, args):
    paths = []
    while args:
        path = _take_option(args, "-f", "--filename")
        if path is None:
            break
        paths.append(path)
    if args:
        raise Usage("unexpected arguments: %s (usage: kubectl apply -f FILE)" % " ".join(args))
    if not paths:
        raise Usage("error: must specify one of -f and -k")
    files = []
    for path in paths:
        if os.path.isdir(path):
            files += sorted(os.path.join(path, f) for f in os.listdir(path)
                            if f.endswith((".yaml", ".yml", ".json")))
        else:
            files.append(path)
    return "\n".join(cluster.apply_files(files))


def delete(cluster, args):
    if len(args) == 1 and "/" in args[0]:
        args = args[0].split("/", 1)
    if len(args) != 2:
        raise Usage("usage: kubectl delete pod|deployment|service NAME")
    return cluster.delete(args[0], args[1])


def scale(cluster, args):
    replicas = _take_option(args, "--replicas")
    if replicas is None:
        raise Usage("error: required flag(s) \"replicas\" not set")
    if len(args) == 1 and "/" in args[0]:
        args = args[0].split("/", 1)
    if len(args) != 2 or RESOURCES.get(args[0]) != "deployments":
        raise Usage("usage: kubectl scale deployment NAME --replicas=N")
    try:
        count = int(replicas)
    except ValueError:
        raise Usage('invalid argument "%s" for "--replicas" flag' % replicas) from None
    return cluster.scale(args[1], count)


def logs(cluster, args):
    container = _take_option(args, "-c", "--container")
    if len(args) != 1:
        raise Usage("usage: kubectl logs POD [-c CONTAINER]")
    return cluster.logs(args[0], container).rstrip("\n")


def parse_exec(args):
    """'POD [-c C] [-i] [-t] -- CMD...' -> (pod, container, argv)."""
    if "--" not in args:
        raise Usage("usage: kubectl exec POD [-c CONTAINER] -- COMMAND [args...]")
    split = args.index("--")
    head, command = args[:split], args[split + 1:]
    container = _take_option(head, "-c", "--container")
    head = [a for a in head if a not in ("-i", "-t", "-it", "-ti", "--stdin", "--tty")]
    if len(head) != 1 or not command:
        raise Usage("usage: kubectl exec POD [-c CONTAINER] -- COMMAND [args...]")
    pod = head[0][4:] if head[0].startswith("pod/") else head[0]
    return pod, container, command
