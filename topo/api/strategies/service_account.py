"""ServiceAccounts: kept as given (secrets, imagePullSecrets, whether tokens are
mounted). kubemn mints no tokens, as Kubernetes since 1.24 makes no token Secrets;
the service account controller (topo/manager/service_accounts.py) keeps a `default`
one in each namespace. A delete removes them."""
from topo.api.status import invalid
from topo.api.strategies.common import check_subdomain_name, stored_metadata

RESOURCE = "serviceaccounts"   # the store's key
REFERENCES = ("secrets", "imagePullSecrets")


def for_create(obj, now, current=None):
    name = obj["metadata"]["name"]
    check_subdomain_name("ServiceAccount", name)
    for field in REFERENCES:
        value = obj.get(field) or []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise invalid("ServiceAccount", name, field,
                          "Invalid value: expected a list of references")
    automount = obj.get("automountServiceAccountToken")
    if automount is not None and not isinstance(automount, bool):
        raise invalid("ServiceAccount", name, "automountServiceAccountToken",
                      "Invalid value: expected true or false")
    stored = {"apiVersion": "v1", "kind": "ServiceAccount",
              "metadata": stored_metadata(obj, current, now)}
    stored.update((field, obj[field]) for field in REFERENCES + (
        "automountServiceAccountToken",) if obj.get(field) is not None)
    return stored


def for_update(obj, current, now):
    return for_create(obj, now, current)


def for_delete(current, now):
    return None
