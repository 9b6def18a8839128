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
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        raise invalid("NetworkPolicy", name, "spec", "Required value")
    try:
        parse_policy(obj)
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
