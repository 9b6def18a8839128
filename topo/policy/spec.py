"""A NetworkPolicy object -> Policy, or PolicyInvalid naming the field, with the API
server's own checks (pure): label selectors, ports and endPort ranges, peers (at
least one kind; ipBlock alone), CIDRs with `except` strictly inside, policyTypes;
Kubernetes' default policyTypes when they are omitted."""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from topo.errors import FieldInvalid

PROTOCOLS = ("TCP", "UDP", "SCTP")
TYPES = ("Ingress", "Egress")
OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
LABEL_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
PORT_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class PolicyInvalid(FieldInvalid):
    """A NetworkPolicy the API server would refuse."""


@dataclass(frozen=True)
class Selector:
    """A LabelSelector: (key, value) pairs that must all be set, and
    (key, operator, values) expressions. Empty: everything."""
    labels: tuple = ()
    expressions: tuple = ()

    def matches(self, labels: dict[str, str]) -> bool:
        labels = labels or {}
        for key, value in self.labels:
            if labels.get(key) != value:
                return False
        for key, operator, values in self.expressions:
            present = key in labels
            if operator == "In" and not (present and labels[key] in values) or \
                    operator == "NotIn" and present and labels[key] in values or \
                    operator == "Exists" and not present or \
                    operator == "DoesNotExist" and present:
                return False
        return True


@dataclass(frozen=True)
class IPBlock:
    cidr: str
    excepts: tuple = ()

    def contains(self, ip: str) -> bool:
        address = ipaddress.IPv4Address(ip)
        return address in ipaddress.IPv4Network(self.cidr) and not any(
            address in ipaddress.IPv4Network(e) for e in self.excepts)


@dataclass(frozen=True)
class Peer:
    """podSelector and/or namespaceSelector (None: not given), or an ipBlock."""
    pods: Selector = None
    namespaces: Selector = None
    ip_block: IPBlock = None


@dataclass(frozen=True)
class Port:
    protocol: str = "TCP"
    port: object = None        # None (every port), a number or a container port's name
    end_port: int = None


@dataclass(frozen=True)
class Rule:
    peers: tuple = ()          # empty: every peer
    ports: tuple = ()          # empty: every port


@dataclass(frozen=True)
class Policy:
    namespace: str
    name: str
    pods: Selector
    types: tuple               # of "Ingress", "Egress"
    ingress: tuple = ()
    egress: tuple = ()

    @property
    def ref(self) -> str:
        return "%s/%s" % (self.namespace, self.name)


def _mapping(value, field, required=False):
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise PolicyInvalid(field, "Invalid value: expected an object")
    return value


def _list(value, field):
    if value is None:
        return []
    if not isinstance(value, list):
        raise PolicyInvalid(field, "Invalid value: expected a list")
    return value


def _label_key(key, field):
    if not isinstance(key, str) or not key:
        raise PolicyInvalid(field, "Invalid value: %r: name part must be non-empty" % (key,))
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not DNS_SUBDOMAIN.match(prefix)):
        raise PolicyInvalid(field, "Invalid value: %r: prefix part must be a DNS subdomain"
                            % key)
    if not LABEL_NAME.match(name):
        raise PolicyInvalid(field, "Invalid value: %r: name part must consist of alphanumeric "
                            "characters, '-', '_' or '.', and must start and end with an "
                            "alphanumeric character" % key)


def _label_value(value, field):
    if not isinstance(value, str) or value and not LABEL_NAME.match(value):
        raise PolicyInvalid(field, "Invalid value: %r: a valid label must be an empty string "
                            "or consist of alphanumeric characters, '-', '_' or '.', and "
                            "must start and end with an alphanumeric character" % (value,))


def parse_selector(doc: object, field: str) -> Selector:
    doc = _mapping(doc, field)
    labels = []
    for key, value in _mapping(doc.get("matchLabels"), field + ".matchLabels").items():
        _label_key(key, field + ".matchLabels")
        _label_value(value, field + ".matchLabels")
        labels.append((key, value))
    expressions = []
    for i, term in enumerate(_list(doc.get("matchExpressions"), field + ".matchExpressions")):
        where = "%s.matchExpressions[%d]" % (field, i)
        term = _mapping(term, where, required=True)
        _label_key(term.get("key"), where + ".key")
        operator = term.get("operator")
        if operator not in OPERATORS:
            raise PolicyInvalid(where + ".operator", 'Unsupported value: "%s": supported '
                                'values: %s' % (operator, ", ".join('"%s"' % o for o in
                                                                    OPERATORS)))
        values = _list(term.get("values"), where + ".values")
        if operator in ("In", "NotIn") and not values:
            raise PolicyInvalid(where + ".values", "Required value: must be specified when "
                                "`operator` is 'In' or 'NotIn'")
        if operator in ("Exists", "DoesNotExist") and values:
            raise PolicyInvalid(where + ".values", "Forbidden: may not be specified when "
                                "`operator` is 'Exists' or 'DoesNotExist'")
        for j, value in enumerate(values):
            _label_value(value, "%s.values[%d]" % (where, j))
        expressions.append((term["key"], operator, frozenset(values)))
    return Selector(tuple(sorted(labels)), tuple(expressions))


def _cidr(text, field):
    try:
        network = ipaddress.IPv4Network(text)
    except (ValueError, TypeError):
        raise PolicyInvalid(field, "Invalid value: %r: must be a valid CIDR value, (e.g. "
                            "10.9.8.0/24)" % (text,)) from None
    return network


