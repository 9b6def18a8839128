"""The machine's kubelet ticker, for every node's kubelet (node_kubelet.py): containers
that exit and readiness probes change a pod's readiness, which its node's status
manager writes to the API's store at once; the Services' endpoints and the fabric
follow from the store (a pod that left them has left the fabric before the tick goes
on: nothing new is sent to it);
containers that exited are started again as their pod's restartPolicy says; retiring
pods stop once drained; the pods bound to each node start."""
import threading
import time

from topo.kubelet.node_kubelet import start_due

TICK_SECONDS = 0.05


class Kubelet:
    def __init__(self, cluster):
        self.cluster = cluster
        self.stopping = threading.Event()
        self.woken = threading.Event()   # a pod to start or stop: no wait for the tick
        self.thread = threading.Thread(target=self._run, name="kubemn-kubelet", daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stopping.set()
        self.woken.set()
        if self.thread.is_alive():
            self.thread.join()

    def wake(self):
        """Ticks now rather than at the next TICK_SECONDS."""
        self.woken.set()

    def _run(self):
        while True:
            self.woken.wait(TICK_SECONDS)
            self.woken.clear()
            if self.stopping.is_set():
                return
            try:
                self.tick()
            except Exception as exc:  # keep watching; say what went wrong
                self.cluster.progress("kubelet: %s" % exc)

    def tick(self):
        """Runs due probes (outside the lock: they may take a while), then updates
        readiness and, if a pod left the endpoints, the Services at once; starts exited
        containers again;
        then each node's kubelet stops its drained pods and starts the pods bound to
        it."""
        now = time.monotonic()
        self.cluster.check_controller()
        with self.cluster.lock:
            kubelets = dict(self.cluster.node_kubelets)
            pods = [p for k in kubelets.values() for p in k.pods.values()]

        def still_running(pod):
            kubelet = kubelets[pod.node.name]
            return self.cluster.node_kubelets.get(pod.node.name) is kubelet and \
                kubelet.pods.get(pod.ref) is pod
        results = {pod.ref: pod.run_due_probes(now) for pod in pods}
        with self.cluster.lock:
            pods = [pod for pod in pods if still_running(pod)]
            changed, left = set(), False   # changed: the nodes of pods that changed
            for pod in pods:
                was_ready = pod.is_ready
                if pod.update_readiness(results[pod.ref], now):
                    changed.add(pod.node.name)
                    left |= was_ready
            if left:   # as the kubelet, it does not wait for the proxy to add a pod
                self.cluster.sync_services(endpoints_left=True, now=False)
            # After the endpoints: a container that exited has left them already.
            for pod in pods:
                exits = pod.exits_seen
                if still_running(pod) and (pod.restart_exited(now) or pod.exits_seen != exits):
                    changed.add(pod.node.name)
        for name in changed:   # their kubelets report it
            kubelets[name].changed()
        for kubelet in kubelets.values():
            kubelet.tick_stops(now)
        start_due(self.cluster, list(kubelets.values()), now)
