"""The cluster's objects as the API shows them: rendering, kubectl's Table columns,
protobuf bodies as kubectl sends them, discovery and OpenAPI."""
import os
import struct

import pytest

from tests.helpers import api_objects
from topo.api import openapi, render, resources, tables
from topo.api.protobuf import ProtobufError, decode, fields
from topo.api.status import not_found
from topo.api.strategies import node
from topo.plan.model import Container, ContainerPort, PodSpec, PodTemplate, ServicePort, ServiceSpec

DATA = os.path.join(os.path.dirname(__file__), "data")
NOW = 1_800_000_000
TEMPLATE = PodTemplate((("app", "web"),), (Container("web", "nginx", ports=(
    ContainerPort(80, "TCP", "http"),)),))


def pod_view(state="Running", restarts=0, ready=True, name="web-1"):
    spec = PodSpec(name, TEMPLATE)
    return render.PodView(spec, "10.244.1.5", "node1", "192.168.0.1", NOW - 75, ready,
                          [render.ContainerView("web", state, 1 if state != "Running" else None,
                                                restarts, ready)])


def row(resource, obj):
    return tables.table(resource, [obj], "7", NOW)["rows"][0]["cells"]


def test_a_running_pod_prints_as_kubectl_prints_it():
    assert row("pods", api_objects.pod_json(pod_view())) == [
        "web-1", "1/1", "Running", 0, "75s", "10.244.1.5", "node1", "<none>", "<none>"]


def test_a_crashing_container_shows_its_back_off_and_restarts():
    pod = api_objects.pod_json(pod_view("CrashLoopBackOff", restarts=3, ready=False))
    assert row("pods", pod)[1:4] == ["0/1", "CrashLoopBackOff", 3]
    assert pod["status"]["containerStatuses"][0]["lastState"]["terminated"]["exitCode"] == 1


def test_a_nodeport_service_prints_its_ports_and_selector():
    spec = ServiceSpec("web", (("app", "web"),), (ServicePort(80, "http", "TCP", "http"),),
                       type="NodePort")
    service = render.service_json(render.ServiceView(spec, "10.96.0.2", {(80, "TCP"): 30080},
                                                     None, NOW - 3600))
    assert row("services", service) == ["web", "NodePort", "10.96.0.2", "<none>",
                                        "80:30080/TCP", "60m", "app=web"]
    assert service["spec"]["ports"][0]["targetPort"] == "http"


def test_a_pending_load_balancer_and_endpoints_abbreviated_after_three():
    spec = ServiceSpec("lb", (("app", "web"),), (ServicePort(80, 8080),), type="LoadBalancer")
    service = render.service_json(render.ServiceView(spec, "10.96.0.3", {}, None, NOW))
    assert row("services", service)[3] == "<pending>"
    endpoints = {"metadata": {"name": "lb", "creationTimestamp": "2027-01-15T08:00:00Z"},
                 "subsets": [{"addresses": [{"ip": "10.0.0.%d" % i} for i in range(5)],
                              "ports": [{"port": 8080}]}]}
    assert row("endpoints", endpoints)[1] == \
        "10.0.0.0:8080,10.0.0.1:8080,10.0.0.2:8080 + 2 more..."


def test_the_table_carries_partial_metadata_for_show_labels():
    obj = api_objects.pod_json(pod_view())
    table = tables.table("pods", [obj], "7", NOW)
    assert table["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
    assert table["rows"][0]["object"]["metadata"]["labels"] == {"app": "web"}
    assert [c["name"] for c in table["columnDefinitions"] if c["priority"] == 1] == [
        "IP", "Node", "Nominated Node", "Readiness Gates"]


def _body(name):
    with open(os.path.join(DATA, name), "rb") as handle:
        return handle.read()


def test_kubectl_create_deployments_protobuf_body_reads_as_its_json():
    assert decode(_body("create-deployment.pb")) == {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "hello", "labels": {"app": "hello"}},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "hello"}},
                 "template": {"metadata": {"labels": {"app": "hello"}},
                              "spec": {"containers": [{
                                  "name": "agnhost", "image": "agnhost",
                                  "command": ["/agnhost", "netexec", "--http-port=8080"],
                                  "ports": [{"containerPort": 8080}]}]}}}}


