"""policy/v1 PodDisruptionBudgets: checked as the API server checks them (minAvailable
or maxUnavailable, a count or a percentage, not both; a valid selector), stored with
the status the disruption controller writes (topo/manager/disruption.py); a client's
write keeps that status. A delete removes them. (kubemn serves no eviction API: the
budget is reported, and `kubectl drain` is not served.)"""
import json
import re

from topo.api.status import invalid, not_supported
from topo.api.strategies.common import (check_subdomain_name, controlled, stored_metadata,
                                        with_status)
from topo.policy.spec import PolicyInvalid, parse_selector

RESOURCE = "poddisruptionbudgets.policy"
API_VERSION = "policy/v1"
KIND = "PodDisruptionBudget"
PERCENT = re.compile(r"^[0-9]+%$")
POLICIES = ("IfHealthyBudget", "AlwaysAllow")
EMPTY_STATUS = {"disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0,
                "expectedPods": 0}


def _check_amount(name, field, value):
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise invalid(KIND, name, field, "Invalid value: %s: must be an integer or "
                      "percentage (e.g '5%%')" % json.dumps(value))
    if isinstance(value, int) and value < 0:
        raise invalid(KIND, name, field, "Invalid value: %d: must be greater than or equal "
                      "to 0" % value)
    if isinstance(value, str):
        if not PERCENT.match(value):
            raise invalid(KIND, name, field, 'Invalid value: "%s": a valid percent string '
                          "must be a numeric string followed by an ending '%%'" % value)
        if int(value[:-1]) > 100:
            raise invalid(KIND, name, field, 'Invalid value: "%s": must not be greater '
                          'than 100%%' % value)


def for_create(obj, now, current=None):
    name = obj["metadata"]["name"]
    check_subdomain_name(KIND, name)
    spec = obj.get("spec") or {}
    if not isinstance(spec, dict):
        raise invalid(KIND, name, "spec", "Invalid value: expected an object")
    if spec.get("minAvailable") is not None and spec.get("maxUnavailable") is not None:
        raise invalid(KIND, name, "spec", "Invalid value: minAvailable and maxUnavailable "
                      "cannot be both set")
    for field in ("minAvailable", "maxUnavailable"):
        if spec.get(field) is not None:
            _check_amount(name, "spec." + field, spec[field])
    if spec.get("selector") is not None:
        try:
            parse_selector(spec["selector"], "spec.selector")
        except PolicyInvalid as exc:
            raise invalid(KIND, name, exc.field, exc.message) from None
    policy = spec.get("unhealthyPodEvictionPolicy")
    if policy is not None and policy not in POLICIES:
        raise not_supported(KIND, name, "spec.unhealthyPodEvictionPolicy", policy, POLICIES)
    return controlled(API_VERSION, KIND, stored_metadata(obj, current, now),
                      {k: v for k, v in spec.items() if v is not None}, current, EMPTY_STATUS)


def for_update(obj, current, now):
    return for_create(obj, now, current)


def for_status(obj, current, now):
    return with_status(obj, current)


def for_delete(current, now):
    return None
