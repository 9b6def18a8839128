"""kubectl verbs against a running Cluster, printing what kubectl prints.

  kubectl get nodes|pods|deployments|services|endpoints [NAME] [-o wide|name]
  kubectl describe service|pod NAME    kubectl apply -f FILE|DIR
  kubectl delete pod|deployment|service|node NAME
  kubectl scale deployment NAME --replicas=N
  kubectl exec POD [-c CONTAINER] -- CMD...    kubectl logs POD [-c CONTAINER]
Each takes -n NAMESPACE (default: default); get takes -A for every namespace.
"""
import os
import platform
import shlex
import time

from topo.errors import KubemnError
from topo.model import DEFAULT_NAMESPACE, ref
from topo.kubectl_format import (NONE, age, endpoints_text, probe_text, selector_text,
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
    """Removes an option given as '-c X', '--container X' or '--container=X' from
    args; returns X (None if absent)."""
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


class Scope:
    """The namespace a command works in: -n NAME (default "default"), or every one
    with -A / --all-namespaces."""

    def __init__(self, namespace=DEFAULT_NAMESPACE, everywhere=False):
        self.namespace = namespace
        self.everywhere = everywhere

    def holds(self, obj):
        return self.everywhere or obj.namespace == self.namespace

    def key(self, name):
        return ref(self.namespace, name)


def take_scope(args):
    namespace = _take_option(args, "-n", "--namespace") or DEFAULT_NAMESPACE
    everywhere = False
    for flag in ("-A", "--all-namespaces"):
        if flag in args:
            args.remove(flag)
            everywhere = True
    return Scope(namespace, everywhere)


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
    scope = take_scope(rest)
    return handlers[verb](cluster, rest, scope)


def _kind_and_names(args, usage):
    """'pod web', 'pod/web', 'pods' -> (resource kind, [names])."""
    if not args:
        raise Usage(usage)
    if "/" in args[0]:
        kind, name = args[0].split("/", 1)
        return RESOURCES.get(kind, kind), [name] + args[1:]
    return RESOURCES.get(args[0], args[0]), args[1:]


def get(cluster, args, scope):
    output = _take_option(args, "-o", "--output")
    if output not in (None, "wide", "name"):
        raise Usage('unable to match a printer suitable for the output format "%s"' % output)
    kind, wanted = _kind_and_names(args, "You must specify the type of resource to get.")
    if kind not in GETTERS:
        raise KubemnError('the server doesn\'t have a resource type "%s"' % args[0])
    headers, rows = GETTERS[kind](cluster, output == "wide", scope)
    if wanted:
        names = [r[0] for r in rows]
        missing = [n for n in wanted if n not in names]
        if missing:
            raise KubemnError('%s "%s" not found' % (
                "deployments.apps" if kind == "deployments" else kind, missing[0]))
        rows = [r for r in rows if r[0] in wanted]
    if output == "name":
        singular = {"nodes": "node", "pods": "pod", "deployments": "deployment.apps",
                    "services": "service", "endpoints": "endpoints"}[kind]
        return "\n".join("%s/%s" % (singular, r[0]) for r in rows)
    if not rows:
        return "No resources found" + ("" if scope.everywhere or kind == "nodes" else
                                       " in %s namespace." % scope.namespace)
    if scope.everywhere and kind != "nodes":
        headers = ["NAMESPACE"] + headers
        rows = [[r[-1]] + r[:-1] for r in rows]
    else:
        rows = [r[:-1] for r in rows]
    return table(headers, rows)


# Each getter returns (headers, rows); a row's last cell is its namespace.

def _nodes(cluster, wide, _scope):
    now, kernel = time.time(), platform.release()
    headers = ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    if wide:
        headers += ["INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION",
                    "CONTAINER-RUNTIME"]
    rows = []
    for plan in cluster.node_plans.values():
        row = [plan.name, "Ready", NONE, age(now - cluster.node_created[plan.name]), VERSION]
        if wide:
            row += [plan.ip, NONE, "Mininet host", kernel, "kubemn://0.1.0"]
        rows.append(row + [None])
    return headers, rows


def _pods(cluster, wide, scope):
    now = time.time()
    headers = ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    if wide:
        headers += ["IP", "NODE", "NOMINATED NODE", "READINESS GATES"]
    rows = []
    for pod in cluster.pods.values():
        if not scope.holds(pod):
            continue
        row = [pod.name, "%d/%d" % (pod.ready_containers(), len(pod.spec.template.containers)),
               pod.status(), pod.restart_count(), age(now - pod.created)]
        if wide:
            row += [pod.ip, pod.node.name, NONE, NONE]
        rows.append(row + [pod.namespace])
    return headers, rows


def _deployments(cluster, wide, scope):
    now = time.time()
    headers = ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    if wide:
        headers += ["CONTAINERS", "IMAGES", "SELECTOR"]
    rows = []
    for key, deployment in cluster.deployments.items():
        if not scope.holds(deployment):
            continue
        pods = [p for p in cluster.pods.values() if p.spec.owner == key]
        ready = sum(1 for p in pods if p.is_ready)
        current = sum(1 for p in pods if p.spec.template == deployment.template)
        created = min([p.created for p in pods], default=now)
        row = [deployment.name, "%d/%d" % (ready, deployment.replicas), current, ready,
               age(now - created)]
        if wide:
            containers = deployment.template.containers
            row += [",".join(c.name for c in containers), ",".join(c.image for c in containers),
                    selector_text(deployment.selector)]
        rows.append(row + [deployment.namespace])
    return headers, rows


def _services(cluster, wide, scope):
    now = time.time()
    headers = ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    if wide:
        headers += ["SELECTOR"]
    rows = []
    allocator = cluster.allocator
    for key, service in cluster.services.items():
        if not scope.holds(service):
            continue
        row = [service.name, service.type, allocator.cluster_ips.get(key) or "None",
               allocator.lb_ips.get(key, NONE),
               service_ports_text(service, allocator.node_ports.get(key)),
               age(now - cluster.service_created[key])]
        if wide:
            row += [selector_text(service.selector)]
        rows.append(row + [service.namespace])
    return headers, rows


def _endpoints(cluster, _wide, scope):
    now = time.time()
    rows = []
    for key, service in cluster.services.items():
        if not scope.holds(service):
            continue
        addresses = ["%s:%d" % (e.ip, port[2]) for e in cluster.endpoints(key)
                     for port in e.ports]
        rows.append([service.name, endpoints_text(addresses),
                     age(now - cluster.service_created[key]), service.namespace])
    return ["NAME", "ENDPOINTS", "AGE"], rows


GETTERS = {"nodes": _nodes, "pods": _pods, "deployments": _deployments,
           "services": _services, "endpoints": _endpoints}


DESCRIBE_USAGE = "usage: kubectl describe service|pod NAME"


def describe(cluster, args, scope):
    """kubectl describe service NAME, kubectl describe pod NAME."""
    kind, names = _kind_and_names(args, DESCRIBE_USAGE)
    if kind not in ("services", "pods") or len(names) != 1:
        raise Usage(DESCRIBE_USAGE)
    key = scope.key(names[0])
    if kind == "pods":
        return _describe_pod(cluster, cluster.pod(key))
    return _describe_service(cluster, key)


def _fields(lines):
    """kubectl describe's "Key:  value" lines, values aligned two spaces past the
    longest key."""
    width = max(len(key) for key, _ in lines) + 3
    return "\n".join(("%s:" % key).ljust(width) + value for key, value in lines)


def _describe_pod(cluster, pod):
    template = pod.spec.template
    node_ip = cluster.node_plans[pod.node.name].ip
    owner = ("Deployment/%s" % pod.spec.owner.split("/")[-1]) if pod.spec.owner else None
    lines = [("Name", pod.name), ("Namespace", pod.namespace),
             ("Node", "%s/%s" % (pod.node.name, node_ip)),
             ("Start Time", time.strftime("%a, %d %b %Y %H:%M:%S %z",
                                          time.localtime(pod.created))),
             ("Labels", selector_text(template.labels) if template.labels else NONE),
             ("Status", pod.status()), ("IP", pod.ip)]
    if owner:
        lines.append(("Controlled By", owner))
    text = [_fields(lines), "Containers:"]
    states = pod.container_states()
    for container in template.containers:
        process = pod.containers.get(container.name)
        state = states.get(container.name, "Waiting")
        details = [("Image", container.image)]
        for port in container.ports:
            details.append(("Port", "%d/%s" % (port.container_port, port.protocol)))
        if container.command or container.args:
            details.append(("Command", " ".join(container.command + container.args)))
        details += [("State", "Waiting" if state == "CrashLoopBackOff" else
                     "Terminated" if state in ("Completed", "Error") else state)]
        if state != "Running":
            details.append(("  Reason", state))
        if process is not None and process.poll() is not None:
            details.append(("  Exit Code", str(process.returncode)))
        details += [("Ready", str(pod.container_ready(container.name))),
                    ("Restart Count", str(pod.restarts.get(container.name, 0)))]
        if container.readiness_probe:
            details.append(("Readiness", probe_text(container.readiness_probe)))
        if container.env:
            details.append(("Environment", ", ".join("%s=%s" % kv for kv in container.env)))
        text.append("  %s:" % container.name)
        text += ["    " + line for line in _fields(details).splitlines()]
    text += ["Conditions:", "  Type    Status", "  Ready   %s" % pod.is_ready,
             _fields([("Restart Policy", template.restart_policy), ("Events", NONE)])]
    return "\n".join(text)


def _describe_service(cluster, key):
    service = cluster.service(key)
    allocator = cluster.allocator
    ip = allocator.cluster_ips.get(key) or "None"
    lines = [("Name", service.name), ("Namespace", service.namespace), ("Labels", NONE),
             ("Annotations", NONE), ("Selector", selector_text(service.selector)),
             ("Type", service.type), ("IP Family Policy", "SingleStack"),
             ("IP Families", "IPv4"), ("IP", ip), ("IPs", ip)]
    if key in allocator.lb_ips:
        lines.append(("LoadBalancer Ingress", allocator.lb_ips[key]))
    endpoints = cluster.endpoints(key)
    node_ports = allocator.node_ports.get(key, {})
    for port in service.ports:
        label = port.name or "<unset>"
        lines.append(("Port", "%s  %d/%s" % (label, port.port, port.protocol)))
        lines.append(("TargetPort", "%s/%s" % (port.target_port, port.protocol)))
        node_port = node_ports.get((port.port, port.protocol))
        if node_port:
            lines.append(("NodePort", "%s  %d/%s" % (label, node_port, port.protocol)))
        addresses = ["%s:%d" % (e.ip, p[2]) for e in endpoints for p in e.ports
                     if (p[0], p[1]) == (port.port, port.protocol)]
        lines.append(("Endpoints", ",".join(addresses) or NONE))
    lines.append(("Session Affinity", "ClientIP" if service.affinity_timeout else "None"))
    if service.affinity_timeout:
        lines.append(("Session Affinity Timeout", "%ds" % service.affinity_timeout))
    if service.type != "ClusterIP":
        lines.append(("External Traffic Policy", service.external_traffic_policy))
    lines.append(("Events", NONE))
    return _fields(lines)


def apply(cluster, args, _scope):
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


def delete(cluster, args, scope):
    usage = "usage: kubectl delete pod|deployment|service|node NAME"
    kind, names = _kind_and_names(args, usage)
    if len(names) != 1:
        raise Usage(usage)
    return cluster.delete(kind, names[0], scope.namespace)


def scale(cluster, args, scope):
    replicas = _take_option(args, "--replicas")
    if replicas is None:
        raise Usage("error: required flag(s) \"replicas\" not set")
    kind, names = _kind_and_names(args, "usage: kubectl scale deployment NAME --replicas=N")
    if kind != "deployments" or len(names) != 1:
        raise Usage("usage: kubectl scale deployment NAME --replicas=N")
    try:
        count = int(replicas)
    except ValueError:
        raise Usage('invalid argument "%s" for "--replicas" flag' % replicas) from None
    return cluster.scale(names[0], count, scope.namespace)


def logs(cluster, args, scope):
    container = _take_option(args, "-c", "--container")
    if len(args) != 1:
        raise Usage("usage: kubectl logs POD [-c CONTAINER]")
    name = args[0][4:] if args[0].startswith("pod/") else args[0]
    return cluster.logs(scope.key(name), container).rstrip("\n")


def parse_exec(args):
    """'[-n NS] POD [-c C] [-i] [-t] -- CMD...' -> (pod ref, container, argv)."""
    if "--" not in args:
        raise Usage("usage: kubectl exec POD [-c CONTAINER] -- COMMAND [args...]")
    split = args.index("--")
    head, command = args[:split], args[split + 1:]
    scope = take_scope(head)
    container = _take_option(head, "-c", "--container")
    head = [a for a in head if a not in ("-i", "-t", "-it", "-ti", "--stdin", "--tty")]
    if len(head) != 1 or not command:
        raise Usage("usage: kubectl exec POD [-c CONTAINER] -- COMMAND [args...]")
    pod = head[0][4:] if head[0].startswith("pod/") else head[0]
    return scope.key(pod), container, command