def test_kubectl_create_service_and_namespace_protobuf_bodies():
    service = decode(_body("create-service-nodeport.pb"))
    assert service["spec"] == {"ports": [{"name": "80-8080", "protocol": "TCP", "port": 80,
                                          "targetPort": 8080, "nodePort": 30090}],
                               "selector": {"app": "ns1"}, "type": "NodePort"}
    assert decode(_body("create-namespace.pb")) == {"apiVersion": "v1", "kind": "Namespace",
                                                    "metadata": {"name": "lab"}}


def test_the_e2e_suites_pod_reads_whole_probes_node_selector_and_udp_port_included():
    pod = decode(_body("e2e-netserver-pod.pb"))
    (container,) = pod["spec"]["containers"]
    assert container["readinessProbe"] == {
        "httpGet": {"path": "/healthz", "port": 8080}, "initialDelaySeconds": 10,
        "timeoutSeconds": 30, "periodSeconds": 10, "successThreshold": 1,
        "failureThreshold": 3}
    assert container["ports"] == [{"name": "http", "containerPort": 8080},
                                  {"name": "udp", "containerPort": 8081, "protocol": "UDP"}]
    assert pod["spec"]["nodeSelector"] == {"kubernetes.io/hostname": "node1"}
    assert pod["metadata"]["name"] == "netserver-0" and "creationTimestamp" not in \
        pod["metadata"]   # Go's zero time: null, left out


def test_a_typed_clients_unset_target_port_is_left_out_and_pointer_zeros_kept():
    service = decode(_body("e2e-service.pb"))
    assert service["spec"]["ports"] == [{"protocol": "TCP", "port": 80}]
    pod = decode(_body("e2e-netserver-pod.pb"))
    assert "terminationGracePeriodSeconds" not in pod["spec"]


def test_an_inline_structs_empty_pointer_fields_stay():
    """A Volume's VolumeSource is inline: its emptyDir: {} says what the volume is."""
    from topo.api.protobuf import message
    volume = _field(1, b"results") + _field(2, _field(2, b""))
    assert message(volume, "core.Volume") == {"name": "results", "emptyDir": {}}


def _field(number, payload):
    """A length-delimited protobuf field (short payloads)."""
    return bytes([number << 3 | 2, len(payload)]) + payload


def test_delete_options_read_their_propagation_policy():
    options = _field(4, b"Orphan") + bytes([1 << 3 | 0, 0])   # gracePeriodSeconds: 0
    body = b"k8s\x00" + _field(1, _field(1, b"v1") + _field(2, b"DeleteOptions")) + \
        _field(2, options)
    assert decode(body) == {"apiVersion": "v1", "kind": "DeleteOptions",
                            "propagationPolicy": "Orphan", "gracePeriodSeconds": 0}
    grouped = b"k8s\x00" + _field(1, _field(1, b"networking.k8s.io/v1") + _field(
        2, b"DeleteOptions")) + _field(2, options)   # in the group of the resource deleted
    assert decode(grouped)["propagationPolicy"] == "Orphan"


@pytest.mark.parametrize("body", [b"{}", b"k8s\x00\x0a\x05\x0a\x02", b"k8s\x00\x0a\x11\x0a"
                                  b"\x02v1\x12\x0bPodTemplate"])
def test_a_protobuf_body_that_is_cut_short_or_of_another_kind_is_refused(body):
    with pytest.raises(ProtobufError):
        decode(body)


def test_discovery_lists_short_names_categories_and_subresources():
    listing = resources.api_resource_list("", "v1")
    pods = next(r for r in listing["resources"] if r["name"] == "pods")
    assert pods["shortNames"] == ["po"] and pods["categories"] == ["all"]
    names = [r["name"] for r in listing["resources"]]
    assert "pods/exec" in names and "pods/log" in names
    assert resources.api_resource_list("storage.k8s.io", "v1") is None
    groups = [g["name"] for g in resources.api_group_list()["groups"]]
    assert groups == ["apiregistration.k8s.io", "apps", "authorization.k8s.io", "batch",
                      "coordination.k8s.io",
                      "discovery.k8s.io", "networking.k8s.io", "policy",
                      "rbac.authorization.k8s.io"]


