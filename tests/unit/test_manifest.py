"""Manifest parsing: real Kubernetes YAML in, model out, clear errors for bad input."""
import pytest

from topo.errors import ManifestError
from topo.plan.manifest import parse_deployment, parse_service, parse_texts

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
  annotations: {note: ignored}
spec:
  replicas: 3
  strategy: {type: RollingUpdate}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, tier: front}}
    spec:
      restartPolicy: Always
      containers:
      - name: nginx
        image: nginx:1.25
        imagePullPolicy: IfNotPresent
        ports: [{containerPort: 80, name: http}]
        env: [{name: MODE, value: demo}]
        resources: {limits: {cpu: 100m}}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: http, nodePort: 30080}
  - {name: dns, port: 53, protocol: UDP}
"""


def parse(text):
    return parse_texts([("test.yaml", text)])


def test_reads_deployments_and_services_ignoring_fields_kubemn_does_not_use():
    manifests = parse(DEPLOYMENT)
    obj, service_obj = manifests.api_objects
    assert obj["metadata"]["namespace"] == "default"   # kept for the API to store
    deployment = parse_deployment(obj)
    assert deployment.replicas == 3 and dict(deployment.selector) == {"app": "web"}
    (container,) = deployment.template.containers
    assert (container.name, container.image) == ("nginx", "nginx:1.25")
    assert container.ports[0].container_port == 80 and container.ports[0].name == "http"
    assert container.env == (("MODE", "demo"),)
    service = parse_service(service_obj)
    assert service.type == "NodePort"
    assert [(p.port, p.target_port, p.protocol, p.node_port) for p in service.ports] == [
        (80, "http", "TCP", 30080), (53, 53, "UDP", None)]


def test_cluster_document_sets_nodes_and_fabric():
    manifests = parse("""
apiVersion: kubemn.io/v1alpha1
kind: Cluster
metadata: {name: lab}
spec:
  nodes: [{name: alpha}, {name: beta, podCIDR: 10.244.9.0/24}]
  fabric: racks:2
""")
    cluster = manifests.cluster
    assert [n.name for n in cluster.nodes] == ["alpha", "beta"]
    assert cluster.nodes[1].pod_cidr == "10.244.9.0/24" and cluster.fabric == "racks:2"


def test_node_objects():
    manifests = parse("apiVersion: v1\nkind: Node\nmetadata: {name: node7}\n"
                      "spec: {podCIDR: 10.244.70.0/24}\nstatus: {capacity: {}}\n")
    (node,) = manifests.nodes
    assert (node.name, node.pod_cidr) == ("node7", "10.244.70.0/24")


def test_node_count_shorthand():
    manifests = parse("apiVersion: kubemn.io/v1alpha1\nkind: Cluster\nspec: {nodes: 3}\n")
    assert [n.name for n in manifests.cluster.nodes] == ["node1", "node2", "node3"]


@pytest.mark.parametrize("text,message", [
    ("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c}]}\n",
     "test.yaml: document 1 (Pod a): spec.containers[0].image: expected a non-empty string"),
    ("apiVersion: apps/v1\nkind: Pod\nmetadata: {name: a}\n",
     "apiVersion: Pod needs apiVersion v1, got 'apps/v1'"),
    ("- just\n- a list\n", "expected a mapping (a Kubernetes object), got list"),
    ("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n"
     "  - {name: c, image: x, ports: [{containerPort: 80, protocol: SCTP}]}\n",
     "protocol 'SCTP' is not supported"),
    ("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 80, "
     "nodePort: 30001}]}\n", "a ClusterIP Service has no nodePort"),
    ("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {type: NodePort, ports: "
     "[{port: 80, nodePort: 80}]}\n", "nodePort: 80 is out of range 30000-32767"),
    ("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {type: ExternalName}\n",
     "spec.externalName: expected a non-empty string"),
    ("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {type: ExternalName, "
     "externalName: my_db.example.com}\n", "spec.externalName: 'my_db.example.com' is not a "
     "valid DNS name"),
    ("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {type: Headless}\n",
     "unsupported type 'Headless'"),
    ("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {hostname: Web.1, containers: "
     "[{name: c, image: x}]}\n", "spec.hostname: 'Web.1' is not a valid name"),
    ("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {clusterIP: 10.96.0.300, "
     "ports: [{port: 80}]}\n", "spec.clusterIP: '10.96.0.300' is not an IPv4 address"),
    ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector: "
     "{matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: b}}\n    spec: "
     "{containers: [{name: c, image: x}]}\n", "must match spec.selector.matchLabels"),
    ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: -1}\n",
     "spec.replicas: -1 is out of range 0-1000"),
    ("apiVersion: kubemn.io/v1alpha1\nkind: Cluster\nspec: {nodes: [{name: Node-1}]}\n",
     "node names are a letter then letters or digits"),
    ("apiVersion: kubemn.io/v1alpha1\nkind: Cluster\nspec: {podCIDR: 10.244.0.0/33}\n",
     "spec.podCIDR: '10.244.0.0/33' is not a valid IPv4 CIDR"),
    ("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n"
     "  - {name: c, image: x}\n  - {name: c, image: y}\n", "container name 'c' is used twice"),
    ("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n"
     "  - {name: c, image: x, volumeMounts: [{name: data, mountPath: /data}]}\n",
     "spec.containers[0].volumeMounts[0].name: Not found: 'data'"),
    ("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  volumes: [{name: d, "
     "emptyDir: {}}]\n  containers:\n  - {name: c, image: x, volumeMounts: [{name: d, "
     "mountPath: data}]}\n", "mountPath: 'data' is not an absolute path"),
    ("", "test.yaml: no Kubernetes objects in the file"),
    ("kind: Pod\n  bad: indent\n", "test.yaml: line 2: invalid YAML"),
])
def test_bad_manifests_name_the_field(text, message):
    with pytest.raises(ManifestError) as error:
        parse(text)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("target", ["", "targetPort: 0,", "targetPort: '',"])
def test_a_service_port_without_a_target_port_targets_the_port(target):
    service = parse("""apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 8080, %s protocol: TCP}]
""" % target).api_objects[0]
    service = parse_service(service)
    assert service.ports[0].target_port == 8080


def test_restart_policy_defaults_to_always_and_deployments_allow_only_always():
    pod = parse(POD_WITH_POLICY % "OnFailure").pods[0]
    assert pod.template.restart_policy == "OnFailure"
    deployment = parse_deployment(parse(DEPLOYMENT).api_objects[0])
    assert deployment.template.restart_policy == "Always"
    never = DEPLOYMENT.replace("restartPolicy: Always", "restartPolicy: Never")
    with pytest.raises(ManifestError, match="spec.template.spec.restartPolicy: unsupported "
                                            "value 'Never': supported values: Always$"):
        parse(never)


POD_WITH_POLICY = """apiVersion: v1
kind: Pod
metadata: {name: job}
spec:
  restartPolicy: %s
  containers: [{name: c, image: busybox, command: [sleep, infinity]}]
"""


def test_empty_dir_volumes_and_their_mounts_other_volumes_left_out():
    pod = parse("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  volumes:\n"
                "  - {name: results, emptyDir: {}}\n"
                "  - {name: conf, persistentVolumeClaim: {claimName: x}}\n"
                "  containers:\n  - name: c\n    image: x\n    volumeMounts:\n"
                "    - {name: results, mountPath: /results/}\n"
                "    - {name: conf, mountPath: /etc/conf}\n").pods[0]
    assert pod.template.empty_dirs == ("results",)
    (mount,) = pod.template.containers[0].volume_mounts
    assert (mount.name, mount.mount_path) == ("results", "/results")
