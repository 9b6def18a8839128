"""Kubernetes YAML in, model objects out (pure: no file system beyond reading).

Reads multi-document YAML with the kinds Pod (v1), Deployment (apps/v1), Service (v1),
Node (v1), Namespace (v1), NetworkPolicy (networking.k8s.io/v1) and kubemn's own
Cluster (kubemn.io/v1alpha1). Fields Kubernetes allows but kubemn
does not use are ignored; wrong ones are reported with file, document and field.
"""
import copy
import ipaddress
import re
from dataclasses import replace

import yaml

from topo.errors import KubemnError, ManifestError
from topo.plan.pod_dns import DnsConfigError, parse_pod_dns
from topo.plan.servers import PLACERS, parse_servers
from topo.policy.spec import PolicyInvalid, Selector, parse_policy, parse_selector
from topo.plan.model import (DEFAULT_NAMESPACE, ClusterSpec, Container, ContainerPort,
                             DeploymentSpec, Manifests, NodeSpec, PodSpec, PodTemplate, Probe,
                             ServicePort, ServiceSpec, ref)
from topo.plan.pod_volumes import (VolumeError, parse_env_from, parse_env_value, parse_mount,
                                   parse_volumes)

CLUSTER_API_VERSION = "kubemn.io/v1alpha1"
KINDS = {"Pod": "v1", "Service": "v1", "Node": "v1", "Deployment": "apps/v1",
         "Namespace": "v1", "NetworkPolicy": "networking.k8s.io/v1",
         "Cluster": CLUSTER_API_VERSION}
# Kept by the API alone: checked here, stored by its registry.
API_KINDS = ("Namespace", "NetworkPolicy", "Service", "Deployment", "Pod")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
PORT_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
PROTOCOLS = ("TCP", "UDP")
FABRICS = re.compile(r"^(single|racks:([1-9][0-9]*))$")


class _Where:
    """Where a value sits, for error messages: file, document, object, field."""

    def __init__(self, source, index, kind="", name=""):
        self.source, self.index, self.kind, self.name = source, index, kind, name

    def error(self, path, problem):
        what = " ".join(p for p in (self.kind, self.name) if p)
        where = "%s: document %d" % (self.source, self.index)
        if what:
            where += " (%s)" % what
        if path:
            where += ": " + path
        error = ManifestError("%s: %s" % (where, problem))
        # The parts, for the API server's 422 (which names the object and field).
        error.kind, error.name, error.field, error.problem = \
            self.kind, self.name, path, problem
        return error


def parse_files(paths):
    """Reads and parses manifest files; raises ManifestError naming the file."""
    texts = []
    for path in paths:
        try:
            with open(path, encoding="utf-8") as handle:
                texts.append((path, handle.read()))
        except OSError as exc:
            raise ManifestError("%s: cannot read: %s" % (path, exc.strerror)) from None
    return parse_texts(texts)


def parse_texts(texts):
    """Parses [(source name, YAML text)] into one Manifests object."""
    sources = []
    for source, text in texts:
        try:
            documents = list(yaml.safe_load_all(text))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = " line %d" % (mark.line + 1) if mark else ""
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise ManifestError("%s:%s: invalid YAML: %s" % (source, line, problem)) from None
        sources.append((source, documents))
    return parse_documents(sources)


def parse_documents(sources):
    """Parses [(source name, [document])], documents as YAML reads them (an API
    request's body, already read), into one Manifests object."""
    cluster, pods, nodes, api_objects = None, [], [], []
    for source, documents in sources:
        documents = [d for d in documents if d is not None]
        if not documents:
            raise ManifestError("%s: no Kubernetes objects in the file" % source)
        for index, doc in enumerate(documents, 1):
            kind, obj = parse_document(doc, _Where(source, index))
            if kind == "Cluster":
                if cluster is not None:
                    raise _Where(source, index, kind).error("", "a second Cluster document")
                cluster = obj
            elif kind == "Pod":   # stored as written; its model for kubemn's checks
                api_objects.append(obj)
                pods.append(parse_pod(obj, source))
            elif kind == "Node":
                api_objects.append(obj)
                nodes.append(parse_node(obj, source))
            else:
                api_objects.append(obj)
    manifests = Manifests(cluster, tuple(pods), tuple(nodes), tuple(s for s, _ in sources),
                          tuple(api_objects))
    check_unique_names(manifests)
    return manifests


