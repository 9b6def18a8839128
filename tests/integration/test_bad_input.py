"""Bad manifests and bad flags: one clear line, a non-zero exit, nothing left behind."""
import subprocess
import sys

import pytest

from tests.integration.conftest import ROOT, manifest_path
from topo.runtime import cleanup

CASES = [
    (["-f", "bad/not-yaml.yaml"], "not-yaml.yaml: line 4: invalid YAML"),
    (["-f", "bad/unknown-kind.yaml"], "unsupported kind 'ConfigMap'"),
    (["-f", "bad/no-containers.yaml"], "(Pod empty): spec.containers: a pod needs at least"),
    (["-f", "bad/bad-port.yaml"], "spec.containers[0].ports[0].containerPort: 70000 is out of "
                                  "range 1-65535"),
    (["-f", "bad/no-selector.yaml"], "(Deployment web): spec.selector.matchLabels: a "
                                     "Deployment needs a selector"),
    (["-f", "bad/unknown-node.yaml"], "nodeName 'node9': no such node (nodes: node1, node2)"),
    (["-f", "bad/duplicate-pod.yaml"], "Pod 'twin' is defined twice"),
    (["-f", "bad/overlapping-cidrs.yaml"], "pod CIDR 10.0.0.0/8 overlaps service CIDR "
                                           "10.96.0.0/12"),
    (["-f", "bad/bad-name.yaml"], "metadata.name: 'Web_Server' is not a valid name"),
    (["-f", "bad/empty.yaml"], "empty.yaml: no Kubernetes objects in the file"),
    (["-f", "bad/too-many-pods.yaml"], "the cluster has room for 1 more pods, 3 asked for"),
    (["-f", "bad/missing.yaml"], "missing.yaml: cannot read: No such file or directory"),
    (["--nodes", "0"], "--nodes 0: expected 1-250"),
    (["--fabric", "mesh"], "--fabric 'mesh': expected 'single' or 'racks:N'"),
]


