"""Kubernetes' protobuf encoding, read into JSON-shaped objects (pure).

kubectl's typed clients (`kubectl create deployment|service|namespace`) send
protobuf, with no fallback to JSON: the envelope is "k8s\\0" and a runtime.Unknown
{typeMeta {apiVersion, kind}, raw}, raw being the object's message. The schema
below gives the field numbers of k8s.io/api's generated.proto for the fields
kubemn reads; others are skipped. Zero values are dropped, as JSON's omitempty
drops them, except where zero means something (replicas: 0).
"""
MAGIC = b"k8s\x00"
CONTENT_TYPE = "application/vnd.kubernetes.protobuf"


class ProtobufError(ValueError):
    pass


# Field kinds: "s" string, "i" integer, "b" bool, "[s" repeated string, "{}" map of
# strings, a schema name for a message, "[" + name for a repeated message.
SCHEMAS = {
    "Unknown": {1: ("typeMeta", "TypeMeta"), 2: ("raw", "bytes")},
    "TypeMeta": {1: ("apiVersion", "s"), 2: ("kind", "s")},
    "ObjectMeta": {1: ("name", "s"), 2: ("generateName", "s"), 3: ("namespace", "s"),
                   11: ("labels", "{}"), 12: ("annotations", "{}"), 14: ("finalizers", "[s")},
    "LabelSelector": {1: ("matchLabels", "{}"),
                      2: ("matchExpressions", "[LabelSelectorRequirement")},
    "LabelSelectorRequirement": {1: ("key", "s"), 2: ("operator", "s"), 3: ("values", "[s")},
    "IntOrString": {1: ("type", "i"), 2: ("intVal", "i"), 3: ("strVal", "s")},
    "Deployment": {1: ("metadata", "ObjectMeta"), 2: ("spec", "DeploymentSpec")},
    "DeploymentSpec": {1: ("replicas", "i0"), 2: ("selector", "LabelSelector"),
                       3: ("template", "PodTemplateSpec"), 4: ("strategy", "DeploymentStrategy"),
                       5: ("minReadySeconds", "i"), 6: ("revisionHistoryLimit", "i0"),
                       7: ("paused", "b"), 9: ("progressDeadlineSeconds", "i0")},
    "DeploymentStrategy": {1: ("type", "s"), 2: ("rollingUpdate", "RollingUpdateDeployment")},
    "RollingUpdateDeployment": {1: ("maxUnavailable", "IntOrString"),
                                2: ("maxSurge", "IntOrString")},
    "PodTemplateSpec": {1: ("metadata", "ObjectMeta"), 2: ("spec", "PodSpec")},
    "PodSpec": {2: ("containers", "[Container"), 3: ("restartPolicy", "s"),
                6: ("dnsPolicy", "s"), 8: ("serviceAccountName", "s"), 10: ("nodeName", "s"),
                16: ("hostname", "s"), 17: ("subdomain", "s")},
    "Container": {1: ("name", "s"), 2: ("image", "s"), 3: ("command", "[s"), 4: ("args", "[s"),
                  5: ("workingDir", "s"), 6: ("ports", "[ContainerPort"),
                  7: ("env", "[EnvVar"), 14: ("imagePullPolicy", "s")},
    "ContainerPort": {1: ("name", "s"), 3: ("containerPort", "i"), 4: ("protocol", "s")},
    "EnvVar": {1: ("name", "s"), 2: ("value", "s")},
    "Service": {1: ("metadata", "ObjectMeta"), 2: ("spec", "ServiceSpec")},
    "ServiceSpec": {1: ("ports", "[ServicePort"), 2: ("selector", "{}"), 3: ("clusterIP", "s"),
                    4: ("type", "s"), 5: ("externalIPs", "[s"), 7: ("sessionAffinity", "s"),
                    8: ("loadBalancerIP", "s"), 10: ("externalName", "s"),
                    11: ("externalTrafficPolicy", "s"), 18: ("clusterIPs", "[s")},
    "ServicePort": {1: ("name", "s"), 2: ("protocol", "s"), 3: ("port", "i"),
                    4: ("targetPort", "IntOrString"), 5: ("nodePort", "i")},
    "ReplicationController": {1: ("metadata", "ObjectMeta"),
                              2: ("spec", "ReplicationControllerSpec")},
    "ReplicationControllerSpec": {1: ("replicas", "i0"), 2: ("selector", "{}"),
                                  3: ("template", "PodTemplateSpec"),
                                  4: ("minReadySeconds", "i")},
    "Namespace": {1: ("metadata", "ObjectMeta")},
    "ConfigMap": {1: ("metadata", "ObjectMeta"), 2: ("data", "{}"), 4: ("immutable", "b")},
}
TOP_LEVEL = {("apps/v1", "Deployment"): "Deployment", ("v1", "Service"): "Service",
             ("v1", "Namespace"): "Namespace", ("v1", "ConfigMap"): "ConfigMap",
             ("v1", "ReplicationController"): "ReplicationController"}