def _named(obj, source, kind):
    """(where, namespace, spec) of a namespaced object as a client sends it."""
    where = _Where(source, 1, kind)
    metadata = _mapping(obj.get("metadata", {}), where, "metadata")
    where.name = _dns_label(metadata.get("name"), where, "metadata.name")
    namespace = _dns_label(metadata.get("namespace", DEFAULT_NAMESPACE), where,
                           "metadata.namespace")
    return where, namespace, _mapping(obj.get("spec", {}), where, "spec")


def parse_service(obj, source="request"):
    """A Service object (a mapping, as a client sends it) as kubemn's model; raises
    ManifestError, which names its field."""
    where, namespace, spec = _named(obj, source, "Service")
    return replace(_service(where.name, spec, where), namespace=namespace)


def parse_pod(obj, source="request"):
    """A Pod object (a mapping, as a client sends it or the store keeps it) as kubemn's
    model (a PodSpec); raises ManifestError, which names its field."""
    where, namespace, spec = _named(obj, source, "Pod")
    labels = _labels(obj["metadata"].get("labels"), where, "metadata.labels")
    return PodSpec(where.name, _pod_template(spec, labels, where, "spec"), namespace=namespace)


def parse_node(obj, source="request", index=1):
    """A Node object as kubemn's model (its name, the podCIDR it asks for); raises
    ManifestError, which names its field."""
    where = _Where(source, index, "Node")
    metadata = _mapping(obj.get("metadata", {}), where, "metadata")
    where.name = _node_name(metadata.get("name"), where, "metadata.name")
    _labels(metadata.get("labels"), where, "metadata.labels")
    spec = _mapping(obj.get("spec", {}), where, "spec")
    pod_cidr = spec.get("podCIDR")
    return NodeSpec(where.name, _cidr(pod_cidr, where, "spec.podCIDR")
                    if pod_cidr is not None else None)


def parse_replication_controller(obj, source="request"):
    """A ReplicationController's spec checked as the API server checks it: (replicas,
    selector, template) with the selector defaulted to the template's labels, which
    it must match; the template a pod that restarts Always. Raises ManifestError."""
    where = _Where(source, 1, "ReplicationController")
    metadata = _mapping(obj.get("metadata", {}), where, "metadata")
    where.name = _dns_label(metadata.get("name"), where, "metadata.name")
    spec = _mapping(obj.get("spec", {}), where, "spec")
    replicas = _int(spec.get("replicas", 1), where, "spec.replicas", 0, 1000)
    template = _mapping(spec.get("template"), where, "spec.template")
    if not template:
        raise where.error("spec.template", "Required value")
    labels = _labels(_mapping(template.get("metadata"), where, "spec.template.metadata")
                     .get("labels"), where, "spec.template.metadata.labels")
    selector = _labels(spec.get("selector"), where, "spec.selector") or labels
    if not selector:
        raise where.error("spec.selector", "Required value")
    if not set(selector) <= set(labels):
        raise where.error("spec.template.metadata.labels", "Invalid value: %s: `selector` "
                          "does not match template `labels`" % dict(labels))
    pod_spec = _mapping(template.get("spec"), where, "spec.template.spec")
    return replicas, selector, _pod_template(pod_spec, labels, where, "spec.template.spec",
                                             ("Always",))


def parse_deployment(obj, source="request"):
    """A Deployment checked as kubemn's files are (a DeploymentSpec); raises
    ManifestError, which names its field."""
    where, namespace, spec = _named(obj, source, "Deployment")
    return replace(_deployment(where.name, spec, where), namespace=namespace)


def parse_pod_set(obj, source="request", kind="DaemonSet"):
    """The spec of a set of pods by a label selector (a DaemonSet's, a ReplicaSet's:
    kind), checked as the API server checks it: (selector, template), the selector (a
    Selector of its matchLabels and matchExpressions) not empty and matching the
    template's labels, the template a pod that restarts Always. Raises ManifestError."""
    where = _Where(source, 1, kind)
    metadata = _mapping(obj.get("metadata", {}), where, "metadata")
    where.name = _dns_label(metadata.get("name"), where, "metadata.name")
    spec = _mapping(obj.get("spec", {}), where, "spec")
    try:
        selector = parse_selector(spec.get("selector"), "spec.selector")
    except PolicyInvalid as exc:
        raise where.error(exc.field, exc.message) from None
    if selector == Selector():
        raise where.error("spec.selector", "Invalid value: empty selector is invalid for "
                          "%s" % kind.lower())
    template = _mapping(spec.get("template"), where, "spec.template")
    labels = _labels(_mapping(template.get("metadata"), where, "spec.template.metadata")
                     .get("labels"), where, "spec.template.metadata.labels")
    if not selector.matches(dict(labels)):
        raise where.error("spec.template.metadata.labels", "Invalid value: %s: `selector` "
                          "does not match template `labels`" % dict(labels))
    pod_spec = _mapping(template.get("spec"), where, "spec.template.spec")
    return selector, _pod_template(pod_spec, labels, where, "spec.template.spec",
                                   ("Always",))


