"""What the API answers a client that asks for protobuf: objects, lists, errors and
watch events written with the schemas the bodies client-go sends are read with."""
import os
import struct

import pytest

from tests.helpers import api_objects
from topo.api import render, resources
from topo.api.protobuf import ProtobufError, decode, fields, message
from topo.api.protobuf_encode import encode, prefers_protobuf, watch_frame
from topo.api.protobuf_encode import message as encode_message
from topo.api.status import ApiError
from topo.plan.model import Container, ContainerPort, PodSpec, PodTemplate, Probe

DATA = os.path.join(os.path.dirname(__file__), "data")


def _body(name):
    with open(os.path.join(DATA, name), "rb") as handle:
        return handle.read()


@pytest.mark.parametrize("name", sorted(os.listdir(DATA)))
def test_what_client_go_sent_is_written_back_as_it_reads(name):
    sent = decode(_body(name))
    assert decode(encode(sent)) == sent


def served_pod():
    template = PodTemplate((("app", "web"),), (Container(
        "web", "registry.k8s.io/e2e-test-images/agnhost:2.39", args=("netexec",),
        ports=(ContainerPort(8080, "TCP", "http"), ContainerPort(8081, "UDP", "udp")),
        readiness_probe=Probe("httpGet", 8080, "/healthz", initial_delay=5)),))
    view = render.PodView(PodSpec("web-1", template), "10.244.1.5", "node1", "192.168.0.1",
                          1_800_000_000, True, [render.ContainerView("web", "Running", None,
                                                                     2, True)])
    return api_objects.pod_json(view)


def test_a_served_pod_reads_back_whole_times_ports_probes_and_counts_included():
    pod = served_pod()
    back = decode(encode(pod))
    assert back["metadata"]["creationTimestamp"] == pod["metadata"]["creationTimestamp"]
    (container,), (sent,) = back["spec"]["containers"], pod["spec"]["containers"]
    for field in ("image", "args", "ports", "readinessProbe", "imagePullPolicy"):
        assert container[field] == sent[field]
    assert back["status"]["podIP"] == "10.244.1.5"
    assert back["status"]["containerStatuses"][0]["restartCount"] == 2
    assert back["status"]["containerStatuses"][0]["state"] == \
        pod["status"]["containerStatuses"][0]["state"]


def test_a_list_carries_its_resource_version_and_items():
    pods = {"apiVersion": "v1", "kind": "PodList", "metadata": {"resourceVersion": "42"},
            "items": [served_pod(), served_pod()]}
    back = decode(encode(pods))
    assert back["metadata"] == {"resourceVersion": "42"}
    assert [p["metadata"]["name"] for p in back["items"]] == ["web-1", "web-1"]


def test_an_error_is_a_status_with_its_code_reason_and_details():
    status = ApiError(404, 'pods "web" not found', details={"name": "web", "kind": "pods"})
    assert decode(encode(status.status())) == {
        "apiVersion": "v1", "kind": "Status", "status": "Failure", "code": 404,
        "message": 'pods "web" not found', "reason": "NotFound",
        "details": {"name": "web", "kind": "pods"}}


def test_a_watch_frame_is_its_length_then_the_event_holding_the_enveloped_object():
    frame = watch_frame("MODIFIED", served_pod())
    (length,) = struct.unpack(">I", frame[:4])
    assert length == len(frame) - 4
    event = message(frame[4:], "meta.WatchEvent")
    assert event["type"] == "MODIFIED"
    raw = {n: v for n, _, v in fields(frame[4:])}[2]   # RawExtension {raw}
    assert decode(fields(raw)[0][2])["metadata"]["name"] == "web-1"


def test_kinds_without_a_schema_and_values_of_the_wrong_type_are_refused():
    with pytest.raises(ProtobufError):
        encode({"apiVersion": "meta.k8s.io/v1", "kind": "Table", "rows": []})
    pod = served_pod()
    pod["spec"]["containers"][0]["ports"][0]["containerPort"] = "8080"
    with pytest.raises(ProtobufError):
        encode(pod)


def test_an_int_or_string_and_a_negative_number_keep_their_type_and_sign():
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
               "spec": {"ports": [{"port": 80, "targetPort": "http"},
                                  {"port": 81, "targetPort": 8081}]}}
    assert decode(encode(service))["spec"]["ports"] == service["spec"]["ports"]
    event = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e"}, "count": -3}
    assert decode(encode(event))["count"] == -3


