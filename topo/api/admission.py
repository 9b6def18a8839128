"""Two of the API server's admission plugins (pure: the namespace's LimitRanges,
ResourceQuotas and objects are given):

- LimitRanger: a new pod's containers get the default limits and requests of the
  LimitRanges of its namespace (an annotation says which), and a pod outside their
  min and max is refused (403);
- ResourceQuota: a create that would take the namespace beyond a quota's hard limit
  is refused (403, naming the quota, what was asked, used and limited); a pod that
  does not say how much of a limited compute resource it wants is refused too.
  usage() is also what the quota controller writes in a quota's status.
"""
from fractions import Fraction

from topo.api.status import ApiError
from topo.plan.quantity import NotAQuantity, quantity

FINISHED = ("Succeeded", "Failed")
COMPUTE = {"cpu": ("requests", "cpu"), "memory": ("requests", "memory"),
           "requests.cpu": ("requests", "cpu"), "requests.memory": ("requests", "memory"),
           "limits.cpu": ("limits", "cpu"), "limits.memory": ("limits", "memory"),
           "requests.ephemeral-storage": ("requests", "ephemeral-storage"),
           "limits.ephemeral-storage": ("limits", "ephemeral-storage")}
COUNTED = {"pods": "pods", "services": "services", "configmaps": "configmaps",
           "secrets": "secrets", "replicationcontrollers": "replicationcontrollers",
           "resourcequotas": "resourcequotas",
           "persistentvolumeclaims": "persistentvolumeclaims"}


def forbidden(resource, name, message):
    return ApiError(403, '%s "%s" is forbidden: %s' % (resource, name, message),
                    reason="Forbidden")


