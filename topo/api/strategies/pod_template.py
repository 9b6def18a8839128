"""A pod template with the API server's defaults (pure), as a workload's strategy
stores it: what `kubectl describe` and `get -o yaml` show of a Deployment's, a
ReplicaSet's or a DaemonSet's template, and what the template hash is taken of.
Only what is missing is filled in, so a defaulted template defaults to itself (a
`kubectl rollout undo` finds its old ReplicaSet's template equal to the one sent)."""
import copy

PROBE_DEFAULTS = {"timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1,
                  "failureThreshold": 3}
SPEC_DEFAULTS = {"restartPolicy": "Always", "dnsPolicy": "ClusterFirst",
                 "terminationGracePeriodSeconds": 30, "schedulerName": "default-scheduler",
                 "securityContext": {}}
CONTAINER_DEFAULTS = {"resources": {}, "terminationMessagePath": "/dev/termination-log",
                      "terminationMessagePolicy": "File"}
PROBES = ("readinessProbe", "livenessProbe", "startupProbe")


def pull_policy(image):
    """Always for an image without a tag or tagged latest, else IfNotPresent."""
    tag = (image or "").rsplit("/", 1)[-1]
    return "Always" if ":" not in tag or tag.endswith(":latest") else "IfNotPresent"


def _container(container):
    for key, value in CONTAINER_DEFAULTS.items():
        container.setdefault(key, copy.deepcopy(value))
    container.setdefault("imagePullPolicy", pull_policy(container.get("image")))
    for port in container.get("ports") or ():
        if isinstance(port, dict):
            port.setdefault("protocol", "TCP")
    for field in PROBES:
        probe = container.get(field)
        if isinstance(probe, dict):
            for key, value in PROBE_DEFAULTS.items():
                probe.setdefault(key, value)
            if isinstance(probe.get("httpGet"), dict):
                probe["httpGet"].setdefault("path", "/")
                probe["httpGet"].setdefault("scheme", "HTTP")


def defaulted(template):
    """A copy of template (a PodTemplateSpec that has passed validation) with the
    defaults of what it leaves out."""
    out = copy.deepcopy(template)
    spec = out.setdefault("spec", {})
    for key, value in SPEC_DEFAULTS.items():
        spec.setdefault(key, copy.deepcopy(value))
    for container in spec.get("containers") or ():
        if isinstance(container, dict):
            _container(container)
    return out
