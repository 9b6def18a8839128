"""Volumes as the kubelet mounts them, driven by the official Python client: a script
from a ConfigMap run by the python image, files that follow their ConfigMap, Secret
and the pod's labels, a pod that waits for what its volumes need, a projected
service account token; and the variables a container takes from the same sources."""
import base64
import json
import os
import subprocess

import pytest

from tests.integration.conftest import start_cluster, wait_for

pytest.importorskip("kubernetes")
from kubernetes import client, config, watch  # noqa: E402
from kubernetes.stream import stream  # noqa: E402

PORT_SERVER = """import http.server, os
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = "%s %s\\n" % (os.environ["POD_IP"], os.environ["GREETING"])
        self.send_response(200)
        self.end_headers()
        self.wfile.write(body.encode())
http.server.HTTPServer(("", 8080), Handler).serve_forever()
"""
# The tutorial's default.conf, as it gives it.
TUTORIAL_CONF = """server {
        listen 80 default_server;
        listen [::]:80 default_server ipv6only=on;

        listen 443 ssl;

        root /usr/share/nginx/html;
        index index.html;

        server_name localhost;
        ssl_certificate /etc/nginx/ssl/tls.crt;
        ssl_certificate_key /etc/nginx/ssl/tls.key;

        location / {
                try_files $uri $uri/ =404;
        }
}
"""


@pytest.fixture(scope="module")
def cluster():
    running = start_cluster(nodes=2)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def core(cluster):
    return client.CoreV1Api(config.new_client_from_config(config_file=cluster.kubeconfig))


def _pod(name, containers, volumes=(), labels=None):
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "labels": labels or {"test": name}},
            "spec": {"containers": containers, "volumes": list(volumes)}}


def _sleeper(mounts=(), env=(), env_from=()):
    return {"name": "c", "image": "busybox", "command": ["sleep", "infinity"],
            "volumeMounts": list(mounts), "env": list(env), "envFrom": list(env_from)}


def _run(core, name, *command):
    return stream(core.connect_get_namespaced_pod_exec, name, "default", command=list(command),
                  stderr=True, stdin=False, stdout=True, tty=False)


def _phase(core, name):
    return core.read_namespaced_pod(name, "default").status.phase


def test_a_script_from_a_config_map_runs_in_the_python_image(core):
    """The issue's case: `python -u /opt/port-server.py`, the script a ConfigMap's key,
    its variables from the downward API and the ConfigMap; the pod is Pending until
    its container starts, never Failed."""
    core.create_namespaced_config_map("default", {
        "metadata": {"name": "port-server"},
        "data": {"port-server.py": PORT_SERVER, "greeting": "hello"}})
    created = core.create_namespaced_pod("default", _pod("py", [{
        "name": "py", "image": "python:3.12", "command": ["python", "-u",
                                                          "/opt/port-server.py"],
        "ports": [{"containerPort": 8080}],
        "env": [{"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                {"name": "GREETING", "valueFrom": {"configMapKeyRef": {
                    "name": "port-server", "key": "greeting"}}}],
        "volumeMounts": [{"name": "code", "mountPath": "/opt"}]}],
        [{"name": "code", "configMap": {"name": "port-server"}}]))
    assert created.status.phase == "Pending"
    phases = []
    for event in watch.Watch().stream(core.list_namespaced_pod, "default",
                                      field_selector="metadata.name=py", timeout_seconds=30):
        pod = event["object"]
        phases.append(pod.status.phase)
        if any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or ()):
            break
    assert phases[0] == "Pending" and phases[-1] == "Running" and "Failed" not in phases
    answer = core.connect_get_namespaced_pod_proxy_with_path("py:8080", "default", "")
    assert answer == "%s hello\n" % pod.status.pod_ip


def test_mounted_files_follow_their_config_map_and_are_read_only(core):
    core.create_namespaced_config_map("default", {"metadata": {"name": "settings"},
                                                  "data": {"color": "blue", "size": "L"}})
    core.create_namespaced_pod("default", _pod("reader", [_sleeper(
        [{"name": "settings", "mountPath": "/etc/settings"}])],
        [{"name": "settings", "configMap": {"name": "settings"}}]))
    wait_for(lambda: _phase(core, "reader") == "Running", 20)
    assert _run(core, "reader", "cat", "/etc/settings/color") == "blue"
    assert "Read-only file system" in _run(core, "reader", "touch", "/etc/settings/x")
    core.patch_namespaced_config_map("settings", "default", {"data": {"color": "red",
                                                                      "size": None}})
    wait_for(lambda: _run(core, "reader", "ls", "/etc/settings") == "color\n", 10)
    assert _run(core, "reader", "cat", "/etc/settings/color") == "red"
    assert not os.path.exists("/etc/settings")   # the machine's /etc gained nothing


