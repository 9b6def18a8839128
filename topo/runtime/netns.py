"""Entering a network namespace from one thread: setns(2) moves only the calling
thread, so the rest of kubemn stays where it is. A socket made inside keeps that
namespace after the thread has left it."""
import ctypes
import os
from contextlib import contextmanager

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


@contextmanager
def network_namespace_of(pid):
    """Moves the calling thread (only it) into the network namespace of pid, and back."""
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
