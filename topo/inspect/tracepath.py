"""`trace SRC DST[:PORT] [--proto tcp|udp|icmp]`: one real packet from a pod (or the
internet host), captured at every point it can cross, in order: the pod's eth0, the
node-side veth, cbr0, the node's routing decision, the node's eth0, the fabric switch
(with the OpenFlow tables and rules that matched, from Open vSwitch's own tracing),
the NAT rewrite of a Service, the other node, the destination pod, and the reply
with its un-NAT. It says where the packet was last seen when it was dropped, and
why when the fabric says so."""
import ipaddress
import json
import random
import re
import subprocess
import sys
import time
from dataclasses import dataclass

from controllers import tables as t
from controllers.flows import cookie_of
from topo.errors import KubemnError
from topo.inspect.flowview import desired_configs
from topo.inspect.trace_words import drop_line, hop_verb, rule_line
from topo.policy.view import judge
from topo.runtime.network import INTERNET_HOST, switch_port
from topo.runtime.processes import enter_argv

CAPTURE = [sys.executable, "-m", "topo.runtime.capture"]
HOP = "%3d. %-28s %-10s %s"   # step, the component, what it did, the packet or the rule
CAPTURE_LIMIT_SECONDS = 30
REPLY_WAIT_SECONDS = 0.3


@dataclass
class Point:
    """A place where the packet can be captured."""
    label: str
    enter: list      # argv prefix that enters the namespace
    iface: str
    side: str        # "source" or "destination"
    role: str = "node"   # whose interface: a "pod"'s, a "node"'s, the "internet" host's


def parse_request(line):
    """'SRC DST[:PORT] [--proto P]' -> (src, dst, port or None, proto)."""
    words = line.split()
    proto = None
    if "--proto" in words:
        at = words.index("--proto")
        if at + 1 >= len(words):
            raise KubemnError("--proto needs tcp, udp or icmp")
        proto = words[at + 1]
        del words[at:at + 2]
    if len(words) != 2:
        raise KubemnError("usage: trace SRC DST[:PORT] [--proto tcp|udp|icmp]")
    src, dst = words
    port = None
    if ":" in dst:
        dst, port_text = dst.rsplit(":", 1)
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise KubemnError("port %r: expected 1-65535" % port_text)
        port = int(port_text)
    proto = proto or ("tcp" if port else "icmp")
    if proto not in ("tcp", "udp", "icmp"):
        raise KubemnError("--proto %r: expected tcp, udp or icmp" % proto)
    if proto != "icmp" and port is None:
        raise KubemnError("%s needs a port: trace SRC DST:PORT" % proto)
    return src, dst, port, proto


def resolve(cluster, src, dst):
    """(source description, destination IP, candidate destination pods)."""
    if src == INTERNET_HOST:
        source = None
    else:
        source = cluster.pod(src)
    pods = list(cluster.pods.values())
    for pod in pods:
        if dst in (pod.ref, pod.ip):
            return source, pod.ip, [pod]
    served = cluster.served_services()
    for service in served:
        ip, lb_ip = service.cluster_ip, service.lb_ip
        if dst in (service.ref, ip, lb_ip) and (ip or lb_ip):
            backends = {e.ip for e in service.endpoints}
            return source, (ip if dst == service.ref else dst), \
                [p for p in pods if p.ip in backends]
    for name, plan in cluster.node_plans.items():
        if dst in (name, plan.ip):
            nodeports = {e.ip for s in served for e in s.endpoints
                         if any(p.node_port for p in s.ports)}
            return source, plan.ip, [p for p in pods if p.ip in nodeports]
    raise KubemnError("%r is not a pod, Service or node of this cluster" % dst)