def test_group_discovery_names_a_groups_versions_and_nothing_for_an_unknown_group():
    apps = resources.api_group("apps")
    assert apps["kind"] == "APIGroup" and apps["name"] == "apps"
    assert apps["preferredVersion"] == {"groupVersion": "apps/v1", "version": "v1"}
    assert apps["versions"] == [apps["preferredVersion"]]
    assert resources.api_group("storage.k8s.io") is None and resources.api_group("") is None


def test_openapi_tells_kubectl_every_kind_takes_field_validation():
    root = openapi.root()["paths"]
    assert set(root) == {"api/v1", "apis/apps/v1", "apis/batch/v1", "apis/coordination.k8s.io/v1",
                         "apis/discovery.k8s.io/v1", "apis/networking.k8s.io/v1",
                         "apis/rbac.authorization.k8s.io/v1", "apis/policy/v1",
                         "apis/apiregistration.k8s.io/v1", "apis/authorization.k8s.io/v1"}
    document = openapi.document(root["apis/apps/v1"]["serverRelativeURL"].split("?")[0])
    patches = [op["patch"] for op in document["paths"].values() if "patch" in op]
    assert {p["x-kubernetes-group-version-kind"]["kind"] for p in patches} == {
        "ControllerRevision", "DaemonSet", "Deployment", "ReplicaSet", "StatefulSet"}
    assert all("fieldValidation" in [q["name"] for q in p["parameters"]] for p in patches)
    assert openapi.document("/openapi/v3/apis/storage.k8s.io/v1") is None


def test_a_pod_not_started_yet_is_pending_without_an_address_and_says_why():
    view = render.PodView(PodSpec("late", TEMPLATE), None, None, None, NOW - 2, False, [
        render.ContainerView("web", "CreateContainerError", None, 0, False, "no such node")])
    pod = api_objects.pod_json(view)
    assert pod["status"]["phase"] == "Pending" and "podIP" not in pod["status"]
    assert pod["status"]["containerStatuses"][0]["state"] == {
        "waiting": {"reason": "CreateContainerError", "message": "no such node"}}
    assert row("pods", pod)[:3] + row("pods", pod)[5:7] == [
        "late", "0/1", "CreateContainerError", "<none>", "<none>"]


def test_spdy_frames_and_header_blocks_round_trip():
    from topo.api import spdy
    client, server = spdy.HeaderCodec(), spdy.HeaderCodec()
    assert len(spdy.DICTIONARY) == 1423   # as the SPDY/3 specification defines it
    block = client.encode({"streamtype": "data", "port": "8080", "requestid": "0"})
    syn = spdy.control_frame(spdy.SYN_STREAM, 0, struct.pack("!IIH", 3, 0, 0) + block)
    data = spdy.data_frame(3, b"GET / HTTP/1.0\r\n\r\n", fin=True)
    frames, rest = spdy.parse_frames(syn + data + data[:5])
    assert rest == data[:5] and [f.control for f in frames] == [True, False]
    assert spdy.syn_stream_headers(frames[0], server) == (
        3, {"streamtype": "data", "port": "8080", "requestid": "0"})
    assert frames[1].stream == 3 and frames[1].fin and frames[1].payload.startswith(b"GET")
    second = client.encode({"streamtype": "error"})   # the context carries over
    assert server.decode(second) == {"streamtype": "error"}


def test_strict_field_validation_finds_typos_and_passes_what_the_api_itself_shows():
    from topo.api.schema import unknown_fields
    pod = api_objects.pod_json(pod_view())
    spec = ServiceSpec("web", (("app", "web"),), (ServicePort(80, 8080),), type="NodePort")
    service = render.service_json(render.ServiceView(spec, "10.96.0.2", {(80, "TCP"): 30080},
                                                     None, NOW))
    assert unknown_fields("Pod", pod) == [] and unknown_fields("Service", service) == []
    pod["spec"]["containers"][0]["imagee"] = "nginx"
    pod["spec"]["nodeSelectr"] = {}
    pod["metadata"]["labels"]["any-key"] = "is fine"
    assert unknown_fields("Pod", pod) == ["spec.containers[0].imagee", "spec.nodeSelectr"]


