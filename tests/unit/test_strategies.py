"""The strategies of the kinds the API keeps alone (pure): what a create, an update
and a delete store, and what they refuse, with the field named."""
import pytest

from topo.api.status import ApiError
from topo.api.strategies import config_map, namespace, network_policy, rbac, secret
from topo.api.strategies.kept import KeptAsGiven


def refused(call, *args):
    with pytest.raises(ApiError) as error:
        call(*args)
    return error.value


# --- Namespace -----------------------------------------------------------------------
def test_a_new_namespace_is_active_with_the_kubernetes_finalizer_and_its_name_label():
    stored = namespace.for_create({"metadata": {"name": "x", "labels": {"a": "b"}}}, 0)
    assert stored["spec"] == {"finalizers": ["kubernetes"]}
    assert stored["status"] == {"phase": "Active"}
    assert stored["metadata"]["labels"] == {"a": "b", "kubernetes.io/metadata.name": "x"}


@pytest.mark.parametrize("name", ["X", "a_b", "-a", "a" * 64, ""])
def test_a_namespace_name_must_be_a_dns_label(name):
    with pytest.raises(ApiError) as refused:
        namespace.for_create({"metadata": {"name": name}}, 0)
    assert refused.value.code == 422 and "metadata.name" in refused.value.message


def test_an_update_changes_labels_and_annotations_only():
    current = namespace.for_delete(namespace.for_create({"metadata": {"name": "x"}}, 0), 5)
    updated = namespace.for_update({"metadata": {"name": "x", "labels": {"team": "a"},
                                                 "annotations": {"n": "1"}},
                                    "status": {"phase": "Active"}, "spec": {}}, current, 9)
    assert updated["metadata"]["labels"] == {"team": "a", "kubernetes.io/metadata.name": "x"}
    assert updated["metadata"]["annotations"] == {"n": "1"}
    assert updated["status"] == {"phase": "Terminating"}
    assert updated["spec"] == {"finalizers": ["kubernetes"]}
    assert updated["metadata"]["deletionTimestamp"] == "1970-01-01T00:00:05Z"


def test_a_delete_marks_a_namespace_terminating_but_not_the_clusters_own():
    stored = namespace.for_delete(namespace.for_create({"metadata": {"name": "x"}}, 0), 5)
    assert namespace.terminating(stored) and stored["status"]["phase"] == "Terminating"
    for name in namespace.BUILT_IN:
        with pytest.raises(ApiError) as refused:
            namespace.for_delete(namespace.for_create({"metadata": {"name": name}}, 0), 5)
        assert refused.value.code == 403


def test_nothing_new_in_a_namespace_that_is_missing_or_terminating():
    active = namespace.for_create({"metadata": {"name": "x"}}, 0)
    namespace.check_open(active, "x", "pods", "p")
    with pytest.raises(ApiError) as missing:
        namespace.check_open(None, "x", "pods", "p")
    assert missing.value.code == 404
    with pytest.raises(ApiError) as closing:
        namespace.check_open(namespace.for_delete(active, 1), "x", "pods", "p")
    assert closing.value.code == 403 and "because it is being terminated" in \
        closing.value.message


# --- NetworkPolicy -------------------------------------------------------------------
def policy(spec, name="allow"):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": "default", "uid": "client-made"},
            "spec": spec}


def test_a_policy_is_stored_with_kubernetes_defaults_and_its_creation_time_kept():
    stored = network_policy.for_create(policy({"egress": [{}]}), 0)
    assert stored["spec"]["podSelector"] == {}
    assert stored["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert stored["metadata"] == {"name": "allow", "namespace": "default",
                                  "creationTimestamp": "1970-01-01T00:00:00Z"}
    updated = network_policy.for_update(policy({"ingress": [{}]}), stored, 60)
    assert updated["spec"]["policyTypes"] == ["Ingress"]
    assert updated["metadata"]["creationTimestamp"] == "1970-01-01T00:00:00Z"
    assert network_policy.for_delete(stored, 60) is None


