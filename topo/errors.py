"""The one error type a user sees: a single line naming what is wrong and where."""


class KubemnError(Exception):
    """A request kubemn refuses; the message is one line, fit to print as is."""


class ManifestError(KubemnError):
    """A manifest that is not valid YAML or not a valid Kubernetes object."""
