"""A bounded-frequency runner, as kube-proxy's (pkg/util/async): request() asks for a
run of fn; runs happen on the runner's thread, limited as kube-proxy limits its syncs
(a token bucket: up to `burst` runs at once, then one per min_interval), so a burst
of requests costs a few runs, and a request that finds the runner idle runs at once
(as does the next one: a new Service, then its endpoints a moment later). run_now()
runs in the caller's thread, for a change that must be in effect before the caller
goes on. Every run holds lock (the caller's, if it passes its own), so runs never
overlap and keep the caller's lock order."""
import threading
import time


class BoundedFrequencyRunner:
    def __init__(self, fn, min_interval, lock=None, report=None, name="kubemn-runner",
                 burst=2):
        self.fn, self.min_interval, self.burst = fn, min_interval, burst
        self.lock = lock or threading.RLock()
        self.report = report or (lambda message: None)
        self.name = name
        self.state = threading.Condition()
        self.asked = 0          # requests so far
        self.done = 0           # requests the last finished run covered
        self.runs = 0
        self.tokens = float(burst)   # runs that may start now (kube-proxy's burstSyncs)
        self.counted = time.monotonic()   # when tokens was last brought up to date
        self.stopping = False
        self.thread = None

    def start(self):
        self.thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        with self.state:
            self.stopping = True
            self.state.notify_all()
        if self.thread is not None and self.thread.is_alive():
            self.thread.join()

    def request(self):
        """Asks for a run; returns the request's number, for wait()."""
        with self.state:
            self.asked += 1
            self.state.notify_all()
            return self.asked

    def wait(self, request=None, timeout=30.0):
        """Waits until a run that started after request (default: the latest) has
        finished; False if timeout passed first."""
        with self.state:
            request = self.asked if request is None else request
            return self.state.wait_for(lambda: self.done >= request or self.stopping, timeout)

    def run_now(self):
        """Runs fn in this thread, at once; what was asked before is covered by it."""
        with self.lock:
            self._run()

    def _refill(self):
        """Brings the tokens up to now (under self.state): one each min_interval."""
        now = time.monotonic()
        if self.min_interval <= 0:
            self.tokens = float(self.burst)
        else:
            self.tokens = min(float(self.burst),
                              self.tokens + (now - self.counted) / self.min_interval)
        self.counted = now

    def _run(self):
        with self.state:
            covers = self.asked
            self._refill()
            self.tokens = max(0.0, self.tokens - 1)
        try:
            self.fn()
        finally:
            with self.state:
                self.runs += 1
                self.done = max(self.done, covers)
                self.state.notify_all()

    def _loop(self):
        while True:
            with self.state:
                self.state.wait_for(lambda: self.stopping or self.asked > self.done)
                if self.stopping:
                    return
                self._refill()
                pause = (1 - self.tokens) * self.min_interval
                if pause > 0:   # let the burst gather
                    self.state.wait_for(lambda: self.stopping, pause)
                    continue
            try:
                with self.lock:
                    if self.asked > self.done:   # run_now may have covered it meanwhile
                        self._run()
            except Exception as exc:   # keep running; say what went wrong
                self.report("%s: %s" % (self.name, exc))
                time.sleep(self.min_interval)