def test_a_policy_without_a_spec_isolates_every_pod_for_ingress_as_kubernetes_zero_one():
    stored = network_policy.for_create(policy(None), 0)
    assert stored["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}


def test_a_policy_that_the_api_server_would_refuse_names_its_field():
    error = refused(network_policy.for_create,
                    policy({"ingress": [{"ports": [{"port": 70000}]}]}), 0)
    assert error.code == 422 and "spec.ingress[0].ports[0].port" in error.message
    assert refused(network_policy.for_create, policy([]), 0).code == 422
    assert "metadata.name" in refused(network_policy.for_create,
                                      policy({}, name="Bad_Name"), 0).message


# --- ConfigMap -----------------------------------------------------------------------
def config(data=None, **fields):
    return dict({"apiVersion": "v1", "kind": "ConfigMap",
                 "metadata": {"name": "settings", "namespace": "default"},
                 "data": data or {"a": "b"}}, **fields)


def test_a_config_map_is_kept_as_given():
    stored = config_map.for_create(config({"a.conf": "x"}, binaryData={"b": "AA=="}), 0)
    assert stored["data"] == {"a.conf": "x"} and stored["binaryData"] == {"b": "AA=="}
    assert config_map.for_delete(stored, 1) is None


def test_a_config_map_needs_maps_of_strings_under_valid_keys():
    assert "data: Invalid value" in refused(config_map.for_create, config({"a": 1}), 0).message
    assert "data[a b]" in refused(config_map.for_create, config({"a b": "x"}), 0).message


def test_an_immutable_config_map_keeps_its_data_but_not_its_labels():
    stored = config_map.for_create(config(immutable=True), 0)
    error = refused(config_map.for_update, config({"a": "changed"}, immutable=True), stored, 1)
    assert error.code == 422 and "field is immutable" in error.message
    relabelled = config(immutable=True)
    relabelled["metadata"]["labels"] = {"team": "a"}
    assert config_map.for_update(relabelled, stored, 1)["metadata"]["labels"] == {"team": "a"}


# --- Secret ------------------------------------------------------------------------
def a_secret(data=None, **fields):
    return dict({"apiVersion": "v1", "kind": "Secret",
                 "metadata": {"name": "creds", "namespace": "default"},
                 "data": {"user": "YWRtaW4="} if data is None else data}, **fields)


def test_a_secret_is_opaque_unless_typed_and_its_string_data_goes_into_data():
    stored = secret.for_create(a_secret(stringData={"password": "s3cret"}), 0)
    assert stored["type"] == "Opaque" and "stringData" not in stored
    assert stored["data"] == {"password": "czNjcmV0", "user": "YWRtaW4="}
    assert secret.for_delete(stored, 1) is None


def test_a_secret_refuses_what_is_not_base64_and_a_key_no_config_key_may_be():
    error = refused(secret.for_create, a_secret({"user": "not base64!"}), 0)
    assert error.code == 400 and "illegal base64 data in data[user]" in error.message
    assert "data[a b]" in refused(secret.for_create, a_secret({"a b": "eA=="}), 0).message
    too_big = a_secret(stringData={"blob": "x" * (secret.MAX_SIZE + 1)})
    assert "data: Too long" in refused(secret.for_create, too_big, 0).message


def test_a_typed_secret_must_hold_what_its_type_needs():
    tls = a_secret({"tls.crt": "eA=="}, type="kubernetes.io/tls")
    assert refused(secret.for_create, tls, 0).message == \
        'Secret "creds" is invalid: data[tls.key]: Required value'
    docker = a_secret({".dockerconfigjson": "bm90IGpzb24="}, type="kubernetes.io/dockerconfigjson")
    assert "<secret contents redacted>" in refused(secret.for_create, docker, 0).message
    token = a_secret(type="kubernetes.io/service-account-token")
    assert "annotations[kubernetes.io/service-account.name]: Required value" in \
        refused(secret.for_create, token, 0).message


def test_a_secrets_type_never_changes_and_an_immutable_one_keeps_its_data():
    stored = secret.for_create(a_secret(), 0)
    retyped = refused(secret.for_update, a_secret(type="kubernetes.io/basic-auth"), stored, 1)
    assert "type: Invalid value: \"kubernetes.io/basic-auth\": field is immutable" in \
        retyped.message
    assert secret.for_update(a_secret(), stored, 1)["type"] == "Opaque"   # type left out
    frozen = secret.for_create(a_secret(immutable=True), 0)
    error = refused(secret.for_update, a_secret({"user": "cm9vdA=="}, immutable=True), frozen, 1)
    assert "data: Forbidden: field is immutable when `immutable` is set" in error.message
    thawed = refused(secret.for_update, a_secret(), frozen, 1)
    assert "immutable: Forbidden" in thawed.message


# --- Service ---------------------------------------------------------------------
def _service_request(name, namespace="default", **spec):
    spec.setdefault("ports", [{"port": 80}])
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec}