def _varint(data, pos):
    value = shift = 0
    while True:
        if pos >= len(data):
            raise ProtobufError("truncated varint")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise ProtobufError("varint too long")


def fields(data):
    """(field number, wire type, value) of one message: ints for varints, bytes for
    length-delimited fields."""
    pos, out = 0, []
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 2:
            length, pos = _varint(data, pos)
            if pos + length > len(data):
                raise ProtobufError("truncated field %d" % number)
            value, pos = data[pos:pos + length], pos + length
        elif wire == 1:
            value, pos = data[pos:pos + 8], pos + 8
        elif wire == 5:
            value, pos = data[pos:pos + 4], pos + 4
        else:
            raise ProtobufError("unsupported wire type %d" % wire)
        out.append((number, wire, value))
    return out


def _signed(value):
    return value - (1 << 64) if value >= 1 << 63 else value


def _string(value):
    try:
        return value.decode("utf-8")
    except (UnicodeDecodeError, AttributeError):
        raise ProtobufError("a string field is not UTF-8") from None


def _map_entry(value):
    entry = {n: v for n, _, v in fields(value)}
    return _string(entry.get(1, b"")), _string(entry.get(2, b""))


def _is_empty(value):
    return value in ("", 0, False, None, {}, [])


def message(data, schema_name):
    """One message as a JSON-shaped dict."""
    schema, out = SCHEMAS[schema_name], {}
    for number, wire, value in fields(data):
        if number not in schema:
            continue
        name, kind = schema[number]
        if kind in ("s", "[s", "{}", "bytes") or kind[0].isupper() or kind[0] == "[":
            if wire != 2:
                raise ProtobufError("field %s: expected a length-delimited value" % name)
        elif wire != 0:
            raise ProtobufError("field %s: expected a varint" % name)
        if kind == "s":
            out[name] = _string(value)
        elif kind == "bytes":
            out[name] = value
        elif kind in ("i", "i0"):
            out[name] = _signed(value)
        elif kind == "b":
            out[name] = bool(value)
        elif kind == "[s":
            out.setdefault(name, []).append(_string(value))
        elif kind == "{}":
            key, val = _map_entry(value)
            out.setdefault(name, {})[key] = val
        elif kind.startswith("["):
            out.setdefault(name, []).append(message(value, kind[1:]))
        elif kind == "IntOrString":
            number_or_name = message(value, kind)
            out[name] = number_or_name.get("strVal", "") if number_or_name.get("type") \
                else number_or_name.get("intVal", 0)
        else:
            out[name] = message(value, kind)
    keep_zero = {n for n, k in schema.values() if k == "i0"}
    return {k: v for k, v in out.items() if k in keep_zero or not _is_empty(v)}


def decode(body):
    """A protobuf request body (with its envelope) as a JSON-shaped object."""
    if not body.startswith(MAGIC):
        raise ProtobufError("not a Kubernetes protobuf body (no k8s magic)")
    envelope = message(body[len(MAGIC):], "Unknown")
    type_meta = envelope.get("typeMeta", {})
    key = (type_meta.get("apiVersion"), type_meta.get("kind"))
    if key not in TOP_LEVEL:
        raise ProtobufError("kubemn reads protobuf bodies of %s only, not %s"
                            % (", ".join(k for _, k in TOP_LEVEL), key[1]))
    obj = message(envelope.get("raw", b""), TOP_LEVEL[key])
    obj["apiVersion"], obj["kind"] = key
    return obj
