"""Entering namespaces with setns(2): a network namespace from one thread and back
(setns moves only the calling thread, so the rest of kubemn stays where it is; a
socket made inside keeps that namespace after the thread has left it), or a forked
container's namespaces for good."""
import ctypes
import os
from contextlib import contextmanager

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def setns(fd, kind, what):
    if _libc.setns(fd, kind) != 0:
        error = ctypes.get_errno()
        raise OSError(error, "setns into %s: %s" % (what, os.strerror(error)))


@contextmanager
def network_namespace_of(pid):
    """Moves the calling thread (only it) into the network namespace of pid, and back."""
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        target = os.open("/proc/%d/ns/net" % pid, os.O_RDONLY)
        try:
            setns(target, CLONE_NEWNET, "the network of %d" % pid)
            yield
        finally:
            _libc.setns(own, CLONE_NEWNET)
            os.close(target)
    finally:
        os.close(own)


def enter_namespaces(pid, namespaces):
    """Joins the namespaces (names in /proc/PID/ns: "net", "uts", "mnt"...) of
    process pid for good, all opened before any is joined (the mount namespace last:
    after it, /proc may be another's). The caller must be single-threaded."""
    fds = [os.open("/proc/%d/ns/%s" % (pid, name), os.O_RDONLY) for name in namespaces]
    try:
        for name, fd in zip(namespaces, fds):
            setns(fd, 0, "the %s namespace of %d" % (name, pid))
    finally:
        for fd in fds:
            os.close(fd)
