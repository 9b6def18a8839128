"""Running readiness probes as the kubelet does: httpGet and tcpSocket from the node's
network namespace to the pod's address, exec inside the pod."""
import socket
import subprocess

from topo.errors import KubemnError
from topo.runtime.netns import network_namespace_of

def _connect(ip, port, timeout):
    return socket.create_connection((ip, port), timeout=timeout)


def http_get_ok(ip, port, path, timeout):
    with _connect(ip, port, timeout) as sock:
        sock.sendall(("GET %s HTTP/1.0\r\nHost: %s:%d\r\nUser-Agent: kube-probe/kubemn\r\n\r\n"
                      % (path, ip, port)).encode())
        status_line = sock.makefile("rb").readline().decode(errors="replace").split()
    return len(status_line) >= 2 and status_line[1].isdigit() and 200 <= int(status_line[1]) < 400


def run_probe(probe, pod, container):
    """True if container's probe passes now; never raises."""
    try:
        if probe.kind == "exec":
            argv, env = pod.exec_command(container, probe.command)
            result = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    timeout=probe.timeout)
            return result.returncode == 0
        return pod.machine.call(network_probe, pod.node.pid, probe.kind, pod.ip, probe.port,
                                probe.path, probe.timeout)
    except (OSError, subprocess.SubprocessError, ValueError, KubemnError):
        return False


def network_probe(node_pid, kind, ip, port, path, timeout):
    """A tcpSocket or httpGet probe from the network namespace of the node (process
    node_pid), run on the node's server; never raises."""
    try:
        with network_namespace_of(node_pid):
            if kind == "tcpSocket":
                _connect(ip, port, timeout).close()
                return True
            return http_get_ok(ip, port, path, timeout)
    except (OSError, ValueError):
        return False
