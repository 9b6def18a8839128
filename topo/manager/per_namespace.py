"""What the controllers that keep one named object in every namespace share (the
service account controller's `default`, the root CA publisher's `kube-root-ca.crt`):
a key per namespace, named by a change of the namespace or of that object; a
namespace that is gone or terminating gets none."""

NAMESPACES = "namespaces"


class PerNamespace:
    """Subclasses set RESOURCE and NAME, and reconcile(namespace)."""
    RESOURCE = NAME = None

    @property
    def watches(self):
        return (NAMESPACES, self.RESOURCE)

    def keys(self, resource, obj):
        metadata = obj["metadata"]
        if resource == NAMESPACES:
            return [metadata["name"]]
        return [metadata["namespace"]] if metadata["name"] == self.NAME else []

    def all_keys(self):
        return [n["metadata"]["name"] for n in self.store.list(NAMESPACES)[1]]

    def open(self, namespace):
        """The namespace is there and not terminating."""
        found = self.store.get(NAMESPACES, "", namespace)
        return found is not None and (found.get("status") or {}).get("phase") != "Terminating"
