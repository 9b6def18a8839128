"""Server-side apply and field ownership, driven by the real kubectl (`apply
--server-side`, `--force-conflicts`) and the official Python client's apply patch."""
import json
import os
import subprocess
import sys

import pytest
import yaml

from tests.integration.conftest import ROOT
from topo.cluster import Cluster

KUBECTL = os.path.join(os.path.dirname(sys.executable), "kubectl")
DEFAULT_CLUSTER = os.path.join(ROOT, "topo", "default-cluster.yaml")
DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata: {name: ssa, labels: {app: ssa}}
spec:
  replicas: 2
  selector: {matchLabels: {app: ssa}}
  template:
    metadata: {labels: {app: ssa}}
    spec:
      containers:
      - {name: web, image: nginx, ports: [{containerPort: 80}]}
"""


@pytest.fixture(scope="module")
def cluster():
    with Cluster.from_files([DEFAULT_CLUSTER]) as running:
        yield running


def kubectl(cluster, *args, stdin=None, check=True):
    result = subprocess.run([KUBECTL] + list(args), capture_output=True, text=True,
                            input=stdin, timeout=30,
                            env=dict(os.environ, KUBECONFIG=cluster.kubeconfig))
    if check:
        assert result.returncode == 0, result.stderr
    return result


def _versions(cluster):
    return {(o["kind"], o["metadata"]["name"]): o["metadata"]["resourceVersion"]
            for o in json.loads(kubectl(cluster, "get", "pods,deploy,svc", "-o",
                                        "json").stdout)["items"]}


def test_the_readmes_cluster_applied_server_side_twice_changes_nothing_the_second_time(
        cluster):
    documents = [d for d in yaml.safe_load_all(open(DEFAULT_CLUSTER))
                 if d and d["kind"] != "Cluster"]
    text = yaml.safe_dump_all(documents)
    first = kubectl(cluster, "apply", "--server-side", "-f", "-", stdin=text).stdout
    assert first.split("\n")[0].endswith(" serverside-applied")
    before = _versions(cluster)
    again = kubectl(cluster, "apply", "--server-side", "-f", "-", stdin=text).stdout
    assert again.count("serverside-applied") == len(documents)
    assert _versions(cluster) == before   # nothing written
    web = json.loads(kubectl(cluster, "get", "deploy", "web", "-o", "json",
                             "--show-managed-fields").stdout)
    managers = [(e["manager"], e["operation"]) for e in web["metadata"]["managedFields"]]
    assert managers == [("kubectl", "Apply")]


def test_a_field_another_manager_set_is_a_conflict_naming_it_until_forced(cluster):
    kubectl(cluster, "apply", "-f", "-", stdin=DEPLOYMENT)   # client-side, then scaled
    kubectl(cluster, "scale", "deploy/ssa", "--replicas=3")
    scaled = DEPLOYMENT.replace("replicas: 2", "replicas: 4")
    refused = kubectl(cluster, "apply", "--server-side", "-f", "-", stdin=scaled,
                      check=False)
    assert refused.returncode == 1
    # kubectl scale names no field manager: the API server names it after the client.
    assert 'Apply failed with 1 conflict: conflict with "kubectl" using apps/v1: ' \
        '.spec.replicas\n' in refused.stderr
    assert kubectl(cluster, "get", "deploy", "ssa", "-o",
                   "jsonpath={.spec.replicas}").stdout == "3"
    kubectl(cluster, "apply", "--server-side", "--force-conflicts", "-f", "-", stdin=scaled)
    owned = json.loads(kubectl(cluster, "get", "deploy", "ssa", "-o", "json",
                               "--show-managed-fields").stdout)["metadata"]["managedFields"]
    by = {(e["manager"], e["operation"]): e["fieldsV1"] for e in owned}
    assert "f:replicas" in by["kubectl", "Apply"]["f:spec"]
    assert ("kubectl", "Update") not in by   # its one field taken over: it owns none
    kubectl(cluster, "delete", "deploy", "ssa")


def test_the_python_clients_apply_patch_removes_what_its_manager_no_longer_applies(
        cluster):
    pytest.importorskip("kubernetes")
    from kubernetes import client, config
    core = client.CoreV1Api(config.new_client_from_config(config_file=cluster.kubeconfig))

    def apply(body, **options):
        return core.patch_namespaced_config_map(
            "settings", "default", body, field_manager="my-operator",
            _content_type="application/apply-patch+yaml", **options)

    made = apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"},
                  "data": {"color": "blue", "size": "L"}})
    assert made.data == {"color": "blue", "size": "L"}
    core.patch_namespaced_config_map("settings", "default", {"data": {"owner": "ops"}},
                                     field_manager="ops")
    after = apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"},
                   "data": {"color": "red"}})
    assert after.data == {"color": "red", "owner": "ops"}   # size was its own: gone
    with pytest.raises(client.ApiException) as refused:
        apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"},
               "data": {"color": "red", "owner": "me"}})
    status = json.loads(refused.value.body)
    assert refused.value.status == 409 and status["reason"] == "Conflict"
    assert status["details"]["causes"] == [{"reason": "FieldManagerConflict",
                                            "message": 'conflict with "ops" using v1',
                                            "field": ".data.owner"}]
    with pytest.raises(client.ApiException) as nameless:
        core.patch_namespaced_config_map("settings", "default", {"data": {}},
                                         _content_type="application/apply-patch+yaml")
    assert nameless.value.status == 422 and "fieldManager: Required value" in json.loads(
        nameless.value.body)["message"]
    core.delete_namespaced_config_map("settings", "default")


def test_a_server_dry_run_checks_everything_and_stores_nothing_so_kubectl_diff_works(
        cluster):
    created = kubectl(cluster, "apply", "--dry-run=server", "-f", "-", stdin=DEPLOYMENT)
    assert created.stdout.strip() == "deployment.apps/ssa created (server dry run)"
    assert kubectl(cluster, "get", "deploy", "ssa", check=False).returncode == 1
    refused = kubectl(cluster, "apply", "--dry-run=server", "-f", "-", check=False,
                      stdin=DEPLOYMENT.replace("replicas: 2", "replicas: -1"))
    assert refused.returncode == 1 and "spec.replicas" in refused.stderr
    kubectl(cluster, "apply", "--server-side", "-f", "-", stdin=DEPLOYMENT)
    diff = kubectl(cluster, "diff", "--server-side", "-f", "-", check=False,
                   stdin=DEPLOYMENT.replace("replicas: 2", "replicas: 5"))
    assert diff.returncode == 1, diff.stderr   # 1: there are differences
    assert "-  replicas: 2\n+  replicas: 5" in diff.stdout
    kubectl(cluster, "delete", "deploy", "ssa", "--dry-run=server")
    assert kubectl(cluster, "get", "deploy", "ssa", "-o",
                   "jsonpath={.spec.replicas}").stdout == "2"   # still there, as it was
    kubectl(cluster, "delete", "deploy", "ssa")
