"""A pod's volumes and the variables its containers take from ConfigMaps, Secrets and
the downward API: checked as the API server checks them (topo/plan/pod_volumes.py),
filled as the kubelet fills them (topo/kubelet/volume_files.py, downward_api.py,
service_account_token.py)."""
import base64
import json

import pytest

from topo.kubelet.downward_api import field_value, quantity, resource_value
from topo.kubelet.service_account_token import token
from topo.kubelet.volume_files import VolumeUnavailable, container_variables, volume_files
from topo.plan.manifest import parse_pod
from topo.errors import ManifestError

ALLOCATABLE = {"cpu": "2", "memory": "1Gi", "ephemeral-storage": "10Gi"}
STORE = {
    ("configmaps", "default", "app"): {"kind": "ConfigMap", "data": {
        "app.conf": "color=blue\n", "MODE": "fast", "bad key!": "x"},
        "binaryData": {"logo.png": base64.b64encode(b"\x89PNG").decode()}},
    ("secrets", "default", "creds"): {"kind": "Secret", "data": {
        "password": base64.b64encode(b"s3cret").decode()}},
}


def lookup(resource, namespace, name):
    return STORE.get((resource, namespace, name))


def pod(spec, labels=None, annotations=None):
    obj = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "web", "namespace": "default", "uid": "u-1",
                        "labels": labels or {"app": "web"},
                        "annotations": annotations or {}},
           "spec": dict({"containers": [{"name": "c", "image": "busybox"}],
                         "nodeName": "node-2", "serviceAccountName": "default"}, **spec),
           "status": {"podIP": "10.244.2.7", "hostIP": "192.168.0.3"}}
    return obj, parse_pod(obj)


def files(spec, store=lookup):
    obj, parsed = pod(spec)
    (volume,) = parsed.template.volumes
    return {path: (data.decode("latin-1"), oct(mode)) for path, (data, mode) in
            volume_files(volume, obj, store, ALLOCATABLE, lambda s: "tok").items()}


def test_a_config_map_volume_holds_every_key_or_the_items_asked_for():
    assert files({"volumes": [{"name": "v", "configMap": {"name": "app"}}]}) == {
        "app.conf": ("color=blue\n", "0o644"), "MODE": ("fast", "0o644"),
        "bad key!": ("x", "0o644"), "logo.png": ("\x89PNG", "0o644")}
    assert files({"volumes": [{"name": "v", "configMap": {
        "name": "app", "defaultMode": 0o400,
        "items": [{"key": "app.conf", "path": "conf/app.conf"},
                  {"key": "MODE", "path": "mode", "mode": 0o600}]}}]}) == {
        "conf/app.conf": ("color=blue\n", "0o400"), "mode": ("fast", "0o600")}


def test_a_secret_volume_holds_its_decoded_values():
    assert files({"volumes": [{"name": "v", "secret": {"secretName": "creds"}}]}) == {
        "password": ("s3cret", "0o644")}


def test_a_missing_source_waits_unless_optional():
    with pytest.raises(VolumeUnavailable, match='configmap "gone" not found'):
        files({"volumes": [{"name": "v", "configMap": {"name": "gone"}}]})
    with pytest.raises(VolumeUnavailable, match="non-existent config key: nope"):
        files({"volumes": [{"name": "v", "configMap": {
            "name": "app", "items": [{"key": "nope", "path": "x"}]}}]})
    assert files({"volumes": [{"name": "v", "secret": {"secretName": "gone",
                                                         "optional": True}}]}) == {}


