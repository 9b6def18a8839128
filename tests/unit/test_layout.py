"""The import rule of the layout: the pure parts import no runtime, CLI or process
code, so they stay testable without root."""
import ast
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PURE = ["topo/api/resources.py", "topo/api/selectors.py", "topo/api/render.py",
        "topo/api/tables.py", "topo/api/patch.py", "topo/api/protobuf.py",
        "topo/api/openapi.py", "topo/api/status.py", "topo/api/store.py",
        "topo/api/websocket.py", "topo/model.py", "topo/manifest.py", "topo/workloads.py",
        "topo/kubectl_format.py", "services/endpoints.py", "services/desired.py"]
RUNTIME = ("mininet", "subprocess", "topo.cluster", "topo.pod", "topo.network", "topo.node",
           "topo.cli", "topo.kubelet", "topo.controller", "topo.api.server",
           "topo.api.streams", "topo.api.snapshot", "topo.api.registry", "socket", "ryu")


def imports(path):
    tree = ast.parse(open(os.path.join(ROOT, path)).read())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


@pytest.mark.parametrize("path", PURE)
def test_a_pure_module_imports_no_runtime(path):
    bad = [name for name in imports(path)
           if any(name == r or name.startswith(r + ".") for r in RUNTIME)]
    assert not bad, "%s imports %s" % (path, bad)
