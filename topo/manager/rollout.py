"""How far one step of a Deployment's rolling update goes (pure), in the deployment
controller's own terms: the ReplicaSets' wanted sizes (spec.replicas) and their
available pods (status.availableReplicas). Called again on each change of the
ReplicaSets' status, the steps finish the rollout."""


def resolve_limit(value, replicas, round_up):
    """maxSurge / maxUnavailable as a number of pods: a count, or a percentage of
    replicas (surge rounded up, unavailability down, as Kubernetes rounds them)."""
    if isinstance(value, str):
        share = replicas * int(value.rstrip("%"))
        return -(-share // 100) if round_up else share // 100
    return value


def limits(deployment):
    """(maxSurge, maxUnavailable) as counts; both zero is one unavailable."""
    replicas = deployment["spec"]["replicas"]
    rolling = deployment["spec"]["strategy"].get("rollingUpdate") or {}
    surge = resolve_limit(rolling.get("maxSurge", "25%"), replicas, True)
    unavailable = resolve_limit(rolling.get("maxUnavailable", "25%"), replicas, False)
    return surge, (1 if surge == 0 and unavailable == 0 else unavailable)


def wanted(replica_set):
    return replica_set["spec"]["replicas"]


def available(replica_set):
    return (replica_set.get("status") or {}).get("availableReplicas", 0)


def new_size(replicas, surge, new, all_sets):
    """The new ReplicaSet's size: up to replicas, and no more pods wanted in all than
    replicas + maxSurge."""
    room = replicas + surge - sum(wanted(r) for r in all_sets)
    if room <= 0 and wanted(new) <= replicas:
        return wanted(new)
    return wanted(new) + min(room, replicas - wanted(new))


def old_sizes(replicas, unavailable, new, old):
    """{old ReplicaSet's name: its smaller size}: the old sets' unavailable pods go
    first, then available ones (the oldest set first) while at least replicas -
    maxUnavailable pods stay available, counting the new set's pods not yet
    available as missing."""
    sizes = {r["metadata"]["name"]: wanted(r) for r in old}
    if not any(sizes.values()):
        return {}
    least = replicas - unavailable
    new_unavailable = wanted(new) - available(new)
    budget = sum(sizes.values()) + wanted(new) - least - new_unavailable
    for replica_set in old:   # oldest first
        name = replica_set["metadata"]["name"]
        unhealthy = sizes[name] - available(replica_set)
        if budget <= 0:
            break
        if unhealthy > 0:
            cut = min(budget, unhealthy)
            sizes[name] -= cut
            budget -= cut
    spare = sum(available(r) for r in old) + available(new) - least
    for replica_set in old:
        name = replica_set["metadata"]["name"]
        if spare <= 0:
            break
        cut = min(sizes[name], spare)   # its unavailable pods go first
        sizes[name] -= cut
        spare -= cut
    return {name: size for name, size in sizes.items()
            if size != wanted(next(r for r in old if r["metadata"]["name"] == name))}
