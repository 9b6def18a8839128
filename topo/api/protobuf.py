"""Kubernetes' protobuf encoding, read into JSON-shaped objects (pure).

kubectl's typed clients (`kubectl create deployment|service|namespace`) and
client-go's (the e2e suite's) send protobuf: the envelope is "k8s\\0" and a
runtime.Unknown {typeMeta {apiVersion, kind}, raw}, raw being the object's message.
protobuf_schema.py (generated from Kubernetes' Go types) numbers every field of the
kinds read; a field number it does not know (a newer field) is skipped. Zero values
are left out, as JSON's omitempty leaves them, but in pointer fields (replicas: 0).
The answers a client asks for in protobuf are written by protobuf_encode.py.
"""
import base64
import datetime
import json
import struct

from topo.api.protobuf_schema import SCHEMAS as GENERATED
from topo.api.protobuf_schema import TOP_LEVEL

MAGIC = b"k8s\x00"
CONTENT_TYPE = "application/vnd.kubernetes.protobuf"


class ProtobufError(ValueError):
    pass


# The envelope around every body; the objects' schemas are protobuf_schema's.
ENVELOPE = {"Unknown": {1: ("typeMeta", "TypeMeta"), 2: ("raw", "raw")},
            "TypeMeta": {1: ("apiVersion", "s"), 2: ("kind", "s")}}
SCHEMAS = dict(GENERATED, **ENVELOPE)
# Options every group version carries (a client sends DeleteOptions in its resource's).
ANY_VERSION = {"DeleteOptions": "meta.DeleteOptions"}
# The kinds a client sends (the schemas hold what is answered too: lists, Status,
# WatchEvent and discovery).
READ = {kind for _, kind in TOP_LEVEL if not kind.endswith("List")} - {
    "Status", "WatchEvent", "APIVersions", "APIGroup"}
ZERO_TIME = -62135596800   # Go's zero time.Time (0001-01-01): null in JSON


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


def _is_empty(value):
    return value in ("", 0, False, None, {}, [])


def _time(value, micro=False):
    parts = {n: v for n, _, v in fields(value)}
    seconds, nanos = _signed(parts.get(1, 0)), parts.get(2, 0)
    if not parts or (seconds == ZERO_TIME and not nanos):   # the zero time: an empty message
        return None
    when = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    return text + (".%06dZ" % (nanos // 1000) if micro else "Z")


def _special(kind, value):
    """The messages whose JSON is not an object of their fields."""
    if kind in ("Time", "MicroTime"):
        return _time(value, kind == "MicroTime")
    if kind == "Strings":
        return [_string(item) for number, _, item in fields(value) if number == 1]
    parts = {n: v for n, _, v in fields(value)}
    if kind == "Duration":
        return "%gs" % (_signed(parts.get(1, 0)) / 1e9)
    if kind == "Quantity":
        return _string(parts.get(1, b""))
    if kind == "IntOrString":
        return _string(parts.get(3, b"")) if parts.get(1) else _signed(parts.get(2, 0))
    raw = parts.get(1, b"")   # RawExtension: the JSON it holds
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return base64.b64encode(raw).decode()


SPECIAL = ("Time", "MicroTime", "Duration", "Quantity", "IntOrString", "RawExtension",
           "Strings")
SCALAR_WIRES = {"s": 2, "y": 2, "b": 0, "i": 0, "d": 1}


def _value(kind, wire, value, name):
    """One field's value as JSON has it."""
    expected = SCALAR_WIRES.get(kind, 2)
    if wire != expected:
        raise ProtobufError("field %s: wire type %d, expected %d" % (name, wire, expected))
    if kind == "s":
        return _string(value)
    if kind == "y":
        return base64.b64encode(value).decode()
    if kind == "raw":   # the envelope's: the object's own message
        return value
    if kind == "b":
        return bool(value)
    if kind == "i":
        return _signed(value)
    if kind == "d":
        return struct.unpack("<d", value)[0]
    if kind in SPECIAL:
        return _special(kind, value)
    return message(value, kind)


def _packed(kind, value):
    """A repeated number sent packed: one length-delimited run of varints."""
    out, pos = [], 0
    while pos < len(value):
        number, pos = _varint(value, pos)
        out.append(bool(number) if kind == "b" else _signed(number))
    return out


def message(data, schema_name):
    """One message as a JSON-shaped dict: zeros and empty values left out, as JSON's
    omitempty leaves them, but in pointer fields (a ! kind), where they are values."""
    schema, out, kept = SCHEMAS[schema_name], {}, set()
    for number, wire, value in fields(data):
        if number not in schema:
            continue
        name, kind = schema[number]
        if kind.endswith("!"):
            kind = kind[:-1]
            kept.add(name)
        if kind.startswith("{"):
            entry = {n: (w, v) for n, w, v in fields(value)}
            key = _string(entry.get(1, (2, b""))[1])
            item_wire, item = entry.get(2, (SCALAR_WIRES.get(kind[1:], 2), b""))
            if kind[1:] in ("i", "b") and 2 not in entry:
                item = 0
            out.setdefault(name, {})[key] = _value(kind[1:], item_wire, item, name)
        elif kind.startswith("["):
            item_kind = kind[1:]
            if item_kind in ("i", "b") and wire == 2:
                out.setdefault(name, []).extend(_packed(item_kind, value))
            else:
                out.setdefault(name, []).append(_value(item_kind, wire, value, name))
        elif not name:   # an inline struct: its fields (all it kept) are the parent's
            inline = _value(kind, wire, value, "inline")
            out.update(inline)
            kept.update(inline)
        else:
            out[name] = _value(kind, wire, value, name)
    return {k: v for k, v in out.items() if k in kept or not _is_empty(v)}


def decode(body):
    """A protobuf request body (with its envelope) as a JSON-shaped object."""
    if not body.startswith(MAGIC):
        raise ProtobufError("not a Kubernetes protobuf body (no k8s magic)")
    envelope = message(body[len(MAGIC):], "Unknown")
    type_meta = envelope.get("typeMeta", {})
    key = (type_meta.get("apiVersion"), type_meta.get("kind"))
    schema = TOP_LEVEL.get(key) or ANY_VERSION.get(key[1])
    if schema is None:
        raise ProtobufError("kubemn reads protobuf bodies of %s only, not %s"
                            % (", ".join(sorted(READ)), key[1]))
    obj = message(envelope.get("raw", b""), schema)
    obj["apiVersion"], obj["kind"] = key
    return obj
