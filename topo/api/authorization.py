"""Who may do what (pure), as the API server's RBAC authorizer decides it from the
Roles, ClusterRoles and their bindings in the store.

The holder of the run's token is the cluster's admin (group system:masters), as
kubeadm's admin.conf is. A request that impersonates someone else (`kubectl --as=jane`,
`--as=system:serviceaccount:NS:NAME`, `--as-group`) is decided for them: allowed if a
binding of theirs grants a rule that matches it (verb, API group, resource and
subresource, name, namespace), otherwise refused (403, in the API server's words).
Every authenticated user may read discovery (the system:discovery role).
SelfSubjectAccessReviews and SubjectAccessReviews (`kubectl auth can-i`) ask the
same question."""
from collections import namedtuple

# What a request asks to do: a verb on a resource (group, resource, subresource, name,
# namespace), or on a path that is no resource (path set).
Attributes = namedtuple("Attributes", "verb group resource subresource name namespace path",
                        defaults=("", "", "", "", "", ""))
ADMIN = ("kubernetes-admin", ("system:masters", "system:authenticated"))
DISCOVERY = ("/api", "/api/*", "/apis", "/apis/*", "/version", "/version/", "/openapi",
             "/openapi/*", "/healthz", "/livez", "/readyz")
VERBS = {"POST": "create", "PUT": "update", "PATCH": "patch"}


def identity(user, groups):
    """(user, groups) as the API server completes them: a service account's groups,
    and system:authenticated for everyone."""
    groups = list(groups)
    if user.startswith("system:serviceaccount:") and user.count(":") == 3:
        namespace = user.split(":")[2]
        groups += ["system:serviceaccounts", "system:serviceaccounts:" + namespace]
    if "system:authenticated" not in groups:
        groups.append("system:authenticated")
    return user, tuple(groups)


def verb_of(method, named, watching):
    if method == "GET":
        return "watch" if watching else "get" if named else "list"
    if method == "DELETE":
        return "delete" if named else "deletecollection"
    return VERBS.get(method, method.lower())


def _covers(values, value):
    return "*" in values or value in values


def _rule_allows(rule, attrs):
    if attrs.path:
        return _covers(rule.get("verbs") or (), attrs.verb) and any(
            url == attrs.path or url == "*" or url.endswith("*") and
            attrs.path.startswith(url[:-1]) for url in rule.get("nonResourceURLs") or ())
    resource = attrs.resource + ("/" + attrs.subresource if attrs.subresource else "")
    resources = rule.get("resources") or ()
    return _covers(rule.get("verbs") or (), attrs.verb) and \
        _covers(rule.get("apiGroups") or (), attrs.group) and \
        (_covers(resources, resource) or attrs.subresource and
         "*/" + attrs.subresource in resources) and \
        (not rule.get("resourceNames") or attrs.name in rule["resourceNames"])


def _binds(binding, user, groups):
    for subject in binding.get("subjects") or ():
        kind, name = subject.get("kind"), subject.get("name")
        if kind == "User" and name == user or kind == "Group" and name in groups:
            return subject
        if kind == "ServiceAccount" and user == "system:serviceaccount:%s:%s" % (
                subject.get("namespace") or binding["metadata"].get("namespace", ""), name):
            return subject
    return None


