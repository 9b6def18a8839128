"""The flow log's records (pure): a conntrack event a node saw, its addresses named as
the cluster names them (a pod as namespace/name, a Service as svc:namespace/name, a
node as node:name, the internet), when it was seen and where; the events worth a line
(a connection began, was answered or refused, was forgotten with its counts),
FORWARDED (verdicts.py has the packets dropped and rejected); the Service a
connection to an endpoint went through, the client behind the fabric's source NAT;
Hubble's filters over them; their compact line, table row and JSON forms."""
import json
import time



def names_of(pods, services, nodes, internet_ip, frontends=()):
    """{address: name}: pods ((ip, namespace, name)), Services ((an address of their
    own: cluster, load balancer or external IP; namespace, name)), nodes ((name,
    [addresses])), the internet host's address; and {(address, port, protocol): name}
    of the Services' frontends on addresses not their own (NodePorts: (ip, port,
    protocol, namespace, name))."""
    names = {internet_ip: "internet"}
    for name, addresses in nodes:
        names.update((address, "node:" + name) for address in addresses)
    names.update((ip, "svc:%s/%s" % (namespace, name)) for ip, namespace, name in services)
    names.update(((ip, port, protocol), "svc:%s/%s" % (namespace, name))
                 for ip, port, protocol, namespace, name in frontends)
    names.update((ip, "%s/%s" % (namespace, name)) for ip, namespace, name in pods)
    return names


def service_addresses(service_objs, node_ips):
    """(services, frontends) as names_of takes them, of Service objects: their
    cluster IPs, load balancer and external IPs; their NodePorts on every node's
    address."""
    services, frontends = [], []
    for obj in service_objs:
        spec, status = obj["spec"], obj.get("status") or {}
        namespace, name = obj["metadata"]["namespace"], obj["metadata"]["name"]
        own = [spec.get("clusterIP")] + list(spec.get("externalIPs") or []) + [
            ingress.get("ip") for ingress in (status.get("loadBalancer") or {}).get(
                "ingress") or []]
        services += [(ip, namespace, name) for ip in own if ip and ip != "None"]
        frontends += [(ip, port["nodePort"], port.get("protocol", "TCP"), namespace, name)
                      for port in spec.get("ports") or [] if port.get("nodePort")
                      for ip in node_ips]
    return services, frontends


def stage(event):
    """What the event says of its connection: "BEGAN", "ANSWERED" (its first reply:
    the only change the nodes' conntrack reports, node_datapath.CONNTRACK_EVENTS),
    "REFUSED" (a first reply that reset it), "ENDED" (forgotten, with its counts)."""
    if event.kind == "NEW":
        return "BEGAN"
    if event.kind == "DESTROY":
        return "ENDED"
    return "REFUSED" if event.tcp_state == "CLOSE" else "ANSWERED"


def record(event, node, names, now=None):
    """The flow log's record of a conntrack event seen at node."""
    what = stage(event)
    original, reply = event.original, event.reply
    entry = {
        "time": time.time() if now is None else now, "node": node, "event": what,
        "verdict": "FORWARDED", "protocol": event.protocol,
        "source": end_of(original.src, original.sport, names),
        "destination": end_of(original.dst, original.dport, names)}
    if event.translated:   # NAT changed it: the reply comes from (to) elsewhere
        entry["translated"] = {"destination": end_of(reply.src, reply.sport, names),
                               "source": end_of(reply.dst, reply.dport, names)}
    if event.tcp_state:
        entry["tcp_state"] = event.tcp_state
    if what == "ENDED":
        entry["packets"], entry["bytes"] = list(event.packets), list(event.bytes)
    return entry


def with_origin(entry, client, frontend, names):
    """The record of a connection the fabric translated twice (switch_conntrack):
    who opened it (client: (ip, port)) and the frontend it dialled, which names its
    Service."""
    protocol = entry["protocol"]
    entry["client"] = end_of(*client, names)
    entry["translated_from"] = end_of(*frontend, names)
    service = names.get((*frontend, protocol)) or names.get(frontend[0], "")
    if service.startswith("svc:"):
        entry["service"] = service[len("svc:"):]
    return entry


