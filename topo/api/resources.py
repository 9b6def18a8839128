"""The resources kubemn serves, and the discovery documents built from them (pure).

One row a resource: kubectl learns names, short names, verbs and categories (`get
all`) from discovery, so adding a kind here is all discovery needs.
"""
from collections import namedtuple

Resource = namedtuple("Resource", "group version plural singular kind namespaced verbs "
                                  "short_names categories subresources")

READ = ("get", "list", "watch")
WRITE = ("create", "update", "patch", "delete", "deletecollection")
ALL = READ + WRITE

RESOURCES = (
    Resource("", "v1", "namespaces", "namespace", "Namespace", False,
             ("create", "delete", "get", "list", "watch"), ("ns",), (), ()),
    Resource("", "v1", "nodes", "node", "Node", False,
             ("create", "delete", "get", "list", "watch"), ("no",), (), ("proxy",)),
    Resource("", "v1", "pods", "pod", "Pod", True, ALL, ("po",), ("all",),
             ("log", "exec", "attach", "portforward", "proxy", "status", "binding")),
    Resource("", "v1", "services", "service", "Service", True, ALL, ("svc",), ("all",),
             ("proxy", "status")),
    Resource("", "v1", "endpoints", "endpoints", "Endpoints", True, ALL, ("ep",), (), ()),
    Resource("", "v1", "events", "event", "Event", True, READ, ("ev",), (), ()),
    Resource("", "v1", "replicationcontrollers", "replicationcontroller",
             "ReplicationController", True, ALL, ("rc",), ("all",), ("scale", "status")),
    Resource("", "v1", "configmaps", "configmap", "ConfigMap", True, ALL, ("cm",), (), ()),
    Resource("", "v1", "secrets", "secret", "Secret", True, ALL, (), (), ()),
    Resource("", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", True, ALL,
             ("sa",), (), ()),
    Resource("", "v1", "limitranges", "limitrange", "LimitRange", True, ALL, ("limits",),
             (), ()),
    Resource("", "v1", "resourcequotas", "resourcequota", "ResourceQuota", True, ALL,
             ("quota",), (), ("status",)),
    Resource("apps", "v1", "deployments", "deployment", "Deployment", True, ALL,
             ("deploy",), ("all",), ("scale", "status")),
    Resource("apps", "v1", "replicasets", "replicaset", "ReplicaSet", True, ALL,
             ("rs",), ("all",), ("scale", "status")),
    Resource("apps", "v1", "statefulsets", "statefulset", "StatefulSet", True, ALL,
             ("sts",), ("all",), ("scale", "status")),
    Resource("apps", "v1", "daemonsets", "daemonset", "DaemonSet", True, ALL,
             ("ds",), ("all",), ("status",)),
    Resource("apps", "v1", "controllerrevisions", "controllerrevision", "ControllerRevision",
             True, ALL, (), (), ()),
    Resource("batch", "v1", "jobs", "job", "Job", True, ALL, (), ("all",), ("status",)),
    Resource("batch", "v1", "cronjobs", "cronjob", "CronJob", True, ALL, ("cj",), ("all",),
             ("status",)),
    Resource("rbac.authorization.k8s.io", "v1", "roles", "role", "Role", True, ALL, (), (),
             ()),
    Resource("rbac.authorization.k8s.io", "v1", "rolebindings", "rolebinding", "RoleBinding",
             True, ALL, (), (), ()),
    Resource("rbac.authorization.k8s.io", "v1", "clusterroles", "clusterrole", "ClusterRole",
             False, ALL, (), (), ()),
    Resource("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "clusterrolebinding",
             "ClusterRoleBinding", False, ALL, (), (), ()),
    Resource("coordination.k8s.io", "v1", "leases", "lease", "Lease", True, ALL, (), (), ()),
    *(Resource("authorization.k8s.io", "v1", kind.lower() + "s", kind.lower(), kind, False,
               ("create",), (), (), ())
      for kind in ("SelfSubjectAccessReview", "SelfSubjectRulesReview",
                   "SubjectAccessReview")),
    Resource("policy", "v1", "poddisruptionbudgets", "poddisruptionbudget",
             "PodDisruptionBudget", True, ALL, ("pdb",), (), ("status",)),
    Resource("apiregistration.k8s.io", "v1", "apiservices", "apiservice", "APIService",
             False, ALL, (), ("api-extensions",), ("status",)),
    Resource("discovery.k8s.io", "v1", "endpointslices", "endpointslice", "EndpointSlice",
             True, READ, (), (), ()),
    Resource("networking.k8s.io", "v1", "networkpolicies", "networkpolicy",
             "NetworkPolicy", True, ALL, ("netpol",), (), ()),
    Resource("networking.k8s.io", "v1", "ingresses", "ingress", "Ingress", True, ALL,
             ("ing",), (), ("status",)),
    Resource("networking.k8s.io", "v1", "ingressclasses", "ingressclass", "IngressClass",
             False, ALL, (), (), ()),
)

