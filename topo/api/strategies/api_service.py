"""apiregistration.k8s.io APIServices: checked as the API server checks them (the
name is `<version>.<group>`, priorities in range, a service's reference whole),
stored with their Available condition. The group versions kubemn serves are listed
as Local ones (built_in(), made at start, as the aggregator makes them); one that
names a Service stays unavailable: kubemn aggregates no other API server. A delete
removes them."""
from topo.api.render import timestamp
from topo.api.status import invalid
from topo.api.strategies.common import check_subdomain_name, stored_metadata

RESOURCE = "apiservices.apiregistration.k8s.io"
API_VERSION = "apiregistration.k8s.io/v1"
KIND = "APIService"


def _priority(name, field, value, most):
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= most:
        raise invalid(KIND, name, field, "Invalid value: %r: must be positive and less "
                      "than %d" % (value, most))


def _status(spec, now_text, current):
    if spec.get("service") is None:
        state = ("True", "Local", "Local APIServices are always available")
    else:
        service = spec["service"]
        state = ("False", "ServiceNotFound", 'service/%s in "%s" is not served: kubemn '
                 "aggregates no other API server" % (service.get("name"),
                                                     service.get("namespace")))
    old = next((c for c in ((current or {}).get("status") or {}).get("conditions") or ()
                if c["type"] == "Available"), None)
    since = old["lastTransitionTime"] if old and old["status"] == state[0] else now_text
    return {"conditions": [{"type": "Available", "status": state[0], "reason": state[1],
                            "message": state[2], "lastTransitionTime": since}]}


def for_create(obj, now, current=None):
    name = obj["metadata"]["name"]
    spec = obj.get("spec") or {}
    if spec.get("group"):   # the core group's is `v1.`, which no other kind's name may be
        check_subdomain_name(KIND, name)
    group, version = spec.get("group", ""), spec.get("version")
    if not version:
        raise invalid(KIND, name, "spec.version", "Required value")
    if name != "%s.%s" % (version, group):
        raise invalid(KIND, name, "metadata.name", 'Invalid value: "%s": must be '
                      '`spec.version+"."+spec.group`: "%s.%s"' % (name, version, group))
    _priority(name, "spec.groupPriorityMinimum", spec.get("groupPriorityMinimum"), 20000)
    _priority(name, "spec.versionPriority", spec.get("versionPriority"), 1000)
    service = spec.get("service")
    if service is not None:
        for field in ("namespace", "name"):
            if not (service or {}).get(field):
                raise invalid(KIND, name, "spec.service." + field, "Required value")
        if spec.get("insecureSkipTLSVerify") and spec.get("caBundle"):
            raise invalid(KIND, name, "spec.insecureSkipTLSVerify", "Invalid value: true: "
                          "may not be true if caBundle is present")
    metadata = stored_metadata(obj, current, now)
    return {"apiVersion": API_VERSION, "kind": KIND, "metadata": metadata,
            "spec": dict(spec), "status": _status(spec, timestamp(now), current)}


def for_update(obj, current, now):
    return for_create(obj, now, current)


def for_delete(current, now):
    return None


# The aggregator's priorities of the groups kubemn serves (kube-aggregator's table).
PRIORITIES = {"": (18000, 1), "apps": (17800, 15), "batch": (17400, 15),
              "rbac.authorization.k8s.io": (17000, 15), "coordination.k8s.io": (16500, 15),
              "discovery.k8s.io": (16200, 15), "networking.k8s.io": (17200, 15),
              "policy": (17600, 15), "apiregistration.k8s.io": (18200, 15)}


def built_in(group_versions):
    """The Local APIServices of the group versions served ([(group, version)])."""
    return [{"apiVersion": API_VERSION, "kind": KIND,
             "metadata": {"name": "%s.%s" % (version, group),
                          "labels": {"kube-aggregator.kubernetes.io/automanaged": "onstart"}},
             "spec": {"group": group, "version": version,
                      "groupPriorityMinimum": PRIORITIES.get(group, (1000, 15))[0],
                      "versionPriority": PRIORITIES.get(group, (1000, 15))[1]}}
            for group, version in sorted(group_versions)]