@pytest.mark.parametrize("accept, wanted", [
    ("application/vnd.kubernetes.protobuf", True),
    ("application/vnd.kubernetes.protobuf, application/json", True),
    ("application/json, application/vnd.kubernetes.protobuf", False),
    ("application/json;q=0.5, application/vnd.kubernetes.protobuf", True),
    ("application/json;as=Table;v=v1;g=meta.k8s.io, application/json", False),
    ("application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io,application/json",
     False),
    ("*/*", False), ("", False), (None, False)])
def test_protobuf_is_answered_when_the_client_asks_for_it_first(accept, wanted):
    assert prefers_protobuf(accept) is wanted


def test_discovery_is_answered_in_protobuf_too():
    listing = resources.api_resource_list("", "v1")
    back = decode(encode(listing))
    pods = next(r for r in back["resources"] if r["name"] == "pods")
    assert pods["shortNames"] == ["po"] and "watch" in pods["verbs"]
    assert message(encode(resources.api_version("127.0.0.1:1"))[4:], "Unknown")["typeMeta"] == {
        "kind": "APIVersions"}   # /api's object has no apiVersion, in JSON and here


def test_verbs_are_one_message_of_items_as_go_reads_them():
    """meta's Verbs is a message of its own ({1: items}); Go read a verb written as
    field 4 itself as that message, and failed ("illegal wireType 7")."""
    resource = {"name": "pods", "namespaced": True, "kind": "Pod", "verbs": ["get", "list"]}
    verbs = [value for number, _, value in fields(encode_message(resource, "meta.APIResource"))
             if number == 4]
    assert len(verbs) == 1 and [item for _, _, item in fields(verbs[0])] == [b"get", b"list"]
    assert message(encode_message(resource, "meta.APIResource"), "meta.APIResource") == resource


def test_a_duration_is_written_in_nanoseconds_as_go_reads_it():
    from topo.api.protobuf import _special as read_special
    from topo.api.protobuf_encode import _special as write_special
    assert read_special("Duration", write_special("Duration", "1h2m3.5s")) == "3723.5s"
    assert read_special("Duration", write_special("Duration", "-300ms")) == "-0.3s"
    with pytest.raises(ProtobufError):
        write_special("Duration", "soon")


@pytest.mark.parametrize("obj", [
    {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
     "metadata": {"name": "web", "namespace": "default"},
     "spec": {"minAvailable": "50%", "selector": {"matchLabels": {"app": "web"}},
              "unhealthyPodEvictionPolicy": "AlwaysAllow"},
     "status": {"observedGeneration": 1, "disruptionsAllowed": 1, "currentHealthy": 3,
                "desiredHealthy": 2, "expectedPods": 4, "conditions": [
                    {"type": "DisruptionAllowed", "status": "True", "reason": "SufficientPods",
                     "message": "1 disruption allowed", "observedGeneration": 1,
                     "lastTransitionTime": "2026-12-03T16:00:00Z"}]}},
    {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q", "namespace": "t"},
     "spec": {"hard": {"pods": "2", "requests.cpu": "1"}},
     "status": {"hard": {"pods": "2", "requests.cpu": "1"},
                "used": {"pods": "1", "requests.cpu": "250m"}}},
    {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "l", "namespace": "t"},
     "spec": {"limits": [{"type": "Container", "default": {"cpu": "500m"},
                          "max": {"memory": "1Gi"}}]}},
    {"apiVersion": "apps/v1", "kind": "ControllerRevision",
     "metadata": {"name": "web-abc", "namespace": "default"}, "revision": 2,
     "data": {"spec": {"template": {"$patch": "replace", "spec": {"containers": []}}}}},
    {"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
     "metadata": {"name": "v1.apps"},
     "spec": {"group": "apps", "version": "v1", "groupPriorityMinimum": 17800,
              "versionPriority": 15},
     "status": {"conditions": [{"type": "Available", "status": "True", "reason": "Local",
                                "message": "Local APIServices are always available",
                                "lastTransitionTime": "2026-12-03T16:00:00Z"}]}},
    {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
     "spec": {"resourceAttributes": {"namespace": "team", "verb": "list",
                                                     "resource": "pods"}},
     "status": {"allowed": True, "reason": "RBAC: allowed by RoleBinding"}},
])
def test_the_kinds_of_issue_22_read_back_whole_in_protobuf(obj):
    assert decode(encode(obj)) == obj
