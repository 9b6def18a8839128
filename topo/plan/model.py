"""The cluster as plain data: what the manifests ask for, before anything is built.

Everything here is immutable and free of side effects, so the plan of a cluster can
be checked by unit tests without root.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Tuple

from topo.plan.pod_dns import PodDns

DEFAULT_NAMESPACE = "default"


def ref(namespace: str, name: str) -> str:
    """How kubemn names an object across namespaces: 'web' in default, 'ns/web'
    elsewhere. Pods are CLI targets under this name."""
    return name if namespace == DEFAULT_NAMESPACE else "%s/%s" % (namespace, name)


class Namespaced:
    """Objects with a name and a namespace."""

    @property
    def ref(self) -> str:
        return ref(self.namespace, self.name)


@dataclass(frozen=True)
class ContainerPort:
    container_port: int
    protocol: str = "TCP"
    name: Optional[str] = None


@dataclass(frozen=True)
class Probe:
    """A readinessProbe: kind httpGet (port and path), tcpSocket (port) or exec
    (command)."""
    kind: str                      # "httpGet", "tcpSocket" or "exec"
    port: object = None            # a number, or the name of a container port
    path: str = "/"
    command: Tuple[str, ...] = ()
    initial_delay: int = 0
    period: int = 10
    timeout: int = 1
    success_threshold: int = 1
    failure_threshold: int = 3


@dataclass(frozen=True)
class VolumeMount:
    name: str
    mount_path: str
    read_only: bool = False
    sub_path: str = ""   # a file or directory of the volume, mounted alone


@dataclass(frozen=True)
class FieldRef:
    """What the downward API reads: a fieldRef's fieldPath (`metadata.labels['app']`,
    `status.podIP`), or a resourceFieldRef's resource (`limits.memory`) of a
    container, in units of divisor."""
    field_path: str = ""
    resource: str = ""
    container: str = ""
    divisor: str = "1"


@dataclass(frozen=True)
class ValueFrom:
    """An environment variable's valueFrom: a key of a ConfigMap or Secret (kind
    configMapKeyRef or secretKeyRef), or the downward API (kind field)."""
    kind: str
    name: str = ""
    key: str = ""
    optional: bool = False
    field: Optional[FieldRef] = None


@dataclass(frozen=True)
class EnvFrom:
    """envFrom: every key of a ConfigMap or Secret (kind configMapRef or secretRef) as
    a variable, its name after prefix."""
    kind: str
    name: str
    prefix: str = ""
    optional: bool = False


@dataclass(frozen=True)
class VolumeFile:
    """One file of a volume: a ConfigMap's or Secret's key, or a downward API field,
    at path (relative to the volume), with its mode (None: the volume's default)."""
    path: str
    key: str = ""
    field: Optional[FieldRef] = None
    mode: Optional[int] = None


@dataclass(frozen=True)
class VolumeSource:
    """What a volume's files come from: kind configMap, secret, downwardAPI or
    serviceAccountToken; its items (none: every key of the ConfigMap or Secret)."""
    kind: str
    name: str = ""   # the ConfigMap's or Secret's
    items: Tuple[VolumeFile, ...] = ()
    optional: bool = False
    audience: str = ""       # serviceAccountToken: the token's audience,
    expiration: int = 3600   # its lifetime in seconds, and the file (items[0].path)


@dataclass(frozen=True)
class Volume:
    """A pod's volume: kind emptyDir, configMap, secret, downwardAPI or projected
    (files from sources); any other kind is kept by the API and mounted nowhere."""
    name: str
    kind: str
    sources: Tuple[VolumeSource, ...] = ()
    default_mode: int = 0o644

    @property
    def has_files(self) -> bool:
        """Its files are written by the kubelet (read-only in the containers)."""
        return self.kind in FILE_VOLUMES


FILE_VOLUMES = ("configMap", "secret", "downwardAPI", "projected")
MOUNTED_VOLUMES = ("emptyDir",) + FILE_VOLUMES


@dataclass(frozen=True)
class Container:
    name: str
    image: str
    command: Tuple[str, ...] = ()
    args: Tuple[str, ...] = ()
    ports: Tuple[ContainerPort, ...] = ()
    env: Tuple[Tuple[str, object], ...] = ()   # (name, a string or a ValueFrom)
    readiness_probe: Optional[Probe] = None
    stdin: bool = False   # keeps its standard input open, for kubectl attach / run -i
    tty: bool = False     # runs on a terminal, for kubectl run -it
    volume_mounts: Tuple[VolumeMount, ...] = ()   # of the pod's mounted volumes
    env_from: Tuple[EnvFrom, ...] = ()


@dataclass(frozen=True)
class PodTemplate:
    """What a Pod manifest or a Deployment's template asks for."""
    labels: Tuple[Tuple[str, str], ...]
    containers: Tuple[Container, ...]
    node_name: Optional[str] = None
    restart_policy: str = "Always"   # Always | OnFailure | Never, as in Kubernetes
    # A Deployment's template annotations (kubectl rollout restart sets one): a change
    # makes a new template, hence a rollout.
    annotations: Tuple[Tuple[str, str], ...] = ()
    dns: PodDns = PodDns()   # dnsPolicy and dnsConfig
    hostname: Optional[str] = None    # the pod's hostname (its name without one)
    subdomain: Optional[str] = None   # with a headless Service of this name: an FQDN
    node_selector: Tuple[Tuple[str, str], ...] = ()   # labels the pod's node must have
    volumes: Tuple[Volume, ...] = ()   # those kubemn mounts
    service_account: str = "default"

    @property
    def empty_dirs(self) -> Tuple[str, ...]:
        return tuple(v.name for v in self.volumes if v.kind == "emptyDir")

    def host_name(self, pod_name: str) -> str:
        return self.hostname or pod_name

    def label_dict(self) -> dict[str, str]:
        return dict(self.labels)


@dataclass(frozen=True)
class PodSpec(Namespaced):
    name: str
    template: PodTemplate
    namespace: str = DEFAULT_NAMESPACE


@dataclass(frozen=True)
class DeploymentSpec(Namespaced):
    name: str
    replicas: int
    selector: Tuple[Tuple[str, str], ...]
    template: PodTemplate
    namespace: str = DEFAULT_NAMESPACE
    strategy: str = "RollingUpdate"   # or "Recreate"
    max_surge: object = "25%"         # a count, or a percentage of replicas
    max_unavailable: object = "25%"


@dataclass(frozen=True)
class ServicePort:
    port: int
    target_port: object  # int, or the name of a container port
    protocol: str = "TCP"
    name: Optional[str] = None
    node_port: Optional[int] = None


@dataclass(frozen=True)
class ServiceSpec(Namespaced):
    name: str
    selector: Tuple[Tuple[str, str], ...]
    ports: Tuple[ServicePort, ...]
    type: str = "ClusterIP"
    cluster_ip: Optional[str] = None          # "None": headless
    external_traffic_policy: str = "Cluster"  # or "Local"
    affinity_timeout: int = 0                 # seconds of ClientIP affinity; 0: none
    load_balancer_ip: Optional[str] = None    # asked-for LoadBalancer address
    namespace: str = DEFAULT_NAMESPACE
    external_name: Optional[str] = None       # type ExternalName: the name it aliases
    publish_not_ready: bool = False           # not-ready pods are endpoints too


@dataclass(frozen=True)
class NodeSpec:
    name: str
    pod_cidr: Optional[str] = None  # None: allocated from the cluster's pod CIDR


@dataclass(frozen=True)
class ClusterSpec:
    """The kubemn Cluster document: nodes, address plan, fabric."""
    nodes: Tuple[NodeSpec, ...] = (NodeSpec("node1"), NodeSpec("node2"))
    pod_cidr: str = "10.244.0.0/16"
    node_cidr: str = "192.168.0.0/24"
    service_cidr: str = "10.96.0.0/12"
    fabric: str = "single"
    internet_cidr: str = "203.0.113.0/24"       # the host outside the cluster
    load_balancer_cidr: str = "198.51.100.0/24"  # LoadBalancer addresses
    servers: Tuple[str, ...] = ("head",)        # where the nodes run (topo/plan/servers.py)
    placer: str = "bins"                        # how they are placed over them


@dataclass(frozen=True)
class Manifests:
    """Everything read from a set of YAML files, in the order given."""
    cluster: Optional[ClusterSpec] = None
    pods: Tuple[PodSpec, ...] = ()
    nodes: Tuple[NodeSpec, ...] = ()   # Node objects, added to the Cluster's nodes
    sources: Tuple[str, ...] = field(default=(), compare=False)
    # Namespaces, NetworkPolicies, Services and Deployments (checked, as JSON-like
    # dicts): objects the API keeps alone, created through its registry.
    api_objects: Tuple[dict, ...] = field(default=(), compare=False)
