"""kubemn's end of the fork server (topo/runtime/forked.py) given the server's answers
(no server process): a forked process's pid is its answer's, awaited when first
read; one the server could not start raises why, and stops as an exited process."""
import signal

import pytest

from topo.errors import KubemnError
from topo.runtime.forked import NOT_STARTED, ForkedProcess, ForkServer


def answered(reply):
    server = ForkServer("/dev/null")
    server.replies[7] = reply
    return ForkedProcess(server, 7, ["netexec"])


def test_a_started_process_has_the_pid_of_the_servers_answer():
    forked = answered({"started": 7, "pid": 4242})
    assert forked.pid == 4242
    assert forked.pid == 4242   # the answer is kept, not read again


def test_a_process_the_server_could_not_start_says_why_and_counts_as_exited():
    forked = answered({"failed": 7, "error": "Cannot allocate memory"})
    with pytest.raises(KubemnError, match="could not fork: Cannot allocate memory"):
        forked.pid
    assert forked.poll() == forked.wait(1.0) == NOT_STARTED
    forked.send_signal(signal.SIGTERM)   # nothing to signal: no error


def test_a_server_gone_before_it_answered_fails_the_process():
    server = ForkServer("/dev/null")
    server.lost = True
    forked = ForkedProcess(server, 8, ["netexec"])
    with pytest.raises(KubemnError, match="the fork server is gone"):
        forked.pid
