"""kubectl's output formats (pure): tables padded as kubectl pads them, ages as
kubectl prints them."""

NONE = "<none>"


def table(headers, rows):
    """Columns left-aligned, three spaces apart, the last one unpadded."""
    rows = [[str(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    lines = []
    for row in [list(headers)] + rows:
        cells = [c.ljust(widths[i]) for i, c in enumerate(row[:-1])] + [row[-1]]
        lines.append("   ".join(cells).rstrip())
    return "\n".join(lines)


def age(seconds):
    """kubectl's human duration: 45s, 3m20s, 25m, 5h30m, 2d3h, 12d."""
    seconds = max(0, int(seconds))
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if seconds < 120:
        return "%ds" % seconds
    if minutes < 10:
        return "%dm%ds" % (minutes, seconds % 60) if seconds % 60 else "%dm" % minutes
    if minutes < 180:
        return "%dm" % minutes
    if hours < 8:
        return "%dh%dm" % (hours, minutes % 60) if minutes % 60 else "%dh" % hours
    if hours < 48:
        return "%dh" % hours
    if days < 8:
        return "%dd%dh" % (days, hours % 24) if hours % 24 else "%dd" % days
    return "%dd" % days


def selector_text(pairs):
    return ",".join("%s=%s" % kv for kv in pairs) or NONE


def service_ports_text(service, node_ports=None):
    """'80/TCP', '80:30080/TCP' for NodePort and LoadBalancer Services."""
    parts = []
    for port in service.ports:
        node_port = (node_ports or {}).get((port.port, port.protocol))
        parts.append("%d%s/%s" % (port.port, ":%d" % node_port if node_port else "",
                                  port.protocol))
    return ",".join(parts)


def endpoints_text(addresses, limit=3):
    """'10.244.1.2:8080,10.244.2.3:8080 + 2 more...' as kubectl abbreviates it."""
    if not addresses:
        return NONE
    shown = ",".join(addresses[:limit])
    if len(addresses) > limit:
        shown += " + %d more..." % (len(addresses) - limit)
    return shown


def probe_text(probe):
    """A readinessProbe as kubectl describe prints it."""
    if probe.kind == "httpGet":
        target = "http-get http://:%s%s" % (probe.port, probe.path)
    elif probe.kind == "tcpSocket":
        target = "tcp-socket :%s" % probe.port
    else:
        target = "exec [%s]" % " ".join(probe.command)
    return "%s delay=%ds timeout=%ds period=%ds #success=%d #failure=%d" % (
        target, probe.initial_delay, probe.timeout, probe.period, probe.success_threshold,
        probe.failure_threshold)
