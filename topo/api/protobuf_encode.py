"""JSON-shaped objects written in Kubernetes' protobuf encoding (pure): what the API
answers a client that asks for protobuf (client-go's typed clients, the e2e suite's).

The inverse of protobuf.py, from the same schemas: an object is "k8s\\0" and a
runtime.Unknown {typeMeta {apiVersion, kind}, raw}, raw being its message; a watch
streams frames of a 4-byte big-endian length and a WatchEvent {type, object: raw
extension holding the enveloped object}. A JSON key the schema does not number (a
field newer than Kubernetes v1.20) is left out, as a v1.20 server would. An object
that does not fit its schema (a kind without one, a value of the wrong type) raises
ProtobufError: the caller answers JSON instead, which every client reads.
"""
import base64
import datetime
import json
import re
import struct

from topo.api.protobuf import CONTENT_TYPE, MAGIC, SCHEMAS, SPECIAL, ProtobufError
from topo.api.protobuf_schema import TOP_LEVEL

WATCH_CONTENT_TYPE = CONTENT_TYPE + ";stream=watch"
DURATION_UNITS = {"h": 3600e9, "m": 60e9, "s": 1e9, "ms": 1e6, "us": 1e3, "µs": 1e3,
                  "ns": 1.0}
DURATION_PART = re.compile(r"(\d+(?:\.\d*)?)(h|ms|m|s|us|µs|ns)")


def prefers_protobuf(accept):
    """Whether an Accept header asks for protobuf before JSON: its media types in order
    of their q values (a Table, `as=Table`, is JSON only)."""
    ranges = []
    for index, part in enumerate((accept or "").split(",")):
        fields = [f.strip() for f in part.split(";")]
        params = dict(f.split("=", 1) for f in fields[1:] if "=" in f)
        try:
            quality = float(params.pop("q", "1"))
        except ValueError:
            quality = 0.0
        ranges.append((-quality, index, fields[0].lower(), params))
    for _, _, media_type, params in sorted(ranges):
        if media_type == CONTENT_TYPE:
            return "as" not in params
        if media_type in ("application/json", "application/*", "*/*"):
            return False
    return False


def _varint(value):
    if value < 0:
        value += 1 << 64   # int64's two's complement, as Go writes a negative number
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def field(number, wire, payload):
    """One field: its key, then a varint (wire 0), 8 bytes (1) or a length and bytes (2)."""
    key = _varint(number << 3 | wire)
    if wire == 2:
        return key + _varint(len(payload)) + payload
    return key + payload


def _seconds(text):
    """(seconds, nanoseconds) since the epoch of an RFC 3339 time."""
    try:
        when = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        raise ProtobufError("not a time: %r" % (text,)) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return int(when.timestamp() // 1), when.microsecond * 1000


def _nanoseconds(text):
    """Go's duration text (1h2m3.5s, 300ms) in nanoseconds."""
    text = str(text)
    sign, rest = (-1, text[1:]) if text.startswith("-") else (1, text)
    parts = DURATION_PART.findall(rest)
    if not parts or "".join(n + u for n, u in parts) != rest:
        raise ProtobufError("not a duration: %r" % (text,))
    return sign * int(round(sum(float(n) * DURATION_UNITS[u] for n, u in parts)))


def _special(kind, value):
    """The message of a value whose JSON is not an object of its fields."""
    if kind in ("Time", "MicroTime"):
        seconds, nanos = _seconds(value)
        return field(1, 0, _varint(seconds)) + (field(2, 0, _varint(nanos)) if nanos else b"")
    if kind == "Duration":
        return field(1, 0, _varint(_nanoseconds(value)))
    if kind == "Quantity":
        return field(1, 2, str(value).encode())
    if kind == "Strings":   # a list in a message of its own (meta's Verbs)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ProtobufError("not a list of strings: %r" % (value,))
        return b"".join(field(1, 2, item.encode()) for item in value)
    if kind == "IntOrString":
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ProtobufError("not an int or a string: %r" % (value,))
        if isinstance(value, int):
            return field(1, 0, _varint(0)) + field(2, 0, _varint(value))
        return field(1, 0, _varint(1)) + field(3, 2, value.encode())
    return field(1, 2, json.dumps(value, separators=(",", ":")).encode())   # RawExtension


def _value(number, kind, value):
    """One field of the given kind holding value (a repeated field: one item)."""
    if kind == "s":
        if not isinstance(value, str):
            raise ProtobufError("field %d: not a string: %r" % (number, value))
        return field(number, 2, value.encode())
    if kind == "y":
        try:
            return field(number, 2, base64.b64decode(value, validate=True))
        except (TypeError, ValueError):
            raise ProtobufError("field %d: not base64: %r" % (number, value)) from None
    if kind == "b":
        if not isinstance(value, bool):
            raise ProtobufError("field %d: not a boolean: %r" % (number, value))
        return field(number, 0, _varint(int(value)))
    if kind == "i":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ProtobufError("field %d: not an integer: %r" % (number, value))
        return field(number, 0, _varint(value))
    if kind == "d":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ProtobufError("field %d: not a number: %r" % (number, value))
        return field(number, 1, struct.pack("<d", value))
    if kind in SPECIAL:
        return field(number, 2, _special(kind, value))
    if not isinstance(value, dict):
        raise ProtobufError("field %d: not an object: %r" % (number, value))
    return field(number, 2, message(value, kind))


def message(obj, schema_name):
    """The message of a JSON-shaped dict: its fields in their numbers' order; zero
    scalars left out as Go's decoder reads them zero, pointer fields (a ! kind) kept."""
    out = []
    for number, (name, kind) in sorted(SCHEMAS[schema_name].items()):
        pointer = kind.endswith("!")
        kind = kind.rstrip("!")
        if not name:   # an inline struct: its fields are the parent's in JSON
            out.append(field(number, 2, message(obj, kind)))
            continue
        value = obj.get(name)
        if value is None or (not pointer and value in ("", 0)):   # 0 is False too
            continue
        if kind.startswith("{"):
            if not isinstance(value, dict):
                raise ProtobufError("field %s: not a map: %r" % (name, value))
            for key in sorted(value):
                entry = field(1, 2, str(key).encode()) + _value(2, kind[1:], value[key])
                out.append(field(number, 2, entry))
        elif kind.startswith("["):
            if not isinstance(value, list):
                raise ProtobufError("field %s: not a list: %r" % (name, value))
            out += [_value(number, kind[1:], item) for item in value if item is not None]
        else:
            out.append(_value(number, kind, value))
    return b"".join(out)


def has_schema(api_version, kind):
    """Whether objects of this kind can be answered in protobuf."""
    return (api_version or "", kind) in TOP_LEVEL


def encode(obj):
    """An object (with its apiVersion and kind) as a protobuf body, envelope and all."""
    key = (obj.get("apiVersion") or "", obj.get("kind"))
    if not has_schema(*key):
        raise ProtobufError("no protobuf schema for %s %s" % key)
    schema = TOP_LEVEL[key]
    type_meta = field(1, 2, key[0].encode()) + field(2, 2, key[1].encode())
    return MAGIC + field(1, 2, type_meta) + field(2, 2, message(obj, schema))


def watch_frame(event_type, obj):
    """One watch event as its frame in a protobuf watch stream."""
    event = field(1, 2, event_type.encode()) + field(2, 2, field(1, 2, encode(obj)))
    return struct.pack(">I", len(event)) + event
