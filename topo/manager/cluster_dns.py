"""The cluster DNS's records from a watch of their own, as CoreDNS's kubernetes
plugin keeps them: the Services and EndpointSlices the API serves, made into the
records the DNS pods reload (services/dns_records.py) and written whenever they
change. Apart from the fabric programmer, as CoreDNS is apart from kube-proxy: a new
Service's name resolves once it is stored, not after the fabric's next push."""
from services.dns_records import dns_records
from services.served import served_services

SERVICES, SLICES = "services", "endpointslices.discovery.k8s.io"
RECORDS = "records"   # the one key: every change is a change of the one file


class ClusterDnsRecords:
    watches = (SERVICES, SLICES)

    def __init__(self, store, write):
        """write(records): puts the records where the DNS pods read them."""
        self.store, self.write = store, write
        self.written = None

    def keys(self, resource, obj):
        return [RECORDS]

    def all_keys(self):
        return [RECORDS]

    def reconcile(self, key):
        records = dns_records(served_services(self.store.list(SERVICES)[1],
                                              self.store.list(SLICES)[1]))
        if records != self.written:
            self.write(records)
            self.written = records
