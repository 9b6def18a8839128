"""`policy POD`: what NetworkPolicy does to a pod, as kubemn compiled it: which
policies isolate it in each direction, every clause that allows traffic (peers,
ports, the policy it comes from), and the chains its node holds for it, with the
packets each rule has matched."""
from topo.errors import KubemnError
from topo.policy import nft
from topo.policy.spec import IPBlock
from topo.policy.clauses import egress_clauses, ingress_clauses, isolated_by


def _peers(peers):
    if peers is None:
        return "anywhere"
    if not peers:
        return "nothing (no pod matches)"
    return ", ".join(("%s except %s" % (p.cidr, ", ".join(p.excepts)) if p.excepts
                      else p.cidr) if isinstance(p, IPBlock) else p for p in peers)


def _ports(ports):
    if ports is None:
        return "any port"
    if not ports:
        return "no port (a named port the pod lacks)"
    return ", ".join("%s/%s" % (proto, first if first == last else "%d-%d" % (first, last))
                     for proto, first, last in ports)


def describe(pod, pods, namespaces, policies):
    """The pure half: the readable rules of pod."""
    lines = ["pod %s (%s on %s)" % (pod.ref, pod.ip, pod.node)]
    for direction, clauses, word in (
            ("ingress", ingress_clauses(pod, policies, pods, namespaces), "from"),
            ("egress", egress_clauses(pod, policies, pods, namespaces), "to")):
        if clauses is None:
            lines.append("%s: not isolated: everything allowed" % direction)
            continue
        lines.append("%s: isolated by %s" % (direction, isolated_by(
            policies, pod, direction.capitalize())))
        for clause in clauses:
            lines.append("  allow %s %s on %s   (%s)" % (word, _peers(clause.peers),
                                                         _ports(clause.ports), clause.policy))
        lines.append("  everything else: dropped" if clauses else
                     "  no rule: everything dropped")
    return lines


def pod_policy(cluster, ref):
    """The text `policy POD` prints: the rules, then the node's chains as loaded."""
    if cluster.api is None:
        raise KubemnError("the API is not running")
    pods, namespaces, policies = cluster.policy_enforcer.view(cluster.api.store)
    wanted = cluster.pod(ref)
    pod = next((p for p in pods if p.ip == wanted.ip), None)
    if pod is None:
        raise KubemnError("pod %s has no address yet" % ref)
    lines = describe(pod, pods, namespaces, policies)
    for direction in ("ingress", "egress"):
        chain = nft.chain_name(direction, pod)
        listed = cluster.node_exec(pod.node, "nft list chain inet %s %s 2>/dev/null"
                                   % (nft.TABLE, chain)).stdout
        if listed.strip():
            lines.append("%s's nftables chain %s:" % (pod.node, chain))
            lines += ["  " + line.strip() for line in listed.splitlines()
                      if line.strip() and not line.strip().startswith(("table", "chain", "}"))]
    return "\n".join(lines)
