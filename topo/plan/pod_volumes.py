"""A pod's volumes, volume mounts and the environment its containers take from
ConfigMaps, Secrets and the downward API, as the API server checks them (pure): a
field it would refuse raises VolumeError naming the field, with its message."""
from __future__ import annotations

import re

from topo.errors import FieldInvalid
from topo.plan.model import (MOUNTED_VOLUMES, EnvFrom, FieldRef, ValueFrom, Volume,
                             VolumeFile, VolumeMount, VolumeSource)

# The kinds of volume Kubernetes knows; kubemn mounts MOUNTED_VOLUMES and keeps the rest.
VOLUME_KINDS = MOUNTED_VOLUMES + (
    "hostPath", "persistentVolumeClaim", "ephemeral", "nfs", "iscsi", "glusterfs", "rbd",
    "cephfs", "cinder", "fc", "flocker", "flexVolume", "azureFile", "azureDisk",
    "vsphereVolume", "quobyte", "photonPersistentDisk", "portworxVolume", "scaleIO",
    "storageos", "csi", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "image")
# The downward API's fields: in a volume, and also in an environment variable.
VOLUME_FIELDS = ("metadata.name", "metadata.namespace", "metadata.uid", "metadata.labels",
                 "metadata.annotations")
ENV_FIELDS = ("metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName",
              "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP",
              "status.podIPs")
KEYED_FIELD = re.compile(r"^metadata\.(labels|annotations)\['([^']+)'\]$")
RESOURCES = ("limits.cpu", "limits.memory", "limits.ephemeral-storage", "requests.cpu",
             "requests.memory", "requests.ephemeral-storage")
CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
MAX_MODE = 0o777


class VolumeError(FieldInvalid):
    """A volume, mount or variable source the API server would refuse."""


def _required(path):
    return VolumeError(path, "Required value")


def _mapping(value, path):
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise VolumeError(path, "expected a mapping, got %s" % type(value).__name__)
    return value


def _list(value, path):
    if value is None:
        return []
    if not isinstance(value, list):
        raise VolumeError(path, "expected a list, got %s" % type(value).__name__)
    return value


def _name(value, path):
    if not isinstance(value, str) or not value:
        raise _required(path)
    return value


def _flag(value, path):
    if value is None:
        return False
    if not isinstance(value, bool):
        raise VolumeError(path, "expected true or false, got %r" % (value,))
    return value


def _mode(value, path):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_MODE:
        raise VolumeError(path, "Invalid value: %r: must be a number between 0 and 0777 "
                                "(octal), both inclusive" % (value,))
    return value


def relative_path(value, path, what="path"):
    """A path inside a volume: relative, without '..'."""
    if not isinstance(value, str) or not value:
        raise _required(path)
    if value.startswith("/"):
        raise VolumeError(path, "Invalid value: %r: must be a relative path" % value)
    if ".." in value.split("/"):
        raise VolumeError(path, "Invalid value: %r: must not contain '..'" % value)
    if "\0" in value or "\n" in value:
        raise VolumeError(path, "Invalid value: %r: not a valid %s" % (value, what))
    return value.rstrip("/")


def field_ref(value, path, allowed):
    """A fieldRef: its fieldPath, one the API server allows where it is."""
    value = _mapping(value, path)
    field_path = _name(value.get("fieldPath"), path + ".fieldPath")
    keyed = KEYED_FIELD.match(field_path)
    if field_path not in allowed and not keyed:
        raise VolumeError(path + ".fieldPath", 'Unsupported value: "%s": supported values: %s'
                          % (field_path, ", ".join('"%s"' % f for f in allowed)))
    return FieldRef(field_path=field_path)


def resource_ref(value, path, container_required):
    value = _mapping(value, path)
    resource = value.get("resource")
    if resource not in RESOURCES:
        raise VolumeError(path + ".resource", 'Unsupported value: %r: supported values: %s'
                          % (resource, ", ".join('"%s"' % r for r in RESOURCES)))
    container = value.get("containerName") or ""
    if container_required and not container:
        raise _required(path + ".containerName")
    divisor = value.get("divisor", "1")
    if not isinstance(divisor, (str, int)) or isinstance(divisor, bool):
        raise VolumeError(path + ".divisor", "Invalid value: %r" % (divisor,))
    return FieldRef(resource=resource, container=container, divisor=str(divisor))


