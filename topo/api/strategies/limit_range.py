"""LimitRanges: checked as the API server checks them (each limit's type, its
quantities, default and defaultRequest within min and max), kept; the LimitRanger
admission (topo/api/admission.py) gives a new pod's containers their defaults and
refuses one outside the bounds. A delete removes them."""
from topo.api.status import invalid, not_supported
from topo.api.strategies.common import check_subdomain_name, stored_metadata
from topo.plan.quantity import NotAQuantity, quantity

RESOURCE = "limitranges"
KIND = "LimitRange"
TYPES = ("Pod", "Container", "PersistentVolumeClaim")
BOUNDS = ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio")


def amounts(name, field, values, kind=KIND):
    """{resource: quantity} of a map of quantities, checked (422 naming the field)."""
    if not isinstance(values, dict):
        raise invalid(kind, name, field, "Invalid value: expected a map of quantities")
    out = {}
    for resource, text in values.items():
        try:
            out[resource] = quantity(text)
        except NotAQuantity:
            raise invalid(kind, name, "%s[%s]" % (field, resource), "Invalid value: %r: "
                          "quantities must match the regular expression "
                          "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'" % (text,)) from None
        if out[resource] < 0:
            raise invalid(kind, name, "%s[%s]" % (field, resource), "Invalid value: %r: "
                          "must be greater than or equal to 0" % (text,))
    return out


def for_create(obj, now, current=None):
    name = obj["metadata"]["name"]
    check_subdomain_name(KIND, name)
    limits = (obj.get("spec") or {}).get("limits")
    if not isinstance(limits, list):
        raise invalid(KIND, name, "spec.limits", "Required value")
    for i, limit in enumerate(limits):
        path = "spec.limits[%d]" % i
        if not isinstance(limit, dict) or limit.get("type") not in TYPES:
            raise not_supported(KIND, name, path + ".type", (limit or {}).get("type")
                                if isinstance(limit, dict) else None, TYPES)
        bounds = {b: amounts(name, "%s.%s" % (path, b), limit.get(b) or {}) for b in BOUNDS}
        if limit["type"] == "Pod" and (bounds["default"] or bounds["defaultRequest"]):
            raise invalid(KIND, name, path + ".default", "Forbidden: may not be specified "
                          "when `type` is 'Pod'")
        for resource, low in bounds["min"].items():
            high = bounds["max"].get(resource)
            if high is not None and low > high:
                raise invalid(KIND, name, "%s.min[%s]" % (path, resource), "Invalid value: "
                              "%r: min value %s is greater than max value %s" % (
                                  limit["min"][resource], limit["min"][resource],
                                  limit["max"][resource]))
        for bound in ("default", "defaultRequest"):
            for resource, value in bounds[bound].items():
                low, high = bounds["min"].get(resource), bounds["max"].get(resource)
                if low is not None and value < low or high is not None and value > high:
                    raise invalid(KIND, name, "%s.%s[%s]" % (path, bound, resource),
                                  "Invalid value: %r: %s value %s is outside the min and max"
                                  % (limit[bound][resource], bound, limit[bound][resource]))
    return {"apiVersion": "v1", "kind": KIND, "metadata": stored_metadata(obj, current, now),
            "spec": {"limits": limits}}


def for_update(obj, current, now):
    return for_create(obj, now, current)


def for_delete(current, now):
    return None
