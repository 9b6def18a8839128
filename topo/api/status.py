"""Errors as the API server reports them: a Status object with a code, a reason
and a message naming the object and the field (kubectl prints the message)."""

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
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": self.message, "reason": self.reason, "code": self.code}
        if self.details:
            body["details"] = self.details
        return body


def not_found(resource, name):
    """'pods "web" not found' (resource with its group: deployments.apps)."""
    return ApiError(404, '%s "%s" not found' % (resource, name),
                    details={"name": name, "kind": resource.split(".")[0]})


def already_exists(resource, name):
    return ApiError(409, '%s "%s" already exists' % (resource, name),
                    details={"name": name, "kind": resource.split(".")[0]})


def conflict(resource, name):
    return ApiError(409, 'Operation cannot be fulfilled on %s "%s": the object has been '
                    'modified; please apply your changes to the latest version and try '
                    'again' % (resource, name), reason="Conflict")


def invalid(kind, name, field, problem):
    """422, as the API server words a failed validation."""
    cause = "%s: %s" % (field, problem) if field else problem
    return ApiError(422, '%s "%s" is invalid: %s' % (kind, name, cause),
                    details={"name": name, "kind": kind,
                             "causes": [{"field": field, "message": problem}]})


def success(kind, name, uid=None):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
            "details": {"name": name, "kind": kind, "uid": uid}}
