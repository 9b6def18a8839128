"""Entering namespaces, waiting, and stopping processes: the one way kubemn does each."""
import os
import signal
import subprocess
import tempfile
import time

NAMESPACE_FLAGS = {"net": "-n", "uts": "-u", "mnt": "-m"}   # by their /proc/PID/ns names


def enter_argv(pid, *namespaces):
    """The argv prefix that runs a command in the namespaces of process pid (a pod's
    pause process, a node's shell): "net" unless others are named."""
    flags = [NAMESPACE_FLAGS[name] for name in namespaces or ("net",)]
    return ["nsenter", "-t", str(pid)] + flags + ["--"]


def run_to_its_end(argv, timeout=None):
    """Runs argv with an empty standard input; returns (exit status, what it printed,
    output and errors interleaved) as soon as argv itself ends. The output goes
    through a file, not a pipe: a command that leaves something running in the
    background (`sleep 60 &`) would hold a pipe open, and the reader with it."""
    with tempfile.TemporaryFile() as printed:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=printed,
                                   stderr=subprocess.STDOUT)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise
        printed.seek(0)
        return process.returncode, printed.read().decode(errors="replace")


def wait_until(ready, timeout, pause=0.001, longest_pause=0.05):
    """Polls ready() until it is true (True) or timeout seconds pass (False); the pause
    between polls doubles from pause up to longest_pause."""
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            return False
        time.sleep(pause)
        pause = min(pause * 2, longest_pause)
    return True


def stop_processes(processes, grace, group=True):
    """Ends Popen processes: SIGTERM to each (to its whole process group when group:
    a container's or a controller's children go with it), one grace period for all,
    then SIGKILL to what is left. Returns when every one has been reaped."""
    for process in processes:
        _signal(process, signal.SIGTERM, group)
    deadline = time.monotonic() + grace
    for process in processes:
        try:
            process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal(process, signal.SIGKILL, group)
            process.wait()


def stop_pids(pids, grace):
    """Ends processes known only by their pids (an earlier run's, which no Popen of
    ours holds): SIGTERM, one grace period, then SIGKILL to what is left."""
    for signum in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                pass
        wait_until(lambda: not any(alive(p) for p in pids), grace, longest_pause=0.02)
        pids = [p for p in pids if alive(p)]
        if not pids:
            return


def alive(pid):
    """The process exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _signal(process, signum, group):
    if group and hasattr(process, "signal_group"):   # a forked one, maybe on another server
        process.signal_group(signum)
        return
    if process.poll() is None:
        try:
            if group:
                os.killpg(process.pid, signum)
            else:
                process.send_signal(signum)
        except ProcessLookupError:
            pass