def test_the_downward_api_writes_the_pods_fields_and_resources():
    assert files({"volumes": [{"name": "v", "downwardAPI": {"items": [
        {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
        {"path": "name", "fieldRef": {"fieldPath": "metadata.name"}},
        {"path": "app", "fieldRef": {"fieldPath": "metadata.labels['app']"}},
        {"path": "mem", "resourceFieldRef": {"containerName": "c",
                                             "resource": "limits.memory",
                                             "divisor": "1Mi"}}]}}]}) == {
        "labels": ('app="web"', "0o644"), "name": ("web", "0o644"), "app": ("web", "0o644"),
        "mem": ("1024", "0o644")}


def test_a_projected_volume_joins_its_sources():
    assert files({"volumes": [{"name": "v", "projected": {"sources": [
        {"configMap": {"name": "app", "items": [{"key": "MODE", "path": "mode"}]}},
        {"secret": {"name": "creds"}},
        {"serviceAccountToken": {"path": "token", "expirationSeconds": 3600}}]}}]}) == {
        "mode": ("fast", "0o644"), "password": ("s3cret", "0o644"), "token": ("tok", "0o644")}


def test_labels_and_annotations_are_written_as_the_kubelet_quotes_them():
    obj, _ = pod({}, labels={"b": "2", "a": 'say "hi"'}, annotations={"n": "x\ny"})
    assert field_value("metadata.labels", obj) == 'a="say \\"hi\\""\nb="2"'
    assert field_value("metadata.annotations", obj) == 'n="x\\ny"'
    assert field_value("metadata.annotations['missing']", obj) == ""
    assert field_value("status.podIPs", obj) == "10.244.2.7"


def test_resources_round_up_in_units_of_their_divisor():
    assert quantity("500m") * 4 == 2 and quantity("128Mi") == 128 * 2 ** 20
    container = {"resources": {"limits": {"cpu": "1500m"}}}
    assert resource_value("limits.cpu", "1", container, ALLOCATABLE) == "2"
    assert resource_value("limits.cpu", "1m", container, ALLOCATABLE) == "1500"
    assert resource_value("requests.cpu", "1m", container, ALLOCATABLE) == "1500"
    assert resource_value("requests.memory", "1", {}, ALLOCATABLE) == "0"
    assert resource_value("limits.memory", "1Ki", {}, ALLOCATABLE) == str(2 ** 20)


def test_variables_come_from_env_from_then_env_which_wins_each_expanded():
    obj, parsed = pod({"containers": [{"name": "c", "image": "busybox",
                                       "envFrom": [{"configMapRef": {"name": "app"},
                                                    "prefix": "APP_"}],
                                       "env": [
        {"name": "APP_MODE", "value": "slow"},
        {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "creds",
                                                            "key": "password"}}},
        {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
        {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
        {"name": "URL", "value": "http://$(POD_IP):$(WEB_PORT)/$(NOPE)"},
        {"name": "OPT", "valueFrom": {"configMapKeyRef": {"name": "gone", "key": "k",
                                                          "optional": True}}}]}]})
    variables = container_variables(parsed.template.containers[0], obj, lookup, ALLOCATABLE,
                                    {"WEB_PORT": "80"})
    assert variables == [("APP_MODE", "slow"), ("APP_app.conf", "color=blue\n"),
                         ("APP_logo.png", "\ufffdPNG"), ("PASSWORD", "s3cret"),
                         ("POD_IP", "10.244.2.7"), ("NODE", "node-2"),
                         ("URL", "http://10.244.2.7:80/$(NOPE)")]
    assert "APP_bad key!" not in dict(variables)   # not a variable name: skipped


def test_a_variables_missing_source_fails_the_containers_start():
    obj, parsed = pod({"containers": [{"name": "c", "image": "busybox", "env": [
        {"name": "K", "valueFrom": {"configMapKeyRef": {"name": "app", "key": "nope"}}}]}]})
    with pytest.raises(VolumeUnavailable, match="couldn't find key nope in ConfigMap "
                                                "default/app"):
        container_variables(parsed.template.containers[0], obj, lookup, ALLOCATABLE, {})


@pytest.mark.parametrize("spec, field, message", [
    ({"volumes": [{"name": "v", "configMap": {}}]}, "spec.volumes[0].configMap.name",
     "Required value"),
    ({"volumes": [{"name": "v", "secret": {"secretName": "s", "defaultMode": 0o1777}}]},
     "spec.volumes[0].secret.defaultMode", "between 0 and 0777"),
    ({"volumes": [{"name": "v", "configMap": {"name": "a", "items": [
        {"key": "k", "path": "../x"}]}}]}, "spec.volumes[0].configMap.items[0].path",
     "must not contain '..'"),
    ({"volumes": [{"name": "v", "emptyDir": {}, "configMap": {"name": "a"}}]},
     "spec.volumes[0].configMap", "may not specify more than 1 volume type"),
    ({"volumes": [{"name": "v", "downwardAPI": {"items": [
        {"path": "ip", "fieldRef": {"fieldPath": "status.podIP"}}]}}]},
     "spec.volumes[0].downwardAPI.items[0].fieldRef.fieldPath", "Unsupported value"),
    ({"volumes": [{"name": "v", "emptyDir": {}}, {"name": "v", "emptyDir": {}}]},
     "spec.volumes[1].name", "Duplicate value"),
    ({"containers": [{"name": "c", "image": "x", "env": [
        {"name": "A", "value": "x", "valueFrom": {"fieldRef": {
            "fieldPath": "metadata.name"}}}]}]},
     "spec.containers[0].env[0].valueFrom", "may not be specified"),
    ({"containers": [{"name": "c", "image": "x", "volumeMounts": [
        {"name": "v", "mountPath": "/a"}, {"name": "v", "mountPath": "/a"}]}],
      "volumes": [{"name": "v", "emptyDir": {}}]},
     "spec.containers[0].volumeMounts[1].mountPath", "must be unique"),
    ({"containers": [{"name": "c", "image": "x", "volumeMounts": [
        {"name": "v", "mountPath": "/a", "subPath": "/abs"}]}],
      "volumes": [{"name": "v", "emptyDir": {}}]},
     "spec.containers[0].volumeMounts[0].subPath", "must be a relative path"),
])
def test_what_the_api_server_refuses_is_refused_naming_the_field(spec, field, message):
    with pytest.raises(ManifestError) as caught:
        pod(spec)
    assert caught.value.field == field and message in caught.value.problem


def test_a_projected_token_names_its_pod_account_and_audience():
    obj, _ = pod({})
    text = token(b"key", obj, "vault", 600, now=1000)
    claims = json.loads(base64.urlsafe_b64decode(text.split(".")[1] + "=="))
    assert claims["sub"] == "system:serviceaccount:default:default"
    assert (claims["aud"], claims["exp"]) == (["vault"], 1600)
    assert claims["kubernetes.io"]["pod"] == {"name": "web", "uid": "u-1"}
    assert token(b"other", obj, "vault", 600, now=1000) != text
