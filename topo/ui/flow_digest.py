"""The flow log as the browser view shows it (pure): each new connection or refused
packet counted once (a connection across nodes is seen at both, a dropped SYN is
sent again), gathered into edges between what the map draws (a pod, a Service, a
node, the internet) with a count a period, so that thousands of flows a second stay
a few dozen lines; and the latest records, for the list beside the map."""
import collections

NEW = ("BEGAN", "DROPPED", "REJECTED")
SAME_SECONDS = 5.0     # a record of a connection seen this recently is the same one
RECENT = 50            # records the list keeps
EDGES = 300            # edges a period at most: the busiest, the rest counted


def _end_name(end):
    return end.get("name") or end["ip"]


def _connection(record):
    source, destination = record["source"], record["destination"]
    return (record["protocol"], source["ip"], source["port"], destination["ip"],
            destination["port"], record["verdict"])


def _edge(record):
    """(from, to, verdict, service): a connection through a Service is drawn from the
    Service to its endpoint (the client's node drew the client to the Service)."""
    if "service" in record:
        start = "svc:" + record["service"]
    else:
        start = _end_name(record.get("client") or record["source"])
    return (start, _end_name(record["destination"]), record["verdict"],
            record.get("service", ""))


class FlowDigest:
    def __init__(self):
        self.seen = {}        # connection -> when it was last seen
        self.edges = collections.Counter()
        self.reasons = {}     # edge -> the latest reason (a drop's, a reject's)
        self.recent = collections.deque(maxlen=RECENT)
        self.fresh = False
        self.pruned = 0.0

    def add(self, records):
        for record in records:
            if record["event"] not in NEW:
                continue
            key = _connection(record)
            last = self.seen.get(key)
            self.seen[key] = record["time"]
            if last is not None and record["time"] - last < SAME_SECONDS:
                continue
            edge = _edge(record)
            self.edges[edge] += 1
            if "reason" in record:
                self.reasons[edge] = record["reason"], record.get("policies", [])
            self.recent.append(record)
            self.fresh = True

    def take(self, now):
        """The period's edges (the busiest EDGES; how many more) and the latest
        records; the period starts again. Connections older than SAME_SECONDS are
        let go of."""
        busiest = self.edges.most_common(EDGES)
        edges = []
        for (start, end, verdict, service), count in busiest:
            edge = {"from": start, "to": end, "verdict": verdict, "count": count}
            if service:
                edge["service"] = service
            reason = self.reasons.get((start, end, verdict, service))
            if reason:
                edge["reason"], edge["policies"] = reason
            edges.append(edge)
        digest = {"edges": edges, "more": len(self.edges) - len(busiest),
                  "recent": list(self.recent)}
        self.edges.clear()
        self.reasons.clear()
        self.fresh = False
        if now - self.pruned >= SAME_SECONDS:   # once a period of its own: stays linear
            self.pruned = now
            self.seen = {k: t for k, t in self.seen.items() if now - t < SAME_SECONDS}
        return digest