def format_quantity(value):
    """A Fraction as Kubernetes writes a quantity: '2', '500m', '128Mi'."""
    if value.denominator != 1:
        return "%dm" % round(value * 1000)
    whole = int(value)
    for suffix, size in (("Gi", 2 ** 30), ("Mi", 2 ** 20), ("Ki", 2 ** 10)):
        if whole and whole % size == 0:
            return "%d%s" % (whole // size, suffix)
    return str(whole)


# --- LimitRanger --------------------------------------------------------------------
def _container_bounds(ranges):
    """{bound: {resource: text}} of the namespace's Container limits, defaulted as the
    API server defaults them (defaultRequest from default, default from max)."""
    bounds = {b: {} for b in ("max", "min", "default", "defaultRequest")}
    for limit_range in ranges:
        for limit in limit_range["spec"]["limits"]:
            if limit.get("type") != "Container":
                continue
            default = dict(limit.get("max") or {}, **(limit.get("default") or {}))
            request = dict(default, **(limit.get("defaultRequest") or {}))
            for bound, values in (("max", limit.get("max")), ("min", limit.get("min")),
                                  ("default", default), ("defaultRequest", request)):
                for resource, text in (values or {}).items():
                    bounds[bound].setdefault(resource, text)
    return bounds


def limit_ranger(pod, ranges):
    """The pod (as it is to be stored) with its containers' defaults; raises 403 for a
    container outside the min and max."""
    bounds = _container_bounds(ranges)
    if not any(bounds.values()):
        return pod
    pod = dict(pod, spec=dict(pod["spec"]), metadata=dict(pod["metadata"]))
    said, containers = [], []
    for container in pod["spec"].get("containers") or []:
        resources = dict(container.get("resources") or {})
        for kind, bound in (("requests", "defaultRequest"), ("limits", "default")):
            have = dict(resources.get(kind) or {})
            added = [r for r in sorted(bounds[bound]) if r not in have]
            if added:
                have.update((r, bounds[bound][r]) for r in added)
                resources[kind] = have
                said.append("%s %s for container %s" % (", ".join(added), kind[:-1],
                                                         container["name"]))
        container = dict(container, resources=resources)
        _within(pod["metadata"]["name"], container, bounds)
        containers.append(container)
    pod["spec"]["containers"] = containers
    if said:
        pod["metadata"]["annotations"] = dict(pod["metadata"].get("annotations") or {}, **{
            "kubernetes.io/limit-ranger": "LimitRanger plugin set: " + "; ".join(said)})
    return pod


def _within(name, container, bounds):
    resources = container["resources"]
    for resource, text in bounds["max"].items():
        limit = (resources.get("limits") or {}).get(resource)
        if limit is not None and quantity(limit) > quantity(text):
            raise forbidden("pods", name, "maximum %s usage per Container is %s, but limit "
                            "is %s" % (resource, text, limit))
    for resource, text in bounds["min"].items():
        request = (resources.get("requests") or {}).get(resource)
        if request is not None and quantity(request) < quantity(text):
            raise forbidden("pods", name, "minimum %s usage per Container is %s, but request "
                            "is %s" % (resource, text, request))


# --- ResourceQuota ------------------------------------------------------------------
def _live_pods(objects):
    return [p for p in objects.get("pods", ()) if
            (p.get("status") or {}).get("phase") not in FINISHED]


def counted_key(resource):
    """'count/deployments.apps' -> 'deployments.apps'; 'pods' -> 'pods'; else None."""
    if resource.startswith("count/"):
        return resource[len("count/"):]
    return COUNTED.get(resource)


def _compute(pods, kind, name):
    total = Fraction(0)
    for pod in pods:
        for container in pod["spec"].get("containers") or []:
            value = ((container.get("resources") or {}).get(kind) or {}).get(name)
            if value is not None:
                try:
                    total += quantity(value)
                except NotAQuantity:
                    pass
    return total


def usage(hard, objects):
    """{resource: used (Fraction)} of the resources hard names, over objects ({store
    key: [objects of the namespace]})."""
    used = {}
    for resource in hard:
        key = counted_key(resource)
        if key == "pods":
            used[resource] = Fraction(len(_live_pods(objects)))
        elif key is not None:
            used[resource] = Fraction(len(objects.get(key, ())))
        elif resource in ("services.nodeports", "services.loadbalancers"):
            kind = "NodePort" if resource.endswith("nodeports") else "LoadBalancer"
            used[resource] = Fraction(sum(
                len(s["spec"].get("ports") or ()) if kind == "NodePort" else 1
                for s in objects.get("services", ())
                if s["spec"].get("type") in ((kind, "LoadBalancer") if kind == "NodePort"
                                             else (kind,))))
        elif resource in COMPUTE:
            used[resource] = _compute(_live_pods(objects), *COMPUTE[resource])
    return used


def used_status(hard, objects):
    return {r: format_quantity(v) for r, v in usage(hard, objects).items()}


def check_quotas(key, obj, quotas, objects):
    """Raises 403 if creating obj (of store key) would exceed a quota of its namespace;
    objects: {store key: [objects of the namespace]} before it."""
    name = obj["metadata"]["name"]
    resource = key.split(".", 1)[0]
    after = dict(objects, **{key: list(objects.get(key, ())) + [obj]})
    for quota in quotas:
        hard = quota["spec"].get("hard") or {}
        if key == "pods":
            missing = sorted(r for r in hard if r in COMPUTE and any(
                COMPUTE[r][1] not in ((c.get("resources") or {}).get(COMPUTE[r][0]) or {})
                for c in obj["spec"].get("containers") or []))
            if missing:
                raise forbidden(resource, name, "failed quota: %s: must specify %s" % (
                    quota["metadata"]["name"], ",".join(missing)))
        before, now = usage(hard, objects), usage(hard, after)
        over = [r for r in sorted(hard) if now.get(r, 0) > before.get(r, 0) and
                now[r] > quantity(hard[r])]
        if over:
            raise forbidden(resource, name, "exceeded quota: %s, requested: %s, used: %s, "
                            "limited: %s" % (
                                quota["metadata"]["name"],
                                ",".join("%s=%s" % (r, format_quantity(now[r] - before[r]))
                                         for r in over),
                                ",".join("%s=%s" % (r, format_quantity(before[r]))
                                         for r in over),
                                ",".join("%s=%s" % (r, hard[r]) for r in over)))
