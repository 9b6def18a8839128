"""Finds and removes what kubemn made on this machine, and nothing else.

Ours is: processes whose environment carries RUN_MARKER (node shells, pause and
container processes, the controller, the run's own Open vSwitch daemons), the OVS
bridges of those daemons, root-namespace interfaces whose names start with PREFIX,
/run/netns files with PREFIX, and RUN_DIR_ROOT (with the tmpfs kubemn mounted there).
Node and pod namespaces, with their veths and cbr0 bridges, vanish with the
processes that hold them. Standard library only, so `make clean` works before the
virtual environment exists.
"""
import os
import subprocess

from topo.plan.naming import LOCK_FILE, PREFIX, RUN_DIR_ROOT, RUN_MARKER
from topo.runtime import run_root
from topo.runtime.processes import stop_pids
from topo.runtime.runlock import active_run
from topo.runtime.vswitch import environment, run_directory

KILL_GRACE_SECONDS = 2.0   # for a leftover process to end on SIGTERM

MARKER = RUN_MARKER.encode() + b"="


def _ancestors():
    pids, pid = set(), os.getpid()
    while pid > 1:
        pids.add(pid)
        try:
            with open("/proc/%d/stat" % pid) as handle:
                pid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return pids


def marked_processes(run_id=None):
    """PIDs of live processes started by a kubemn run (by the run run_id if given),
    not this one's ancestors."""
    marker = MARKER + run_id.encode() + b"\0" if run_id else MARKER
    mine = _ancestors()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in mine:
            continue
        try:
            with open("/proc/%s/environ" % entry, "rb") as handle:
                environ = handle.read()
        except OSError:
            continue
        if environ.startswith(marker) or b"\0" + marker in environ:
            found.append(int(entry))
    return sorted(found)


def _lines(argv, env=None):
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=10, env=env)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return result.stdout.splitlines() if result.returncode == 0 else []


def ovs_bridges():
    """The bridges of every run's Open vSwitch still running (the machine's own is
    none of kubemn's business)."""
    try:
        runs = sorted(os.listdir(RUN_DIR_ROOT))
    except OSError:
        return []
    found = []
    for run in runs:
        directory = run_directory(os.path.join(RUN_DIR_ROOT, run))
        if os.path.exists(os.path.join(directory, "db.sock")):
            env = dict(os.environ, **environment(directory))
            found += _lines(["ovs-vsctl", "--timeout=5", "list-br"], env)
    return [b for b in found if b.startswith(PREFIX)]


def root_links():
    names = []
    for line in _lines(["ip", "-o", "link", "show"]):
        name = line.split(":", 2)[1].strip().split("@", 1)[0]
        if name.startswith(PREFIX):
            names.append(name)
    return names


def netns_files():
    try:
        return sorted(n for n in os.listdir("/run/netns") if n.startswith(PREFIX))
    except OSError:
        return []


def leftovers():
    """{kind: [items]} of everything of kubemn's that exists now (empty lists if clean)."""
    return {
        "processes": marked_processes(),
        "ovs bridges": ovs_bridges(),
        "interfaces": root_links(),
        "netns files": netns_files(),
        "run directories": [RUN_DIR_ROOT] if os.path.exists(RUN_DIR_ROOT) else [],
    }


def describe(found):
    return "; ".join("%d %s" % (len(items), kind) for kind, items in found.items() if items)


def clean():
    """Removes every leftover; returns what was found. A run's Open vSwitch is among
    the processes: its bridges end with it, their interfaces go below."""
    found = leftovers()
    stop_pids(found["processes"], KILL_GRACE_SECONDS)
    for name in root_links():
        subprocess.run(["ip", "link", "del", name], capture_output=True)
    for name in found["netns files"]:
        subprocess.run(["ip", "netns", "delete", name], capture_output=True)
    run_root.remove_root()
    if os.path.exists(LOCK_FILE) and active_run() is None:
        os.unlink(LOCK_FILE)  # a dead run's; a live run (kubemn run --clean) keeps its own
    return found
