"""Running readiness probes as the kubelet does: httpGet and tcpSocket from the node's
network namespace to the pod's address, exec inside the pod."""
import ctypes
import os
import socket
import subprocess
from contextlib import contextmanager

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


@contextmanager
def network_namespace_of(pid):
    """Moves the calling thread (only it) into the network namespace of pid."""
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        target = os.open("/proc/%d/ns/net" % pid, os.O_RDONLY)
        try:
            if _libc.setns(target, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns into the network of %d" % pid)
            yield
        finally:
            _libc.setns(own, CLONE_NEWNET)
            os.close(target)
    finally:
        os.close(own)


def _connect(ip, port, timeout):
    return socket.create_connection((ip, port), timeout=timeout)


def http_get_ok(ip, port, path, timeout):
    with _connect(ip, port, timeout) as sock:
        sock.sendall(("GET %s HTTP/1.0\r\nHost: %s:%d\r\nUser-Agent: kube-probe/kubemn\r\n\r\n"
                      % (path, ip, port)).encode())
        status_line = sock.makefile("rb").readline().decode(errors="replace").split()
    return len(status_line) >= 2 and status_line[1].isdigit() and 200 <= int(status_line[1]) < 400


def run_probe(probe, pod):
    """True if the probe passes now; never raises."""
    try:
        if probe.kind == "exec":
            result = subprocess.run(pod.nsenter_argv() + list(probe.command),
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, timeout=probe.timeout)
            return result.returncode == 0
        with network_namespace_of(pod.node.pid):
            if probe.kind == "tcpSocket":
                _connect(pod.ip, probe.port, probe.timeout).close()
                return True
            return http_get_ok(pod.ip, probe.port, probe.path, probe.timeout)
    except (OSError, subprocess.SubprocessError, ValueError):
        return False
