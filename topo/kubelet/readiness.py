"""A readinessProbe's verdicts over time (pure), as the kubelet keeps them: a pod
starts not ready; successThreshold successes in a row make it ready, and
failureThreshold failures in a row make it not ready again."""


class ProbeState:
    def __init__(self, probe, started):
        self.probe = probe
        self.ready = False
        self.successes = 0
        self.failures = 0
        self.next_at = started + probe.initial_delay

    def due(self, now):
        return now >= self.next_at

    def record(self, ok, now):
        """Takes one probe result; returns the readiness it leaves."""
        self.next_at = now + self.probe.period
        if ok:
            self.successes, self.failures = self.successes + 1, 0
            if self.successes >= self.probe.success_threshold:
                self.ready = True
        else:
            self.failures, self.successes = self.failures + 1, 0
            if not self.ready or self.failures >= self.probe.failure_threshold:
                self.ready = False
        return self.ready
