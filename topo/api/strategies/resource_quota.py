"""ResourceQuotas: checked as the API server checks them (resource names, quantities,
scopes), stored with the status the quota controller writes (topo/manager/quota.py:
what the namespace uses of each resource it limits); the ResourceQuota admission
(topo/api/admission.py) refuses a create that would exceed one. A client's write
keeps the status; a delete removes them."""
import re

from topo.api.status import invalid, not_supported
from topo.api.strategies.common import (check_subdomain_name, controlled, stored_metadata,
                                        with_status)
from topo.api.strategies.limit_range import amounts

RESOURCE = "resourcequotas"
KIND = "ResourceQuota"
SCOPES = ("Terminating", "NotTerminating", "BestEffort", "NotBestEffort", "PriorityClass",
          "CrossNamespacePodAffinity")
NAME = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[a-zA-Z0-9]([-a-zA-Z0-9_.]*"
                  r"[a-zA-Z0-9])?$")


def for_create(obj, now, current=None):
    name = obj["metadata"]["name"]
    check_subdomain_name(KIND, name)
    spec = obj.get("spec") or {}
    hard = spec.get("hard") or {}
    for resource in hard if isinstance(hard, dict) else ():
        if not NAME.match(str(resource)):
            raise invalid(KIND, name, "spec.hard[%s]" % resource, "Invalid value: %r: must "
                          "be a standard resource for quota" % resource)
    amounts(name, "spec.hard", hard, KIND)
    for i, scope in enumerate(spec.get("scopes") or ()):
        if scope not in SCOPES:
            raise not_supported(KIND, name, "spec.scopes[%d]" % i, scope, SCOPES)
    status = {"hard": dict(hard), "used": {}}
    stored = controlled("v1", KIND, stored_metadata(obj, current, now),
                        {k: v for k, v in spec.items() if v is not None}, current, status)
    stored["status"]["hard"] = dict(hard)   # what it limits, at once
    return stored


def for_update(obj, current, now):
    return for_create(obj, now, current)


def for_status(obj, current, now):
    return with_status(obj, current)


def for_delete(current, now):
    return None
