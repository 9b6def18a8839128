"""A pod's containers as kubectl shows them (topo/kubelet/status.py), and readiness
over probe results (topo/kubelet/readiness.py)."""
import pytest

from topo.kubelet.readiness import ProbeState
from topo.kubelet.status import container_state, pod_status
from topo.plan.model import Probe


@pytest.mark.parametrize("code,policy,restarts,state", [
    (None, "Always", 0, "Running"),
    (0, "Always", 0, "Completed"),        # exited, its first restart not yet counted
    (0, "Always", 2, "CrashLoopBackOff"),
    (3, "OnFailure", 1, "CrashLoopBackOff"),
    (0, "OnFailure", 1, "Completed"),      # success is not restarted
    (3, "Never", 0, "Error"),
    (0, "Never", 0, "Completed"),
])
def test_container_states(code, policy, restarts, state):
    assert container_state(code, policy, restarts) == state


def test_an_exit_shows_as_error_before_its_back_off_as_the_kubelets_next_sync_says_it():
    assert container_state(3, "OnFailure", 1, exited_for=1.0) == "Error"
    assert container_state(3, "OnFailure", 1, exited_for=2.0) == "CrashLoopBackOff"


def test_the_pod_status_is_its_worst_container():
    assert pod_status(["Running", "CrashLoopBackOff", "Error"]) == "CrashLoopBackOff"
    assert pod_status(["Running", "Error"]) == "Error"
    assert pod_status(["Completed", "Completed"]) == "Completed"
    assert pod_status(["Completed", "Running"]) == "Running"


def test_readiness_needs_successes_in_a_row_and_failures_in_a_row_to_change():
    probe = Probe("exec", command=("true",), initial_delay=5, period=2, success_threshold=2,
                  failure_threshold=3)
    state = ProbeState(probe, started=100)
    assert not state.due(104) and state.due(105)
    assert [state.record(ok, 105 + i) for i, ok in enumerate(
        [True, False, True, True, False, False, True, False, False, False])] == [
        False, False, False, True, True, True, True, True, True, False]
    assert state.next_at == 114 + 2
