"""Errors as the API server reports them: a Status object with a code, a reason
and a message naming the object and the field (kubectl prints the message)."""
import json

REASONS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
           405: "MethodNotAllowed", 409: "AlreadyExists", 410: "Expired",
           415: "UnsupportedMediaType", 422: "Invalid", 500: "InternalError",
           502: "BadGateway", 503: "ServiceUnavailable"}


class ApiError(Exception):
    def __init__(self, code, message, reason=None, details=None):
        super().__init__(message)
        self.code, self.message = code, message
        self.reason = reason or REASONS.get(code, "BadRequest")
        self.details = details

    def status(self):
        """The Status, its fields in the API server's order."""
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": self.message, "reason": self.reason}
        if self.details:
            body["details"] = self.details
        body["code"] = self.code
        return body


def details(resource, name):
    """A Status's details of an object of resource (with its group: deployments.apps)."""
    kind, _, group = resource.partition(".")
    return dict({"name": name}, **({"group": group} if group else {}), kind=kind)


def not_found(resource, name):
    """'pods "web" not found' (resource with its group: deployments.apps)."""
    return ApiError(404, '%s "%s" not found' % (resource, name),
                    details=details(resource, name))


def already_exists(resource, name):
    return ApiError(409, '%s "%s" already exists' % (resource, name),
                    details=details(resource, name))


def conflict(resource, name):
    return ApiError(409, 'Operation cannot be fulfilled on %s "%s": the object has been '
                    'modified; please apply your changes to the latest version and try '
                    'again' % (resource, name), reason="Conflict",
                    details=details(resource, name))


def invalid(kind, name, field, problem):
    """422, as the API server words a failed validation."""
    cause = "%s: %s" % (field, problem) if field else problem
    return ApiError(422, '%s "%s" is invalid: %s' % (kind, name, cause),
                    details={"name": name, "kind": kind,
                             "causes": [{"field": field, "message": problem}]})


def not_supported(kind, name, field, value, supported):
    """422 for a value none of the supported ones, as the API server words it."""
    return invalid(kind, name, field, "Unsupported value: %s: supported values: %s" % (
        json.dumps(value), ", ".join(json.dumps(s) for s in supported)))
