"""One kubemn run at a time on a machine: a lock file held for the run's life.

The kernel drops the lock when the holder dies, even by kill -9, so a crashed run
never blocks the next one (its leftovers are cleanup.py's business).
"""
import fcntl
import os

from topo.errors import KubemnError
from topo.plan.naming import LOCK_FILE


class RunLock:
    def __init__(self, path=LOCK_FILE):
        self.path = path
        self.fd = None

    def acquire(self):
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise KubemnError("another kubemn run is active (pid %s); stop it first"
                              % holder) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self.fd = fd
        return self

    def release(self):
        if self.fd is not None:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass
            os.close(self.fd)
            self.fd = None


def active_run():
    """The pid of a live kubemn run holding the lock, or None."""
    try:
        fd = os.open(LOCK_FILE, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return None
    except BlockingIOError:
        return os.read(fd, 32).decode(errors="replace").strip() or "?"
    finally:
        os.close(fd)
