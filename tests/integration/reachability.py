"""Reachability matrices, probed as Kubernetes' NetworkPolicy e2e suite probes them:
every source tries every target at once, a new connection each (TCP: the handshake
completes; UDP: the netexec server answers a datagram), within a deadline. The
sockets are made in the sources' own network namespaces, from this process."""
import concurrent.futures
import selectors
import socket
import time

from topo.runtime.netns import network_namespace_of

DEADLINE_SECONDS = 1.5


def probe(sources, targets, protocol="TCP", deadline=DEADLINE_SECONDS):
    """sources: {label: pid of a process in its namespace}; targets: {label: (ip,
    port)}. -> {(source, target): reached}."""
    chooser = selectors.DefaultSelector()
    pending = {}
    kind = socket.SOCK_STREAM if protocol == "TCP" else socket.SOCK_DGRAM
    for source, pid in sources.items():
        with network_namespace_of(pid):
            for target, address in targets.items():
                sock = socket.socket(socket.AF_INET, kind)
                sock.setblocking(False)
                pending[(source, target)] = sock
                if protocol == "TCP":
                    sock.connect_ex(address)
                    chooser.register(sock, selectors.EVENT_WRITE, (source, target))
                else:
                    sock.connect(address)
                    sock.send(b"hostname")
                    chooser.register(sock, selectors.EVENT_READ, (source, target))
    reached = {key: False for key in pending}
    end = time.monotonic() + deadline
    try:
        while chooser.get_map() and time.monotonic() < end:
            for key, _ in chooser.select(max(0.0, end - time.monotonic())):
                sock = key.fileobj
                chooser.unregister(sock)
                if protocol == "TCP":
                    reached[key.data] = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
                else:
                    try:
                        reached[key.data] = bool(sock.recv(512))
                    except OSError:
                        reached[key.data] = False
    finally:
        chooser.close()
        for sock in pending.values():
            sock.close()
    return reached


def probe_from_pods(pods, targets, protocol="TCP", deadline=DEADLINE_SECONDS):
    """probe() from pods ({label: kubelet Pod}), each server's sources probing on
    that server (its pids are its own), all at once."""
    groups = {}
    for label, pod in pods.items():
        groups.setdefault(pod.machine, {})[label] = pod.pause.pid
    reached = {}
    with concurrent.futures.ThreadPoolExecutor(len(groups)) as pool:
        for found in pool.map(lambda item: item[0].call(probe, item[1], targets, protocol,
                                                        deadline), groups.items()):
            reached.update(found)
    return reached


def table(reached, sources, targets):
    """The matrix as the e2e suite prints it: a row per source, '.' reached, 'X' not."""
    width = max(len(t) for t in targets)
    lines = [" " * width + " " + " ".join(t.rjust(width) for t in targets)]
    for source in sources:
        lines.append(source.rjust(width) + " " + " ".join(
            ("." if reached[(source, t)] else "X").rjust(width) for t in targets))
    return "\n".join(lines)


def resolves_from(pid, name, server, timeout=1.5):
    """Whether the DNS server answers a query for name, asked from the network
    namespace of process pid (on its server: see probe_from_pods)."""
    import dns.exception
    import dns.message
    import dns.query
    query = dns.message.make_query(name, "A")
    with network_namespace_of(pid):
        try:
            return bool(dns.query.udp(query, server, timeout=timeout).answer)
        except dns.exception.Timeout:
            return False
