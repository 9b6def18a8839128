"""The cluster as the policy controller sees it through the API (pure): pods with
their addresses, nodes, labels and named ports; namespaces with their labels;
NetworkPolicies; and from them every node's table."""
from __future__ import annotations

from typing import Iterable

from topo.policy import nft
from topo.policy.clauses import (Clause, Namespaces, PodInfo, egress_clauses, ingress_clauses,
                                 isolated_by, isolating, namespace_labels, verdict)
from topo.policy.spec import Policy, parse_policy

Clauses = dict[str, list[Clause] | None]   # {pod ip: its clauses, None: not isolated}


def pod_info(obj: dict) -> PodInfo | None:
    """A Pod object -> PodInfo, or None while it has no address."""
    ip = (obj.get("status") or {}).get("podIP")
    node = (obj.get("spec") or {}).get("nodeName")
    if not ip or not node:
        return None
    metadata = obj["metadata"]
    ports = tuple((port.get("name"), port.get("protocol", "TCP"), port["containerPort"])
                  for container in obj["spec"].get("containers", [])
                  for port in container.get("ports") or [])
    return PodInfo(metadata.get("namespace", "default"), metadata["name"], ip, node,
                   tuple(sorted((metadata.get("labels") or {}).items())), ports)


def cluster_view(pod_objs: Iterable[dict], namespace_objs: Iterable[dict],
                 policy_objs: Iterable[dict]
                 ) -> tuple[list[PodInfo], Namespaces, list[Policy]]:
    """(pods, {namespace: labels}, policies) from API objects."""
    pods = sorted((p for p in map(pod_info, pod_objs) if p is not None), key=lambda p: p.ref)
    namespaces = {o["metadata"]["name"]: namespace_labels(o["metadata"]["name"],
                                                          o["metadata"].get("labels"))
                  for o in namespace_objs}
    for pod in pods:
        namespaces.setdefault(pod.namespace, namespace_labels(pod.namespace, {}))
    policies = sorted((parse_policy(o) for o in policy_objs), key=lambda p: p.ref)
    return pods, namespaces, policies


def with_starting(pods: list[PodInfo], starting: Iterable[PodInfo]) -> list[PodInfo]:
    """The pods the store shows, and the ones starting now that it does not show yet
    (a starting pod's address is its own: a pod the store still shows with it has left)."""
    starting = list(starting)
    taken = {p.ip for p in starting} | {p.ref for p in starting}
    kept = [p for p in pods if p.ip not in taken and p.ref not in taken]
    return sorted(kept + starting, key=lambda p: p.ref)


def all_clauses(pods: list[PodInfo], namespaces: Namespaces,
                policies: list[Policy]) -> tuple[Clauses, Clauses]:
    """({pod ip: ingress clauses or None}, {pod ip: egress clauses or None})."""
    ingress = {p.ip: ingress_clauses(p, policies, pods, namespaces) for p in pods}
    egress = {p.ip: egress_clauses(p, policies, pods, namespaces) for p in pods}
    return ingress, egress


def isolators(pods: list[PodInfo], policies: list[Policy]) -> dict[tuple[str, str], list[str]]:
    """{("ingress" or "egress", pod ip): the names of the policies isolating it}."""
    return {(direction.lower(), pod.ip): [p.name for p in isolating(policies, pod, direction)]
            for pod in pods for direction in ("Ingress", "Egress")}


def node_tables(nodes: Iterable[object], in_cluster: Iterable[str], hairpin_ip: str,
                pods: list[PodInfo], namespaces: Namespaces,
                policies: list[Policy]) -> dict[str, str]:
    """{node name: its nftables policy table}."""
    ingress, egress = all_clauses(pods, namespaces, policies)
    isolating_names = isolators(pods, policies)
    return {node.name: nft.node_table(node, in_cluster, hairpin_ip, pods, ingress, egress,
                                      isolating_names)
            for node in nodes}


def judge(pods: list[PodInfo], namespaces: Namespaces, policies: list[Policy], src_ip: str,
          dst_ip: str, protocol: str, port: int | None) -> tuple[bool, str, str | None]:
    """(allowed, why, node) for one new connection from src_ip to dst_ip (after any
    Service DNAT): the source pod's egress, then the destination pod's ingress; node
    is where it is judged (nft.py): the destination pod's, else the source's."""
    by_ip = {p.ip: p for p in pods}
    source, target = by_ip.get(src_ip), by_ip.get(dst_ip)
    node = (target or source).node if (target or source) else None
    what = "%s/%s" % (protocol, port) if port else protocol
    reasons = []
    for direction, pod, other in (("egress", source, dst_ip), ("ingress", target, src_ip)):
        clauses = pod and (egress_clauses if direction == "egress" else ingress_clauses)(
            pod, policies, pods, namespaces)
        if clauses is None:
            continue
        allowed, policy = verdict(clauses, other, protocol.upper(), port)
        if not allowed:
            return False, "no policy allows %s %s %s %s %s %s (isolated by %s)" % (
                direction, "from" if direction == "egress" else "to", pod.ref,
                "to" if direction == "egress" else "from", other, what,
                isolated_by(policies, pod, direction.capitalize())), node
        reasons.append("%s of %s allowed by %s" % (direction, pod.ref, policy))
    return True, "; ".join(reasons) or "no policy isolates either end", node
