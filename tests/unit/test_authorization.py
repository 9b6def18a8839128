"""RBAC as the API server's authorizer decides it (topo/api/authorization.py), against
the bootstrap ClusterRoles (topo/api/bootstrap_rbac.py) and a namespace's bindings."""
from topo.api.authorization import (Attributes, authorize, forbidden_message,
                                    review_status, rules_status)
from topo.api.bootstrap_rbac import bootstrap_objects


def rbac(*objects):
    found = {"roles": [], "clusterroles": [], "rolebindings": [], "clusterrolebindings": []}
    for obj in list(bootstrap_objects()) + list(objects):
        found[obj["kind"].lower() + "s"].append(obj)
    return found


READER = {"kind": "Role", "metadata": {"name": "pod-reader", "namespace": "team"},
          "rules": [{"apiGroups": [""], "resources": ["pods", "pods/log"],
                     "verbs": ["get", "list"]},
                    {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"],
                     "resourceNames": ["settings"]}]}


def binding(name, role_kind, role, subject, namespace="team"):
    return {"kind": "RoleBinding", "metadata": {"name": name, "namespace": namespace},
            "roleRef": {"kind": role_kind, "name": role}, "subjects": [subject]}


JANE = {"kind": "User", "name": "jane"}
BOT = {"kind": "ServiceAccount", "name": "bot", "namespace": "team"}


def test_a_role_bound_in_a_namespace_allows_its_rules_there_alone():
    store = rbac(READER, binding("read-pods", "Role", "pod-reader", JANE))
    assert authorize("jane", (), Attributes("list", "", "pods", namespace="team"), store) == (
        True, 'RBAC: allowed by RoleBinding "read-pods/team" of Role "pod-reader" to User '
              '"jane"')
    assert authorize("jane", (), Attributes("get", "", "pods", "log", "web", "team"), store)[0]
    assert not authorize("jane", (), Attributes("list", "", "pods", namespace="other"),
                         store)[0]
    assert not authorize("jane", (), Attributes("delete", "", "pods", name="web",
                                                namespace="team"), store)[0]
    assert not authorize("jane", (), Attributes("get", "", "pods", "exec", "web", "team"),
                         store)[0]
    assert authorize("jane", (), Attributes("get", "", "configmaps", name="settings",
                                            namespace="team"), store)[0]
    assert not authorize("jane", (), Attributes("get", "", "configmaps", name="other",
                                                namespace="team"), store)[0]


def test_a_service_account_bound_to_view_reads_but_cannot_write_or_read_secrets():
    store = rbac(binding("bot-view", "ClusterRole", "view", BOT))
    bot = "system:serviceaccount:team:bot"
    assert authorize(bot, (), Attributes("watch", "apps", "deployments", namespace="team"),
                     store)[0]
    assert not authorize(bot, (), Attributes("get", "", "secrets", name="db",
                                             namespace="team"), store)[0]
    assert not authorize(bot, (), Attributes("create", "", "pods", namespace="team"), store)[0]
    assert not authorize("system:serviceaccount:other:bot", (), Attributes(
        "list", "", "pods", namespace="team"), store)[0]


def test_masters_may_do_anything_and_everyone_may_read_discovery():
    store = rbac()
    assert authorize("admin", ("system:masters",), Attributes("delete", "", "nodes",
                                                              name="node1"), store)[0]
    assert authorize("nobody", (), Attributes("get", path="/apis/apps"), store)[0]
    assert not authorize("nobody", (), Attributes("get", path="/metrics"), store)[0]


def test_a_refusal_is_worded_as_the_api_server_words_it():
    assert forbidden_message("jane", Attributes("list", "", "pods", namespace="team")) == \
        'pods is forbidden: User "jane" cannot list resource "pods" in API group "" in ' \
        'the namespace "team"'
    assert forbidden_message("jane", Attributes("get", "apps", "deployments", "scale", "web",
                                                "team")) == \
        'deployments/scale "web" is forbidden: User "jane" cannot get resource ' \
        '"deployments/scale" in API group "apps" in the namespace "team"'
    assert forbidden_message("jane", Attributes("list", "", "nodes")).endswith(
        'in API group "" at the cluster scope')


def test_reviews_answer_for_whom_they_ask_and_list_their_rules():
    store = rbac(READER, binding("read-pods", "Role", "pod-reader", JANE))
    asked = {"resourceAttributes": {"verb": "list", "resource": "pods", "namespace": "team"}}
    assert review_status("jane", (), asked, store)["allowed"] is True
    assert review_status("joe", (), asked, store) == {"allowed": False}
    rules = rules_status("jane", (), "team", store)["resourceRules"]
    assert {"verbs": ["get", "list"], "apiGroups": [""],
            "resources": ["pods", "pods/log"]} in rules
