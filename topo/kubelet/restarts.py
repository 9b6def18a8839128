"""When the kubelet restarts a container that exited (pure), as Kubernetes does: by
the pod's restartPolicy, the first time at once, then after a back-off that doubles
from 10 s up to five minutes (the pod shows CrashLoopBackOff meanwhile)."""

BACKOFF_FIRST_SECONDS = 10.0
BACKOFF_MAX_SECONDS = 300.0


def wants_restart(policy: str, exit_code: int) -> bool:
    """Always: any exit; OnFailure: a non-zero exit; Never: none."""
    return policy == "Always" or (policy == "OnFailure" and exit_code != 0)


def backoff_seconds(restarts: int) -> float:
    """How long a container that has been restarted this many times waits after its
    next exit before it is started again."""
    if restarts == 0:
        return 0.0
    return min(BACKOFF_FIRST_SECONDS * 2 ** (restarts - 1), BACKOFF_MAX_SECONDS)
