"""What each component a traced packet crossed did to it (pure), in the words of
Antrea's Traceflow: a capture point sent, received, bridged, forwarded or delivered
it; a node routed it; each OpenFlow table of a switch classified, tracked,
load-balanced, translated, routed, forwarded it...; a node's policy table or the fabric dropped
it (from the flow log: what the datapath itself logged)."""
from controllers import tables as t
from topo.inspect.flowview import TABLE_NAMES, describe_action, describe_match


def hop_verb(point, first):
    """What happened at a capture point (tracepath.Point): the first is where it was
    sent; a pod's own eth0 after it, where it was delivered."""
    if first:
        return "sent"
    if point.iface == "cbr0":
        return "bridged"
    if point.iface != "eth0":   # a pod's veth, on its node's side
        return "received" if point.side == "source" else "forwarded"
    if point.role == "pod":
        return "delivered"
    return "forwarded" if point.side == "source" else "received"


def rule_verb(rule):
    """What an OpenFlow rule (controllers/flows.Flow) did to the packet."""
    kinds = {action[0] for action in rule.actions}
    cts = [action[1] for action in rule.actions if action[0] == "ct"]
    if ("output", "CONTROLLER") in rule.actions or "controller" in kinds:
        return "sent up"   # to the controller: it answers, rejects or drops
    if rule.table == t.SERVICE and "group" in kinds:
        return "load-balanced"
    if rule.table == t.AFFINITY:
        return "pinned"
    if any(ct.nat and ct.nat[0] == "dst" for ct in cts):
        return "translated"
    if any(ct.commit and ct.nat and ct.nat[0] == "src" and len(ct.nat) > 1 for ct in cts):
        return "source-NATed"
    if any(ct.commit for ct in cts):
        return "committed"
    if cts:
        return "tracked"
    if "dec_ttl" in kinds:
        return "routed"
    if "output" in kinds:
        return "forwarded"   # switched by its MAC, out of a port
    if not rule.actions:
        return "dropped"
    return "classified" if rule.table == t.CLASSIFY else "passed"


def rule_line(rule):
    """One line: the table, what it did, what the rule matches, what it does."""
    return "%-9s %-13s %s -> %s" % (TABLE_NAMES.get(rule.table, rule.table), rule_verb(rule),
                                    describe_match(rule.match),
                                    ", ".join(describe_action(a) for a in rule.actions))


def drop_line(record):
    """The hop of a packet the datapath dropped and logged (a flow log record)."""
    if record.get("policies"):
        return ("%s policy table" % record["node"], "dropped",
                "chain %s: %s" % (record.get("chain", "?"), record["reason"]))
    return ("%s controller" % record["node"], "dropped", record["reason"])
