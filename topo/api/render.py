"""What the API stores that kubemn itself makes (pure): a pod's and a node's status
as their kubelet reports them, a Service as its strategy stores it, the `kubernetes`
Service and its endpoints, a Namespace.

Inputs are kubemn's model (topo.plan.model) and plain facts about what runs (the views
below, which each node's kubelet reads, kubelet/status_manager.py); outputs are JSON-shaped dicts
with the defaults the API server fills in. The store adds uid, resourceVersion and
generation.
"""
import hashlib
import time
import uuid
from collections import namedtuple

from topo.kubelet.endpoints import PORT as KUBELET_PORT
from topo.plan.ipam import pod_capacity

KUBELET_VERSION = "v1.37.0-kubemn"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

# What a node's kubelet reads off what runs (topo/kubelet/status_manager.py).
# state: Running, Completed, Error, CrashLoopBackOff, or (not started) ContainerCreating,
# CreateContainerError or CreateContainerConfigError with a message.
ContainerView = namedtuple("ContainerView", "name state exit_code restarts ready message",
                           defaults=(None,))
WAITING = ("ContainerCreating", "CreateContainerError", "CreateContainerConfigError")
PodView = namedtuple("PodView", "spec ip node host_ip created ready containers")
# host: HostFacts of the machine every node shares; run_id: the cluster's run.
# server: (its name, its address) over several servers, else None
NodeView = namedtuple("NodeView", "name ip pod_cidr created host run_id server",
                      defaults=(None,))
HostFacts = namedtuple("HostFacts", "kernel boot_id cpus memory_kib disk_kib architecture")
ServiceView = namedtuple("ServiceView", "spec cluster_ip node_ports lb_ip created")


def timestamp(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _metadata(name, created, namespace=None, labels=None):
    metadata = {"name": name, "creationTimestamp": timestamp(created)}
    if namespace is not None:
        metadata["namespace"] = namespace
    if labels:
        metadata["labels"] = dict(labels)
    return metadata


# --- pods ----------------------------------------------------------------------
def _container_status(view, image, started):
    status = {"name": view.name, "image": image, "imageID": "", "ready": view.ready,
              "restartCount": view.restarts, "started": view.state == "Running",
              "containerID": "kubemn://%s" % hashlib.sha1(view.name.encode()).hexdigest()[:12]}
    if view.state in WAITING:   # (a volume's wait is said in an event alone)
        status["state"] = {"waiting": dict({"reason": view.state}, **(
            {"message": view.message} if view.message and view.state != "ContainerCreating"
            else {}))}
    elif view.state == "Running":
        status["state"] = {"running": {"startedAt": timestamp(started)}}
    elif view.state == "CrashLoopBackOff":
        status["state"] = {"waiting": {"reason": "CrashLoopBackOff"}}
        status["lastState"] = {"terminated": {"exitCode": view.exit_code, "reason": "Error"}}
    else:
        status["state"] = {"terminated": {
            "exitCode": view.exit_code, "reason": view.state,
            "startedAt": timestamp(started), "finishedAt": timestamp(started)}}
    return status


def pod_phase(states, restart_policy):
    if any(s in WAITING for s in states):
        return "Pending"
    if all(s == "Completed" for s in states) and restart_policy != "Always":
        return "Succeeded"
    if "Error" in states and restart_policy == "Never":
        return "Failed"
    return "Running"


def _condition(kind, ok, when):
    return {"type": kind, "status": "True" if ok else "False", "lastProbeTime": None,
            "lastTransitionTime": timestamp(when)}


def pod_status(view):
    """A pod's status as its kubelet reports it."""
    template = view.spec.template
    images = {c.name: c.image for c in template.containers}
    containers = [_container_status(c, images[c.name], view.created) for c in view.containers]
    states = [c.state for c in view.containers]
    all_ready = all(c.ready for c in view.containers)
    status = {
        "phase": pod_phase(states, template.restart_policy),
        "conditions": [_condition("Initialized", True, view.created),
                       _condition("Ready", view.ready, view.created),
                       _condition("ContainersReady", all_ready, view.created),
                       _condition("PodScheduled", True, view.created)],
        "startTime": timestamp(view.created), "qosClass": "BestEffort",
        "containerStatuses": containers}
    if view.ip:   # a pending pod has no address yet
        status.update({"hostIP": view.host_ip, "hostIPs": [{"ip": view.host_ip}],
                       "podIP": view.ip, "podIPs": [{"ip": view.ip}]})
    return status


# --- services ------------------------------------------------------------------
def service_json(view):
    spec = view.spec
    ports = []
    for port in spec.ports:
        entry = {"protocol": port.protocol, "port": port.port, "targetPort": port.target_port}
        if port.name:
            entry["name"] = port.name
        node_port = (view.node_ports or {}).get((port.port, port.protocol))
        if node_port:
            entry["nodePort"] = node_port
        ports.append(entry)
    body = {"ports": ports, "type": spec.type, "sessionAffinity":
            "ClientIP" if spec.affinity_timeout else "None",
            "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
            "internalTrafficPolicy": "Cluster"}
    if spec.selector:
        body["selector"] = dict(spec.selector)
    if spec.type == "ExternalName":
        # An alias has no address, so no IP families, and ports only if it was given some.
        for field in ("ipFamilies", "ipFamilyPolicy", "internalTrafficPolicy"):
            del body[field]
        if not ports:
            del body["ports"]
        body["externalName"] = spec.external_name
    else:
        body["clusterIP"] = view.cluster_ip or "None"
        body["clusterIPs"] = [body["clusterIP"]]
    if spec.publish_not_ready:
        body["publishNotReadyAddresses"] = True
    if spec.affinity_timeout:
        body["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": spec.affinity_timeout}}
    if spec.type in ("NodePort", "LoadBalancer"):
        body["externalTrafficPolicy"] = spec.external_traffic_policy
    if spec.load_balancer_ip:
        body["loadBalancerIP"] = spec.load_balancer_ip
    status = {"loadBalancer": {"ingress": [{"ip": view.lb_ip, "ipMode": "VIP"}]}
              if view.lb_ip else {}}
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": _metadata(spec.name, view.created, spec.namespace),
            "spec": body, "status": status}