def parse_ip_block(doc: object, field: str) -> IPBlock:
    doc = _mapping(doc, field)
    if not doc.get("cidr"):
        raise PolicyInvalid(field + ".cidr", "Required value")
    cidr = _cidr(doc["cidr"], field + ".cidr")
    excepts = []
    for i, text in enumerate(_list(doc.get("except"), field + ".except")):
        where = "%s.except[%d]" % (field, i)
        inner = _cidr(text, where)
        if not inner.subnet_of(cidr) or inner.prefixlen <= cidr.prefixlen:
            raise PolicyInvalid(where, "Invalid value: %r: must be a strict subset of `cidr`"
                                % text)
        excepts.append(str(inner))
    return IPBlock(str(cidr), tuple(excepts))


def parse_peer(doc: object, field: str) -> Peer:
    doc = _mapping(doc, field, required=True)
    pods = parse_selector(doc["podSelector"], field + ".podSelector") \
        if doc.get("podSelector") is not None else None
    namespaces = parse_selector(doc["namespaceSelector"], field + ".namespaceSelector") \
        if doc.get("namespaceSelector") is not None else None
    block = parse_ip_block(doc["ipBlock"], field + ".ipBlock") \
        if doc.get("ipBlock") is not None else None
    given = sum(x is not None for x in (pods, namespaces, block))
    if not given:
        raise PolicyInvalid(field, "Required value: must specify a peer")
    if block is not None and given > 1:
        raise PolicyInvalid(field, "Forbidden: may not specify both ipBlock and another peer")
    return Peer(pods, namespaces, block)


def _port_number(value, field):
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise PolicyInvalid(field, "Invalid value: %r: must be between 1 and 65535, "
                            "inclusive" % (value,))
    return value


def parse_port(doc: object, field: str) -> Port:
    doc = _mapping(doc, field, required=True)
    protocol = doc.get("protocol") or "TCP"
    if protocol not in PROTOCOLS:
        raise PolicyInvalid(field + ".protocol", 'Unsupported value: "%s": supported values: '
                            '"TCP", "UDP", "SCTP"' % protocol)
    port, end = doc.get("port"), doc.get("endPort")
    if port is None:
        if end is not None:
            raise PolicyInvalid(field + ".endPort", "Invalid value: %r: may not be specified "
                                "when `port` is not specified" % (end,))
        return Port(protocol)
    if isinstance(port, str) and not port.isdigit():
        if len(port) > 15 or not PORT_NAME.match(port) or not re.search("[a-z]", port) \
                or "--" in port:
            raise PolicyInvalid(field + ".port", "Invalid value: %r: must be a valid port "
                                "name (at most 15 lowercase alphanumeric characters or '-', "
                                "with at least one letter)" % port)
        if end is not None:
            raise PolicyInvalid(field + ".endPort", "Invalid value: %r: may not be specified "
                                "when `port` is non-numeric" % (end,))
        return Port(protocol, port)
    number = _port_number(int(port) if isinstance(port, str) else port, field + ".port")
    if end is not None:
        end = _port_number(end, field + ".endPort")
        if end < number:
            raise PolicyInvalid(field + ".endPort", "Invalid value: %d: must be greater than "
                                "or equal to `port`" % number)
    return Port(protocol, number, end)


def _rules(docs, field, peer_key):
    rules = []
    for i, doc in enumerate(_list(docs, field)):
        where = "%s[%d]" % (field, i)
        doc = _mapping(doc, where, required=True)
        ports = tuple(parse_port(p, "%s.ports[%d]" % (where, j))
                      for j, p in enumerate(_list(doc.get("ports"), where + ".ports")))
        peers = tuple(parse_peer(p, "%s.%s[%d]" % (where, peer_key, j))
                      for j, p in enumerate(_list(doc.get(peer_key), where + "." + peer_key)))
        rules.append(Rule(peers, ports))
    return tuple(rules)


def policy_types(spec: dict) -> tuple[str, ...]:
    """policyTypes, or Kubernetes' default: Ingress, and Egress if it has egress rules."""
    given = spec.get("policyTypes")
    if given:
        return tuple(given)
    return ("Ingress",) + (("Egress",) if spec.get("egress") else ())


def parse_policy(obj: dict) -> Policy:
    """A NetworkPolicy object (a dict, as the API holds it) -> Policy."""
    metadata = _mapping(obj.get("metadata"), "metadata", required=True)
    spec = _mapping(obj.get("spec"), "spec", required=True)
    pods = parse_selector(spec.get("podSelector"), "spec.podSelector")
    types = _list(spec.get("policyTypes"), "spec.policyTypes")
    if len(types) > 2:
        raise PolicyInvalid("spec.policyTypes", "Invalid value: may not specify more than "
                            "two policyTypes")
    for i, kind in enumerate(types):
        if kind not in TYPES:
            raise PolicyInvalid("spec.policyTypes[%d]" % i, 'Unsupported value: "%s": '
                                'supported values: "Ingress", "Egress"' % (kind,))
    ingress = _rules(spec.get("ingress"), "spec.ingress", "from")
    egress = _rules(spec.get("egress"), "spec.egress", "to")
    return Policy(metadata.get("namespace") or "default", metadata.get("name") or "", pods,
                  policy_types(spec), ingress, egress)