class ServiceMatcher:
    """Names the Service a connection went through. Open vSwitch translates a Service's
    address to an endpoint's between the nodes, where no conntrack event is sent: the
    client's node sees the client -> the Service, the endpoint's node (or the same
    node again, once the fabric sent it back) the client -> the endpoint, from the
    same address and port. The second is the first translated."""

    def __init__(self, seconds=10.0):
        self.seconds = seconds
        self.to_services = {}   # (protocol, client ip, port) -> (its destination, time)
        self.pruned = 0.0       # when those older than seconds were last let go of

    def follow(self, entry):
        """Remembers a connection to a Service; names the Service of one that began
        from where one to a Service did (adds "service" and "translated_from")."""
        if entry["event"] != "BEGAN":
            return entry
        source, destination = entry["source"], entry["destination"]
        key = (entry["protocol"], source["ip"], source["port"])
        if destination.get("name", "").startswith("svc:"):
            self.to_services[key] = (destination, entry["time"])
            self._forget(entry["time"])
            return entry
        earlier = self.to_services.get(key)
        if earlier is not None and entry["time"] - earlier[1] <= self.seconds:
            entry["service"] = earlier[0]["name"][len("svc:"):]
            entry["translated_from"] = earlier[0]
        return entry

    def _forget(self, now):
        if now - self.pruned >= self.seconds:   # once a period: a burst stays linear
            self.pruned = now
            self.to_services = {k: v for k, v in self.to_services.items()
                                if now - v[1] <= self.seconds}


def end_of(ip, port, names):
    end = {"ip": ip, "port": port}
    if ip in names:
        end["name"] = names[ip]
    return end


def _pod(end):
    """(namespace, name) of the pod at this end, or None."""
    name = end.get("name", "")
    return tuple(name.split("/")) if ":" not in name and "/" in name else None


def matches(entry, pod=None, namespace=None, protocol=None, port=None, node=None,
            verdict=None, ip=None):
    """Whether the record passes Hubble's filters: a pod (namespace/name, or a name
    in any namespace) or a namespace at either end, the protocol, a port at either
    end, the node that saw it, the verdict, an address at either end (or the client
    behind the fabric's source NAT)."""
    if verdict is not None and entry["verdict"] != verdict.upper():
        return False
    if ip is not None and ip not in (entry["source"]["ip"], entry["destination"]["ip"],
                                     entry.get("client", {}).get("ip")):
        return False
    pods = [p for p in (_pod(entry["source"]), _pod(entry["destination"])) if p]
    if pod is not None and not any("/".join(p) == pod or p[1] == pod for p in pods):
        return False
    if namespace is not None and not any(p[0] == namespace for p in pods):
        return False
    if protocol is not None and entry["protocol"].lower() != protocol.lower():
        return False
    if port is not None and port not in (entry["source"]["port"],
                                         entry["destination"]["port"]):
        return False
    return node is None or entry["node"] == node


def _shown(end):
    where = "%s:%d" % (end["ip"], end["port"]) if end["port"] else end["ip"]
    return "%s (%s)" % (end["name"], where) if "name" in end else where


def _when(entry):
    return time.strftime("%H:%M:%S", time.localtime(entry["time"])) + \
        ".%03d" % (entry["time"] % 1 * 1000)


def _where(entry):
    return entry["node"] + (" inside " + entry["inside"] if "inside" in entry else "")


def _details(entry):
    """What follows the ends: the translation, the TCP flags, the reason, the counts."""
    line = ""
    if "translated_from" in entry:
        line += " [%s%s%s]" % ("service %s: " % entry["service"] if "service" in entry else "",
                               _shown(entry["translated_from"]),
                               " from " + _shown(entry["client"]) if "client" in entry else "")
    translated = entry.get("translated")
    if translated:
        line += " [NAT: reply %s -> %s]" % (_shown(translated["destination"]),
                                            _shown(translated["source"]))
    if "tcp_flags" in entry:
        line += " " + ",".join(entry["tcp_flags"])
    if "reason" in entry:
        line += ": " + entry["reason"]
    if "packets" in entry:
        line += " packets %d/%d bytes %d/%d" % (*entry["packets"], *entry["bytes"])
    return line


def compact(entry):
    """One line: time, node, event, source -> destination, protocol, the translation,
    the counts."""
    return "%s %s %-8s %s -> %s %s%s" % (_when(entry), _where(entry), entry["event"],
                                        _shown(entry["source"]),
                                        _shown(entry["destination"]), entry["protocol"],
                                        _details(entry))


TABLE = "%-12s  %-6s  %-9s  %-9s  %-40s  %-40s  %s"
TABLE_HEADER = TABLE % ("TIME", "NODE", "EVENT", "VERDICT", "SOURCE", "DESTINATION",
                        "SUMMARY")


def table_row(entry):
    """Hubble's table form: a line of columns under TABLE_HEADER."""
    return TABLE % (_when(entry), _where(entry), entry["event"], entry["verdict"],
                    _shown(entry["source"]), _shown(entry["destination"]),
                    entry["protocol"] + _details(entry))


def as_json(entry):
    return json.dumps(entry, sort_keys=True)


# observe's -o: each record's line, and the header above them (if any).
FORMS = {"compact": (compact, None), "json": (as_json, None), "table": (table_row, TABLE_HEADER)}