def _items(value, path, keyed):
    """A ConfigMap's or Secret's items (keyed), or the downward API's."""
    files = []
    for i, item in enumerate(_list(value, path)):
        ipath = "%s[%d]" % (path, i)
        item = _mapping(item, ipath)
        file_path = relative_path(item.get("path"), ipath + ".path")
        mode = _mode(item.get("mode"), ipath + ".mode")
        if keyed:
            files.append(VolumeFile(file_path, key=_name(item.get("key"), ipath + ".key"),
                                    mode=mode))
        elif ("fieldRef" in item) == ("resourceFieldRef" in item):
            raise VolumeError(ipath, "Invalid value: must specify one of fieldRef and "
                                     "resourceFieldRef")
        elif "fieldRef" in item:
            files.append(VolumeFile(file_path, field=field_ref(
                item["fieldRef"], ipath + ".fieldRef", VOLUME_FIELDS), mode=mode))
        else:
            files.append(VolumeFile(file_path, field=resource_ref(
                item["resourceFieldRef"], ipath + ".resourceFieldRef", True), mode=mode))
    return tuple(files)


def _source(kind, value, path, projected=False):
    value = _mapping(value, path)
    if kind == "downwardAPI":
        return VolumeSource(kind, items=_items(value.get("items"), path + ".items", False))
    if kind == "serviceAccountToken":
        expiration = value.get("expirationSeconds", 3600)
        if isinstance(expiration, bool) or not isinstance(expiration, int) or \
                expiration < 600:
            raise VolumeError(path + ".expirationSeconds", "Invalid value: %r: may not be "
                              "less than 10 minutes" % (expiration,))
        return VolumeSource(kind, items=(VolumeFile(relative_path(
            value.get("path"), path + ".path")),), audience=value.get("audience") or "",
            expiration=expiration)
    name_field = "secretName" if kind == "secret" and not projected else "name"
    return VolumeSource(kind, _name(value.get(name_field), "%s.%s" % (path, name_field)),
                        _items(value.get("items"), path + ".items", True),
                        _flag(value.get("optional"), path + ".optional"))


def parse_volume(value, path):
    """One of spec.volumes -> Volume (kind 'other' for those kubemn does not mount)."""
    value = _mapping(value, path)
    name = _name(value.get("name"), path + ".name")
    kinds = [k for k in VOLUME_KINDS if k in value]
    if len(kinds) > 1:
        raise VolumeError(path + "." + kinds[1], "Forbidden: may not specify more than 1 "
                                                 "volume type")
    kind = kinds[0] if kinds else "emptyDir"   # the API server's default
    if kind not in MOUNTED_VOLUMES:
        return Volume(name, "other")
    spec = _mapping(value.get(kind), "%s.%s" % (path, kind))
    default_mode = _mode(spec.get("defaultMode"), "%s.%s.defaultMode" % (path, kind))
    default_mode = 0o644 if default_mode is None else default_mode
    if kind == "emptyDir":
        return Volume(name, kind)
    if kind != "projected":
        return Volume(name, kind, (_source(kind, spec, "%s.%s" % (path, kind)),),
                      default_mode)
    sources = []
    for i, source in enumerate(_list(spec.get("sources"), path + ".projected.sources")):
        spath = "%s.projected.sources[%d]" % (path, i)
        source = _mapping(source, spath)
        kinds = [k for k in ("configMap", "secret", "downwardAPI", "serviceAccountToken",
                             "clusterTrustBundle") if k in source]
        if len(kinds) != 1:
            raise VolumeError(spath, "Forbidden: may not specify more than 1 volume type"
                              if kinds else "Required value: must specify one source")
        if kinds[0] == "clusterTrustBundle":
            raise VolumeError(spath + ".clusterTrustBundle", "Forbidden: kubemn does not "
                                                              "serve ClusterTrustBundles")
        sources.append(_source(kinds[0], source[kinds[0]], "%s.%s" % (spath, kinds[0]),
                               projected=True))
    return Volume(name, kind, tuple(sources), default_mode)