def observation_points(cluster, source, candidates):
    points = []
    if source is None:
        points.append(Point("internet eth0", enter_argv(cluster.net[INTERNET_HOST].pid), "eth0",
                            "source", "internet"))
    else:
        node, enter = source.node, cluster.node_enter(source.node.name)
        points += [Point("%s eth0" % source.ref, source.nsenter_argv(), "eth0", "source", "pod"),
                   Point("%s %s" % (node.name, source.veth), enter, source.veth, "source"),
                   Point("%s cbr0" % node.name, enter, "cbr0", "source"),
                   Point("%s eth0" % node.name, enter, "eth0", "source")]
    seen = {p.label for p in points}
    for pod in candidates:
        node, enter = pod.node, cluster.node_enter(pod.node.name)
        for point in (Point("%s eth0" % node.name, enter, "eth0", "destination"),
                      Point("%s cbr0" % node.name, enter, "cbr0", "destination"),
                      Point("%s %s" % (node.name, pod.veth), enter, pod.veth, "destination"),
                      Point("%s eth0" % pod.ref, pod.nsenter_argv(), "eth0", "destination",
                            "pod")):
            if point.label not in seen:
                seen.add(point.label)
                points.append(point)
    return points


def _start_captures(points, bpf):
    """Starts every capture at once, then waits until each one captures."""
    processes = [subprocess.Popen(point.enter + CAPTURE + [point.iface, bpf,
                                                           str(CAPTURE_LIMIT_SECONDS)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for point in points]
    for point, process in zip(points, processes):
        if process.stdout.readline().strip() != "READY":
            for other in processes:
                other.kill()
            raise KubemnError("cannot capture on %s: %s"
                              % (point.label, process.stderr.read()[:200]))
    return list(zip(points, processes))


def _flow_text(packet, proto):
    text = "%s:%s -> %s:%s" % (packet["src"], packet.get("sport", ""), packet["dst"],
                               packet.get("dport", ""))
    if proto == "icmp":
        text = "%s -> %s icmp type %s" % (packet["src"], packet["dst"], packet.get("icmp_type"))
    flags = " [%s]" % packet["flags"] if "flags" in packet else ""
    return "%s%s ttl %d" % (text, flags, packet["ttl"])


def _traced_rules(cluster, switch, flow, flows, *options):
    """Open vSwitch's own trace of flow through switch (on its server): (the kubemn
    rules it matched, in order, each found by its cookie among flows; its raw
    output)."""
    result = subprocess.run(cluster.switch_enter(switch) + ["ovs-appctl", "ofproto/trace",
                                                             switch, flow] + list(options),
                            capture_output=True, text=True)
    by_cookie = {cookie_of(f): f for f in flows}
    rules = [by_cookie[int(m.group(1), 16)] for m in re.finditer(
        r"cookie (0x[0-9a-f]+)", result.stdout) if int(m.group(1), 16) in by_cookie]
    return rules, result.stdout


def switch_rules(cluster, configs, switch, in_port, packet, proto, endpoint=None):
    """The rules the switch's pipeline matches for this packet, from ofproto/trace,
    described with kubemn's own names (each rule found by its cookie). Tracing stops
    where a select group hashes the packet; endpoint, (ip, port) that the captures
    saw the real packet go to, names the DNAT rule that the group's choice led to."""
    flow = "in_port=%d,%s,nw_src=%s,nw_dst=%s,nw_ttl=%d,dl_dst=%s" % (
        in_port, proto, packet["src"], packet["dst"], packet["ttl"],
        cluster.addresses.gateway_mac)
    if proto in ("tcp", "udp"):
        flow += ",tp_src=%d,tp_dst=%d" % (packet["sport"], packet["dport"])
    if proto == "tcp":
        flow += ",tcp_flags=syn"
    if proto == "icmp":
        flow += ",icmp_type=8"
    flows = configs[dict(cluster.fabric.switches)[switch]].flows
    rules, output = _traced_rules(cluster, switch, flow, flows, "--ct-next", "trk,new",
                                  "--ct-next", "trk,new", "--ct-next", "trk,new")
    chosen = dict((a[1], a[2]) for r in rules for a in r.actions if a[0] == "set_field")
    if endpoint and t.REG_SERVICE_PORT in chosen and not any(r.table == t.DNAT for r in rules):
        wanted = {t.REG_MASQUERADE: chosen.get(t.REG_MASQUERADE),
                  t.REG_ENDPOINT_IP: int(ipaddress.IPv4Address(endpoint[0])),
                  t.REG_ENDPOINT_PORT: endpoint[1]}
        dnat = [r for r in flows if r.table == t.DNAT and all(
            dict(r.match).get(k) == v for k, v in wanted.items()) and dict(r.match).get(
            t.REG_SERVICE_PORT, chosen[t.REG_SERVICE_PORT]) == chosen[t.REG_SERVICE_PORT]]
        rules += sorted(dnat, key=lambda r: -r.priority)[:1]
    lines = [rule_line(rule) for rule in rules]
    final = [line.strip() for line in output.splitlines()
             if line.startswith("Datapath actions")]
    return lines, final[-1] if final else ""


def switch_path(links, first, last):
    """The switches from first to last over the fabric's links (a tree)."""
    neighbours = {}
    for a, b in links:
        neighbours.setdefault(a, []).append(b)
        neighbours.setdefault(b, []).append(a)
    paths = [[first]]
    while paths:
        path = paths.pop(0)
        if path[-1] == last:
            return path
        paths += [path + [n] for n in neighbours.get(path[-1], []) if n not in path]
    return [first]


def onward_switches(cluster, configs, ingress, arrived, proto):
    """[(switch, rules)] for the fabric switches after the ingress one, traced with
    the packet as the destination node received it (routed, NATed)."""
    node = next((n for n, plan in cluster.node_plans.items()
                 if ipaddress.IPv4Address(arrived["dst"]) in ipaddress.IPv4Network(
                     plan.pod_cidr) or arrived["dst"] == plan.ip), None)
    if node is None:
        return []
    path = switch_path(cluster.fabric.links, ingress, cluster.attachments[node])
    found = []
    for previous, switch in zip(path, path[1:]):
        flow = "in_port=%d,%s,nw_src=%s,nw_dst=%s,dl_dst=%s" % (
            switch_port(cluster.net, switch, previous), proto, arrived["src"], arrived["dst"],
            cluster.node_plans[node].mac)
        rules, _ = _traced_rules(cluster, switch, flow,
                                 configs[dict(cluster.fabric.switches)[switch]].flows)
        found.append((switch, [rule_line(rule) for rule in rules]))
    return found


@dataclass
class Observed:
    """What one trace saw, collected by trace(), rendered by render() (pure)."""
    src: str
    target: str            # "ip:port", or the ip for ICMP
    proto: str
    origin: str            # the source address
    dst_ip: str
    forward: list          # [(Point, packet)] of the packet, in time order
    backward: list         # [(Point, packet)] of its answer
    reply: dict = None     # the answer the sender got, or None
    routing: tuple = None  # (label of the point after which, "node routing", text)
    switches: tuple = ()   # (label of the point after which, [(switch, rules, datapath)])
    ingress: str = ""      # the switch where the packet entered the fabric
    policy: str = ""       # NetworkPolicy's verdict, when no answer came
    logged_drop: dict = None   # the flow log's record of the packet's drop, if any


def trace(cluster, line):
    """The text `trace` prints."""
    return render(observe(cluster, line))


def observe(cluster, line):
    """Sends the packet and collects what every capture point, the node's routing and
    the switches' own traces say of it."""
    src, dst, port, proto = parse_request(line)
    configs = desired_configs(cluster)[1]
    flow_log = cluster.flow_log()   # listening before the packet goes: its drop is logged
    source, dst_ip, candidates = resolve(cluster, src, dst)
    sport = random.randint(33000, 60999)
    bpf = "icmp" if proto == "icmp" else "%s port %d" % (proto, sport)
    captures = _start_captures(observation_points(cluster, source, candidates), bpf)
    sender = source.nsenter_argv() if source else enter_argv(cluster.net[INTERNET_HOST].pid)
    answer = subprocess.run(sender + CAPTURE + ["send", proto, dst_ip, str(port or 0),
                                                str(sport)], capture_output=True, text=True)
    reply = json.loads(answer.stdout.strip().splitlines()[-1]) if answer.stdout.strip() else None
    time.sleep(REPLY_WAIT_SECONDS)
    seen = []
    for point, process in captures:
        out, _ = process.communicate(timeout=CAPTURE_LIMIT_SECONDS)
        seen += [(packet["time"], point, packet) for packet in first_of_each_direction(
            json.loads(out.strip().splitlines()[-1] or "[]"), proto, sport)]
    seen.sort(key=lambda item: item[0])
    forward = [(p, pkt) for _, p, pkt in seen if _is_forward(pkt, proto, sport)]
    observed = Observed(
        src, "%s:%d" % (dst_ip, port) if port else dst_ip, proto,
        source.ip if source else cluster.addresses.internet.ip, dst_ip, forward,
        [(p, pkt) for _, p, pkt in seen if not _is_forward(pkt, proto, sport)], reply,
        ingress=cluster.fabric.switches[0][0] if source is None else
        cluster.attachments[source.node.name])
    if source is not None and any(p.label == "%s cbr0" % source.node.name for p, _ in forward):
        route = cluster.node_exec(source.node.name, "ip route get %s from %s iif cbr0"
                                  % (dst_ip, source.ip)).stdout.split("\n")[0].strip()
        observed.routing = ("%s cbr0" % source.node.name, "%s routing" % source.node.name,
                            route)
    edge = "internet eth0" if source is None else "%s eth0" % source.node.name
    entering = [pkt for p, pkt in forward if p.label == edge and p.side == "source"]
    if entering:
        observed.switches = (edge, _fabric_rules(cluster, configs, source, observed.ingress,
                                                 entering[0], forward, proto))
    if reply is None:
        observed.policy = _policy_verdict(cluster, forward, proto, dst_ip, port, source)
        observed.logged_drop = _logged_drop(flow_log, observed.origin, sport, proto)
    return observed


def _logged_drop(flow_log, origin, sport, proto):
    """The flow log's record of the packet's drop (a node's policy table, the fabric's
    controller), or None."""
    flow_log.settle()
    records, _ = flow_log.since(0)
    return next((r for r in reversed(records) if r["verdict"] == "DROPPED" and
                 r["source"]["ip"] == origin and
                 (proto == "icmp" or r["source"]["port"] == sport)), None)


def first_of_each_direction(packets, proto, sport):
    """One packet and its answer: the first of each direction at a capture point, and
    of each rewriting of it (a hairpin passes its node's eth0 and cbr0 twice, the
    second time rewritten by the fabric). ICMP of other pings is left out."""
    kept, found = set(), []
    for packet in packets:
        if proto == "icmp" and packet.get("icmp_id") not in (sport, None):
            continue
        key = (_is_forward(packet, proto, sport), packet["src"], packet["dst"])
        if key not in kept:
            kept.add(key)
            found.append(packet)
    return found


def _fabric_rules(cluster, configs, source, ingress, packet, forward, proto):
    """[(switch, rules, datapath actions)]: the ingress switch's pipeline for the
    packet as it entered, then the switches it crossed to the destination's node."""
    in_port = switch_port(cluster.net, ingress,
                          INTERNET_HOST if source is None else source.node.name)
    arrived = [pkt for p, pkt in forward if p.side == "destination"]
    endpoint = (arrived[0]["dst"], arrived[0].get("dport")) if arrived else None
    rules, datapath = switch_rules(cluster, configs, ingress, in_port, packet, proto, endpoint)
    found = [(ingress, rules, datapath)]
    if arrived:
        found += [(switch, onward, "") for switch, onward in
                  onward_switches(cluster, configs, ingress, arrived[0], proto)]
    return found


def render(observed):
    """The trace as text (pure): each point the packet crossed, the node's routing
    decision and the switches' rules where they came, the NAT, the answer, the verdict."""
    out = ["trace %s -> %s (%s): one packet from %s" % (observed.src, observed.target,
                                                          observed.proto, observed.origin)]
    step = 0
    inserts = {}
    if observed.routing:
        inserts[observed.routing[0]] = [(observed.routing[1], [("routed",
                                                               observed.routing[2])])]
    if observed.switches:
        inserts.setdefault(observed.switches[0], []).extend(
            ("%s" % switch, [("", "OpenFlow pipeline (ofproto/trace):")] +
             ["       %s" % rule for rule in rules] + (["       %s" % datapath]
                                                     if datapath else []))
            for switch, rules, datapath in observed.switches[1])
    for index, (point, packet) in enumerate(observed.forward):
        step += 1
        out.append(HOP % (step, point.label, hop_verb(point, index == 0),
                          _flow_text(packet, observed.proto)))
        for label, lines in inserts.pop(point.label, []) if point.side == "source" else []:
            step += 1
            out.append(HOP % ((step, label) + lines[0]))
            out += lines[1:]
    if observed.logged_drop:
        step += 1
        out.append(HOP % ((step,) + drop_line(observed.logged_drop)))
    rewritten = [pkt for point, pkt in observed.forward if point.side == "destination"]
    if rewritten and rewritten[0]["dst"] != observed.dst_ip:
        out.append("     NAT: %s -> %s:%s%s" % (observed.target, rewritten[0]["dst"],
                                                rewritten[0].get("dport", ""),
                                                ", source %s" % rewritten[0]["src"]
                                                if rewritten[0]["src"] != observed.origin
                                                else ""))
    if observed.backward:
        first, last = observed.backward[0], observed.backward[-1]
        out.append("     reply: %s at %s, arriving as %s at %s" % (
            _flow_text(first[1], observed.proto), first[0].label,
            _flow_text(last[1], observed.proto), last[0].label))
        if first[1]["src"] != last[1]["src"]:
            out.append("     un-NAT: %s -> %s" % (first[1]["src"], last[1]["src"]))
    out.append(_verdict(observed.forward, observed.reply, observed.proto, observed.dst_ip,
                        observed.ingress))
    if observed.reply is None:
        out.append(observed.policy)
    return "\n".join(out)


def _policy_verdict(cluster, forward, proto, dst_ip, port, source):
    """What NetworkPolicy says of the connection, as the pod's node judged it (after
    the Service's DNAT, when the packet got that far)."""
    arrived = [pkt for point, pkt in forward if point.side == "destination"]
    packet = arrived[-1] if arrived else (forward[-1][1] if forward else None)
    src = packet["src"] if packet else (source.ip if source else
                                        cluster.addresses.internet.ip)
    dst = packet["dst"] if packet else dst_ip
    dport = packet.get("dport", port) if packet else port
    pods, namespaces, policies = cluster.policy_enforcer.view(cluster.api.store)
    allowed, why, node = judge(pods, namespaces, policies, src, dst, proto.upper(), dport)
    if allowed:
        return "     NetworkPolicy: %s" % why
    return "     NetworkPolicy: DROPPED by %s's forward hook: %s" % (node, why)


def _is_forward(packet, proto, sport):
    if proto == "icmp":
        return packet.get("icmp_type") == 8
    return packet.get("sport") == sport


def _verdict(forward, reply, proto, dst_ip, switch):
    if reply is None:
        where = forward[-1][0].label if forward else "before its first hop"
        return "     DROPPED: no answer; last seen at %s" % where
    if reply.get("flags", "").startswith("R") or (proto != "tcp" and reply.get(
            "icmp_type") == 3):
        return ("     REJECTED at %s: %s has no ready endpoint, the controller answered "
                "with a %s" % (switch, dst_ip, "TCP reset" if proto == "tcp"
                               else "ICMP port unreachable"))
    return "     answered: %s" % _flow_text(reply, proto)
