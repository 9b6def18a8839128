"""Who may use the API: loopback only, the run's bearer token only; and the
official Python client drives the cluster unchanged."""
import json
import os
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
import yaml

from tests.integration.conftest import start_cluster, wait_for
from topo.api.protobuf import decode, fields
from topo.api.protobuf_encode import WATCH_CONTENT_TYPE

KUBECTL = os.path.join(os.path.dirname(sys.executable), "kubectl")
POD = """apiVersion: v1
kind: Pod
metadata: {name: lone}
spec:
  containers: [{name: c, image: nginx}]
"""


@pytest.fixture(scope="module")
def cluster():
    running = start_cluster(POD, nodes=2)
    yield running
    running.stop()


def _context(cluster):
    config = yaml.safe_load(open(cluster.kubeconfig))
    context = ssl.create_default_context(cafile=cluster.api.cert)
    return config, context


def _request(cluster, method, path, token=None, body=None):
    _, context = _context(cluster)
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = "Bearer " + token
    request = urllib.request.Request(cluster.api.url + path, method=method, headers=headers,
                                     data=None if body is None else body.encode())
    try:
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _token(cluster):
    return yaml.safe_load(open(cluster.kubeconfig))["users"][0]["user"]["token"]


def _listeners(port):
    """Local addresses of the TCP sockets listening on port, from the kernel."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as handle:
            next(handle)
            for line in handle:
                local, state = line.split()[1], line.split()[3]
                if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                    found.append(local.rsplit(":", 1)[0])
    return found


def test_the_api_listens_on_loopback_only(cluster):
    assert _listeners(cluster.api.port) == ["0100007F"]


def test_the_kubeconfig_is_private_and_holds_a_fresh_token(cluster):
    assert os.stat(cluster.kubeconfig).st_mode & 0o777 == 0o600
    assert len(_token(cluster)) >= 40
    assert os.path.dirname(cluster.kubeconfig) == cluster.run_dir


def test_requests_without_the_token_get_401_and_change_nothing(cluster):
    body = json.dumps(yaml.safe_load(POD.replace("lone", "intruder")))
    for token in (None, "wrong", _token(cluster)[:-1]):
        assert _request(cluster, "GET", "/api/v1/namespaces/default/pods", token)[0] == 401
        assert _request(cluster, "POST", "/api/v1/namespaces/default/pods", token, body)[0] \
            == 401
        assert _request(cluster, "DELETE", "/api/v1/namespaces/default/pods/lone", token)[0] \
            == 401
    assert "intruder" not in cluster.pods and "lone" in cluster.pods
    code, listing = _request(cluster, "GET", "/api/v1/namespaces/default/pods",
                             _token(cluster))
    assert code == 200 and [p["metadata"]["name"] for p in listing["items"]] == ["lone"]


@pytest.mark.parametrize("user", [{}, {"token": "a-guess"}], ids=["no token", "wrong token"])
def test_kubectl_with_a_stripped_kubeconfig_is_refused(cluster, tmp_path, user):
    config = yaml.safe_load(open(cluster.kubeconfig))
    config["users"][0]["user"] = user
    stripped = tmp_path / "stripped"
    stripped.write_text(yaml.safe_dump(config))
    result = subprocess.run([KUBECTL, "get", "pods"], capture_output=True, text=True,
                            timeout=30, stdin=subprocess.DEVNULL,
                            env=dict(os.environ, KUBECONFIG=str(stripped)))
    assert result.returncode == 1 and "lone" not in result.stdout
    if user:
        assert "You must be logged in to the server" in result.stderr


def test_bad_requests_get_a_clear_status_and_change_nothing(cluster):
    token, before = _token(cluster), sorted(cluster.pods)
    cases = [("POST", "/api/v1/namespaces/default/pods", "{not json", 400),
             ("POST", "/api/v1/namespaces/default/pods", '["a list"]', 400),
             ("POST", "/api/v1/namespaces/default/pods",
              '{"kind": "Service", "apiVersion": "v1", "metadata": {"name": "x"}}', 400),
             ("POST", "/api/v1/namespaces/default/pods",
              json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "Bad_Name"},
                          "spec": {"containers": [{"name": "c", "image": "x"}]}}), 422),
             ("POST", "/api/v1/namespaces/nowhere/pods", json.dumps(
                 yaml.safe_load(POD.replace("lone", "elsewhere"))), 404),
             ("POST", "/api/v1/namespaces/default/pods", json.dumps(yaml.safe_load(POD)), 409),
             ("GET", "/api/v1/namespaces/default/widgets", None, 404),
             ("GET", "/api/v1/namespaces/default/pods?labelSelector=a%20b%20c", None, 400),
             ("PATCH", "/api/v1/namespaces/default/pods/lone", '[{"op": "jump"}]', 415),
             ("DELETE", "/api/v1/namespaces/default/pods/ghost", None, 404),
             ("POST", "/api/v1/namespaces/default/pods", "[" * 100000, 400),
             ("POST", "/api/v1/namespaces/default/pods?dryRun=Some", json.dumps(
                 yaml.safe_load(POD.replace("lone", "dry"))), 422)]
    for method, path, body, code in cases:
        got, status = _request(cluster, method, path, token, body)
        assert (got, status["kind"]) == (code, "Status"), (method, path, body[:40] if body
                                                           else None, status)
        assert "\n" not in status["message"] and status["message"]
    assert sorted(cluster.pods) == before


def test_the_official_python_client_lists_creates_watches_reads_logs_and_deletes(cluster):
    kubernetes = pytest.importorskip("kubernetes")
    from kubernetes import client, config, watch
    api_client = config.new_client_from_config(config_file=cluster.kubeconfig)
    core, apps = client.CoreV1Api(api_client), client.AppsV1Api(api_client)
    assert [p.metadata.name for p in core.list_namespaced_pod("default").items] == ["lone"]
    deployment = client.V1Deployment(
        metadata=client.V1ObjectMeta(name="pyweb"),
        spec=client.V1DeploymentSpec(
            replicas=2, selector=client.V1LabelSelector(match_labels={"app": "pyweb"}),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels={"app": "pyweb"}),
                spec=client.V1PodSpec(containers=[client.V1Container(
                    name="web", image="agnhost", args=["netexec", "--http-port=8080"],
                    ports=[client.V1ContainerPort(container_port=8080)])]))))
    apps.create_namespaced_deployment("default", deployment)
    ready = None
    for event in watch.Watch().stream(apps.list_namespaced_deployment, "default",
                                      field_selector="metadata.name=pyweb",
                                      timeout_seconds=30):
        if (event["object"].status.ready_replicas or 0) == 2:
            ready = event["object"]
            break
    assert ready is not None and kubernetes.__version__
    pods = core.list_namespaced_pod("default", label_selector="app=pyweb").items
    assert sorted(p.status.pod_ip for p in pods) == sorted(
        cluster.pod(p.metadata.name).ip for p in pods)
    name = pods[0].metadata.name
    assert core.read_namespaced_pod_log(name, "default") == cluster.logs(name)
    apps.delete_namespaced_deployment("pyweb", "default")
    assert cluster.api.store.get("deployments.apps", "default", "pyweb") is None
    # The garbage collector takes its ReplicaSet, then the pods, in the background.
    wait_for(lambda: not core.list_namespaced_pod(
        "default", label_selector="app=pyweb").items, 10)


def test_a_pod_for_another_scheduler_waits_for_its_binding_then_runs(cluster):
    """The default scheduler leaves it alone; a Binding (what a scheduler posts) puts it
    on a node, whose kubelet starts it."""
    token = _token(cluster)
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bespoke"},
           "spec": {"schedulerName": "my-scheduler",
                    "containers": [{"name": "c", "image": "busybox",
                                    "command": ["sleep", "infinity"]}]}}
    path = "/api/v1/namespaces/default/pods"
    assert _request(cluster, "POST", path, token, json.dumps(pod))[0] == 201
    time.sleep(0.5)
    status, stored = _request(cluster, "GET", path + "/bespoke", token)
    assert "nodeName" not in stored["spec"] and stored["status"]["phase"] == "Pending"
    binding = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "bespoke"},
               "target": {"apiVersion": "v1", "kind": "Node", "name": "node2"}}
    assert _request(cluster, "POST", path + "/bespoke/binding", token,
                    json.dumps(binding))[0] == 201
    again = _request(cluster, "POST", path + "/bespoke/binding", token, json.dumps(binding))
    assert again[0] == 409 and "already assigned" in again[1]["message"]
    wait_for(lambda: _request(cluster, "GET", path + "/bespoke", token)[1]["status"].get(
        "phase") == "Running", 10)
    assert cluster.pod("bespoke").node.name == "node2"
    cluster.delete("pod", "bespoke")


def test_the_official_python_client_runs_a_job_to_completion(cluster):
    pytest.importorskip("kubernetes")
    from kubernetes import client, config
    api_client = config.new_client_from_config(config_file=cluster.kubeconfig)
    batch = client.BatchV1Api(api_client)
    job = client.V1Job(metadata=client.V1ObjectMeta(name="pyjob"), spec=client.V1JobSpec(
        completions=2, template=client.V1PodTemplateSpec(spec=client.V1PodSpec(
            restart_policy="Never", containers=[client.V1Container(
                name="c", image="busybox", command=["echo", "done"])]))))
    batch.create_namespaced_job("default", job)
    wait_for(lambda: batch.read_namespaced_job_status("pyjob", "default").status.succeeded
             == 2, 30)
    done = batch.read_namespaced_job("pyjob", "default")
    assert [c.type for c in done.status.conditions][-1] == "Complete"
    assert done.status.completion_time is not None and not done.status.active
    batch.delete_namespaced_job("pyjob", "default", propagation_policy="Background")
    wait_for(lambda: not [p for p in cluster.api.store.list("pods")[1]
                          if p["metadata"]["name"].startswith("pyjob-")], 15)


def test_the_official_python_client_reads_a_node_whole(cluster):
    """Its V1NodeSystemInfo requires every field a kubelet reports."""
    pytest.importorskip("kubernetes")
    from kubernetes import client, config
    core = client.CoreV1Api(config.new_client_from_config(config_file=cluster.kubeconfig))
    nodes = {node.metadata.name: node for node in core.list_node().items}
    assert set(nodes) == {"node1", "node2"}
    node = core.read_node("node1")
    info = node.status.node_info
    assert info.boot_id == open("/proc/sys/kernel/random/boot_id").read().strip()
    assert info.machine_id != nodes["node2"].status.node_info.machine_id
    assert node.status.capacity["cpu"] == str(os.cpu_count())
    assert node.spec.pod_cidr == cluster.node_plans["node1"].pod_cidr


def test_the_official_python_clients_exec_closes_stdin_and_the_command_sees_it(cluster):
    """v5.channel.k8s.io: the client closes its stdin channel (255, 0); `cat` ends."""
    pytest.importorskip("kubernetes")
    from kubernetes import client, config
    from kubernetes.stream import stream
    core = client.CoreV1Api(config.new_client_from_config(config_file=cluster.kubeconfig))
    session = stream(core.connect_get_namespaced_pod_exec, "lone", "default",
                     command=["sh", "-c", "cat; echo done"], stdin=True, stdout=True,
                     stderr=True, tty=False, _preload_content=False)
    assert session.subprotocol == "v5.channel.k8s.io"
    session.write_stdin("hello\n")
    session.close_channel(0)
    session.run_forever(timeout=10)
    assert session.read_stdout() == "hello\ndone\n" and session.returncode == 0


def test_the_official_python_client_attaches_to_a_containers_stdin(cluster):
    pytest.importorskip("kubernetes")
    from kubernetes import client, config
    from kubernetes.stream import stream
    core = client.CoreV1Api(config.new_client_from_config(config_file=cluster.kubeconfig))
    core.create_namespaced_pod("default", {
        "metadata": {"name": "listener"}, "spec": {"containers": [{
            "name": "c", "image": "busybox", "stdin": True,
            "command": ["sh", "-c", "read line; echo got $line; sleep 1"]}]}})
    wait_for(lambda: core.read_namespaced_pod("listener", "default").status.phase ==
             "Running", 20)
    session = stream(core.connect_get_namespaced_pod_attach, "listener", "default",
                     stdin=True, stdout=True, stderr=True, tty=False,
                     _preload_content=False)
    session.write_stdin("hello\n")
    session.run_forever(timeout=10)
    assert "got hello" in session.read_stdout()
    core.delete_namespaced_pod("listener", "default", grace_period_seconds=0)


def test_the_official_python_client_forwards_ports_over_a_websocket(cluster):
    """v4.channel.k8s.io port-forward: a pair of channels for each port asked for; one
    nothing listens on is said on its error channel."""
    pytest.importorskip("kubernetes")
    from kubernetes import client, config
    from kubernetes.stream import portforward
    core = client.CoreV1Api(config.new_client_from_config(config_file=cluster.kubeconfig))
    forward = portforward(core.connect_get_namespaced_pod_portforward, "lone", "default",
                          ports="80,81")
    sock = forward.socket(80)
    sock.settimeout(10)
    sock.sendall(b"GET / HTTP/1.0\r\nHost: lone\r\n\r\n")
    answer = b""
    while True:
        data = sock.recv(65536)
        if not data:
            break
        answer += data
    assert answer.startswith(b"HTTP/1.1 200 OK") and b"Welcome to nginx!" in answer
    assert forward.error(80) is None
    assert "error forwarding port 81 to pod lone" in forward.error(81)
    forward.close()


PROTOBUF = "application/vnd.kubernetes.protobuf"


def _protobuf_get(cluster, path):
    """(status, Content-Type, body) of a GET that asks for protobuf as client-go does."""
    _, context = _context(cluster)
    request = urllib.request.Request(cluster.api.url + path, headers={
        "Authorization": "Bearer " + _token(cluster), "Accept": PROTOBUF + ", application/json"})
    try:
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read()


def test_a_client_that_asks_for_protobuf_is_answered_in_protobuf(cluster):
    """Objects, lists, errors and watch events: what the JSON answers say, in the
    encoding client-go asks for by default."""
    token = _token(cluster)
    _, in_json = _request(cluster, "GET", "/api/v1/namespaces/default/pods/lone", token)
    status, content_type, body = _protobuf_get(cluster, "/api/v1/namespaces/default/pods/lone")
    assert (status, content_type) == (200, PROTOBUF)
    pod = decode(body)
    assert pod["metadata"]["uid"] == in_json["metadata"]["uid"]
    assert pod["status"]["podIP"] == in_json["status"]["podIP"] == cluster.pod("lone").ip
    status, _, body = _protobuf_get(cluster, "/api/v1/namespaces/default/pods")
    assert [p["metadata"]["name"] for p in decode(body)["items"]] == ["lone"]
    status, content_type, body = _protobuf_get(cluster, "/api/v1/namespaces/default/pods/none")
    assert (status, content_type) == (404, PROTOBUF)
    assert decode(body)["message"] == 'pods "none" not found'
    status, content_type, body = _protobuf_get(
        cluster, "/api/v1/namespaces/default/pods?watch=true&timeoutSeconds=1")
    assert (status, content_type) == (200, WATCH_CONTENT_TYPE)
    frame = body[4:4 + int.from_bytes(body[:4], "big")]   # a length, then the event
    event = {number: value for number, _, value in fields(frame)}
    raw_extension = {number: value for number, _, value in fields(event[2])}
    assert event[1] == b"ADDED" and decode(raw_extension[1])["metadata"]["name"] == "lone"


def _controller(cluster, method, path, token=None, body=None):
    headers = {} if token is None else {"Authorization": "Bearer " + token}
    request = urllib.request.Request("http://127.0.0.1:%d%s" % (cluster.controller.api_port,
                                                                path),
                                     method=method, headers=headers, data=body)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_the_controller_listens_on_loopback_only_and_its_rest_api_demands_its_token(cluster):
    controller = cluster.controller
    assert _listeners(controller.api_port) == ["0100007F"]
    assert _listeners(controller.of_port) == ["0100007F"]
    assert _listeners(controller.closing_port) == ["0100007F"]
    generation = cluster.generation
    for token in (None, "wrong", _token(cluster)):
        assert _controller(cluster, "GET", "/kubemn/status", token)[0] == 401
        assert _controller(cluster, "PUT", "/kubemn/state", token,
                           json.dumps({"generation": 999}).encode())[0] == 401
    code, status = _controller(cluster, "GET", "/kubemn/status", controller.token)
    assert code == 200 and set(status["switches"].values()) == {generation}
    assert cluster.exec("lone", "hostname").stdout.strip() == "lone"


def test_the_controller_answers_every_malformed_state_with_one_line_and_keeps_working(
        cluster):
    token = cluster.controller.token
    for body in (b"", b"not json", b"[" * 100000, b'{"generation": "x"}', bytes(range(256)),
                 json.dumps({"generation": 1, "gateway": {}}).encode()):
        code, answer = _controller(cluster, "PUT", "/kubemn/state", token, body)
        assert code == 400 and "\n" not in answer["error"] and answer["error"], (body[:20],
                                                                                  answer)
    assert _controller(cluster, "GET", "/kubemn/status", token)[0] == 200
    assert cluster.exec("lone", "hostname").stdout.strip() == "lone"
