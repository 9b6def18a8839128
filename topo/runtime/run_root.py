"""Where kubemn's runs keep their files (RUN_DIR_ROOT, /run/kubemn): in memory, as /run
is on a standard Debian machine. What the kubelet writes for each pod (its /etc
files, sandbox plan and container logs), the run's Open vSwitch database and its
logs live there. Where /run is on disk (some virtual machines and containers have
it so), kubemn mounts a tmpfs of its own there for its runs: thousands of pods'
small files otherwise wait for the disk file system's journal (a 5000-pod start
spent seconds in it). The mount goes when the last run's directory does, or with
`kubemn clean`."""
import os
import shutil
import subprocess

from topo.errors import KubemnError
from topo.plan.naming import RUN_DIR_ROOT

IN_MEMORY = ("tmpfs", "ramfs")
MOUNT_SOURCE = "kubemn-run"   # how `mount` shows ours
# As Debian sizes /run: a share of the memory, so that runaway logs cannot take it all.
SIZE = "10%"


def file_system_type(path, mounts):
    """The type of the file system path is on, from mounts (/proc/mounts' text): the
    one mounted at path's longest mount point."""
    best, found = "", None
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = path == point or path.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, found = point, fields[2]
    return found


def _mounts():
    with open("/proc/mounts") as handle:
        return handle.read()


def make_root():
    """RUN_DIR_ROOT, in memory (a tmpfs of kubemn's own unless it is already)."""
    os.makedirs(RUN_DIR_ROOT, exist_ok=True)
    if file_system_type(RUN_DIR_ROOT, _mounts()) in IN_MEMORY:
        return
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=755,size=" + SIZE,
                           MOUNT_SOURCE, RUN_DIR_ROOT], capture_output=True, text=True)
    if done.returncode:
        raise KubemnError("cannot mount a tmpfs at %s: %s"
                          % (RUN_DIR_ROOT, done.stderr.strip() or "mount failed"))


def remove_root():
    """RUN_DIR_ROOT and what is in it gone, kubemn's tmpfs unmounted."""
    shutil.rmtree(RUN_DIR_ROOT, ignore_errors=True)   # (a mount point stays: unmounted next)
    while os.path.ismount(RUN_DIR_ROOT) and _ours_mounted():
        if subprocess.run(["umount", RUN_DIR_ROOT], capture_output=True).returncode:
            subprocess.run(["umount", "-l", RUN_DIR_ROOT], capture_output=True)
            break
    if os.path.isdir(RUN_DIR_ROOT) and not os.listdir(RUN_DIR_ROOT):
        os.rmdir(RUN_DIR_ROOT)


def _ours_mounted():
    return any(line.split()[:2] == [MOUNT_SOURCE, RUN_DIR_ROOT]
               for line in _mounts().splitlines())