API_ADDRESS = "127.0.0.1"   # kubemn's API server: the machine's loopback, out of the pods' reach


def api_endpoints_json(port, created):
    """The kubernetes Service's endpoint: where the API server really listens (the API
    server writes it, as Kubernetes' own endpoint reconciler does)."""
    return {"apiVersion": "v1", "kind": "Endpoints",
            "metadata": _metadata("kubernetes", created, "default",
                                  {"endpointslice.kubernetes.io/skip-mirror": "true"}),
            "subsets": [{"addresses": [{"ip": API_ADDRESS}],
                         "ports": [{"name": "https", "port": port, "protocol": "TCP"}]}]}


def api_endpoint_slice_json(port, created):
    metadata = _metadata("kubernetes", created, "default", {
        "kubernetes.io/service-name": "kubernetes"})
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": metadata, "addressType": "IPv4",
            "endpoints": [{"addresses": [API_ADDRESS], "conditions": {"ready": True}}],
            "ports": [{"name": "https", "port": port, "protocol": "TCP"}]}


# --- cluster -------------------------------------------------------------------
def node_labels(name):
    """The labels the kubelet gives its node."""
    return {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
            "beta.kubernetes.io/arch": "amd64"}


def node_status(view):
    """What a kubelet reports of its node: the nodes share the machine's kernel (its
    boot id), its processors, memory and disk (each node's capacity is all of them, as
    containers on one machine see it); a node holds as many pods as its PodCIDR has
    addresses for."""
    host = view.host
    machine_id = hashlib.sha256(("%s/%s" % (view.run_id, view.name)).encode()).hexdigest()[:32]
    capacity = {"cpu": str(host.cpus), "memory": "%dKi" % host.memory_kib,
                "ephemeral-storage": "%dKi" % host.disk_kib,
                "pods": str(pod_capacity(view.pod_cidr))}
    created = timestamp(view.created)
    conditions = (
        ("MemoryPressure", "False", "KubeletHasSufficientMemory",
         "kubelet has sufficient memory available"),
        ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        ("PIDPressure", "False", "KubeletHasSufficientPID",
         "kubelet has sufficient PID available"),
        ("Ready", "True", "KubeletReady", "kubelet is posting ready status"))
    return {"capacity": capacity, "allocatable": dict(capacity),
            "addresses": [{"type": "InternalIP", "address": view.ip},
                          {"type": "Hostname", "address": view.name}],
            "conditions": [{"type": kind, "status": status, "reason": reason,
                            "message": message, "lastHeartbeatTime": created,
                            "lastTransitionTime": created}
                           for kind, status, reason, message in conditions],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": KUBELET_PORT}},
            "nodeInfo": {"machineID": machine_id,
                         "systemUUID": str(uuid.UUID(machine_id)),
                         "bootID": host.boot_id,
                         "kubeletVersion": KUBELET_VERSION,
                         "kubeProxyVersion": KUBELET_VERSION,
                         # Over several servers, the one it runs on (`kubectl get
                         # nodes -o wide`); not an address: the node has none there.
                         "osImage": "Mininet host" + (" on %s (%s)" % view.server
                                                      if view.server else ""),
                         "kernelVersion": host.kernel,
                         "containerRuntimeVersion": "kubemn://0.1.0",
                         "operatingSystem": "linux",
                         "architecture": host.architecture}}


def namespace_json(name, created, labels=None):
    labels = dict(labels or {}, **{"kubernetes.io/metadata.name": name})
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": _metadata(name, created, None, labels),
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}
