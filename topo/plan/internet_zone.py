"""The world outside the cluster, as pods see it (pure): the internet host answers
DNS for a small zone of its own (example.com and www.example.com are the internet
host; any other name is NXDOMAIN at once), and the nodes' resolv.conf names it, so
that cluster DNS, which forwards names outside the cluster domain to the node's
nameservers (the Corefile's `forward . /etc/resolv.conf`), reaches it through the
fabric."""
from typing import Dict

OUTSIDE_NAMES = ("example.com", "www.example.com")


def zone_records(internet_ip: str) -> Dict[str, dict]:
    """The internet host's DNS records, in services/dns_records.py's shape."""
    records = {name + ".": {"A": [internet_ip], "SRV": [], "PTR": []} for name in OUTSIDE_NAMES}
    reverse = "%s.in-addr.arpa." % ".".join(reversed(internet_ip.split(".")))
    records[reverse] = {"A": [], "SRV": [], "PTR": [OUTSIDE_NAMES[0] + "."]}
    return records


def node_resolv_conf(internet_ip: str) -> str:
    """A node's own /etc/resolv.conf (what dnsPolicy Default gives a pod)."""
    return "nameserver %s\n" % internet_ip