POD = """apiVersion: v1
kind: Pod
metadata: {name: %s}
spec:
  %s
  containers: [{name: c, image: busybox%s}]
"""
SERVICE = """apiVersion: v1
kind: Service
metadata: {name: %s}
spec:
  %s
"""
CLUSTER = """apiVersion: kubemn.io/v1alpha1
kind: Cluster
metadata: {name: bad}
spec:
  %s
"""
# Manifests written to a file per case: (text, message).
INLINE = [
    (CLUSTER % "podCIDR: 10.244.0.0/33", "spec.podCIDR: '10.244.0.0/33' is not a valid "
                                         "IPv4 CIDR"),
    (CLUSTER % "nodeCIDR: 10.96.0.0/24", "node CIDR 10.96.0.0/24 overlaps service CIDR"),
    (CLUSTER % "nodes: [{name: a, podCIDR: 10.244.1.0/24}, {name: b, podCIDR: "
               "10.244.1.0/25}]", "node b: podCIDR 10.244.1.0/25 overlaps node a's"),
    (CLUSTER % "nodes: [{name: a, podCIDR: 10.99.0.0/24}]", "is outside the pod CIDR"),
    (CLUSTER % "nodes: [{name: averyverylongnodename}]", "at most 10 characters"),
    (CLUSTER % "fabric: racks:0", "expected 'single' or 'racks:N'"),
    (CLUSTER % "nodes: 0", "spec.nodes: 0 is out of range 1-250"),
    (POD % ("x" * 64, "", ""), "is not a valid name"),
    (POD % ("node1", "", ""), "pod 'node1': the name is taken by a node or switch"),
    (POD % ("p", "", ", ports: [{containerPort: 0}]"), "containerPort: 0 is out of range"),
    (POD % ("p", "", ", env: [{name: A, value: 1}]"), "env[0].value: expected a string"),
    (POD % ("p", "", ", readinessProbe: {httpGet: {port: web}}"),
     "no container port is named 'web'"),
    (POD % ("p", "", ", readinessProbe: {periodSeconds: 1}"),
     "a probe needs exactly one of httpGet, tcpSocket, exec"),
    ((POD % ("p", "restartPolicy: Always", "")).replace("image: busybox", "imag: busybox"),
     "spec.containers[0].image: expected a non-empty string"),
    (POD % ("p", "restartPolicy: Sometimes", ""),
     "spec.restartPolicy: unsupported value 'Sometimes': supported values: Always, "
     "OnFailure, Never"),
    (SERVICE % ("s", "ports: [{port: 80, targetPort: 70000}]"),
     "targetPort: 70000 is out of range 1-65535"),
    (SERVICE % ("s", "type: NodePort\n  ports: [{port: 80, nodePort: 29999}]"),
     "nodePort: 29999 is out of range 30000-32767"),
    (SERVICE % ("s", "clusterIP: 10.0.0.5\n  ports: [{port: 80}]"),
     "clusterIP 10.0.0.5 is outside the service CIDR 10.96.0.0/12"),
    (SERVICE % ("s", "clusterIP: 10.96.0.10\n  ports: [{port: 80}]"),
     "clusterIP 10.96.0.10 is already allocated to kube-system/kube-dns"),
    (SERVICE % ("a", "type: NodePort\n  ports: [{port: 80, nodePort: 30007}]") + "---\n"
     + SERVICE % ("b", "type: NodePort\n  ports: [{port: 81, nodePort: 30007}]"),
     "service b: nodePort 30007/TCP is already allocated to a"),
    (SERVICE % ("s", "type: LoadBalancer\n  loadBalancerIP: 10.1.1.1\n  ports: [{port: 80}]"),
     "loadBalancerIP 10.1.1.1 is outside the load balancer CIDR"),
    (SERVICE % ("s", "externalTrafficPolicy: Local\n  ports: [{port: 80}]"),
     "Local applies to NodePort and LoadBalancer Services only"),
    (SERVICE % ("s", "sessionAffinity: Sticky\n  ports: [{port: 80}]"),
     "spec.sessionAffinity: 'Sticky': expected None or ClientIP"),
    (SERVICE % ("s", "ports: [{port: 80}, {port: 81}]"),
     "every port needs a name when there are several"),
    (SERVICE % ("s", "ports: []"), "a Service needs at least one port"),
    (SERVICE % ("s", "ports: [{port: 80}]") + "---\n" + SERVICE % ("s", "ports: [{port: 81}]"),
     "Service 's' is defined twice"),
    ("apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {app: 7}}\nspec: "
     "{containers: [{name: c, image: x}]}\n", "label 'app': keys and values must be strings"),
    ("apiVersion: v2\nkind: Pod\nmetadata: {name: p}\n", "Pod needs apiVersion v1"),
    ("- a list\n", "expected a mapping (a Kubernetes object), got list"),
    ("# only a comment\n", "no Kubernetes objects in the file"),
    ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector: "
     "{matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: b}}\n    spec: "
     "{containers: [{name: c, image: x}]}\n", "must match spec.selector.matchLabels"),
]


def run_kubemn(args):
    return subprocess.run([sys.executable, "-m", "topo.main", "run"] + args,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def assert_refused(result, message):
    assert result.returncode == 1, result
    errors = [line for line in result.stderr.splitlines() if not line.startswith("kubemn: ")
              or line.startswith("kubemn: error:")]
    assert len(errors) == 1 and errors[0].startswith("kubemn: error: "), result.stderr
    assert message in errors[0]
    assert not any(cleanup.leftovers().values())


@pytest.mark.parametrize("text,message", INLINE, ids=[c[1][:40] for c in INLINE])
def test_bad_manifests_are_refused_cleanly(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    assert_refused(run_kubemn(["-f", str(path)]), message)


@pytest.mark.parametrize("args,message", CASES, ids=[c[1][:40] for c in CASES])
def test_bad_input_is_refused_cleanly(args, message):
    args = [manifest_path(a) if a.endswith(".yaml") else a for a in args]
    result = run_kubemn(args)
    assert_refused(result, message)


def test_unknown_flag_is_refused():
    result = subprocess.run([sys.executable, "-m", "topo.main", "run", "--bogus"],
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2
    assert "unrecognized arguments: --bogus" in result.stderr
