"""What kubectl shows of a pod's containers (pure): a container's state from its
process's exit status, the restart policy and its restarts, and the pod's STATUS."""
from typing import Iterable, Optional

from topo.kubelet.restarts import wants_restart

# How long a container's exit shows before its back-off does: the kubelet writes the
# status of the sync that finds the exit (Terminated), and says CrashLoopBackOff only
# from the pod's next sync on, a relist (1 s) or two later. So kubectl shows Error,
# then CrashLoopBackOff; Kubernetes' e2e tests poll (every 2 s) for that exit code.
EXIT_SHOWN_SECONDS = 2.0


def container_state(exit_code: Optional[int], restart_policy: str, restarts: int,
                    exited_for: float = float("inf")) -> str:
    """'Running' (exit_code None), 'CrashLoopBackOff' (exited exited_for seconds ago,
    to be started again after its back-off, having been restarted before, its exit
    shown long enough), 'Completed' or 'Error'."""
    if exit_code is None:
        return "Running"
    if wants_restart(restart_policy, exit_code) and restarts and \
            exited_for >= EXIT_SHOWN_SECONDS:
        return "CrashLoopBackOff"
    return "Completed" if exit_code == 0 else "Error"


def pod_status(states: Iterable[str]) -> str:
    """The STATUS column of `kubectl get pods` for the containers' states."""
    states = set(states)
    if "CrashLoopBackOff" in states:
        return "CrashLoopBackOff"
    if "Error" in states:
        return "Error"
    if states == {"Completed"}:
        return "Completed"
    return "Running"