def _services(store):
    from topo.api.strategies.service import ServiceStrategy
    return ServiceStrategy(store, "10.96.0.0/12", "198.51.100.0/24")


def _store_created(store, strategy, request):
    stored = strategy.for_create(request, 0)
    store.put("services", stored)
    return store.get("services", request["metadata"]["namespace"],
                     request["metadata"]["name"])


def test_a_service_gets_a_free_cluster_ip_and_node_ports_with_the_api_servers_defaults():
    from topo.api.store import Store
    store = Store()
    strategy = _services(store)
    web = _store_created(store, strategy, _service_request("web", type="NodePort"))
    assert web["spec"]["clusterIP"] not in ("10.96.0.1", "10.96.0.10")
    assert web["spec"]["ports"] == [{"protocol": "TCP", "port": 80, "targetPort": 80,
                                     "nodePort": 30000}]
    assert web["spec"]["sessionAffinity"] == "None"
    assert web["spec"]["externalTrafficPolicy"] == "Cluster"
    other = _store_created(store, strategy, _service_request("other", "team", type="NodePort"))
    assert other["spec"]["clusterIP"] != web["spec"]["clusterIP"]
    assert other["spec"]["ports"][0]["nodePort"] == 30001


def test_what_is_taken_is_read_from_the_store_so_a_new_allocator_starts_repaired():
    from topo.api.store import Store
    store = Store()
    first = _store_created(store, _services(store), _service_request("web", type="NodePort"))
    again = _services(store)   # as after a restart: nothing but the store
    second = again.for_create(_service_request("web2", type="NodePort"), 0)
    assert second["spec"]["clusterIP"] != first["spec"]["clusterIP"]
    assert second["spec"]["ports"][0]["nodePort"] != first["spec"]["ports"][0]["nodePort"]
    clash = refused(again.for_create, _service_request(
        "web3", clusterIP=first["spec"]["clusterIP"]), 0)
    assert clash.code == 422 and "already allocated to web" in clash.message


def test_an_update_keeps_the_addresses_and_a_cluster_ip_cannot_change():
    from topo.api.store import Store
    store = Store()
    strategy = _services(store)
    web = _store_created(store, strategy, _service_request("web", type="LoadBalancer"))
    updated = strategy.for_update(_service_request("web", type="LoadBalancer"), web, 5)
    assert updated["spec"]["clusterIP"] == web["spec"]["clusterIP"]
    assert updated["spec"]["ports"][0]["nodePort"] == web["spec"]["ports"][0]["nodePort"]
    assert updated["status"] == web["status"] and updated["status"]["loadBalancer"]["ingress"]
    assert updated["metadata"]["creationTimestamp"] == web["metadata"]["creationTimestamp"]
    moved = refused(strategy.for_update, _service_request("web", clusterIP="10.96.0.99",
                                                          type="LoadBalancer"), web, 5)
    assert moved.code == 422 and "spec.clusterIP" in moved.message


def test_a_switch_of_type_drops_the_addresses_the_new_type_has_none_of():
    """As the e2e suite switches types with a typed client: the clusterIP emptied, the
    clusterIPs and nodePorts left as they were."""
    from topo.api.store import Store
    store = Store()
    strategy = _services(store)
    web = _store_created(store, strategy, _service_request("web", type="NodePort"))
    external = strategy.for_update(_service_request(
        "web", type="ExternalName", externalName="foo.example.com", clusterIP="",
        clusterIPs=web["spec"]["clusterIPs"], ports=web["spec"]["ports"]), web, 5)
    assert "clusterIP" not in external["spec"] and external["spec"]["type"] == "ExternalName"
    assert "nodePort" not in external["spec"]["ports"][0]
    plain = strategy.for_update(_service_request("web", ports=web["spec"]["ports"]), web, 5)
    assert plain["spec"]["clusterIP"] == web["spec"]["clusterIP"]
    assert "nodePort" not in plain["spec"]["ports"][0]
    asked = refused(strategy.for_update, _service_request(
        "web", type="ExternalName", externalName="foo.example.com",
        clusterIP="10.96.0.99"), web, 5)
    assert asked.code == 422 and "spec.clusterIP" in asked.message


