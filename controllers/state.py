"""The desired state kubemn sends to the controller, and its validation (pure).

JSON shape:
  {"generation": 3,
   "gateway": {"ip": "192.168.0.254", "mac": "0a:00:00:00:00:fe"},
   "switches": [{"dpid": 1, "name": "kmn-s1"}],
   "links": [{"dpid_a": 256, "port_a": 1, "dpid_b": 1, "port_b": 3}],
   "nodes": [{"name": "node1", "ip": "192.168.0.1", "mac": "0a:..:01",
              "pod_cidr": "10.244.1.0/24", "dpid": 1, "port": 1}]}
"""
import ipaddress
import re
from dataclasses import dataclass

MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")


class InvalidState(ValueError):
    """The request cannot be satisfied; the running state stays as it was."""


@dataclass(frozen=True)
class Node:
    name: str
    ip: str
    mac: str
    pod_cidr: str
    dpid: int
    port: int


@dataclass(frozen=True)
class Link:
    dpid_a: int
    port_a: int
    dpid_b: int
    port_b: int


@dataclass(frozen=True)
class FabricState:
    generation: int
    gateway_ip: str
    gateway_mac: str
    switches: tuple   # dpids
    links: tuple
    nodes: tuple


EMPTY = FabricState(0, "0.0.0.0", "00:00:00:00:00:00", (), (), ())


def _require(condition, message):
    if not condition:
        raise InvalidState(message)


def _int(obj, key, low=0, high=2 ** 64 - 1):
    value = obj.get(key) if isinstance(obj, dict) else None
    _require(isinstance(value, int) and not isinstance(value, bool) and low <= value <= high,
             "%s must be an integer in %d-%d, got %r" % (key, low, high, value))
    return value


def _ip(value, what):
    try:
        return str(ipaddress.IPv4Address(value))
    except (ipaddress.AddressValueError, ValueError, TypeError):
        raise InvalidState("%s: %r is not an IPv4 address" % (what, value)) from None


def _mac(value, what):
    _require(isinstance(value, str) and MAC.match(value), "%s: %r is not a MAC" % (what, value))
    return value


def parse_state(doc):
    """JSON document -> FabricState; raises InvalidState naming the bad field."""
    _require(isinstance(doc, dict), "the state must be a JSON object")
    gateway = doc.get("gateway")
    _require(isinstance(gateway, dict), "gateway must be an object")
    switches = doc.get("switches")
    _require(isinstance(switches, list) and switches, "switches must be a non-empty list")
    dpids = tuple(_int(s, "dpid", 1) for s in switches)
    _require(len(set(dpids)) == len(dpids), "a dpid is listed twice")
    links = []
    for link in doc.get("links", []):
        links.append(Link(_int(link, "dpid_a", 1), _int(link, "port_a", 1, 0xFFFFFF00),
                          _int(link, "dpid_b", 1), _int(link, "port_b", 1, 0xFFFFFF00)))
        _require(links[-1].dpid_a in dpids and links[-1].dpid_b in dpids,
                 "link %r joins an unknown switch" % (link,))
    nodes = []
    for node in doc.get("nodes", []):
        _require(isinstance(node, dict), "each node must be an object")
        name = node.get("name")
        _require(isinstance(name, str) and name, "node name must be a non-empty string")
        try:
            cidr = str(ipaddress.IPv4Network(node.get("pod_cidr")))
        except (ValueError, TypeError):
            raise InvalidState("node %s: bad pod_cidr %r" % (name, node.get("pod_cidr"))) from None
        nodes.append(Node(name, _ip(node.get("ip"), "node " + name),
                          _mac(node.get("mac"), "node " + name), cidr,
                          _int(node, "dpid", 1), _int(node, "port", 1, 0xFFFFFF00)))
        _require(nodes[-1].dpid in dpids, "node %s: unknown switch %d" % (name, nodes[-1].dpid))
    names = [n.name for n in nodes]
    _require(len(set(names)) == len(names), "a node name is listed twice")
    cidrs = [ipaddress.IPv4Network(n.pod_cidr) for n in nodes]
    for i, a in enumerate(cidrs):
        for b in cidrs[i + 1:]:
            _require(not a.overlaps(b), "pod CIDRs %s and %s overlap" % (a, b))
    return FabricState(_int(doc, "generation"), _ip(gateway.get("ip"), "gateway"),
                       _mac(gateway.get("mac"), "gateway"), dpids, tuple(links), tuple(nodes))
