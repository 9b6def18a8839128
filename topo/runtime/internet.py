"""The internet host's servers, started with the cluster and stopped with it: the
DNS server of the outside zone (topo/plan/internet_zone.py; services/apps/clusterdns.py
answering from a fixed records file) and agnhost netexec on port 80, so that
`curl http://example.com/clientip` from a pod works and shows the address its
traffic leaves the cluster with. Both listen in the internet host's namespace only."""
import json
import os
import subprocess
import sys

from topo.kubelet.images import netexec_argv
from topo.plan.internet_zone import zone_records
from topo.runtime.processes import stop_processes

STOP_SECONDS = 2


class InternetServers:
    def __init__(self, host, ip, run_dir):
        self.host, self.ip, self.run_dir = host, ip, run_dir
        self.processes = []

    def start(self):
        zone = os.path.join(self.run_dir, "internet-zone.json")
        with open(zone, "w") as handle:
            json.dump(zone_records(self.ip), handle, indent=1, sort_keys=True)
        for name, argv in (
                ("internet-dns", [sys.executable, "-m", "services.apps.clusterdns",
                                  "--records", zone, "--port", "53"]),
                ("internet-web", netexec_argv([80], []))):
            # A UTS namespace of their own: /hostname answers "internet", not the
            # machine's name (Mininet hosts share the machine's).
            named = ["unshare", "--uts", "--", "sh", "-c", 'hostname "$0" && exec "$@"',
                     self.host.name] + argv
            with open(os.path.join(self.run_dir, name + ".log"), "wb") as log:
                self.processes.append(self.host.popen(named, stdin=subprocess.DEVNULL,
                                                      stdout=log, stderr=subprocess.STDOUT))
        return self

    def stop(self):
        stop_processes(self.processes, STOP_SECONDS, group=False)
        self.processes = []