def test_a_service_the_manifest_rules_refuse_is_a_422_naming_the_field():
    from topo.api.store import Store
    store = Store()
    error = refused(_services(store).for_create, _service_request("web", ports=[
        {"port": 70000}]), 0)
    assert error.code == 422 and "spec.ports[0].port" in error.message


# --- Endpoints -------------------------------------------------------------------
def test_endpoints_a_client_writes_are_stored_with_tcp_the_default_protocol():
    from topo.api.strategies import endpoints
    stored = endpoints.for_create({"metadata": {"name": "db", "namespace": "default"},
                                   "subsets": [{"addresses": [{"ip": "203.0.113.9"}],
                                                "ports": [{"port": 5432}]}]}, 0)
    assert stored["subsets"] == [{"addresses": [{"ip": "203.0.113.9"}],
                                  "ports": [{"port": 5432, "protocol": "TCP"}]}]


@pytest.mark.parametrize("subset,field", [
    ({"addresses": [{"ip": "db.example.com"}]}, "subsets[0].addresses[0].ip"),
    ({"notReadyAddresses": [{"ip": "300.1.1.1"}]}, "subsets[0].notReadyAddresses[0].ip"),
    ({"addresses": [{"ip": "127.0.0.1"}]}, "subsets[0].addresses[0].ip"),
    ({"addresses": [{"ip": "169.254.1.1"}]}, "subsets[0].addresses[0].ip"),
    ({"ports": [{"port": 0}]}, "subsets[0].ports[0].port"),
    ({"ports": [{"port": 80, "protocol": "ICMP"}]}, "subsets[0].ports[0].protocol")])
def test_endpoints_with_a_bad_address_or_port_are_a_422_naming_the_field(subset, field):
    from topo.api.strategies import endpoints
    error = refused(endpoints.for_create, {"metadata": {"name": "db", "namespace": "default"},
                                           "subsets": [subset]}, 0)
    assert error.code == 422 and field in error.message


def test_the_allocator_follows_the_store_and_a_check_takes_nothing():
    from topo.api.store import Store
    store = Store()
    strategy = _services(store)
    first = _store_created(store, strategy, _service_request("a"))
    checked = strategy.for_create(_service_request("b"), 0)   # a check: not stored
    second = _store_created(store, strategy, _service_request("b"))
    assert checked["spec"]["clusterIP"] == second["spec"]["clusterIP"], "the check took none"
    store.remove("services", "default", "a")
    third = _store_created(store, strategy, _service_request("c"))
    assert first["spec"]["clusterIP"] != second["spec"]["clusterIP"]
    assert third["spec"]["clusterIP"] == first["spec"]["clusterIP"], "a's address is free"


# --- Ingress (kept as given) ----------------------------------------------------------
INGRESS = KeptAsGiven("Ingress", "networking.k8s.io/v1")


def _ingress(annotations=None, status=None, backend="web"):
    obj = {"metadata": {"name": "site", "namespace": "default",
                        "annotations": annotations or {}},
           "spec": {"defaultBackend": {"service": {"name": backend, "port": {"number": 80}}}}}
    if status is not None:
        obj["status"] = status
    return obj


def test_a_kind_kept_as_given_keeps_its_status_against_a_clients_write():
    stored = INGRESS.for_create(_ingress(), 0)
    assert stored["kind"] == "Ingress" and "status" not in stored
    observed = dict(stored, status={"loadBalancer": {"ingress": [{"ip": "198.51.100.9"}]}})
    updated = INGRESS.for_update(_ingress(status={"loadBalancer": {}}, backend="other"),
                                 observed, 1)
    assert updated["status"] == observed["status"]
    assert updated["spec"]["defaultBackend"]["service"]["name"] == "other"