def test_a_secret_and_the_downward_api_as_files_with_their_modes(core):
    core.create_namespaced_secret("default", {"metadata": {"name": "db"}, "stringData": {
        "password": "s3cret", "user": "admin"}})
    core.create_namespaced_pod("default", _pod("secretive", [_sleeper(
        [{"name": "db", "mountPath": "/etc/db"}, {"name": "info", "mountPath": "/podinfo"}])],
        [{"name": "db", "secret": {"secretName": "db", "items": [
            {"key": "password", "path": "auth/password", "mode": 0o400}]}},
         {"name": "info", "downwardAPI": {"items": [
             {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
             {"path": "name", "fieldRef": {"fieldPath": "metadata.name"}}]}}],
        labels={"app": "vault"}))
    wait_for(lambda: _phase(core, "secretive") == "Running", 20)
    assert _run(core, "secretive", "cat", "/etc/db/auth/password") == "s3cret"
    assert _run(core, "secretive", "stat", "-L", "-c", "%a",
                "/etc/db/auth/password") == "400\n"
    assert _run(core, "secretive", "ls", "/etc/db") == "auth\n"
    assert _run(core, "secretive", "cat", "/podinfo/name") == "secretive"
    core.patch_namespaced_pod("secretive", "default", {"metadata": {"labels": {
        "tier": "db"}}})
    wait_for(lambda: _run(core, "secretive", "cat", "/podinfo/labels") ==
             'app="vault"\ntier="db"', 10)


def test_a_pod_waits_for_what_its_volumes_and_variables_need(core):
    """A missing ConfigMap keeps the pod ContainerCreating with a FailedMount event; a
    missing Secret for a variable, CreateContainerConfigError; each made, it starts."""
    core.create_namespaced_pod("default", _pod("patient", [_sleeper(
        [{"name": "later", "mountPath": "/etc/later"}],
        [{"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "later", "key": "t"}}}],
        [{"prefix": "CFG_", "configMapRef": {"name": "later"}}])],
        [{"name": "later", "configMap": {"name": "later"}}]))

    def waiting():
        statuses = core.read_namespaced_pod("patient", "default").status.container_statuses
        return statuses and statuses[0].state.waiting and statuses[0].state.waiting.reason

    wait_for(lambda: any(e.reason == "FailedMount" for e in core.list_namespaced_event(
        "default", field_selector="involvedObject.name=patient").items), 10)
    assert waiting() == "ContainerCreating" and _phase(core, "patient") == "Pending"
    event = [e for e in core.list_namespaced_event(
        "default", field_selector="involvedObject.name=patient").items
        if e.reason == "FailedMount"][0]
    assert event.message == 'MountVolume.SetUp failed for volume "later" : configmap ' \
                            '"later" not found' and event.type == "Warning"
    core.create_namespaced_config_map("default", {"metadata": {"name": "later"},
                                                  "data": {"mode": "on"}})
    wait_for(lambda: waiting() == "CreateContainerConfigError", 10)
    core.create_namespaced_secret("default", {"metadata": {"name": "later"},
                                              "stringData": {"t": "abc"}})
    wait_for(lambda: _phase(core, "patient") == "Running", 10)
    assert _run(core, "patient", "sh", "-c", "echo $TOKEN $CFG_mode") == "abc on\n"


def test_a_projected_volume_holds_the_service_accounts_token_where_clients_look(
        cluster, core):
    """As the service account admission plugin projects it: the token, the root CA
    certificate (the kube-root-ca.crt ConfigMap every namespace has) and the
    namespace."""
    path = "/var/run/secrets/kubernetes.io/serviceaccount"
    core.create_namespaced_pod("default", _pod("projected", [_sleeper(
        [{"name": "access", "mountPath": path}])], [{"name": "access", "projected": {
            "sources": [
                {"serviceAccountToken": {"path": "token", "expirationSeconds": 3607}},
                {"configMap": {"name": "kube-root-ca.crt",
                               "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {
                    "fieldPath": "metadata.namespace"}}]}}]}}]))
    wait_for(lambda: _phase(core, "projected") == "Running", 20)
    assert _run(core, "projected", "ls", path) == "ca.crt\nnamespace\ntoken\n"
    assert _run(core, "projected", "cat", path + "/namespace") == "default"
    with open(cluster.api.cert) as handle:
        assert _run(core, "projected", "cat", path + "/ca.crt") == handle.read()
    claims = _run(core, "projected", "cat", path + "/token").split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    assert claims["sub"] == "system:serviceaccount:default:default"
    assert claims["kubernetes.io"]["pod"]["name"] == "projected"
    assert claims["exp"] - claims["iat"] == 3607
    assert not os.path.exists("/run/secrets/kubernetes.io")


def test_a_volume_the_api_server_would_refuse_is_refused_naming_the_field(core):
    with pytest.raises(client.ApiException) as refused:
        core.create_namespaced_pod("default", _pod("bad", [_sleeper()], [
            {"name": "v", "configMap": {"name": "x", "items": [{"key": "k",
                                                                 "path": "../up"}]}}]))
    assert refused.value.status == 422
    assert "spec.volumes[0].configMap.items[0].path" in json.loads(refused.value.body)[
        "message"]
    assert not [p for p in core.list_namespaced_pod("default").items
                if p.metadata.name == "bad"]


