"""The desired state kubemn sends to the controller, and its validation (pure).

JSON shape:
  {"generation": 3,
   "gateway": {"ip": "192.168.0.254", "mac": "0a:00:00:00:00:fe"},
   "switches": [{"dpid": 1, "name": "kmn-s1"}],
   "links": [{"dpid_a": 256, "port_a": 1, "dpid_b": 1, "port_b": 3}],
   "nodes": [{"name": "node1", "ip": "192.168.0.1", "mac": "0a:..:01",
              "pod_cidr": "10.244.1.0/24", "dpid": 1, "port": 1}],
   "internet": {"ip": "203.0.113.1", "mac": "0a:..", "cidr": "203.0.113.0/24",
                "gateway_ip": "203.0.113.254", "dpid": 1, "port": 3},   (optional)
   "masquerade_ip": "169.254.169.5",
   "cluster_cidrs": ["10.244.0.0/16", "10.96.0.0/12"],   (unreachable from the internet)
   "services": [{"name": "default/web", "cluster_ip": "10.96.0.20",
                 "external_ips": ["198.51.100.1"], "external_policy": "Cluster",
                 "affinity_timeout": 0,
                 "ports": [{"protocol": "TCP", "port": 80, "node_port": 30080,
                            "endpoint_set": "0"}]}],
   "endpoint_sets": {"0": [{"ip": "10.244.1.2", "port": 8080, "node": "node1"}]}}
A port may list its "endpoints" itself instead of naming an endpoint set.
"""
import ipaddress
import re
from dataclasses import dataclass
from typing import Optional

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
    # Between switches of different servers (a VXLAN tunnel): each end has a
    # conntrack of its own.
    tunnel: bool = False


@dataclass(frozen=True)
class Internet:
    """The host outside the cluster, and the gateway the fabric answers for it."""
    ip: str
    mac: str
    cidr: str
    gateway_ip: str
    dpid: int
    port: int


@dataclass(frozen=True)
class Endpoint:
    ip: str
    port: int
    node: Optional[str]   # None: on no node (never local)


@dataclass(frozen=True)
class ServicePort:
    protocol: str        # "TCP" or "UDP"
    port: int
    node_port: int       # 0: none
    endpoints: tuple


@dataclass(frozen=True)
class Service:
    name: str
    cluster_ip: str      # "" for headless
    external_ips: tuple
    external_policy: str  # "Cluster" or "Local"
    affinity_timeout: int  # seconds; 0: no session affinity
    ports: tuple


@dataclass(frozen=True)
class FabricState:
    generation: int
    gateway_ip: str
    gateway_mac: str
    switches: tuple   # dpids
    links: tuple
    nodes: tuple
    internet: object = None
    masquerade_ip: str = "169.254.169.5"
    services: tuple = ()
    cluster_cidrs: tuple = ()   # pod and Service ranges: the internet host's packets to
                                # them are dropped
    linux_nat: bool = False     # the switches' conntrack NATs as Linux's does
                                # (topo/runtime/vswitch.nats_as_linux): tables.py
    servers: tuple = ()         # ((dpid, server), ...) over several servers, each with
                                # a conntrack of its own; () on one machine

    def server_of(self, dpid):
        return dict(self.servers).get(dpid, "")


EMPTY = FabricState(0, "0.0.0.0", "00:00:00:00:00:00", (), (), ())
PROTOCOLS = ("TCP", "UDP")


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


def parse_state(doc: object) -> FabricState:
    """JSON document -> FabricState; raises InvalidState naming the bad field."""
    _require(isinstance(doc, dict), "the state must be a JSON object")
    gateway = doc.get("gateway")
    _require(isinstance(gateway, dict), "gateway must be an object")
    switches = doc.get("switches")
    _require(isinstance(switches, list) and switches, "switches must be a non-empty list")
    dpids = tuple(_int(s, "dpid", 1) for s in switches)
    _require(len(set(dpids)) == len(dpids), "a dpid is listed twice")
    servers = tuple((dpid, s["server"]) for dpid, s in zip(dpids, switches) if "server" in s)
    _require(all(isinstance(server, str) and server for _, server in servers),
             "a switch's server must be a non-empty string")
    if len({server for _, server in servers}) < 2:
        servers = ()   # one conntrack for every switch
    links = []
    for link in doc.get("links", []):
        _require(isinstance(link.get("tunnel", False), bool), "a link's tunnel is true or false")
        links.append(Link(_int(link, "dpid_a", 1), _int(link, "port_a", 1, 0xFFFFFF00),
                          _int(link, "dpid_b", 1), _int(link, "port_b", 1, 0xFFFFFF00),
                          link.get("tunnel", False)))
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
    internet = _internet(doc.get("internet"), dpids)
    masquerade_ip = _ip(doc.get("masquerade_ip", EMPTY.masquerade_ip), "masquerade_ip")
    services = _services(doc.get("services", []), nodes, doc.get("endpoint_sets"))
    cluster_cidrs = doc.get("cluster_cidrs", [])
    _require(isinstance(cluster_cidrs, list), "cluster_cidrs must be a list")
    try:
        cluster_cidrs = tuple(str(ipaddress.IPv4Network(c)) for c in cluster_cidrs)
    except (ValueError, TypeError):
        raise InvalidState("cluster_cidrs: %r holds a bad CIDR" % (cluster_cidrs,)) from None
    linux_nat = doc.get("linux_nat", False)
    _require(isinstance(linux_nat, bool), "linux_nat must be true or false")
    return FabricState(_int(doc, "generation"), _ip(gateway.get("ip"), "gateway"),
                       _mac(gateway.get("mac"), "gateway"), dpids, tuple(links), tuple(nodes),
                       internet, masquerade_ip, services, cluster_cidrs, linux_nat, servers)


