"""A trace as the browser view draws it on the map (pure): the places the packet
crossed, in order, named as the map names them (a pod as namespace/name, a node as
node:NAME, the internet), the Service it was sent to between its client's node and
its endpoint's, and how it ended."""
from topo.plan.model import DEFAULT_NAMESPACE


def _place(point):
    if point.role == "internet":
        return "internet"
    name = point.label.rsplit(" ", 1)[0]
    if point.role == "pod":
        return name if "/" in name else "%s/%s" % (DEFAULT_NAMESPACE, name)
    return "node:" + name


def trace_path(observed, service=None):
    """{"path": [places], "verdict": "answered" | "DROPPED" | "REJECTED"}; service: the
    map's name of the Service the packet was sent to (svc:namespace/name), if any."""
    path = []
    for point, _ in observed.forward:
        if point.side == "destination" and service and service not in path:
            path.append(service)
        place = _place(point)
        if not path or path[-1] != place:
            path.append(place)
    if observed.reply is None:
        verdict = "DROPPED"
    elif observed.reply.get("flags", "").startswith("R") or observed.reply.get(
            "icmp_type") == 3:
        verdict = "REJECTED"
    else:
        verdict = "answered"
    return {"path": path, "verdict": verdict}