def parse_volumes(value, path):
    """spec.volumes -> (Volume, ...), names unique."""
    volumes = []
    for i, item in enumerate(_list(value, path)):
        volume = parse_volume(item, "%s[%d]" % (path, i))
        if any(v.name == volume.name for v in volumes):
            raise VolumeError("%s[%d].name" % (path, i), 'Duplicate value: "%s"' % volume.name)
        volumes.append(volume)
    return tuple(volumes)


def parse_mount(value, path, mount_path):
    """One of a container's volumeMounts (mount_path: its mountPath, checked by the
    caller)."""
    value = _mapping(value, path)
    sub_path = value.get("subPath") or ""
    if sub_path:
        sub_path = relative_path(sub_path, path + ".subPath")
    return VolumeMount(_name(value.get("name"), path + ".name"), mount_path,
                       _flag(value.get("readOnly"), path + ".readOnly"), sub_path)


def _key_ref(kind, value, path):
    value = _mapping(value, path)
    key = _name(value.get("key"), path + ".key")
    if not CONFIG_KEY.match(key):
        raise VolumeError(path + ".key", "Invalid value: %r: a valid config key must consist "
                                         "of alphanumeric characters, '-', '_' or '.'" % key)
    return ValueFrom(kind, _name(value.get("name"), path + ".name"), key,
                     _flag(value.get("optional"), path + ".optional"))


def parse_env_value(item, path):
    """One of a container's env -> its value: a string, or a ValueFrom."""
    if "valueFrom" not in item:
        value = item.get("value", "")
        if not isinstance(value, str):
            raise VolumeError(path + ".value", "expected a string, got %r" % (value,))
        return value
    if item.get("value"):
        raise VolumeError(path + ".valueFrom", "Invalid value: may not be specified when "
                                               "`value` is not empty")
    source = _mapping(item["valueFrom"], path + ".valueFrom")
    kinds = [k for k in ("fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef")
             if k in source]
    if len(kinds) != 1:
        raise VolumeError(path + ".valueFrom", "Invalid value: may not have more than one "
                          "field specified at a time" if kinds else
                          "Invalid value: must specify one of: `fieldRef`, "
                          "`resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`")
    kind, spath = kinds[0], "%s.valueFrom.%s" % (path, kinds[0])
    if kind == "fieldRef":
        return ValueFrom("field", field=field_ref(source[kind], spath, ENV_FIELDS))
    if kind == "resourceFieldRef":
        return ValueFrom("field", field=resource_ref(source[kind], spath, False))
    return _key_ref(kind, source[kind], spath)


def parse_env_from(value, path):
    """A container's envFrom -> (EnvFrom, ...)."""
    sources = []
    for i, item in enumerate(_list(value, path)):
        ipath = "%s[%d]" % (path, i)
        item = _mapping(item, ipath)
        kinds = [k for k in ("configMapRef", "secretRef") if k in item]
        if len(kinds) != 1:
            raise VolumeError(ipath, "Invalid value: may not have more than one field "
                              "specified at a time" if kinds else
                              "Invalid value: must specify one of: `configMapRef` or "
                              "`secretRef`")
        ref = _mapping(item[kinds[0]], "%s.%s" % (ipath, kinds[0]))
        prefix = item.get("prefix") or ""
        if prefix and not ENV_NAME.match(prefix):
            raise VolumeError(ipath + ".prefix", "Invalid value: %r: a valid environment "
                                                 "variable name must consist of alphabetic "
                                                 "characters, digits, '_', '-', or '.', and "
                                                 "must not start with a digit" % prefix)
        sources.append(EnvFrom(kinds[0], _name(ref.get("name"), "%s.%s.name" % (
            ipath, kinds[0])), prefix, _flag(ref.get("optional"), "%s.%s.optional" % (
                ipath, kinds[0]))))
    return tuple(sources)
