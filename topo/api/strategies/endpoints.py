"""Endpoints a client writes (for a Service without a selector: a database outside the
cluster, a pod the Service does not select): each subset's addresses are IPv4
addresses, none special (loopback, link-local, multicast, unspecified), its ports
numbered 1-65535 with TCP or UDP, as the API server checks them; stored as given. The
endpoints controller overwrites those of a Service with a selector, and mirrors the
others into EndpointSlices, which the fabric serves."""
import ipaddress

from topo.api.status import invalid
from topo.api.strategies.common import check_subdomain_name, stored_metadata

RESOURCE = "endpoints"   # the store's key
PROTOCOLS = ("TCP", "UDP")


def _check_subset(name, subset, path):
    if not isinstance(subset, dict):
        raise invalid("Endpoints", name, path, "Invalid value: expected a mapping")
    for field in ("addresses", "notReadyAddresses"):
        for i, address in enumerate(subset.get(field) or ()):
            where = "%s.%s[%d].ip" % (path, field, i)
            ip = address.get("ip") if isinstance(address, dict) else None
            try:
                address = ipaddress.IPv4Address(ip)
            except (ipaddress.AddressValueError, ValueError):
                raise invalid("Endpoints", name, where, "Invalid value: %r: must be a valid "
                              "IP address" % (ip,)) from None
            if address.is_unspecified or address.is_loopback or address.is_link_local \
                    or address.is_multicast:
                raise invalid("Endpoints", name, where, "Invalid value: %r: may not be "
                              "unspecified, loopback, link-local or multicast" % (ip,))
    for i, port in enumerate(subset.get("ports") or ()):
        where = "%s.ports[%d]" % (path, i)
        number = port.get("port") if isinstance(port, dict) else None
        if isinstance(number, bool) or not isinstance(number, int) or \
                not 1 <= number <= 65535:
            raise invalid("Endpoints", name, where + ".port", "Invalid value: %r: must be "
                          "between 1 and 65535, inclusive" % (number,))
        if port.get("protocol", "TCP") not in PROTOCOLS:
            raise invalid("Endpoints", name, where + ".protocol", "Unsupported value: %r: "
                          "supported values: \"TCP\", \"UDP\"" % (port.get("protocol"),))


def for_create(obj, now, current=None):
    name = obj["metadata"]["name"]
    check_subdomain_name("Endpoints", name)
    subsets = obj.get("subsets") or []
    if not isinstance(subsets, list):
        raise invalid("Endpoints", name, "subsets", "Invalid value: expected a list")
    for i, subset in enumerate(subsets):
        _check_subset(name, subset, "subsets[%d]" % i)
    stored = {"apiVersion": "v1", "kind": "Endpoints",
              "metadata": stored_metadata(obj, current, now)}
    if subsets:
        stored["subsets"] = [dict(s, ports=[dict(p, protocol=p.get("protocol", "TCP"))
                                            for p in s.get("ports") or ()])
                             for s in subsets]
    return stored


def for_update(obj, current, now):
    return for_create(obj, now, current)


def for_delete(current, now):
    return None