def _served(obj, uid):
    obj["metadata"]["uid"] = uid
    return {(obj["metadata"]["namespace"], obj["metadata"]["name"]): obj}


def test_a_kubelets_events_tell_a_pods_start_back_off_and_stop():
    from topo.api.events import kubelet_events
    running = _served(api_objects.pod_json(pod_view()), "u1")
    made = kubelet_events({}, running, NOW)
    assert [(e["reason"], e["source"]["component"], e["source"]["host"]) for e in made] == [
        ("Pulled", "kubelet", "node1"), ("Created", "kubelet", "node1"),
        ("Started", "kubelet", "node1")]
    assert {e["involvedObject"]["uid"] for e in made} == {"u1"}
    assert kubelet_events(running, running, NOW) == []
    crashing = _served(api_objects.pod_json(pod_view("CrashLoopBackOff", restarts=1, ready=False)),
                       "u1")
    backoff = kubelet_events(running, crashing, NOW)
    assert [(e["reason"], e["type"]) for e in backoff] == [("BackOff", "Warning")]
    assert [e["reason"] for e in kubelet_events(running, {}, NOW)] == ["Killing"]
    (key, pod), = running.items()
    terminating = {key: dict(pod, metadata=dict(pod["metadata"],
                                                deletionTimestamp="2026-01-01T00:00:00Z"))}
    assert [e["reason"] for e in kubelet_events(running, terminating, NOW)] == ["Killing"]
    assert kubelet_events(terminating, {}, NOW) == []   # killed once, when it began to end
    names = [e["metadata"]["name"] for e in made]
    assert names == sorted(names)   # in the order they happened


def test_the_openapi_v2_document_has_no_definitions_in_json_and_in_protobuf():
    """kubectl reads it to validate the items of a v1 List: with no definitions, it
    leaves them to the server."""
    assert openapi.document("/openapi/v2")["definitions"] == {}
    document = {number: value for number, _, value in fields(openapi.v2_protobuf())}
    assert document[1] == b"2.0" and 9 not in document
    info = {number: value for number, _, value in fields(document[2])}
    assert info[2].decode() == openapi.v2_document()["info"]["version"]


def test_a_node_reports_what_a_kubelet_reports_of_its_machine():
    host = render.HostFacts("6.1.0", "0f6c0ae8-1b1c-4c5e-9a51-2c0a8f2b7d11", 2, 24_000_000,
                            50_000_000, "amd64")
    one, two = (dict(node.for_create({"kind": "Node", "metadata": {"name": name}}, NOW),
                     status=render.node_status(render.NodeView(
                         name, "192.168.0.%d" % i, "10.244.%d.0/24" % i, NOW, host, "run1")))
                for i, name in ((1, "node1"), (2, "node2")))
    status = one["status"]
    assert status["capacity"] == {"cpu": "2", "memory": "24000000Ki", "pods": "253",
                                  "ephemeral-storage": "50000000Ki"} == status["allocatable"]
    info, other = status["nodeInfo"], two["status"]["nodeInfo"]
    assert info["bootID"] == other["bootID"] == host.boot_id   # one kernel for all nodes
    assert info["machineID"] != other["machineID"] and len(info["machineID"]) == 32
    assert info["systemUUID"].replace("-", "") == info["machineID"]
    assert [c["type"] for c in status["conditions"]] == [
        "MemoryPressure", "DiskPressure", "PIDPressure", "Ready"]
    assert row("nodes", one)[:2] == ["node1", "Ready"]


def test_a_not_found_status_is_written_as_the_api_server_writes_it():
    status = not_found("deployments.apps", "web").status()
    assert list(status) == ["kind", "apiVersion", "metadata", "status", "message", "reason",
                            "details", "code"]
    assert status["details"] == {"name": "web", "group": "apps", "kind": "deployments"}
    assert list(status["details"]) == ["name", "group", "kind"]
    assert not_found("pods", "web").status()["details"] == {"name": "web", "kind": "pods"}


def test_a_node_row_says_unknown_before_its_kubelet_reports_and_shows_a_cordon():
    stored = node.for_create({"kind": "Node", "metadata": {"name": "node5"},
                              "spec": {"unschedulable": True}}, NOW)
    assert row("nodes", stored)[:2] == ["node5", "Unknown,SchedulingDisabled"]
