"""The RBAC kinds (rbac.authorization.k8s.io/v1): Roles and ClusterRoles (their
rules), RoleBindings and ClusterRoleBindings (a roleRef and subjects), stored with the
API server's defaults and checked as it checks them: a name fit for a URL path, each
rule with its verbs and, unless it names non-resource URLs (a ClusterRole's alone),
its API groups and resources; a binding's roleRef names a Role or ClusterRole (a
ClusterRoleBinding's a ClusterRole) and never changes; each subject a ServiceAccount
(of a namespace, in a ClusterRoleBinding), a User or a Group. A delete removes them.
The API decides by them for a request that impersonates someone
(topo/api/authorization.py); the run's own token is the cluster's admin."""
import json

from topo.api.status import invalid, not_supported
from topo.api.strategies.common import stored_metadata

GROUP = "rbac.authorization.k8s.io"
API_VERSION = GROUP + "/v1"
SUBJECT_KINDS = ("ServiceAccount", "User", "Group")


def _check_path_segment(kind, name, field, value):
    """Kubernetes' IsValidPathSegmentName: RBAC names become URL path segments."""
    problem = "may not be '%s'" % value if value in (".", "..") else \
        next(("may not contain '%s'" % bad for bad in ("/", "%") if bad in value), None)
    if problem:
        raise invalid(kind, name, field, "Invalid value: %s: %s" % (json.dumps(value), problem))


def _check_rules(kind, name, rules, namespaced):
    if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
        raise invalid(kind, name, "rules", "Invalid value: expected a list of rules")
    for index, rule in enumerate(rules):
        where = "rules[%d]" % index
        if not rule.get("verbs"):
            raise invalid(kind, name, where + ".verbs",
                          "Required value: verbs must contain at least one value")
        if rule.get("nonResourceURLs"):
            urls = json.dumps(rule["nonResourceURLs"])
            if namespaced:
                raise invalid(kind, name, where + ".nonResourceURLs", "Invalid value: %s: "
                              "namespaced rules cannot apply to non-resource URLs" % urls)
            if rule.get("apiGroups") or rule.get("resources") or rule.get("resourceNames"):
                raise invalid(kind, name, where + ".nonResourceURLs", "Invalid value: %s: "
                              "rules cannot apply to both regular resources and "
                              "non-resource URLs" % urls)
            continue
        if not rule.get("apiGroups"):
            raise invalid(kind, name, where + ".apiGroups", "Required value: resource rules "
                          "must supply at least one api group")
        if not rule.get("resources"):
            raise invalid(kind, name, where + ".resources", "Required value: resource rules "
                          "must supply at least one resource")


def _subjects(kind, name, subjects, namespaced):
    """The subjects with the API server's defaults (a User's or Group's apiGroup)."""
    if not isinstance(subjects, list) or not all(isinstance(s, dict) for s in subjects):
        raise invalid(kind, name, "subjects", "Invalid value: expected a list of subjects")
    found = []
    for index, subject in enumerate(subjects):
        where = "subjects[%d]" % index
        subject = dict(subject)
        if subject.get("kind") in ("User", "Group"):
            subject.setdefault("apiGroup", GROUP)
        if not subject.get("name"):
            raise invalid(kind, name, where + ".name", "Required value")
        if subject.get("kind") not in SUBJECT_KINDS:
            raise not_supported(kind, name, where + ".kind", subject.get("kind", ""),
                                 SUBJECT_KINDS)
        if subject["kind"] == "ServiceAccount":
            if subject.get("apiGroup"):
                raise not_supported(kind, name, where + ".apiGroup", subject["apiGroup"],
                                     ("",))
            if not namespaced and not subject.get("namespace"):
                raise invalid(kind, name, where + ".namespace", "Required value")
        elif subject["apiGroup"] != GROUP:
            raise not_supported(kind, name, where + ".apiGroup", subject["apiGroup"],
                                 (GROUP,))
        found.append(subject)
    return found


class RoleStrategy:
    def __init__(self, kind, namespaced):
        self.kind, self.namespaced = kind, namespaced
        self.resource = ("roles" if namespaced else "clusterroles") + "." + GROUP

    def for_create(self, obj, now, current=None):
        name = obj["metadata"]["name"]
        _check_path_segment(self.kind, name, "metadata.name", name)
        rules = obj.get("rules") or []
        _check_rules(self.kind, name, rules, self.namespaced)
        stored = {"apiVersion": API_VERSION, "kind": self.kind,
                  "metadata": stored_metadata(obj, current, now), "rules": rules}
        if not self.namespaced and obj.get("aggregationRule") is not None:
            rule = obj["aggregationRule"]
            if not isinstance(rule, dict) or not rule.get("clusterRoleSelectors"):
                raise invalid(self.kind, name, "aggregationRule.clusterRoleSelectors",
                              "Required value: at least one clusterRoleSelector required "
                              "if aggregationRule is non-nil")
            stored["aggregationRule"] = rule
        return stored

    def for_update(self, obj, current, now):
        return self.for_create(obj, now, current)

    @staticmethod
    def for_delete(current, now):
        return None


class BindingStrategy:
    def __init__(self, kind, namespaced):
        self.kind, self.namespaced = kind, namespaced
        self.resource = ("rolebindings" if namespaced else "clusterrolebindings") + "." + GROUP
        self.role_kinds = ("Role", "ClusterRole") if namespaced else ("ClusterRole",)

    def for_create(self, obj, now, current=None):
        name = obj["metadata"]["name"]
        _check_path_segment(self.kind, name, "metadata.name", name)
        ref = obj.get("roleRef")
        if not isinstance(ref, dict):
            raise invalid(self.kind, name, "roleRef", "Required value")
        ref = dict(ref, apiGroup=ref.get("apiGroup") or GROUP)
        if ref["apiGroup"] != GROUP:
            raise not_supported(self.kind, name, "roleRef.apiGroup", ref["apiGroup"], (GROUP,))
        if ref.get("kind") not in self.role_kinds:
            raise not_supported(self.kind, name, "roleRef.kind", ref.get("kind", ""),
                                 self.role_kinds)
        if not ref.get("name"):
            raise invalid(self.kind, name, "roleRef.name", "Required value")
        _check_path_segment(self.kind, name, "roleRef.name", ref["name"])
        stored = {"apiVersion": API_VERSION, "kind": self.kind,
                  "metadata": stored_metadata(obj, current, now), "roleRef": ref}
        subjects = _subjects(self.kind, name, obj.get("subjects") or [], self.namespaced)
        if subjects:
            stored["subjects"] = subjects
        return stored

    def for_update(self, obj, current, now):
        stored = self.for_create(obj, now, current)
        if stored["roleRef"] != current["roleRef"]:
            raise invalid(self.kind, obj["metadata"]["name"], "roleRef",
                          "Invalid value: %s: cannot change roleRef"
                          % json.dumps(stored["roleRef"], sort_keys=True))
        return stored

    @staticmethod
    def for_delete(current, now):
        return None


ROLE = RoleStrategy("Role", True)
CLUSTER_ROLE = RoleStrategy("ClusterRole", False)
ROLE_BINDING = BindingStrategy("RoleBinding", True)
CLUSTER_ROLE_BINDING = BindingStrategy("ClusterRoleBinding", False)
STRATEGIES = {s.kind: s for s in (ROLE, CLUSTER_ROLE, ROLE_BINDING, CLUSTER_ROLE_BINDING)}
