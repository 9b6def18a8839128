"""The import rule of the layout: the pure parts (the plan, the API's data side, the
kubelet's decisions, the Services' model) import no runtime, CLI or process code,
so they stay testable without root; the store starts no processes."""
import ast
import glob
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLAN = glob.glob(os.path.join(ROOT, "topo", "plan", "*.py"))
PURE = sorted(os.path.relpath(p, ROOT) for p in PLAN) + [
    "topo/api/resources.py", "topo/api/selectors.py", "topo/api/render.py",
    "topo/api/tables.py", "topo/api/format.py", "topo/api/patch.py", "topo/api/protobuf.py",
    "topo/api/openapi.py", "topo/api/status.py", "topo/api/store.py", "topo/api/spdy.py",
    "topo/api/websocket.py", "topo/api/events.py", "topo/api/schema.py",
    "topo/kubelet/readiness.py", "topo/kubelet/restarts.py", "topo/kubelet/expansion.py",
    "topo/kubelet/images.py", "topo/errors.py", "services/endpoints.py",
    "services/desired.py", "services/environment.py", "services/dns_records.py",
    "topo/policy/spec.py", "topo/policy/clauses.py", "topo/policy/nft.py",
    "topo/policy/view.py", "topo/cli/lines.py", "topo/api/strategies/namespace.py",
    "topo/api/strategies/network_policy.py", "topo/api/strategies/config_map.py",
    "topo/api/strategies/secret.py", "topo/api/strategies/lease.py", "topo/api/strategies/rbac.py",
    "topo/api/strategies/stateful_set.py", "topo/manager/stateful_sets.py",
    "topo/kubelet/node_lease.py",
    "topo/api/strategies/common.py", "topo/api/strategies/service.py",
    "topo/api/strategies/endpoints.py", "topo/api/strategies/replication_controller.py",
    "topo/api/protobuf_schema.py", "topo/manager/loop.py", "topo/manager/namespaces.py",
    "topo/manager/replicas.py", "topo/manager/garbage.py", "topo/proxy/runner.py",
    "topo/proxy/programmer.py", "services/served.py", "topo/manager/endpoints.py",
    "topo/kubelet/endpoints.py", "topo/kubelet/pod_files.py", "topo/kubelet/status.py",
    "topo/api/strategies/daemon_set.py", "topo/api/strategies/service_account.py",
    "topo/manager/daemons.py", "topo/manager/service_accounts.py",
    "topo/manager/cluster_dns.py", "topo/api/strategies/deployment.py",
    "topo/api/strategies/replica_set.py", "topo/api/strategies/pod_template.py",
    "topo/manager/deployments.py", "topo/manager/rollout.py", "topo/api/strategies/job.py",
    "topo/manager/jobs.py", "topo/api/strategies/cron_job.py", "topo/manager/cron_jobs.py",
    "topo/api/strategies/pod.py", "topo/manager/scheduler.py", "topo/kubelet/pod_sync.py",
    "topo/api/strategies/node.py", "topo/runtime/machines.py", "topo/manager/pod_gc.py"]
RUNTIME = ("mininet", "subprocess", "socket", "ryu", "threading", "topo.runtime", "topo.cli",
           "topo.inspect", "topo.cluster", "topo.objects", "topo.kubelet.pod",
           "topo.kubelet.watch", "topo.kubelet.probes", "topo.api.server",
           "topo.api.streams", "topo.api.registry",
           "topo.api.portforward", "topo.api.connection", "topo.api.sessions",
           "topo.api.spdy_channels",
           "topo.policy.enforcer")
# A lock and a condition, no process; a controller's loop thread.
ALLOWED = {"topo/api/store.py": ("threading",), "topo/manager/loop.py": ("threading",),
           "topo/proxy/runner.py": ("threading",)}


def imports(path):
    tree = ast.parse(open(os.path.join(ROOT, path)).read())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


@pytest.mark.parametrize("path", PURE)
def test_a_pure_module_imports_no_runtime(path):
    bad = [name for name in imports(path) if name not in ALLOWED.get(path, ())
           and any(name == r or name.startswith(r + ".") for r in RUNTIME)]
    assert not bad, "%s imports %s" % (path, bad)


# The components meet the API at its store: the controllers, the kubelet, the fabric
# programmer and the policy agent import none of the API server's HTTP side, nor its
# registry (a controller that writes through the API is handed the registry's call).
COMPONENTS = sorted(os.path.relpath(p, ROOT) for folder in ("manager", "kubelet", "proxy",
                                                            "policy")
                    for p in glob.glob(os.path.join(ROOT, "topo", folder, "*.py"))) + [
    "topo/runtime/machines.py"]
API_SERVER = ("topo.api.server", "topo.api.registry", "topo.api.streams", "topo.api.sessions",
              "topo.api.connection", "topo.api.websocket", "topo.api.spdy",
              "topo.api.spdy_channels", "topo.api.portforward", "topo.api.tls",
              "topo.api.kubeconfig", "topo.cli", "topo.cluster")


@pytest.mark.parametrize("path", COMPONENTS)
def test_a_component_imports_nothing_of_the_api_servers_http_side(path):
    bad = [name for name in imports(path)
           if any(name == r or name.startswith(r + ".") for r in API_SERVER)]
    assert not bad, "%s imports %s" % (path, bad)