def test_its_status_subresource_changes_the_status_and_annotations_not_the_spec():
    stored = INGRESS.for_create(_ingress(), 0)
    written = INGRESS.for_status(_ingress({"patchedstatus": "true"}, {"loadBalancer": {
        "ingress": [{"ip": "198.51.100.9"}]}}, backend="other"), stored, 1)
    assert written["status"]["loadBalancer"]["ingress"] == [{"ip": "198.51.100.9"}]
    assert written["metadata"]["annotations"] == {"patchedstatus": "true"}
    assert written["spec"] == stored["spec"]


# --- RBAC ----------------------------------------------------------------------------
def a_role(rules, kind="Role"):
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind,
            "metadata": {"name": "reader", "namespace": "default"}, "rules": rules}


def a_binding(subjects, role_kind="Role", kind="RoleBinding"):
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind,
            "metadata": {"name": "read", "namespace": "default"},
            "roleRef": {"kind": role_kind, "name": "reader"}, "subjects": subjects}


READ_PODS = {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}


def test_a_roles_rules_need_verbs_groups_and_resources():
    assert rbac.ROLE.for_create(a_role([READ_PODS]), 0)["rules"] == [READ_PODS]
    no_verbs = refused(rbac.ROLE.for_create, a_role([dict(READ_PODS, verbs=[])]), 0)
    assert no_verbs.message == 'Role "reader" is invalid: rules[0].verbs: Required value: ' \
        'verbs must contain at least one value'
    no_group = refused(rbac.ROLE.for_create, a_role([{"resources": ["pods"], "verbs": ["get"]}]),
                       0)
    assert "rules[0].apiGroups: Required value" in no_group.message


def test_only_a_cluster_role_may_name_non_resource_urls():
    health = {"nonResourceURLs": ["/healthz"], "verbs": ["get"]}
    assert rbac.CLUSTER_ROLE.for_create(a_role([health], "ClusterRole"), 0)["rules"] == [health]
    namespaced = refused(rbac.ROLE.for_create, a_role([health]), 0)
    assert "namespaced rules cannot apply to non-resource URLs" in namespaced.message
    both = refused(rbac.CLUSTER_ROLE.for_create,
                   a_role([dict(health, resources=["pods"])], "ClusterRole"), 0)
    assert "rules cannot apply to both regular resources and non-resource URLs" in both.message


def test_a_binding_defaults_the_api_groups_and_checks_its_subjects():
    stored = rbac.ROLE_BINDING.for_create(a_binding([
        {"kind": "User", "name": "jane"}, {"kind": "ServiceAccount", "name": "default"}]), 0)
    assert stored["roleRef"]["apiGroup"] == "rbac.authorization.k8s.io"
    assert [s.get("apiGroup") for s in stored["subjects"]] == ["rbac.authorization.k8s.io",
                                                               None]
    robot = refused(rbac.ROLE_BINDING.for_create, a_binding([{"kind": "Robot", "name": "r"}]), 0)
    assert 'subjects[0].kind: Unsupported value: "Robot": supported values: ' \
        '"ServiceAccount", "User", "Group"' in robot.message
    unnamespaced = refused(rbac.CLUSTER_ROLE_BINDING.for_create, a_binding(
        [{"kind": "ServiceAccount", "name": "default"}], "ClusterRole", "ClusterRoleBinding"), 0)
    assert "subjects[0].namespace: Required value" in unnamespaced.message
    to_a_role = refused(rbac.CLUSTER_ROLE_BINDING.for_create,
                        a_binding([], "Role", "ClusterRoleBinding"), 0)
    assert 'roleRef.kind: Unsupported value: "Role"' in to_a_role.message


def test_a_bindings_role_ref_never_changes_but_its_subjects_may():
    stored = rbac.ROLE_BINDING.for_create(a_binding([{"kind": "User", "name": "jane"}]), 0)
    again = rbac.ROLE_BINDING.for_update(a_binding([{"kind": "User", "name": "joe"}]), stored, 1)
    assert again["subjects"][0]["name"] == "joe"
    other = a_binding([])
    other["roleRef"]["name"] = "writer"
    message = refused(rbac.ROLE_BINDING.for_update, other, stored, 1).message
    assert "roleRef: Invalid value" in message and "cannot change roleRef" in message


def test_an_rbac_name_is_a_path_segment():
    role = a_role([READ_PODS])
    role["metadata"]["name"] = "a/b"
    assert "metadata.name: Invalid value: \"a/b\": may not contain '/'" in \
        refused(rbac.ROLE.for_create, role, 0).message
