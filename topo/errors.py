"""The one error type a user sees: a single line naming what is wrong and where."""


class KubemnError(Exception):
    """A request kubemn refuses; the message is one line, fit to print as is."""


class StartWaits(KubemnError):
    """A pod that cannot start yet, as the kubelet says: reason FailedMount (a volume's
    ConfigMap or Secret is missing: the pod stays ContainerCreating) or
    CreateContainerConfigError (a variable's is)."""

    def __init__(self, message, reason):
        super().__init__(message)
        self.reason = reason


class ManifestError(KubemnError):
    """A manifest that is not valid YAML or not a valid Kubernetes object."""


class FieldInvalid(ValueError):
    """A field of an object that the API server would refuse: its path and the API
    server's message, for a 422 or a manifest's one-line error."""

    def __init__(self, field, message):
        super().__init__("%s: %s" % (field, message))
        self.field, self.message = field, message


class Stopped(SystemExit):
    """A signal ends the run; teardown follows (a KeyboardInterrupt would only
    interrupt the CLI's current command, as Mininet's CLI handles it). The CLI lets
    it through where it turns every other failure into one line."""


def log_tail(path, count):
    """The last count non-empty lines of a log, stripped, for an error message; None
    if the log cannot be read."""
    try:
        with open(path, errors="replace") as log:
            lines = [line.strip() for line in log if line.strip()]
    except OSError:
        return None
    return lines[-count:]


def some_names(names, shown=10):
    """The first names, for a one-line error: "a, b, c and 997 more"."""
    names = list(names)
    if len(names) <= shown:
        return ", ".join(names)
    return "%s and %d more" % (", ".join(names[:shown]), len(names) - shown)
