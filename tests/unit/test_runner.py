"""The bounded-frequency runner that the fabric programmer pushes through: a burst of
requests is a few runs, two at once and then one per minimum interval (kube-proxy's
burst), a lone request runs at once, and run_now covers what was asked before it."""
import threading
import time

from topo.proxy.runner import BoundedFrequencyRunner


class Counter:
    def __init__(self, fail=0):
        self.starts, self.fail, self.value, self.seen = [], fail, 0, []
        self.running = threading.Lock()

    def __call__(self):
        assert self.running.acquire(blocking=False), "two runs overlap"
        try:
            self.starts.append(time.monotonic())
            self.seen.append(self.value)
            if self.fail:
                self.fail -= 1
                raise RuntimeError("push refused")
        finally:
            self.running.release()


def test_a_burst_of_requests_is_a_few_runs_that_see_the_last_change():
    counter = Counter()
    runner = BoundedFrequencyRunner(counter, min_interval=0.2).start()
    began = time.monotonic()
    try:
        for value in range(1, 101):
            counter.value = value
            runner.request()
            time.sleep(0.003)
        burst = time.monotonic() - began   # ~0.3 s; longer on a loaded machine
        assert runner.wait(timeout=5)
    finally:
        runner.stop()
    # A burst of two at once, then one run per interval the burst lasted, at most.
    assert 1 <= runner.runs <= 3 + int(burst / 0.2), (runner.runs, burst)
    assert counter.seen[-1] == 100
    gaps = [b - a for a, b in zip(counter.starts, counter.starts[1:])]
    assert all(gap >= 0.19 for gap in gaps[1:]), gaps   # after the burst of two


def test_two_requests_a_moment_apart_run_at_once_and_a_third_waits():
    """A new Service, then its endpoints: kube-proxy's burst of two syncs."""
    counter = Counter()
    runner = BoundedFrequencyRunner(counter, min_interval=5.0).start()
    try:
        asked = time.monotonic()
        for _ in range(2):
            runner.request()
            assert runner.wait(timeout=1)
        assert counter.starts[1] - asked < 0.2
        runner.request()
        assert not runner.wait(timeout=0.3) and runner.runs == 2
    finally:
        runner.stop()


def test_a_request_that_finds_the_runner_idle_runs_at_once():
    counter = Counter()
    runner = BoundedFrequencyRunner(counter, min_interval=5.0).start()
    try:
        asked = time.monotonic()
        runner.request()
        assert runner.wait(timeout=1)
        assert counter.starts[0] - asked < 0.1
    finally:
        runner.stop()


def test_run_now_covers_what_was_asked_before_it():
    counter = Counter()
    runner = BoundedFrequencyRunner(counter, min_interval=5.0)   # no thread: nothing else runs
    asked = runner.request()
    runner.run_now()
    assert runner.wait(asked, timeout=0) and runner.runs == 1


def test_a_failing_run_is_reported_and_the_next_request_runs_again():
    counter = Counter(fail=1)
    reports = []
    runner = BoundedFrequencyRunner(counter, min_interval=0.05, report=reports.append,
                                    name="pusher").start()
    try:
        runner.request()
        deadline = time.monotonic() + 2
        while not reports and time.monotonic() < deadline:
            time.sleep(0.01)
        runner.request()
        assert runner.wait(timeout=2)
    finally:
        runner.stop()
    assert reports == ["pusher: push refused"] and runner.runs == 2
