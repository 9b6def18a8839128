"""The API's authorization of a request (topo/api/authorization.py decides): who asks
(the run's admin, or whom its request impersonates: Impersonate-User and
Impersonate-Group, `kubectl --as`), whether they may, and the access reviews that ask
it for them (`kubectl auth can-i`)."""
from topo.api import authorization
from topo.api.status import ApiError

RBAC_KEYS = {"roles": "roles.rbac.authorization.k8s.io",
             "clusterroles": "clusterroles.rbac.authorization.k8s.io",
             "rolebindings": "rolebindings.rbac.authorization.k8s.io",
             "clusterrolebindings": "clusterrolebindings.rbac.authorization.k8s.io"}
GROUP = "authorization.k8s.io"
SELF_REVIEWS = ("selfsubjectaccessreviews", "selfsubjectrulesreviews")


def requester(headers):
    """(user, groups, impersonated) of a request that holds the run's token."""
    user = headers.get("Impersonate-User")
    if not user:
        return authorization.ADMIN[0], authorization.ADMIN[1], False
    groups = [g.strip() for value in headers.get_all("Impersonate-Group") or ()
              for g in value.split(",") if g.strip()]
    user, groups = authorization.identity(user, groups)
    return user, groups, True


def rbac_objects(store):
    return {name: store.list(key)[1] for name, key in RBAC_KEYS.items()}


def check(store, who, method, path, request=None):
    """Raises the API server's 403 if who ((user, groups, impersonated)) may not make
    this request; request: the parsed resource request (None: a path of its own)."""
    user, groups, impersonated = who
    if not impersonated:
        return
    if request is None or request.discovery:
        attrs = authorization.Attributes(authorization.verb_of(method, True, False),
                                         path=path)
    else:
        resource = request.resource
        if resource.group == GROUP and resource.plural in SELF_REVIEWS:
            return   # anyone may ask about themselves (system:basic-user)
        attrs = authorization.Attributes(
            authorization.verb_of(method, request.name is not None,
                                  request.param("watch") in ("true", "1")),
            resource.group, resource.plural, request.subresource or "", request.name or "",
            request.namespace or "")
    allowed, _ = authorization.authorize(user, groups, attrs, rbac_objects(store))
    if not allowed:
        raise ApiError(403, authorization.forbidden_message(user, attrs), reason="Forbidden",
                       details={"kind": attrs.resource, "group": attrs.group,
                                **({"name": attrs.name} if attrs.name else {})}
                       if not attrs.path else None)


def review(store, who, resource, body):
    """The answer to a POST of an access review: the body with its status."""
    if not isinstance(body, dict) or not isinstance(body.get("spec"), dict):
        raise ApiError(400, "the request body is not a %s" % resource.kind)
    user, groups, _ = who
    spec = body["spec"]
    if resource.plural == "subjectaccessreviews":
        if not spec.get("user") and not spec.get("groups"):
            raise ApiError(422, 'SubjectAccessReview.authorization.k8s.io "" is invalid: '
                           'spec.user: Invalid value: "": at least one of user or group '
                           'must be specified', reason="Invalid")
        user, groups = authorization.identity(spec.get("user") or "", spec.get("groups") or ())
    rbac = rbac_objects(store)
    if resource.plural == "selfsubjectrulesreviews":
        status = authorization.rules_status(user, groups, spec.get("namespace") or "", rbac)
    else:
        status = authorization.review_status(user, groups, spec, rbac)
    return {"kind": resource.kind, "apiVersion": GROUP + "/v1",
            "metadata": {}, "spec": spec, "status": status}
