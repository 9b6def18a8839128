"""The fabric programmer: pushes the Services and their endpoints to the Ryu
controller and the cluster DNS. A change through the API is asked for (request):
a burst of them is one push, at most one per MIN_INTERVAL, as kube-proxy's
minSyncPeriod makes it. A change that must be in effect before its caller goes on
(an endpoint leaving before its pod stops, a Python API caller's apply) is pushed at
once (sync_now).

What remains of the target (issue 20): its input is still the cluster's own model
(Cluster.desired_state), not the Services and EndpointSlices the API serves."""
from topo.proxy.runner import BoundedFrequencyRunner

MIN_INTERVAL = 0.5   # seconds between pushes in a burst (kube-proxy's default is 1 s)


class FabricProgrammer:
    def __init__(self, push, lock, report=None, min_interval=MIN_INTERVAL):
        """push(): sends the whole desired state and waits until the switches have it;
        lock: the cluster's, which every push holds."""
        self.runner = BoundedFrequencyRunner(push, min_interval, lock=lock, report=report,
                                             name="kubemn-fabric-programmer")

    def start(self):
        self.runner.start()
        return self

    def stop(self):
        self.runner.stop()

    def request(self):
        self.runner.request()

    def sync_now(self):
        self.runner.run_now()

    def wait_synced(self, timeout=30.0):
        """Waits until what was asked so far has been pushed; False on timeout."""
        return self.runner.wait(timeout=timeout)

    @property
    def pushes(self):
        return self.runner.runs
