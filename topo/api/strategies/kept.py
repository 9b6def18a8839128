"""Kinds kubemn keeps as given and acts on in no way (Ingress, IngressClass: it runs no
ingress controller): the name checked, spec and status stored, a client's write
keeps the status stored, which only the status subresource changes (as a controller
would write it). A delete removes them."""
import copy

from topo.api.status import invalid
from topo.api.strategies.common import check_subdomain_name, stored_metadata


class KeptAsGiven:
    def __init__(self, kind, api_version):
        self.kind, self.api_version = kind, api_version

    def for_create(self, obj, now, current=None):
        name = obj["metadata"]["name"]
        check_subdomain_name(self.kind, name)
        if not isinstance(obj.get("spec", {}), dict):
            raise invalid(self.kind, name, "spec", "Invalid value: expected a mapping")
        stored = {"apiVersion": self.api_version, "kind": self.kind,
                  "metadata": stored_metadata(obj, current, now),
                  "spec": copy.deepcopy(obj.get("spec") or {})}
        status = current.get("status") if current else obj.get("status")
        if status is not None:
            stored["status"] = copy.deepcopy(status)
        return stored

    def for_update(self, obj, current, now):
        return self.for_create(obj, now, current)

    def for_status(self, obj, current, now):
        """A write of the status subresource: its status, and its metadata's labels and
        annotations; the spec stays."""
        stored = self.for_create(dict(current, metadata=obj["metadata"]), now, current)
        stored["status"] = copy.deepcopy(obj.get("status") or {})
        return stored

    def for_delete(self, current, now):
        return None
