"""A Service's OpenFlow groups and flows in readable form, with the live packet
counts of each switch: what `flows SERVICE` prints in the CLI."""
import ipaddress
import re
import subprocess

from controllers import tables as t
from controllers.flows import cookie_of
from controllers.pipeline import service_port_ids, switch_configs
from controllers.state import parse_state

TABLE_NAMES = {t.CLASSIFY: "CLASSIFY", t.UNSNAT: "UNSNAT", t.CONNTRACK: "CONNTRACK",
               t.SERVICE: "SERVICE", t.DNAT: "DNAT", t.AFFINITY: "AFFINITY",
               t.CLOSING_SERVICE: "CLOSING_SERVICE", t.SNAT: "SNAT",
               t.CLOSING_SNAT: "CLOSING_SNAT", t.ROUTE: "ROUTE"}
TCP_BITS = [(0x01, "fin"), (0x02, "syn"), (0x04, "rst"), (0x08, "psh"), (0x10, "ack")]
CT_BITS = [(t.CT_NEW, "new"), (t.CT_EST, "est"), (t.CT_REL, "rel"), (t.CT_RPL, "rpl"),
           (t.CT_INV, "inv"), (t.CT_TRK, "trk")]
REGISTER_NAMES = {t.REG_ENDPOINT_IP: "endpoint_ip", t.REG_ENDPOINT_PORT: "endpoint_port",
                  t.REG_SERVICE_PORT: "service_port", t.REG_MASQUERADE: "masquerade",
                  t.REG_VARIANT: "variant", t.REG_ENTRY_NODE: "entry_node"}


def _value(field, value):
    if field in ("ct_state", "tcp_flags"):
        bits, mask = value
        names = CT_BITS if field == "ct_state" else TCP_BITS
        return "".join(("+" if bits & bit else "-") + name for bit, name in names
                       if mask & bit)
    if field == "ct_mark":
        return "%#x/%#x" % value
    if field in (t.REG_ENDPOINT_IP, t.REG_ENTRY_NODE) and isinstance(value, int) and value:
        return str(ipaddress.IPv4Address(value))
    return str(value)


def describe_match(match):
    return " ".join("%s=%s" % (REGISTER_NAMES.get(k, k), _value(k, v)) for k, v in match
                    if k != "eth_type") or "(any)"


def describe_action(action):
    kind = action[0]
    if kind == "set_field":
        return "%s:=%s" % (REGISTER_NAMES.get(action[1], action[1]),
                           _value(action[1], action[2]))
    if kind == "ct":
        ct = action[1]
        parts = ["commit"] if ct.commit else []
        parts.append("zone=%d" % ct.zone)
        if ct.nat and ct.nat[0] != "plain":
            parts.append("nat(%s=%s)" % (ct.nat[0], ":".join(str(x) for x in ct.nat[1:])))
        elif ct.nat:
            parts.append("nat")
        if ct.mark:
            parts.append("mark=%#x" % ct.mark[0])
        if ct.table is not None:
            parts.append("then %s" % TABLE_NAMES.get(ct.table, ct.table))
        return "ct(%s)" % ",".join(parts)
    if kind == "learn":
        return "learn(affinity for %ds)" % action[1].hard_timeout
    if kind in ("goto", "resubmit"):
        return "%s %s" % (kind, TABLE_NAMES.get(action[1], action[1]))
    if kind == "output" and action[1] == "CONTROLLER":
        return "controller (reject)"
    if kind == "controller":
        return "copy to the closing channel"
    return " ".join(str(a) for a in action)


def describe_flow(rule):
    """One line: the table, what the rule matches, what it does."""
    return "%-9s %s -> %s" % (TABLE_NAMES.get(rule.table, rule.table),
                              describe_match(rule.match),
                              ", ".join(describe_action(a) for a in rule.actions))


def live_packet_counts(bridge):
    """{cookie: n_packets} as the switch reports them now."""
    dump = subprocess.run(["ovs-ofctl", "-O", "OpenFlow13", "dump-flows", bridge],
                          capture_output=True, text=True).stdout
    counts = {}
    for line in dump.splitlines():
        found = re.search(r"cookie=(0x[0-9a-f]+).*?n_packets=(\d+)", line)
        if found:
            counts[int(found.group(1), 16)] = int(found.group(2))
    return counts


def desired_configs(cluster):
    """(the desired state as the controller reads it, {dpid: SwitchConfig} computed
    from it): what the switches hold, to name what they report."""
    state = parse_state(cluster.desired_state())
    return state, switch_configs(state)


def service_flows(cluster, key):
    """The text `flows NAME` (or `flows NAMESPACE/NAME`) prints."""
    metadata = cluster.service(key)["metadata"]
    state, configs = desired_configs(cluster)
    service = next(s for s in state.services
                   if s.name == "%s/%s" % (metadata["namespace"], metadata["name"]))
    ids = service_port_ids(state.services)
    port_ids = {ids[(service.name, p.protocol, p.port)] for p in service.ports}
    endpoints = {(int(ipaddress.IPv4Address(e.ip)), e.port)
                 for p in service.ports for e in p.endpoints}
    lines = []
    for switch, dpid in cluster.fabric.switches:
        config = configs[dpid]
        mine = [f for f in config.flows if _belongs(f, port_ids, endpoints,
                                                    _frontend_ips(state, service))]
        groups = {a[1] for f in mine for a in f.actions if a[0] == "group"}
        counts = live_packet_counts(switch)
        lines.append("%s (dpid %#x)" % (switch, dpid))
        for f in sorted(mine, key=lambda f: (f.table, -f.priority, f.match)):
            lines.append("  %-9s prio %-3d %s\n      -> %s   [%d packets]" % (
                TABLE_NAMES[f.table], f.priority, describe_match(f.match),
                ", ".join(describe_action(a) for a in f.actions),
                counts.get(cookie_of(f), 0)))
        for group_id in sorted(groups):
            lines.append("  group %d (select): %s" % (group_id, " | ".join(
                "%s:%d" % (ipaddress.IPv4Address(b[0][2]), b[1][2])
                for b in config.groups[group_id].buckets)))
    return "\n".join(lines)


def _belongs(f, port_ids, endpoints, frontend_ips):
    """A flow of the Service's: its frontends, or DNAT to one of its endpoints (DNAT
    flows are shared with other Services of the same endpoints)."""
    match = dict(f.match)
    if match.get(t.REG_SERVICE_PORT) in port_ids:
        return True
    if f.table == t.SERVICE and f.priority == 200 and match.get("ipv4_dst") in frontend_ips:
        return True
    return f.table == t.DNAT and t.REG_SERVICE_PORT not in match and \
        (match.get(t.REG_ENDPOINT_IP), match.get(t.REG_ENDPOINT_PORT)) in endpoints


def _frontend_ips(state, service):
    ips = {service.cluster_ip} | set(service.external_ips)
    if any(p.node_port for p in service.ports):
        ips |= {n.ip for n in state.nodes}
    return ips
