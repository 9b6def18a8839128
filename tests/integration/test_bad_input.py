"""Bad manifests and bad flags: one clear line, a non-zero exit, nothing left behind."""
import subprocess
import sys

import pytest

from tests.integration.conftest import ROOT, manifest_path
from topo import cleanup

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


@pytest.mark.parametrize("args,message", CASES, ids=[c[1][:40] for c in CASES])
def test_bad_input_is_refused_cleanly(args, message):
    args = [manifest_path(a) if a.endswith(".yaml") else a for a in args]
    result = subprocess.run([sys.executable, "-m", "topo.main", "run"] + args,
                            stdin=subprocess.DEVNULL, capture_output=True, text=True,
                            cwd=ROOT, timeout=120)
    assert result.returncode == 1, result
    errors = [line for line in result.stderr.splitlines() if not line.startswith("kubemn: ")
              or line.startswith("kubemn: error:")]
    assert len(errors) == 1 and errors[0].startswith("kubemn: error: "), result.stderr
    assert message in errors[0]
    assert not any(cleanup.leftovers().values())


def test_unknown_flag_is_refused():
    result = subprocess.run([sys.executable, "-m", "topo.main", "run", "--bogus"],
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2
    assert "unrecognized arguments: --bogus" in result.stderr
