"""What NetworkPolicies allow, as Kubernetes defines it (pure): a pod is isolated
for a direction once a policy selecting it has that type; then it may exchange
traffic only as the union of those policies' rules allows, each rule a Clause (its
peers and ports resolved against the pods and namespaces of now). The same clauses
become nftables rules (nft.py) and answer for one connection (allows())."""
from __future__ import annotations

from dataclasses import dataclass, replace

from topo.policy.spec import IPBlock, Peer, Policy

# {namespace: its labels}
Namespaces = dict[str, dict[str, str]]

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


@dataclass(frozen=True)
class PodInfo:
    namespace: str
    name: str
    ip: str
    node: str
    labels: tuple      # sorted (key, value) pairs
    ports: tuple       # (name, protocol, number) of its containers' ports

    @property
    def ref(self) -> str:
        return "%s/%s" % (self.namespace, self.name)

    def port_named(self, name: str, protocol: str) -> int | None:
        return next((number for port_name, proto, number in self.ports
                     if port_name == name and proto == protocol), None)


@dataclass(frozen=True)
class Clause:
    """One rule of a policy, resolved: traffic to or from any of peers (None: any
    address; otherwise pod addresses and IPBlocks), on any of ports (None: any
    protocol and port; otherwise (protocol, first, last))."""
    policy: str
    peers: object
    ports: object

    def allows(self, address: str, protocol: str, port: int | None) -> bool:
        if self.peers is not None and not any(
                peer.contains(address) if isinstance(peer, IPBlock) else peer == address
                for peer in self.peers):
            return False
        return self.ports is None or any(
            proto == protocol and first <= (port or 0) <= last
            for proto, first, last in self.ports)


def selects(policy: Policy, pod: PodInfo) -> bool:
    return policy.namespace == pod.namespace and policy.pods.matches(dict(pod.labels))


def isolating(policies: list[Policy], pod: PodInfo, direction: str) -> list[Policy]:
    """The policies that isolate pod for direction ("Ingress" or "Egress")."""
    return [p for p in policies if direction in p.types and selects(p, pod)]


def isolated_by(policies: list[Policy], pod: PodInfo, direction: str) -> str:
    """Their names, as `trace` and `policy` print them: "x/deny, x/allow-dns"."""
    return ", ".join(p.ref for p in isolating(policies, pod, direction))


def peer_pods(peer: Peer, policy: Policy, pods: list[PodInfo],
              namespaces: Namespaces) -> list[PodInfo]:
    """The pods a podSelector / namespaceSelector peer stands for."""
    found = []
    for pod in pods:
        if peer.namespaces is None:
            if pod.namespace != policy.namespace:
                continue
        elif not peer.namespaces.matches(namespaces.get(pod.namespace, {})):
            continue
        if peer.pods is None or peer.pods.matches(dict(pod.labels)):
            found.append(pod)
    return found


def _ports(rule, target):
    """A rule's ports for target (the pod whose named ports they may name), or None
    for every port. A name the target lacks matches nothing."""
    if not rule.ports:
        return None
    resolved = []
    for port in rule.ports:
        if port.port is None:
            resolved.append((port.protocol, 1, 65535))
        elif isinstance(port.port, int):
            resolved.append((port.protocol, port.port, port.end_port or port.port))
        elif target is not None:
            number = target.port_named(port.port, port.protocol)
            if number is not None:
                resolved.append((port.protocol, number, number))
    return tuple(resolved)


def _named(rule):
    return any(isinstance(p.port, str) for p in rule.ports)


def ingress_clauses(pod: PodInfo, policies: list[Policy], pods: list[PodInfo],
                    namespaces: Namespaces) -> list[Clause] | None:
    """Clauses allowing traffic into pod, or None when it is not isolated for
    ingress. Named ports are pod's own."""
    found = isolating(policies, pod, "Ingress")
    if not found:
        return None
    clauses = []
    for policy in found:
        for rule in policy.ingress:
            clauses.append(Clause(policy.ref, _peers(rule, policy, pods, namespaces),
                                  _ports(rule, pod)))
    return clauses


def egress_clauses(pod: PodInfo, policies: list[Policy], pods: list[PodInfo],
                   namespaces: Namespaces) -> list[Clause] | None:
    """Clauses allowing traffic out of pod, or None when it is not isolated for
    egress. A named port is the destination pod's: such a rule becomes a clause per
    destination pod (an ipBlock destination has no named ports)."""
    found = isolating(policies, pod, "Egress")
    if not found:
        return None
    clauses = []
    for policy in found:
        for rule in policy.egress:
            peers = _peers(rule, policy, pods, namespaces)
            if not _named(rule):
                clauses.append(Clause(policy.ref, peers, _ports(rule, None)))
                continue
            targets = pods if peers is None else [p for p in pods if p.ip in peers]
            for target in targets:
                clauses.append(Clause(policy.ref, (target.ip,), _ports(rule, target)))
            numbered = tuple(p for p in rule.ports if not isinstance(p.port, str))
            if numbered:
                clauses.append(Clause(policy.ref, peers,
                                      _ports(replace(rule, ports=numbered), None)))
    return clauses


def _peers(rule, policy, pods, namespaces):
    if not rule.peers:
        return None
    peers = []
    for peer in rule.peers:
        if peer.ip_block is not None:
            peers.append(peer.ip_block)
        else:
            peers.extend(p.ip for p in peer_pods(peer, policy, pods, namespaces))
    return tuple(dict.fromkeys(peers))


def namespace_labels(name: str, labels: dict[str, str] | None) -> dict[str, str]:
    """A namespace's labels as selectors see them: its own, and its name."""
    return dict(labels or {}, **{NAMESPACE_NAME_LABEL: name})


def verdict(clauses: list[Clause] | None, address: str, protocol: str,
            port: int | None) -> tuple[bool, str | None]:
    """(allowed, the policy that allows it or None) for one direction of a pod."""
    if clauses is None:
        return True, None
    for clause in clauses:
        if clause.allows(address, protocol, port):
            return True, clause.policy
    return False, None
