"""The fabric programmer (kubemn's kube-proxy): watches the Services and
EndpointSlices the API serves and pushes them to the Ryu controller (the cluster DNS
follows them from a watch of its own: topo/manager/cluster_dns.py). It runs as a
controller of a ControlLoop over the store: a change it has not pushed yet asks for
a push (request); a burst of them is one push, at most one per MIN_INTERVAL, as
kube-proxy's minSyncPeriod makes it. A change that must be in effect before its
caller goes on (an endpoint leaving before its pod stops, a Python API caller's
apply) is pushed at once (sync_now)."""
from services.served import served_services
from topo.proxy.runner import BoundedFrequencyRunner

MIN_INTERVAL = 0.5   # seconds between pushes in a burst (kube-proxy's default is 1 s)
SERVICES, SLICES = "services", "endpointslices.discovery.k8s.io"


class FabricProgrammer:
    watches = (SERVICES, SLICES)

    def __init__(self, push, lock, report=None, min_interval=MIN_INTERVAL):
        """push(): reads what to push (read()), sends it and waits until the switches
        have it; lock: the cluster's, which every push holds."""
        self.runner = BoundedFrequencyRunner(push, min_interval, lock=lock, report=report,
                                             name="kubemn-fabric-programmer")
        self.store = None
        self.read_revision = 0   # the store's revision the last push read

    def start(self, store):
        self.store = store
        self.runner.start()
        return self

    def stop(self):
        self.runner.stop()

    def read(self):
        """The Services as the API serves them now ([ServedService]); a change the
        store made before this is covered by the push that reads it."""
        if self.store is None:
            return []
        revision, services = self.store.list(SERVICES)
        slices = self.store.list(SLICES)[1]
        self.read_revision = int(revision)
        return served_services(services, slices)

    # --- as a controller: a change not pushed yet asks for a push -----------------
    def keys(self, resource, obj):
        return ["fabric"] if int(obj["metadata"]["resourceVersion"]) > self.read_revision \
            else []

    def all_keys(self):
        return []   # nothing is missed: every change is compared with what was read

    def reconcile(self, key):
        self.request()

    # --- pushing -------------------------------------------------------------------
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