def test_nginx_serves_a_page_and_a_server_block_from_config_maps(core):
    """The image's own files under /etc/nginx and /usr/share/nginx/html give way to the
    volumes mounted there, as in Kubernetes."""
    core.create_namespaced_config_map("default", {"metadata": {"name": "site"}, "data": {
        "index.html": "<h1>from a ConfigMap</h1>\n",
        "extra.conf": "server { listen 8081; default_type text/plain; "
                      "location / { return 200 'extra\\n'; } }\n"}})
    core.create_namespaced_pod("default", _pod("web", [{
        "name": "nginx", "image": "nginx:1.25", "ports": [{"containerPort": 80}],
        "volumeMounts": [
            {"name": "site", "mountPath": "/usr/share/nginx/html"},
            {"name": "site", "mountPath": "/etc/nginx/conf.d/extra.conf",
             "subPath": "extra.conf"}]}], [{"name": "site", "configMap": {"name": "site"}}]))
    wait_for(lambda: _phase(core, "web") == "Running" and all(
        c.ready for c in core.read_namespaced_pod("web", "default").status.container_statuses),
        20)
    assert core.connect_get_namespaced_pod_proxy_with_path("web:80", "default", "") == \
        "<h1>from a ConfigMap</h1>\n"
    assert core.connect_get_namespaced_pod_proxy_with_path("web:8081", "default", "") == \
        "extra\n"
    assert _run(core, "web", "ls", "/etc/nginx/conf.d") == "default.conf\nextra.conf\n"


def test_a_pod_made_anew_under_an_old_name_gets_an_empty_dir_of_its_own(core):
    spec = _pod("again", [_sleeper([{"name": "scratch", "mountPath": "/scratch"}])],
                [{"name": "scratch", "emptyDir": {}}])
    core.create_namespaced_pod("default", spec)
    wait_for(lambda: _phase(core, "again") == "Running", 20)
    _run(core, "again", "touch", "/scratch/left-behind")
    core.delete_namespaced_pod("again", "default", grace_period_seconds=0)
    wait_for(lambda: not [p for p in core.list_namespaced_pod("default").items
                          if p.metadata.name == "again"], 15)
    core.create_namespaced_pod("default", spec)
    wait_for(lambda: _phase(core, "again") == "Running", 20)
    assert _run(core, "again", "ls", "/scratch") == ""


def test_the_tutorials_https_nginx_serves_with_its_secret_and_config_map(core, tmp_path):
    """"Connecting Applications with Services", securing the Service: a TLS Secret and
    a ConfigMap's default.conf mounted into bprashanth/nginxhttps; a pod with the
    certificate reaches https://my-nginx and sees nginx's welcome page."""
    subprocess.run(["openssl", "req", "-x509", "-nodes", "-days", "365", "-newkey",
                    "rsa:2048", "-keyout", str(tmp_path / "nginx.key"), "-out",
                    str(tmp_path / "nginx.crt"), "-subj", "/CN=my-nginx/O=my-nginx"],
                   check=True, capture_output=True)
    core.create_namespaced_secret("default", {
        "metadata": {"name": "nginxsecret"}, "type": "kubernetes.io/tls",
        "stringData": {"tls.crt": (tmp_path / "nginx.crt").read_text(),
                       "tls.key": (tmp_path / "nginx.key").read_text()}})
    core.create_namespaced_config_map("default", {
        "metadata": {"name": "nginxconfigmap"}, "data": {"default.conf": TUTORIAL_CONF}})
    core.create_namespaced_service("default", {
        "metadata": {"name": "my-nginx"}, "spec": {"selector": {"run": "my-nginx"}, "ports": [
            {"name": "https", "port": 443}]}})
    secret = {"name": "secret-volume", "secret": {"secretName": "nginxsecret"}}
    core.create_namespaced_pod("default", _pod("my-nginx", [{
        "name": "nginxhttps", "image": "bprashanth/nginxhttps:1.0",
        "ports": [{"containerPort": 443}, {"containerPort": 80}],
        "volumeMounts": [{"mountPath": "/etc/nginx/ssl", "name": "secret-volume"},
                         {"mountPath": "/etc/nginx/conf.d", "name": "configmap-volume"}]}],
        [secret, {"name": "configmap-volume", "configMap": {"name": "nginxconfigmap"}}],
        labels={"run": "my-nginx"}))
    core.create_namespaced_pod("default", _pod("curlpod", [{
        "name": "curlpod", "image": "radial/busyboxplus:curl",
        "command": ["sh", "-c", "while true; do sleep 1; done"],
        "volumeMounts": [{"mountPath": "/etc/nginx/ssl", "name": "secret-volume"}]}],
        [secret]))
    def ready(name):
        statuses = core.read_namespaced_pod(name, "default").status.container_statuses
        return bool(statuses) and all(c.ready for c in statuses)
    wait_for(lambda: ready("my-nginx") and ready("curlpod"), 30)

    def page():
        return _run(core, "curlpod", "curl", "-s", "https://my-nginx", "--cacert",
                    "/etc/nginx/ssl/tls.crt")
    # The Service answers once the proxy has programmed its Ready endpoint, a moment
    # after the pod is Ready (as kube-proxy's sync follows the endpoints).
    wait_for(lambda: page() != "", 10)
    assert "<title>Welcome to nginx!</title>" in page()
