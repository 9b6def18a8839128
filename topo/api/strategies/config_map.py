"""ConfigMaps: kept as given (data and binaryData maps of strings, keys as the API
server allows them); an immutable one keeps its data. A delete removes them."""
import re

from topo.api.status import invalid
from topo.api.strategies.common import check_subdomain_name, stored_metadata

RESOURCE = "configmaps"   # the store's key
CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
CONTENT = ("data", "binaryData", "immutable")


def check_keys(kind, name, field, mapping):
    """Each key of a ConfigMap's or a Secret's map a valid config key."""
    for key in mapping:
        if not CONFIG_KEY.match(key) or len(key) > 253:
            raise invalid(kind, name, "%s[%s]" % (field, key),
                          "Invalid value: %r: a valid config key must consist of "
                          "alphanumeric characters, '-', '_' or '.'" % key)


def for_create(obj, now, current=None):
    name = obj["metadata"]["name"]
    check_subdomain_name("ConfigMap", name)
    for field in ("data", "binaryData"):
        value = obj.get(field) or {}
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise invalid("ConfigMap", name, field, "Invalid value: expected a map of strings")
        check_keys("ConfigMap", name, field, value)
    stored = {"apiVersion": "v1", "kind": "ConfigMap",
              "metadata": stored_metadata(obj, current, now)}
    stored.update((field, obj[field]) for field in CONTENT if obj.get(field) is not None)
    return stored


def for_update(obj, current, now):
    if current.get("immutable") and any(obj.get(f) != current.get(f) for f in CONTENT):
        raise invalid("ConfigMap", obj["metadata"]["name"], "data",
                      "Forbidden: field is immutable when `immutable` is set")
    return for_create(obj, now, current)


def for_delete(current, now):
    return None
