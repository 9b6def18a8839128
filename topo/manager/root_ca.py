"""The root CA certificate publisher, as Kubernetes' controller manager runs it: each
namespace that is not terminating has a ConfigMap `kube-root-ca.crt` whose `ca.crt`
is the certificate that signs the API server's (what a projected volume gives a pod
beside its service account token); one changed or deleted is made again."""
from topo.errors import KubemnError
from topo.manager.per_namespace import PerNamespace

CONFIG_MAPS = "configmaps"
CA_CONFIG_MAP = "kube-root-ca.crt"
DESCRIPTION = ("Contains a CA bundle that can be used to verify the kube-apiserver when "
               "using internal endpoints such as the internal service IP or "
               "kubernetes.default.svc. No other usage is guaranteed across distributions "
               "of Kubernetes clusters.")


def published(certificate):
    """The ConfigMap's body."""
    return {"metadata": {"name": CA_CONFIG_MAP, "annotations": {
        "kubernetes.io/description": DESCRIPTION}}, "data": {"ca.crt": certificate}}


class RootCAPublisher(PerNamespace):
    RESOURCE, NAME = CONFIG_MAPS, CA_CONFIG_MAP

    def __init__(self, store, certificate, write):
        """certificate: the CA's PEM text; write(namespace, body, exists): the
        ConfigMap created, or updated, through the API."""
        self.store, self.certificate, self.write = store, certificate, write

    def reconcile(self, namespace):
        if not self.open(namespace):
            return
        current = self.store.get(CONFIG_MAPS, namespace, CA_CONFIG_MAP)
        body = published(self.certificate)
        if current is not None and current.get("data") == body["data"]:
            return
        try:
            self.write(namespace, body, current is not None)
        except KubemnError:   # tried again, unless written meanwhile
            if self.store.get(CONFIG_MAPS, namespace, CA_CONFIG_MAP) is None:
                raise