def authorize(user, groups, attrs, rbac):
    """(allowed, reason) for user in groups; rbac: {"roles", "clusterroles",
    "rolebindings", "clusterrolebindings": [stored objects]}."""
    user, groups = identity(user, groups)
    if "system:masters" in groups:
        return True, ""
    if attrs.path and attrs.verb == "get" and any(
            attrs.path == p or p.endswith("*") and attrs.path.startswith(p[:-1])
            for p in DISCOVERY):
        return True, 'RBAC: allowed by ClusterRoleBinding "system:discovery" of ClusterRole ' \
                     '"system:discovery" to Group "system:authenticated"'
    roles = {(r["metadata"].get("namespace", ""), r["metadata"]["name"]): r
             for r in rbac["roles"]}
    cluster_roles = {r["metadata"]["name"]: r for r in rbac["clusterroles"]}
    candidates = [(b, "") for b in rbac["clusterrolebindings"]] + [
        (b, b["metadata"]["namespace"]) for b in rbac["rolebindings"]
        if attrs.namespace and b["metadata"]["namespace"] == attrs.namespace]
    for binding, namespace in candidates:
        subject = _binds(binding, user, groups)
        if subject is None:
            continue
        ref = binding["roleRef"]
        role = cluster_roles.get(ref["name"]) if ref["kind"] == "ClusterRole" else \
            roles.get((namespace, ref["name"]))
        if role and any(_rule_allows(rule, attrs) for rule in role.get("rules") or ()):
            where = '"%s/%s"' % (binding["metadata"]["name"], namespace) if namespace \
                else '"%s"' % binding["metadata"]["name"]
            return True, 'RBAC: allowed by %s %s of %s "%s" to %s "%s"' % (
                "RoleBinding" if namespace else "ClusterRoleBinding", where, ref["kind"],
                ref["name"], subject["kind"], subject["name"])
    return False, ""


def forbidden_message(user, attrs):
    """The API server's words for a refusal."""
    if attrs.path:
        return 'forbidden: User "%s" cannot %s path "%s"' % (user, attrs.verb, attrs.path)
    what = attrs.resource + ("/" + attrs.subresource if attrs.subresource else "")
    subject = '%s "%s"' % (what, attrs.name) if attrs.name else what
    where = 'in the namespace "%s"' % attrs.namespace if attrs.namespace \
        else "at the cluster scope"
    return '%s is forbidden: User "%s" cannot %s resource "%s" in API group "%s" %s' % (
        subject, user, attrs.verb, what, attrs.group, where)


def review_status(user, groups, spec, rbac):
    """The status of a SelfSubjectAccessReview or SubjectAccessReview's spec."""
    resource = spec.get("resourceAttributes")
    if resource is not None:
        attrs = Attributes(resource.get("verb", ""), resource.get("group", ""),
                           resource.get("resource", ""), resource.get("subresource", ""),
                           resource.get("name", ""), resource.get("namespace", ""))
    else:
        other = spec.get("nonResourceAttributes") or {}
        attrs = Attributes(other.get("verb", ""), path=other.get("path", "/"))
    allowed, reason = authorize(user, groups, attrs, rbac)
    status = {"allowed": allowed}
    if reason:
        status["reason"] = reason
    return status


def rules_status(user, groups, namespace, rbac):
    """A SelfSubjectRulesReview's status: the rules user has in namespace (`kubectl auth
    can-i --list`)."""
    user, groups = identity(user, groups)
    if "system:masters" in groups:
        return {"resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
                "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
                "incomplete": False}
    roles = {(r["metadata"].get("namespace", ""), r["metadata"]["name"]): r
             for r in rbac["roles"]}
    cluster_roles = {r["metadata"]["name"]: r for r in rbac["clusterroles"]}
    resource_rules = [{"verbs": ["create"], "apiGroups": ["authorization.k8s.io"],
                       "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]}]
    non_resource = [{"verbs": ["get"], "nonResourceURLs": list(DISCOVERY)}]
    candidates = [(b, "") for b in rbac["clusterrolebindings"]] + [
        (b, b["metadata"]["namespace"]) for b in rbac["rolebindings"]
        if b["metadata"]["namespace"] == namespace]
    for binding, where in candidates:
        if _binds(binding, user, groups) is None:
            continue
        ref = binding["roleRef"]
        role = cluster_roles.get(ref["name"]) if ref["kind"] == "ClusterRole" else \
            roles.get((where, ref["name"]))
        for rule in (role or {}).get("rules") or ():
            if rule.get("nonResourceURLs"):
                non_resource.append({k: rule[k] for k in ("verbs", "nonResourceURLs")})
            else:
                resource_rules.append({k: rule[k] for k in (
                    "verbs", "apiGroups", "resources", "resourceNames") if rule.get(k)})
    return {"resourceRules": resource_rules, "nonResourceRules": non_resource,
            "incomplete": False}