BY_PLURAL = {(r.group, r.plural): r for r in RESOURCES}


def singular_of(name):
    """A resource's singular from any name kubectl takes for it: 'po', 'pods', 'svc'
    -> 'pod', 'service'; an unknown name as it is."""
    for resource in RESOURCES:
        if name in (resource.plural, resource.singular) + resource.short_names:
            return resource.singular
    return name


def store_key(resource):
    """How the store names a resource: 'pods', 'deployments.apps'."""
    return resource.plural + ("." + resource.group if resource.group else "")


def kubectl_name(resource):
    """How kubectl names a resource in its lines: 'service', 'deployment.apps'."""
    return resource.singular + ("." + resource.group if resource.group else "")


BY_STORE_KEY = {store_key(r): r for r in RESOURCES}
BY_KIND = {r.kind: r for r in RESOURCES}
NAMESPACED = tuple(store_key(r) for r in RESOURCES if r.namespaced)
SUBRESOURCE_VERBS = {"log": ("get",), "exec": ("create", "get"), "attach": ("create", "get"),
                     "portforward": ("create", "get"), "status": ("get", "patch", "update"),
                     "scale": ("get", "patch", "update"), "binding": ("create",),
                     "proxy": ("create", "delete", "get", "patch", "update")}


def group_version(resource):
    return "%s/%s" % (resource.group, resource.version) if resource.group else resource.version


def api_version(server_address):
    """GET /api."""
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                            "serverAddress": server_address}]}


def _group(name):
    version = {"groupVersion": "%s/v1" % name, "version": "v1"}
    return {"name": name, "versions": [version], "preferredVersion": version}


def api_group_list():
    """GET /apis: every named group with its one version."""
    return {"kind": "APIGroupList", "apiVersion": "v1",
            "groups": [_group(name) for name in sorted({r.group for r in RESOURCES if r.group})]}


def api_group(name):
    """GET /apis/GROUP: the group with its versions; None for a group not served."""
    if not any(r.group == name for r in RESOURCES if r.group):
        return None
    return dict({"kind": "APIGroup", "apiVersion": "v1"}, **_group(name))


def api_resource_list(group, version):
    """GET /api/v1 or /apis/GROUP/VERSION; None for a group version not served."""
    rows = [r for r in RESOURCES if r.group == group and r.version == version]
    if not rows:
        return None
    resources = []
    for r in rows:
        entry = {"name": r.plural, "singularName": r.singular, "namespaced": r.namespaced,
                 "kind": r.kind, "verbs": list(r.verbs)}
        if r.short_names:
            entry["shortNames"] = list(r.short_names)
        if r.categories:
            entry["categories"] = list(r.categories)
        resources.append(entry)
        for sub in r.subresources:
            kind = {"scale": "Scale", "proxy": r.kind + "ProxyOptions"}.get(sub, r.kind)
            entry = {"name": "%s/%s" % (r.plural, sub), "singularName": "",
                     "namespaced": r.namespaced, "kind": kind,
                     "verbs": list(SUBRESOURCE_VERBS[sub])}
            if sub == "scale":
                entry.update(group="autoscaling", version="v1")
            resources.append(entry)
    return {"kind": "APIResourceList", "apiVersion": "v1",
            "groupVersion": group_version(rows[0]), "resources": resources}
