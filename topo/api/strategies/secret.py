"""Secrets, as the API server stores them: stringData merged into data (base64, the
JSON of Go's []byte), the type Opaque unless given and never changed, the keys a
config key, 1 MiB at most, and the keys each built-in type requires; an immutable
one keeps its data. A delete removes them. kubemn serves them; its kubelet does not
mount them yet (README, limits)."""
import base64
import binascii
import json

from topo.api.status import ApiError, invalid
from topo.api.strategies.common import check_subdomain_name, stored_metadata
from topo.api.strategies.config_map import check_keys

RESOURCE = "secrets"   # the store's key
MAX_SIZE = 1024 * 1024   # bytes of data, decoded
OPAQUE = "Opaque"
SERVICE_ACCOUNT_NAME = "kubernetes.io/service-account.name"
# Built-in types: the data keys each requires (basic-auth: one of the two).
REQUIRED = {"kubernetes.io/dockercfg": (".dockercfg",),
            "kubernetes.io/dockerconfigjson": (".dockerconfigjson",),
            "kubernetes.io/ssh-auth": ("ssh-privatekey",),
            "kubernetes.io/tls": ("tls.crt", "tls.key")}
JSON_KEYS = (".dockercfg", ".dockerconfigjson")   # whose content must be JSON
BASIC_AUTH = ("kubernetes.io/basic-auth", ("username", "password"))


def _decoded(name, data):
    """{key: bytes} of data's base64 values; a value that is not base64 is refused as
    the API server's decoding refuses it (400, before any validation)."""
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise invalid("Secret", name, "data", "Invalid value: expected a map of strings")
    found = {}
    for key, value in data.items():
        try:
            found[key] = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ApiError(400, 'Secret in version "v1" cannot be handled as a Secret: '
                           'illegal base64 data in data[%s]' % key,
                           reason="BadRequest") from None
    return found


def _check_type(name, kind, metadata, data):
    if kind == "kubernetes.io/service-account-token" and \
            not (metadata.get("annotations") or {}).get(SERVICE_ACCOUNT_NAME):
        raise invalid("Secret", name, "metadata.annotations[%s]" % SERVICE_ACCOUNT_NAME,
                      "Required value")
    for key in REQUIRED.get(kind, ()):
        if key not in data:
            raise invalid("Secret", name, "data[%s]" % key, "Required value")
        if key in JSON_KEYS:
            try:
                json.loads(data[key])
            except ValueError as exc:
                raise invalid("Secret", name, "data[%s]" % key,
                              "Invalid value: \"<secret contents redacted>\": %s" % exc) \
                    from None
    if kind == BASIC_AUTH[0] and not any(key in data for key in BASIC_AUTH[1]):
        raise invalid("Secret", name, "data[username]", "Required value")


def for_create(obj, now, current=None):
    name = obj["metadata"]["name"]
    check_subdomain_name("Secret", name)
    data = _decoded(name, obj.get("data") or {})
    string_data = obj.get("stringData") or {}
    if not isinstance(string_data, dict) or \
            not all(isinstance(v, str) for v in string_data.values()):
        raise invalid("Secret", name, "stringData", "Invalid value: expected a map of strings")
    data.update((key, value.encode()) for key, value in string_data.items())
    check_keys("Secret", name, "data", data)
    if sum(map(len, data.values())) > MAX_SIZE:
        raise invalid("Secret", name, "data", "Too long: must have at most %d bytes"
                      % MAX_SIZE)
    kind = obj.get("type") or (current or {}).get("type") or OPAQUE
    if not isinstance(kind, str):
        raise invalid("Secret", name, "type", "Invalid value: expected a string")
    _check_type(name, kind, obj["metadata"], data)
    stored = {"apiVersion": "v1", "kind": "Secret",
              "metadata": stored_metadata(obj, current, now), "type": kind}
    if data:
        stored["data"] = {key: base64.b64encode(value).decode()
                          for key, value in sorted(data.items())}
    if obj.get("immutable") is not None:
        stored["immutable"] = obj["immutable"]
    return stored


def for_update(obj, current, now):
    name = obj["metadata"]["name"]
    kind = obj.get("type") or current["type"]   # checked first, as the API server does
    if kind != current["type"]:
        raise invalid("Secret", name, "type", "Invalid value: %s: field is immutable"
                      % json.dumps(kind))
    stored = for_create(obj, now, current)
    if current.get("immutable"):
        if not stored.get("immutable"):
            raise invalid("Secret", name, "immutable",
                          "Forbidden: field is immutable when `immutable` is set")
        if stored.get("data") != current.get("data"):
            raise invalid("Secret", name, "data",
                          "Forbidden: field is immutable when `immutable` is set")
    return stored


def for_delete(current, now):
    return None
