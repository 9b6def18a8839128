"""Finds and removes what kubemn made on this machine, and nothing else.

Ours is: processes whose environment carries RUN_MARKER (node shells, pause and
container processes, the controller, the run's own Open vSwitch daemons), the OVS
bridges of those daemons, root-namespace interfaces and nftables tables whose names
start with PREFIX, /run/netns files with PREFIX, and RUN_DIR_ROOT (with the tmpfs
kubemn mounted there); and the simulated servers (topo/servers/simulated.py):
processes marked SERVERS_MARKER, interfaces named SERVERS_PREFIX, SERVERS_DIR. A
cluster run does not count those as an earlier run's leftovers (SERVERS_KIND): it
may run over them.
Node and pod namespaces, with their veths and cbr0 bridges, vanish with the
processes that hold them. Standard library only, so `make clean` works before the
virtual environment exists.
"""
import json
import os
import shutil
import subprocess

from topo.plan.naming import LOCK_FILE, PREFIX, RUN_DIR_ROOT, RUN_MARKER
from topo.plan.simulated_servers import SERVERS_DIR, SERVERS_MARKER, SERVERS_PREFIX
from topo.runtime import run_root
from topo.runtime.processes import stop_pids
from topo.runtime.runlock import active_run
from topo.runtime.vswitch import environment, run_directory
from topo.servers.remote import KUBEMN_PYTHON, KUBEMN_ROOT

KILL_GRACE_SECONDS = 2.0   # for a leftover process to end on SIGTERM

MARKER = RUN_MARKER.encode() + b"="
SERVERS_KIND = "simulated servers"


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


def marked_processes(run_id=None, marker=None):
    """PIDs of live processes started by a kubemn run (by the run run_id if given;
    marker: another marker's b"NAME=" instead), not this one's ancestors."""
    marker = marker or (MARKER + run_id.encode() + b"\0" if run_id else MARKER)
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


def root_links(prefix=PREFIX):
    names = []
    for line in _lines(["ip", "-o", "link", "show"]):
        name = line.split(":", 2)[1].strip().split("@", 1)[0]
        if name.startswith(prefix):
            names.append(name)
    return names


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as handle:
            return [int(child) for child in handle.read().split()]
    except (OSError, ValueError):
        return []


def simulated_servers():
    """What the simulated servers left: their processes, the head's veth, their files."""
    return ["process %d" % pid for pid in
            marked_processes(marker=SERVERS_MARKER.encode() + b"=")] + \
        ["interface " + name for name in root_links(SERVERS_PREFIX)] + \
        ([SERVERS_DIR] if os.path.exists(SERVERS_DIR) else [])


def remove_simulated_servers():
    """Ends the simulated servers' processes (a server's sshd takes all it runs with
    it), removes the head's veth (the LAN's namespace went with its process) and their
    files."""
    marked = marked_processes(marker=SERVERS_MARKER.encode() + b"=")
    # A server's sshd first (its unshare ignores SIGTERM; sshd ends on it, and the
    # server with it): sshd's title hides its marker, so found as unshare's child.
    stop_pids([child for pid in marked for child in children(pid)] + marked,
              KILL_GRACE_SECONDS)
    for name in root_links(SERVERS_PREFIX):
        subprocess.run(["ip", "link", "del", name], capture_output=True)
    shutil.rmtree(SERVERS_DIR, ignore_errors=True)


def nft_tables():
    """The machine's own nftables tables of ours ("family name"): the guard of a run
    over several servers (topo/servers/tunnels.py)."""
    found = []
    for line in _lines(["nft", "list", "tables"]):
        words = line.split()
        if len(words) == 3 and words[0] == "table" and words[2].startswith(PREFIX):
            found.append("%s %s" % (words[1], words[2]))
    return found


def netns_files():
    try:
        return sorted(n for n in os.listdir("/run/netns") if n.startswith(PREFIX))
    except OSError:
        return []


def run_servers():
    """The other servers of every run whose directory is still here (a crashed run
    over several servers: topo/servers/servers.py wrote them), as
    (address, ssh options)."""
    found = []
    try:
        runs = sorted(os.listdir(RUN_DIR_ROOT))
    except OSError:
        return found
    for run in runs:
        try:
            with open(os.path.join(RUN_DIR_ROOT, run, "servers.json")) as handle:
                found += [(s["address"], s["ssh_options"]) for s in json.load(handle)]
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return found


def clean_servers(servers):
    """`kubemn clean` on each of servers, by ssh, from the same kubemn there; a
    server that does not answer is left (said by its own `kubemn clean`)."""
    command = "cd %s && %s -m topo.main clean" % (KUBEMN_ROOT, KUBEMN_PYTHON)
    for address, options in servers:
        try:
            subprocess.run(["ssh"] + list(options) + ["-o", "BatchMode=yes",
                                                      "root@" + address, command],
                           capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired):
            pass


def leftovers():
    """{kind: [items]} of everything of kubemn's that exists now (empty lists if clean)."""
    return {
        "processes": marked_processes(),
        "ovs bridges": ovs_bridges(),
        "interfaces": root_links(),
        "netns files": netns_files(),
        "nftables tables": nft_tables(),
        "run directories": [RUN_DIR_ROOT] if os.path.exists(RUN_DIR_ROOT) else [],
        SERVERS_KIND: simulated_servers(),
    }


def describe(found):
    return "; ".join("%d %s" % (len(items), kind) for kind, items in found.items() if items)


def clean(servers=True):
    """Removes every leftover (the simulated servers too unless not servers); returns
    what was found. A run's Open vSwitch is among the processes: its bridges end with
    it, their interfaces go below."""
    found = leftovers()
    if not servers:
        found.pop(SERVERS_KIND)
    clean_servers(run_servers())   # while the simulated servers are still up
    stop_pids(found["processes"], KILL_GRACE_SECONDS)
    for name in root_links():
        subprocess.run(["ip", "link", "del", name], capture_output=True)
    for table in found["nftables tables"]:
        subprocess.run(["nft", "delete", "table"] + table.split(), capture_output=True)
    for name in found["netns files"]:
        subprocess.run(["ip", "netns", "delete", name], capture_output=True)
    run_root.remove_root()
    if servers:
        remove_simulated_servers()
    if os.path.exists(LOCK_FILE) and active_run() is None:
        os.unlink(LOCK_FILE)  # a dead run's; a live run (kubemn run --clean) keeps its own
    return found
