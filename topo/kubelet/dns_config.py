"""The coredns ConfigMap as the DNS pods see it, as the kubelet syncs a ConfigMap
volume into a pod: after each change of it in the store, the Corefile's settings are
written where the DNS pods read them (they reload on change, as CoreDNS's reload
plugin does)."""
import json
import threading

from services.corefile import KUBEADM_COREFILE, dns_settings
from topo.api.strategies.config_map import RESOURCE as CONFIG_MAPS
from topo.runtime.files import replace_file

NAMESPACE, NAME = "kube-system", "coredns"


def concerns(resource, obj):
    """A change of the coredns ConfigMap (its watch's filter)."""
    return (obj["metadata"].get("namespace"), obj["metadata"]["name"]) == (NAMESPACE, NAME)


class DnsConfigSync:
    def __init__(self, path, mirror=None):
        """mirror(path, text): the same file written where else pods read it."""
        self.path = path
        self.mirror = mirror or (lambda path, text: None)
        self.lock = threading.Lock()
        self.written = None

    def sync(self, store):
        config_map = store.get(CONFIG_MAPS, NAMESPACE, NAME)
        corefile = ((config_map or {}).get("data") or {}).get("Corefile", KUBEADM_COREFILE)
        text = json.dumps(dns_settings(corefile), sort_keys=True)
        with self.lock:
            if text == self.written:
                return
            replace_file(self.path, text)
            self.mirror(self.path, text)
            self.written = text
