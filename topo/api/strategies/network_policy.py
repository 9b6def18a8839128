"""NetworkPolicies: checked as the API server checks them (topo/policy/spec.py) and
stored with Kubernetes' defaults (podSelector, policyTypes); the policy controller
enforces what is stored. A delete removes them."""
from topo.api.status import invalid
from topo.api.strategies.common import check_subdomain_name, stored_metadata
from topo.policy.spec import PolicyInvalid, parse_policy, policy_types

RESOURCE = "networkpolicies.networking.k8s.io"   # the store's key


def for_create(obj, now, current=None):
    name = obj["metadata"]["name"]
    check_subdomain_name("NetworkPolicy", name)
    # No spec is Kubernetes' zero spec (a typed client's empty policy sends none):
    # every pod of the namespace, isolated for ingress.
    spec = {} if obj.get("spec") is None else obj["spec"]
    if not isinstance(spec, dict):
        raise invalid("NetworkPolicy", name, "spec", "Invalid value: expected an object")
    try:
        parse_policy(dict(obj, spec=spec))
    except PolicyInvalid as exc:
        raise invalid("NetworkPolicy", name, exc.field, exc.message) from None
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"],
            "metadata": stored_metadata(obj, current, now),
            "spec": dict(spec, podSelector=spec.get("podSelector") or {},
                         policyTypes=list(policy_types(spec)))}


def for_update(obj, current, now):
    return for_create(obj, now, current)


def for_delete(current, now):
    return None
