"""What kubectl shows of a pod's containers (pure): a container's state from its
process's exit status, the restart policy and its restarts, and the pod's STATUS."""
from typing import Iterable, Optional

from topo.kubelet.restarts import wants_restart


def container_state(exit_code: Optional[int], restart_policy: str, restarts: int) -> str:
    """'Running' (exit_code None), 'CrashLoopBackOff' (exited, to be started again
    after its back-off, having been restarted before), 'Completed' or 'Error'."""
    if exit_code is None:
        return "Running"
    if wants_restart(restart_policy, exit_code) and restarts:
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
