"""The kubelet's restart rules (topo/kubelet/restarts.py)."""
from topo.kubelet.restarts import backoff_seconds, wants_restart


def test_the_policy_decides_which_exits_restart():
    assert wants_restart("Always", 0) and wants_restart("Always", 3)
    assert wants_restart("OnFailure", 3) and not wants_restart("OnFailure", 0)
    assert not wants_restart("Never", 3) and not wants_restart("Never", 0)


def test_the_back_off_starts_at_once_then_doubles_from_ten_seconds_to_five_minutes():
    assert [backoff_seconds(n) for n in range(8)] == [0, 10, 20, 40, 80, 160, 300, 300]