def parse_job(obj, source="request"):
    """A Job's spec checked as the API server checks it: (parallelism, completions,
    backoffLimit, template), the template a pod that restarts OnFailure or Never; no
    selector of the client's (the API server makes it). Raises ManifestError."""
    where, _, spec = _named(obj, source, "Job")
    if spec.get("selector") is not None and spec.get("manualSelector") is not True:
        raise where.error("spec.selector", "Invalid value: `selector` will be "
                          "auto-generated")
    numbers = [_int(spec.get(field, default), where, "spec." + field, 0, 100000)
               for field, default in (("parallelism", 1), ("completions", 1),
                                      ("backoffLimit", 6))]
    template = _mapping(spec.get("template"), where, "spec.template")
    if not template:
        raise where.error("spec.template", "Required value")
    labels = _labels(_mapping(template.get("metadata"), where, "spec.template.metadata")
                     .get("labels"), where, "spec.template.metadata.labels")
    pod_spec = _mapping(template.get("spec"), where, "spec.template.spec")
    return tuple(numbers) + (_pod_template(pod_spec, labels, where, "spec.template.spec",
                                           ("OnFailure", "Never")),)


def parse_cron_job(obj, source="request"):
    """A CronJob's spec checked as the API server checks it: its jobTemplate a Job's
    (parse_job); its schedule is the strategy's to read. Raises ManifestError."""
    where, namespace, spec = _named(obj, source, "CronJob")
    template = _mapping(spec.get("jobTemplate"), where, "spec.jobTemplate")
    if not template:
        raise where.error("spec.jobTemplate", "Required value")
    if not isinstance(spec.get("schedule"), str) or not spec["schedule"].strip():
        raise where.error("spec.schedule", "Required value")
    policy = spec.get("concurrencyPolicy", "Allow")
    if policy not in ("Allow", "Forbid", "Replace"):
        raise where.error("spec.concurrencyPolicy", 'Unsupported value: "%s": supported '
                          'values: "Allow", "Forbid", "Replace"' % policy)
    for field in ("successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
        if field in spec:
            _int(spec[field], where, "spec." + field, 0, 1000)
    job = {"metadata": {"name": where.name, "namespace": namespace},
           "spec": _mapping(template.get("spec"), where, "spec.jobTemplate.spec")}
    try:
        return parse_job(job, source)
    except ManifestError as exc:   # its fields are the jobTemplate's
        exc.kind, exc.name = "CronJob", where.name
        exc.field = exc.field.replace("spec.", "spec.jobTemplate.spec.", 1)
        raise


def check_unique_names(manifests):
    api_refs = [(o["kind"], ref(o["metadata"].get("namespace", DEFAULT_NAMESPACE),
                                o["metadata"]["name"]) if o["kind"] != "Namespace"
                 else o["metadata"]["name"]) for o in manifests.api_objects]
    for kind, keys in (("Node", [n.name for n in manifests.nodes]),) + tuple(
            (kind, [key for k, key in api_refs if k == kind]) for kind in API_KINDS):
        seen = set()
        for key in keys:
            if key in seen:
                raise ManifestError("%s %r is defined twice" % (kind, key))
            seen.add(key)


def parse_document(doc, where):
    if not isinstance(doc, dict):
        raise where.error("", "expected a mapping (a Kubernetes object), got %s"
                          % type(doc).__name__)
    kind = doc.get("kind")
    if kind not in KINDS:
        raise where.error("kind", "unsupported kind %r (kubemn reads %s)"
                          % (kind, ", ".join(sorted(KINDS))))
    where.kind = kind
    api_version = doc.get("apiVersion")
    if api_version != KINDS[kind]:
        raise where.error("apiVersion", "%s needs apiVersion %s, got %r"
                          % (kind, KINDS[kind], api_version))
    metadata = _mapping(doc.get("metadata", {}), where, "metadata")
    name = metadata.get("name")
    if kind == "Node":   # stored as written (no namespace: a node is the cluster's)
        where.name = parse_node(doc, where.source, where.index).name
        obj = copy.deepcopy(doc)
        obj["metadata"].pop("namespace", None)
        return kind, obj
    if kind != "Cluster" or name is not None:
        name = _dns_label(name, where, "metadata.name")
        where.name = name
    spec = _mapping(doc.get("spec", {}), where, "spec")
    if kind == "Cluster":
        return kind, _cluster(spec, where)
    if kind == "Namespace":
        return kind, {"apiVersion": "v1", "kind": kind, "metadata": {
            "name": name, "labels": dict(_labels(metadata.get("labels"), where,
                                                 "metadata.labels"))}}
    namespace = metadata.get("namespace", DEFAULT_NAMESPACE)
    namespace = _dns_label(namespace, where, "metadata.namespace")
    if kind == "NetworkPolicy":
        obj = {"apiVersion": KINDS[kind], "kind": kind,
               "metadata": {"name": name, "namespace": namespace}, "spec": spec}
        try:
            parse_policy(obj)
        except PolicyInvalid as exc:
            raise where.error(exc.field, exc.message) from None
        return kind, obj
    # A Pod, Service or Deployment: checked here, so a file's mistake is reported
    # before anything runs; kept as written, for the API's registry to store.
    if kind == "Pod":
        labels = _labels(metadata.get("labels"), where, "metadata.labels")
        _pod_template(spec, labels, where, "spec")
    elif kind == "Deployment":
        _deployment(name, spec, where)
    else:
        _service(name, spec, where)
    obj = copy.deepcopy(doc)
    obj["metadata"]["namespace"] = namespace
    return kind, obj


def _mapping(value, where, path):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise where.error(path, "expected a mapping, got %s" % type(value).__name__)
    return value


def _list(value, where, path):
    if value is None:
        return []
    if not isinstance(value, list):
        raise where.error(path, "expected a list, got %s" % type(value).__name__)
    return value


def _string(value, where, path, required=True):
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise where.error(path, "expected a non-empty string, got %r" % (value,))
    return value


def _dns_label(value, where, path):
    return _matching(value, where, path, DNS_LABEL, 63, "a valid name (lower-case letters, "
                     "digits and '-', at most 63 characters)")


def _dns_subdomain(value, where, path):
    return _matching(value, where, path, DNS_SUBDOMAIN, 253, "a valid DNS name (lower-case "
                     "labels of letters, digits and '-', joined by dots)")


def _matching(value, where, path, pattern, longest, what):
    value = _string(value, where, path)
    if len(value) > longest or not pattern.match(value):
        raise where.error(path, "%r is not %s" % (value, what))
    return value


def _int(value, where, path, low, high):
    if isinstance(value, bool) or not isinstance(value, int):
        raise where.error(path, "expected an integer, got %r" % (value,))
    if not low <= value <= high:
        raise where.error(path, "%d is out of range %d-%d" % (value, low, high))
    return value


def _labels(value, where, path):
    labels = _mapping(value, where, path)
    for key, val in labels.items():
        if not isinstance(key, str) or not isinstance(val, str):
            raise where.error(path, "label %r: keys and values must be strings" % (key,))
    return tuple(sorted(labels.items()))


def _strings(value, where, path):
    items = _list(value, where, path)
    for i, item in enumerate(items):
        if not isinstance(item, (str, int, float)) or isinstance(item, bool):
            raise where.error("%s[%d]" % (path, i), "expected a string, got %r" % (item,))
    return tuple(str(item) for item in items)


def _protocol(value, where, path):
    protocol = value if value is not None else "TCP"
    if protocol not in PROTOCOLS:
        raise where.error(path, "protocol %r is not supported (TCP or UDP)" % (protocol,))
    return protocol


def _mount_path(value, where, path):
    """An absolute path below /, with no '//' or '..' (nor a character the pod's mount
    script would read as shell), a trailing / dropped."""
    value = _string(value, where, path)
    if not value.startswith("/") or value == "/" or "//" in value or \
            ".." in value.split("/") or any(c in value for c in "\n'\"\\$`"):
        raise where.error(path, "%r is not an absolute path" % value)
    return value.rstrip("/")


def _container(value, where, path):
    value = _mapping(value, where, path)
    name = _dns_label(value.get("name"), where, path + ".name")
    image = _string(value.get("image"), where, path + ".image")
    ports = []
    for i, port in enumerate(_list(value.get("ports"), where, path + ".ports")):
        ppath = "%s.ports[%d]" % (path, i)
        port = _mapping(port, where, ppath)
        port_name = port.get("name")
        if port_name is not None:
            port_name = _string(port_name, where, ppath + ".name")
            if len(port_name) > 15 or not PORT_NAME.match(port_name):
                raise where.error(ppath + ".name", "%r is not a valid port name" % port_name)
        ports.append(ContainerPort(
            _int(port.get("containerPort"), where, ppath + ".containerPort", 1, 65535),
            _protocol(port.get("protocol"), where, ppath + ".protocol"), port_name))
    env = []
    try:
        for i, item in enumerate(_list(value.get("env"), where, path + ".env")):
            epath = "%s.env[%d]" % (path, i)
            item = _mapping(item, where, epath)
            env.append((_string(item.get("name"), where, epath + ".name"),
                        parse_env_value(item, epath)))
        env_from = parse_env_from(value.get("envFrom"), path + ".envFrom")
    except VolumeError as exc:
        raise where.error(exc.field, exc.message) from None
    probe = value.get("readinessProbe")
    if probe is not None:
        probe = _probe(probe, where, path + ".readinessProbe", ports)
    flags = {}
    for field in ("stdin", "tty"):
        flag = value.get(field, False)
        if not isinstance(flag, bool):
            raise where.error("%s.%s" % (path, field), "expected true or false, got %r"
                              % (flag,))
        flags[field] = flag
    mounts = []
    for i, item in enumerate(_list(value.get("volumeMounts"), where, path + ".volumeMounts")):
        mpath = "%s.volumeMounts[%d]" % (path, i)
        item = _mapping(item, where, mpath)
        mount_path = _mount_path(item.get("mountPath"), where, mpath + ".mountPath")
        if any(m.mount_path == mount_path for m in mounts):
            raise where.error(mpath + ".mountPath", "Invalid value: %r: must be unique"
                              % mount_path)
        try:
            mounts.append(parse_mount(item, mpath, mount_path))
        except VolumeError as exc:
            raise where.error(exc.field, exc.message) from None
    return Container(name, image,
                     _strings(value.get("command"), where, path + ".command"),
                     _strings(value.get("args"), where, path + ".args"),
                     tuple(ports), tuple(env), probe, volume_mounts=tuple(mounts),
                     env_from=env_from, **flags)


def _probe(value, where, path, ports):
    value = _mapping(value, where, path)
    handlers = [k for k in ("httpGet", "tcpSocket", "exec") if k in value]
    if len(handlers) != 1:
        raise where.error(path, "a probe needs exactly one of httpGet, tcpSocket, exec")
    kind = handlers[0]
    handler = _mapping(value[kind], where, "%s.%s" % (path, kind))
    port, probe_path, command = None, "/", ()
    if kind == "exec":
        command = _strings(handler.get("command"), where, path + ".exec.command")
        if not command:
            raise where.error(path + ".exec.command", "an exec probe needs a command")
    else:
        port = handler.get("port")
        if isinstance(port, str):
            if port not in [p.name for p in ports]:
                raise where.error("%s.%s.port" % (path, kind),
                                  "no container port is named %r" % port)
            port = next(p.container_port for p in ports if p.name == port)
        else:
            port = _int(port, where, "%s.%s.port" % (path, kind), 1, 65535)
        if kind == "httpGet":
            probe_path = _string(handler.get("path", "/"), where, path + ".httpGet.path")
    numbers = {}
    for field, default, low in (("initialDelaySeconds", 0, 0), ("periodSeconds", 10, 1),
                                ("timeoutSeconds", 1, 1), ("successThreshold", 1, 1),
                                ("failureThreshold", 3, 1)):
        numbers[field] = _int(value.get(field, default), where, "%s.%s" % (path, field),
                              low, 3600)
    return Probe(kind, port, probe_path, command, numbers["initialDelaySeconds"],
                 numbers["periodSeconds"], numbers["timeoutSeconds"],
                 numbers["successThreshold"], numbers["failureThreshold"])


def _pod_template(spec, labels, where, path,
                  allowed_restart_policies=("Always", "OnFailure", "Never")):
    containers = _list(spec.get("containers"), where, path + ".containers")
    if not containers:
        raise where.error(path + ".containers", "a pod needs at least one container")
    parsed = tuple(_container(c, where, "%s.containers[%d]" % (path, i))
                   for i, c in enumerate(containers))
    names = [c.name for c in parsed]
    for name in names:
        if names.count(name) > 1:
            raise where.error(path + ".containers", "container name %r is used twice" % name)
    node_name = spec.get("nodeName")
    if node_name is not None:
        node_name = _dns_label(node_name, where, path + ".nodeName")
    restart_policy = spec.get("restartPolicy", "Always")
    if restart_policy not in allowed_restart_policies:
        raise where.error(path + ".restartPolicy", "unsupported value %r: supported values: %s"
                          % (restart_policy, ", ".join(allowed_restart_policies)))
    try:
        dns = parse_pod_dns(spec.get("dnsPolicy"), spec.get("dnsConfig"), path)
    except DnsConfigError as exc:
        raise where.error(exc.field, exc.message) from None
    names = {}
    for field in ("hostname", "subdomain"):
        if spec.get(field) is not None:
            names[field] = _dns_label(spec[field], where, "%s.%s" % (path, field))
    node_selector = _labels(spec.get("nodeSelector"), where, path + ".nodeSelector")
    for i, volume in enumerate(_list(spec.get("volumes"), where, path + ".volumes")):
        _dns_label(_mapping(volume, where, "%s.volumes[%d]" % (path, i)).get("name"), where,
                   "%s.volumes[%d].name" % (path, i))
    try:
        volumes = {v.name: v for v in parse_volumes(spec.get("volumes"), path + ".volumes")}
    except VolumeError as exc:
        raise where.error(exc.field, exc.message) from None
    for i, container in enumerate(parsed):
        for j, mount in enumerate(container.volume_mounts):
            if mount.name not in volumes:
                raise where.error("%s.containers[%d].volumeMounts[%d].name" % (path, i, j),
                                  "Not found: %r" % mount.name)
    mounted = {n: v for n, v in volumes.items() if v.kind != "other"}
    parsed = tuple(replace(c, volume_mounts=tuple(m for m in c.volume_mounts
                                                  if m.name in mounted)) for c in parsed)
    account = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
    return PodTemplate(labels, parsed, node_name, restart_policy, dns=dns,
                       node_selector=node_selector, volumes=tuple(mounted.values()),
                       service_account=_dns_subdomain(account, where,
                                                      path + ".serviceAccountName"),
                       **names)


def _deployment(name, spec, where):
    replicas = spec.get("replicas", 1)
    replicas = _int(replicas, where, "spec.replicas", 0, 1000)
    selector = _mapping(spec.get("selector"), where, "spec.selector")
    match_labels = _labels(selector.get("matchLabels"), where, "spec.selector.matchLabels")
    if not match_labels:
        raise where.error("spec.selector.matchLabels", "a Deployment needs a selector")
    template = _mapping(spec.get("template"), where, "spec.template")
    metadata = _mapping(template.get("metadata"), where, "spec.template.metadata")
    labels = _labels(metadata.get("labels"), where, "spec.template.metadata.labels")
    if not set(match_labels) <= set(labels):
        raise where.error("spec.template.metadata.labels",
                          "must match spec.selector.matchLabels %s" % dict(match_labels))
    annotations = _labels(metadata.get("annotations"), where,
                          "spec.template.metadata.annotations")
    pod_spec = _mapping(template.get("spec"), where, "spec.template.spec")
    pod_template = _pod_template(pod_spec, labels, where, "spec.template.spec", ("Always",))
    return DeploymentSpec(name, replicas, match_labels,
                          replace(pod_template, annotations=annotations),
                          **_strategy(_mapping(spec.get("strategy"), where, "spec.strategy"),
                                      where))


PERCENT = re.compile(r"^(0|[1-9][0-9]?|100)%$")


def _strategy(strategy, where):
    """spec.strategy: RollingUpdate (maxSurge, maxUnavailable: a count or a
    percentage, 25% each by default, not both 0) or Recreate."""
    kind = strategy.get("type", "RollingUpdate")
    if kind not in ("RollingUpdate", "Recreate"):
        raise where.error("spec.strategy.type", 'Unsupported value: "%s": supported values: '
                          '"Recreate", "RollingUpdate"' % kind)
    rolling = _mapping(strategy.get("rollingUpdate"), where, "spec.strategy.rollingUpdate")
    if kind == "Recreate":
        if rolling:
            raise where.error("spec.strategy.rollingUpdate",
                              "Forbidden: may not be specified when strategy `type` is "
                              "'Recreate'")
        return {"strategy": kind}
    limits = {}
    for field, key in (("maxSurge", "max_surge"), ("maxUnavailable", "max_unavailable")):
        value = rolling.get(field, "25%")
        path = "spec.strategy.rollingUpdate." + field
        if isinstance(value, str):
            if not PERCENT.match(value):
                raise where.error(path, "%r: a number or a percentage (0%%-100%%)" % value)
        else:
            _int(value, where, path, 0, 100000)
        limits[key] = value
    if limits["max_surge"] in (0, "0%") and limits["max_unavailable"] in (0, "0%"):
        raise where.error("spec.strategy.rollingUpdate.maxUnavailable",
                          "may not be 0 when `maxSurge` is 0")
    return dict(limits, strategy=kind)


def _service(name, spec, where):
    service_type = spec.get("type", "ClusterIP")
    if service_type not in SERVICE_TYPES:
        raise where.error("spec.type", "unsupported type %r (%s)"
                          % (service_type, ", ".join(SERVICE_TYPES)))
    selector = _labels(spec.get("selector"), where, "spec.selector")
    ports = []
    raw_ports = _list(spec.get("ports"), where, "spec.ports")
    external_name = None
    if service_type == "ExternalName":
        external_name = _dns_subdomain(spec.get("externalName"), where, "spec.externalName")
        if spec.get("clusterIP") not in (None, ""):
            raise where.error("spec.clusterIP", "an ExternalName Service has no clusterIP")
    elif not raw_ports:
        raise where.error("spec.ports", "a Service needs at least one port")
    for i, port in enumerate(raw_ports):
        ppath = "spec.ports[%d]" % i
        port = _mapping(port, where, ppath)
        number = _int(port.get("port"), where, ppath + ".port", 1, 65535)
        target = port.get("targetPort")
        if target is None or (not isinstance(target, bool) and target in (0, "")):
            target = number   # unset, as a typed client sends it: the port, as defaulted
        if isinstance(target, str):
            if not PORT_NAME.match(target):
                raise where.error(ppath + ".targetPort", "%r is not a port name" % target)
        else:
            target = _int(target, where, ppath + ".targetPort", 1, 65535)
        node_port = port.get("nodePort")
        if node_port is not None:
            if service_type in ("ClusterIP", "ExternalName"):
                raise where.error(ppath + ".nodePort", "a %s Service has no nodePort"
                                  % service_type)
            node_port = _int(node_port, where, ppath + ".nodePort", 30000, 32767)
        port_name = port.get("name")
        if port_name is None and len(raw_ports) > 1:
            raise where.error(ppath + ".name", "every port needs a name when there are several")
        ports.append(ServicePort(number, target, _protocol(port.get("protocol"), where,
                                                           ppath + ".protocol"),
                                 port_name, node_port))
    cluster_ip = spec.get("clusterIP") or None
    if cluster_ip is not None and cluster_ip != "None":
        try:
            ipaddress.IPv4Address(cluster_ip)
        except (ipaddress.AddressValueError, ValueError):
            raise where.error("spec.clusterIP", "%r is not an IPv4 address"
                              % (cluster_ip,)) from None
    policy = spec.get("externalTrafficPolicy", "Cluster")
    if policy not in ("Cluster", "Local"):
        raise where.error("spec.externalTrafficPolicy", "%r: expected Cluster or Local"
                          % (policy,))
    if policy == "Local" and service_type in ("ClusterIP", "ExternalName"):
        raise where.error("spec.externalTrafficPolicy",
                          "Local applies to NodePort and LoadBalancer Services only")
    affinity = spec.get("sessionAffinity", "None")
    if affinity not in ("None", "ClientIP"):
        raise where.error("spec.sessionAffinity", "%r: expected None or ClientIP" % (affinity,))
    timeout = 0
    if affinity == "ClientIP":
        config = _mapping(spec.get("sessionAffinityConfig"), where, "spec.sessionAffinityConfig")
        client_ip = _mapping(config.get("clientIP"), where,
                             "spec.sessionAffinityConfig.clientIP")
        timeout = _int(client_ip.get("timeoutSeconds", 10800), where,
                       "spec.sessionAffinityConfig.clientIP.timeoutSeconds", 1, 86400)
    lb_ip = spec.get("loadBalancerIP")
    if lb_ip is not None:
        if service_type != "LoadBalancer":
            raise where.error("spec.loadBalancerIP", "only a LoadBalancer Service has one")
        try:
            lb_ip = str(ipaddress.IPv4Address(lb_ip))
        except (ipaddress.AddressValueError, ValueError):
            raise where.error("spec.loadBalancerIP", "%r is not an IPv4 address"
                              % (lb_ip,)) from None
    if cluster_ip == "None" and service_type != "ClusterIP":
        raise where.error("spec.clusterIP", "a headless Service must be of type ClusterIP")
    publish = spec.get("publishNotReadyAddresses", False)
    if not isinstance(publish, bool):
        raise where.error("spec.publishNotReadyAddresses", "expected true or false, got %r"
                          % (publish,))
    return ServiceSpec(name, selector, tuple(ports), service_type, cluster_ip, policy,
                       timeout, lb_ip, external_name=external_name,
                       publish_not_ready=publish)


def _cidr(value, where, path):
    try:
        return str(ipaddress.IPv4Network(_string(value, where, path)))
    except ValueError as exc:
        raise where.error(path, "%r is not a valid IPv4 CIDR (%s)" % (value, exc)) from None


def _cluster(spec, where):
    defaults = ClusterSpec()
    nodes = spec.get("nodes", len(defaults.nodes))
    if isinstance(nodes, int) and not isinstance(nodes, bool):
        nodes = tuple(NodeSpec("node%d" % i)
                      for i in range(1, _int(nodes, where, "spec.nodes", 1, 250) + 1))
    else:
        parsed = []
        for i, node in enumerate(_list(nodes, where, "spec.nodes")):
            npath = "spec.nodes[%d]" % i
            node = _mapping(node, where, npath)
            pod_cidr = node.get("podCIDR")
            parsed.append(NodeSpec(_node_name(node.get("name"), where, npath + ".name"),
                                   _cidr(pod_cidr, where, npath + ".podCIDR")
                                   if pod_cidr is not None else None))
        if not parsed:
            raise where.error("spec.nodes", "a cluster needs at least one node")
        nodes = tuple(parsed)
    fabric = spec.get("fabric", defaults.fabric)
    if not isinstance(fabric, str) or not FABRICS.match(fabric):
        raise where.error("spec.fabric", "%r: expected 'single' or 'racks:N'" % (fabric,))
    return ClusterSpec(
        nodes,
        _cidr(spec.get("podCIDR", defaults.pod_cidr), where, "spec.podCIDR"),
        _cidr(spec.get("nodeCIDR", defaults.node_cidr), where, "spec.nodeCIDR"),
        _cidr(spec.get("serviceCIDR", defaults.service_cidr), where, "spec.serviceCIDR"),
        fabric,
        _cidr(spec.get("internetCIDR", defaults.internet_cidr), where, "spec.internetCIDR"),
        _cidr(spec.get("loadBalancerCIDR", defaults.load_balancer_cidr), where,
              "spec.loadBalancerCIDR"),
        _servers(spec.get("servers"), where), _placer(spec.get("placer"), where))


def _servers(value, where):
    """spec.servers: the head first, then the other servers (topo/plan/servers.py)."""
    if value is None:
        return ClusterSpec.servers
    names = _list(value, where, "spec.servers")
    if not names or not all(isinstance(n, str) for n in names):
        raise where.error("spec.servers", "expected a list of server names, the head first")
    try:
        return parse_servers(",".join(names))
    except KubemnError as exc:
        raise where.error("spec.servers", str(exc).split(": ", 1)[-1]) from None


def _placer(value, where):
    if value is None:
        return ClusterSpec.placer
    if value not in PLACERS:
        raise where.error("spec.placer", "%r: expected one of %s" % (value, ", ".join(PLACERS)))
    return value


NODE_NAME = re.compile(r"^[a-z][a-z0-9]{0,9}$")


def _node_name(value, where, path):
    """Node names become Mininet host names: short, and no '-' so CLI use is easy."""
    value = _string(value, where, path)
    if not NODE_NAME.match(value):
        raise where.error(path, "%r: node names are a letter then letters or digits, "
                          "at most 10 characters" % value)
    return value
