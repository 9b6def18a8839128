"""Namespaces: created Active with the `kubernetes` finalizer; an update changes only
labels and annotations; a delete marks the namespace Terminating (deletionTimestamp,
phase) and leaves it to the namespace controller (topo/manager/namespaces.py), which
deletes its contents and then the namespace. Nothing new may be created in a
namespace that is terminating."""
import copy

from topo.api.render import namespace_json, timestamp
from topo.api.status import ApiError, details, invalid, not_found
from topo.plan.manifest import DNS_LABEL

RESOURCE = "namespaces"          # the store's key
BUILT_IN = ("default", "kube-system", "kube-public", "kube-node-lease")
NAME_LABEL = "kubernetes.io/metadata.name"


def for_create(obj, now):
    """The Namespace to store for a create request's obj (checked, defaulted)."""
    metadata = obj.get("metadata") or {}
    name = metadata.get("name", "")
    if len(name) > 63 or not DNS_LABEL.match(name):
        raise invalid("Namespace", name, "metadata.name", "Invalid value: %r: a lowercase "
                      "RFC 1123 label must consist of lower case alphanumeric characters "
                      "or '-'" % name)
    stored = namespace_json(name, now, metadata.get("labels"))
    if metadata.get("annotations"):
        stored["metadata"]["annotations"] = dict(metadata["annotations"])
    return stored


def for_update(obj, current, now):
    """What an update stores: obj's labels and annotations; the rest as stored (a
    namespace's name label, finalizers, phase and deletion stay the API's)."""
    stored = copy.deepcopy(current)
    metadata, given = stored["metadata"], obj.get("metadata") or {}
    metadata["labels"] = dict(given.get("labels") or {},
                              **{NAME_LABEL: metadata["name"]})
    metadata.pop("annotations", None)
    if given.get("annotations"):
        metadata["annotations"] = dict(given["annotations"])
    return stored


def for_delete(current, now):
    """What a delete stores: the namespace, Terminating (refused for the namespaces
    the cluster itself needs)."""
    name = current["metadata"]["name"]
    if name in BUILT_IN:
        raise ApiError(403, 'namespaces "%s" is forbidden: this namespace may not be deleted'
                       % name, reason="Forbidden")
    if terminating(current):
        return current
    stored = copy.deepcopy(current)
    stored["metadata"]["deletionTimestamp"] = timestamp(now)
    stored["status"] = {"phase": "Terminating"}
    return stored


def terminating(namespace):
    return "deletionTimestamp" in namespace["metadata"]


def check_open(namespace, name, resource, obj_name):
    """A create in namespace name (its stored object, or None) may proceed: 404 if it
    does not exist, 403 while it is terminating, as the API server's admission says."""
    if namespace is None:
        raise not_found(RESOURCE, name)
    if terminating(namespace):
        raise ApiError(403, '%s "%s" is forbidden: unable to create new content in namespace '
                       '%s because it is being terminated' % (resource, obj_name, name),
                       reason="Forbidden",
                       details=dict(details(resource, obj_name), causes=[{
                           "reason": "NamespaceTerminating",
                           "message": "namespace %s is being terminated" % name,
                           "field": "metadata.namespace"}]))