def _internet(doc, dpids):
    if doc is None:
        return None
    _require(isinstance(doc, dict), "internet must be an object")
    try:
        cidr = str(ipaddress.IPv4Network(doc.get("cidr")))
    except (ValueError, TypeError):
        raise InvalidState("internet: bad cidr %r" % (doc.get("cidr"),)) from None
    internet = Internet(_ip(doc.get("ip"), "internet"), _mac(doc.get("mac"), "internet"), cidr,
                        _ip(doc.get("gateway_ip"), "internet gateway"), _int(doc, "dpid", 1),
                        _int(doc, "port", 1, 0xFFFFFF00))
    _require(internet.dpid in dpids, "internet: unknown switch %d" % internet.dpid)
    return internet


def _endpoints(docs, node_names, what):
    endpoints = []
    _require(isinstance(docs or [], list), "%s: endpoints must be a list" % what)
    for endpoint in docs or []:
        _require(isinstance(endpoint, dict), "%s: bad endpoint" % what)
        # None: an endpoint its writer placed on no node (a client's Endpoints, an
        # address outside the cluster): served, never local to a node.
        _require(endpoint.get("node") in node_names or endpoint.get("node") is None,
                 "%s: endpoint on unknown node %r" % (what, endpoint.get("node")))
        endpoints.append(Endpoint(_ip(endpoint.get("ip"), what + " endpoint"),
                                  _int(endpoint, "port", 1, 65535), endpoint["node"]))
    return tuple(endpoints)


def _services(docs, nodes, sets_doc=None):
    """Services; a port lists its endpoints, or names one of the shared endpoint sets
    (Services selecting the same pods send them once)."""
    _require(isinstance(docs, list), "services must be a list")
    node_names = {n.name for n in nodes}
    _require(isinstance(sets_doc or {}, dict), "endpoint_sets must be an object")
    endpoint_sets = {key: _endpoints(value, node_names, "endpoint set %s" % key)
                     for key, value in (sets_doc or {}).items()}
    services, frontends = [], set()
    for doc in docs:
        _require(isinstance(doc, dict), "each service must be an object")
        name = doc.get("name")
        _require(isinstance(name, str) and name, "service name must be a non-empty string")
        cluster_ip = doc.get("cluster_ip") or ""
        if cluster_ip:
            cluster_ip = _ip(cluster_ip, "service " + name)
        external_ips = tuple(_ip(ip, "service %s external_ips" % name)
                             for ip in doc.get("external_ips") or [])
        policy = doc.get("external_policy", "Cluster")
        _require(policy in ("Cluster", "Local"),
                 "service %s: external_policy must be Cluster or Local" % name)
        affinity = doc.get("affinity_timeout", 0)
        _require(isinstance(affinity, int) and 0 <= affinity <= 86400,
                 "service %s: affinity_timeout must be 0-86400 seconds" % name)
        ports = []
        for port in doc.get("ports") or []:
            protocol = port.get("protocol") if isinstance(port, dict) else None
            _require(protocol in PROTOCOLS, "service %s: protocol must be TCP or UDP" % name)
            number = _int(port, "port", 1, 65535)
            node_port = port.get("node_port") or 0
            if node_port:
                node_port = _int(port, "node_port", 1, 65535)
            if "endpoint_set" in port:
                key = port["endpoint_set"]
                _require(isinstance(key, str) and key in endpoint_sets,
                         "service %s: unknown endpoint_set %r" % (name, key))
                endpoints = endpoint_sets[key]
            else:
                endpoints = _endpoints(port.get("endpoints"), node_names, "service " + name)
            for frontend in ([(cluster_ip, number)] if cluster_ip else []) + \
                    [(ip, number) for ip in external_ips] + \
                    ([("node", node_port)] if node_port else []):
                key = frontend + (protocol,)
                _require(key not in frontends, "service %s: %s %s:%d is used twice"
                         % (name, protocol, frontend[0], frontend[1]))
                frontends.add(key)
            ports.append(ServicePort(protocol, number, node_port, endpoints))
        services.append(Service(name, cluster_ip, external_ips, policy, affinity, tuple(ports)))
    names = [s.name for s in services]
    _require(len(set(names)) == len(names), "a service name is listed twice")
    return tuple(services)
