"""The ClusterRoles every cluster starts with, as the API server's RBAC bootstrap
makes them (pure): cluster-admin (bound to the group system:masters), and the
user-facing admin, edit and view, to bind to users, groups and service accounts in a
namespace (`kubectl create rolebinding --clusterrole=view`)."""

READ = ["get", "list", "watch"]
WRITE = ["create", "delete", "deletecollection", "patch", "update"]
VIEWED = {
    "": ["configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status",
         "pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts",
         "services", "services/status", "bindings", "events", "limitranges", "namespaces",
         "namespaces/status", "pods/log", "pods/status", "replicationcontrollers/status",
         "resourcequotas", "resourcequotas/status"],
    "apps": ["controllerrevisions", "daemonsets", "daemonsets/status", "deployments",
             "deployments/scale", "deployments/status", "replicasets", "replicasets/scale",
             "replicasets/status", "statefulsets", "statefulsets/scale",
             "statefulsets/status"],
    "batch": ["cronjobs", "cronjobs/status", "jobs", "jobs/status"],
    "discovery.k8s.io": ["endpointslices"],
    "networking.k8s.io": ["ingresses", "ingresses/status", "networkpolicies"],
    "policy": ["poddisruptionbudgets", "poddisruptionbudgets/status"],
}
EDITED = {
    "": ["pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "configmaps",
         "endpoints", "persistentvolumeclaims", "replicationcontrollers",
         "replicationcontrollers/scale", "secrets", "serviceaccounts", "services",
         "services/proxy"],
    "apps": ["daemonsets", "deployments", "deployments/rollback", "deployments/scale",
             "replicasets", "replicasets/scale", "statefulsets", "statefulsets/scale"],
    "batch": ["cronjobs", "jobs"],
    "networking.k8s.io": ["ingresses", "networkpolicies"],
    "policy": ["poddisruptionbudgets"],
}


def _rules(groups, verbs):
    return [{"verbs": list(verbs), "apiGroups": [group], "resources": list(resources)}
            for group, resources in groups.items()]


def _role(name, rules):
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": name,
                         "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"},
                         "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"}},
            "rules": rules}


def bootstrap_objects():
    """The ClusterRoles and the ClusterRoleBinding of cluster-admin."""
    view = _rules(VIEWED, READ)
    edit = view + _rules(EDITED, WRITE) + [
        {"verbs": READ, "apiGroups": [""], "resources": ["secrets"]},
        {"verbs": ["create"], "apiGroups": [""],
         "resources": ["serviceaccounts/token", "pods/eviction"]}]
    admin = edit + [
        {"verbs": READ + WRITE, "apiGroups": ["rbac.authorization.k8s.io"],
         "resources": ["roles", "rolebindings"]},
        {"verbs": ["create"], "apiGroups": ["authorization.k8s.io"],
         "resources": ["localsubjectaccessreviews"]}]
    binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
               "metadata": {"name": "cluster-admin",
                            "labels": {"kubernetes.io/bootstrapping": "rbac-defaults"},
                            "annotations": {
                                "rbac.authorization.kubernetes.io/autoupdate": "true"}},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                           "name": "cluster-admin"},
               "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group",
                             "name": "system:masters"}]}
    return [_role("cluster-admin", [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]},
                                    {"verbs": ["*"], "nonResourceURLs": ["*"]}]),
            _role("admin", admin), _role("edit", edit), _role("view", view), binding]
