"""What the kubelet writes into a pod's configMap, secret, downwardAPI and projected
volumes, and the variables a container takes from ConfigMaps, Secrets and the
downward API (pure: the store is read through lookup(resource, namespace, name)).

A volume's files are {path: (bytes, mode)}. A ConfigMap or Secret that is missing,
or lacks a key its items name, leaves the volume unmountable (VolumeUnavailable, with
the kubelet's message) unless it is optional; so does a variable's, unless optional.
"""
from __future__ import annotations

import base64

from topo.kubelet.expansion import expand
from topo.kubelet.downward_api import NotAQuantity, field_value, resource_value
from topo.plan.pod_volumes import CONFIG_KEY, ENV_NAME

RESOURCES = {"configMap": "configmaps", "secret": "secrets",
             "configMapKeyRef": "configmaps", "secretKeyRef": "secrets",
             "configMapRef": "configmaps", "secretRef": "secrets"}
WORDS = {"configmaps": "configmap", "secrets": "secret"}
KINDS = {"configmaps": "ConfigMap", "secrets": "Secret"}


class VolumeUnavailable(Exception):
    """A volume or variable whose source cannot be read (the pod waits, and the kubelet
    tries again)."""


def _not_found(resource, name):
    """The kubelet's words for a ConfigMap or Secret that is not there."""
    return VolumeUnavailable('%s "%s" not found' % (WORDS[resource], name))


def object_data(obj) -> dict:
    """{key: bytes} of a ConfigMap (data and binaryData) or a Secret (data)."""
    if obj.get("kind") == "Secret":
        return {k: base64.b64decode(v) for k, v in (obj.get("data") or {}).items()}
    data = {k: v.encode() for k, v in (obj.get("data") or {}).items()}
    data.update((k, base64.b64decode(v)) for k, v in (obj.get("binaryData") or {}).items())
    return data


def _container(pod, name):
    containers = pod["spec"].get("containers") or []
    return next((c for c in containers if c.get("name") == name), containers[0])


def _field(field, pod, allocatable, container_name=""):
    if field.field_path:
        return field_value(field.field_path, pod).encode()
    try:
        return resource_value(field.resource, field.divisor,
                              _container(pod, field.container or container_name),
                              allocatable).encode()
    except NotAQuantity as exc:
        raise VolumeUnavailable("resourceFieldRef %s: %s" % (field.resource, exc)) from None


def _source_files(source, pod, lookup, allocatable, token):
    if source.kind == "downwardAPI":
        return {f.path: (_field(f.field, pod, allocatable), f.mode) for f in source.items}
    if source.kind == "serviceAccountToken":
        return {source.items[0].path: (token(source).encode(), None)}
    resource = RESOURCES[source.kind]
    obj = lookup(resource, pod["metadata"]["namespace"], source.name)
    if obj is None:
        if source.optional:
            return {}
        raise _not_found(resource, source.name)
    data = object_data(obj)
    if not source.items:
        return {key: (value, None) for key, value in data.items()}
    files = {}
    for item in source.items:
        if item.key not in data:
            if source.optional:
                continue
            raise VolumeUnavailable('configmap references non-existent config key: %s'
                                    % item.key if resource == "configmaps" else
                                    'references non-existent secret key: %s' % item.key)
        files[item.path] = (data[item.key], item.mode)
    return files


def volume_files(volume, pod, lookup, allocatable, token=lambda source: "") -> dict:
    """{path: (bytes, mode)} of one of the pod's file volumes (volume.has_files).
    pod: as stored, its status's podIP and hostIP filled in; allocatable: the node's
    (for a resourceFieldRef without a limit); token(source): a serviceAccountToken
    source's token."""
    files = {}
    for source in volume.sources:
        for path, (data, mode) in _source_files(source, pod, lookup, allocatable,
                                                token).items():
            files[path] = (data, volume.default_mode if mode is None else mode)
    return files


def container_variables(container, pod, lookup, allocatable, variables) -> list:
    """[(name, value)] of a container's envFrom and env, in the order the kubelet sets
    them (envFrom first, each source in turn; then env, which wins), each value's
    $(VAR) expanded from those before it and variables (the Services')."""
    namespace = pod["metadata"]["namespace"]
    out = {}
    for source in container.env_from:
        obj = lookup(RESOURCES[source.kind], namespace, source.name)
        if obj is None:
            if source.optional:
                continue
            raise _not_found(RESOURCES[source.kind], source.name)
        for key, value in sorted(object_data(obj).items()):
            name = source.prefix + key
            if ENV_NAME.match(name) and CONFIG_KEY.match(key):   # others: skipped
                out[name] = value.decode("utf-8", "replace")
    for name, value in container.env:
        if isinstance(value, str):
            out[name] = expand(value, dict(variables, **out))
            continue
        if value.kind == "field":
            out[name] = _field(value.field, pod, allocatable, container.name).decode()
            continue
        obj = lookup(RESOURCES[value.kind], namespace, value.name)
        data = object_data(obj) if obj is not None else {}
        if value.key in data:
            out[name] = data[value.key].decode("utf-8", "replace")
        elif obj is None and not value.optional:
            raise _not_found(RESOURCES[value.kind], value.name)
        elif not value.optional:
            raise VolumeUnavailable("couldn't find key %s in %s %s/%s" % (
                value.key, KINDS[RESOURCES[value.kind]], namespace, value.name))
    return list(out.items())
