"""OpenAPI v3 documents (pure): what kubectl reads before `apply` and `create -f`.

kubectl asks /openapi/v3 for the group versions, then the group version's document,
and looks for the PATCH operation of the object's kind with a `fieldValidation`
query parameter: finding it, it leaves validation to the server (kubemn's parser
and its 422s) instead of downloading schemas to validate on its own side.
"""
import hashlib
import json

from topo.api.protobuf_encode import field
from topo.api.resources import RESOURCES, group_version

VERSION = "v1.37.0"


def _prefix(group_version_text):
    return "api/" + group_version_text if "/" not in group_version_text \
        else "apis/" + group_version_text


def _operation(resource, action):
    return {"operationId": "%s%s" % (action, resource.kind),
            "x-kubernetes-action": action,
            "x-kubernetes-group-version-kind": {"group": resource.group,
                                                "version": resource.version,
                                                "kind": resource.kind},
            "parameters": [{"name": name, "in": "query", "schema": {"type": "string"},
                            "uniqueItems": True}
                           for name in ("dryRun", "fieldManager", "fieldValidation")],
            "responses": {"200": {"description": "OK"}}}


def group_version_document(group_version_text):
    """The document of one group version, or None if kubemn does not serve it."""
    rows = [r for r in RESOURCES if group_version(r) == group_version_text]
    if not rows:
        return None
    paths = {}
    for resource in rows:
        base = "/" + _prefix(group_version_text)
        if resource.namespaced:
            base += "/namespaces/{namespace}"
        paths["%s/%s/{name}" % (base, resource.plural)] = {
            "get": _operation(resource, "get"), "put": _operation(resource, "put"),
            "patch": _operation(resource, "patch"), "delete": _operation(resource, "delete")}
        paths["%s/%s" % (base, resource.plural)] = {"get": _operation(resource, "list"),
                                                    "post": _operation(resource, "post")}
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes (kubemn)", "version": VERSION},
            "paths": paths, "components": {"schemas": {}}}


def root():
    """GET /openapi/v3: every group version with the URL of its document."""
    paths = {}
    for text in sorted({group_version(r) for r in RESOURCES}):
        digest = hashlib.sha256(json.dumps(group_version_document(text),
                                           sort_keys=True).encode()).hexdigest()[:16]
        paths[_prefix(text)] = {"serverRelativeURL": "/openapi/v3/%s?hash=%s"
                                % (_prefix(text), digest)}
    return {"paths": paths}


V2_PROTOBUF = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"


def v2_document():
    """GET /openapi/v2, which kubectl reads only to validate what the v3 documents do
    not name (the items of a v1 List): a document without definitions, so that it
    leaves them to the server's validation, as it does for a kind it has no schema of."""
    return {"swagger": "2.0", "info": {"title": "Kubernetes (kubemn)", "version": VERSION},
            "paths": {}, "definitions": {}}


def v2_protobuf():
    """v2_document() as gnostic's openapi_v2.Document message (swagger 1, info 2:
    {title 1, version 2}), the encoding kubectl asks for."""
    info = field(1, 2, b"Kubernetes (kubemn)") + field(2, 2, VERSION.encode())
    return field(1, 2, b"2.0") + field(2, 2, info)


def document(path):
    """The answer to GET path under /openapi/, or None (404)."""
    if path == "/openapi/v3":
        return root()
    if path == "/openapi/v2":
        return v2_document()
    if path.startswith("/openapi/v3/"):
        rest = path[len("/openapi/v3/"):]
        if rest.startswith("api/"):
            return group_version_document(rest[len("api/"):])
        if rest.startswith("apis/"):
            return group_version_document(rest[len("apis/"):])
    return None
