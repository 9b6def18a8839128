"""What a forked container needs of the kernel that Python 3.11 has no call for
(besides setns: topo/runtime/netns.py): its own environment as C reads it, and its
own argv in /proc/PID/cmdline, so that `ps` in the pod sees what an exec would have
shown.

The argv is written over the fork server's own (which the kernel reads
/proc/PID/cmdline from), so the server starts with room for it: ARGV_ROOM bytes
of padding as its last argument. (prctl PR_SET_MM could point the kernel elsewhere,
and at a new environment too, but needs CAP_SYS_RESOURCE, which containers such as
the machines kubemn runs on often lack: /proc/PID/environ stays the server's.)
"""
import ctypes
import os

ARGV_ROOM = 4096

_libc = ctypes.CDLL(None, use_errno=True)
_kept = []   # what C's environ points at, for the life of the process


def replace_environment(env):
    """Makes env the process's environment, as C reads it (a child started without
    env inherits it) and as os.environ shows it, in one new array: a putenv a
    variable would grow C's array each time, and write over many pages shared with
    the fork server (600 KiB for kubemn's own 60 variables)."""
    encoded = {os.fsencode(key): os.fsencode(value) for key, value in env.items()}
    entries = [key + b"=" + value for key, value in encoded.items()]
    pointers = (ctypes.c_char_p * (len(entries) + 1))(*entries, None)
    _kept.append(pointers)
    ctypes.c_void_p.in_dll(_libc, "environ").value = ctypes.addressof(pointers)
    # os.environ and os.environb share this mapping; set in place, it skips putenv.
    os.environ._data.clear()
    os.environ._data.update(encoded)


def cmdline_bytes(argv, room):
    """What the argv area of room bytes holds to show argv: its strings, each ending
    in NUL, then NULs (which `ps` drops); cut short, still NUL-ended, if too long."""
    data = b"".join(os.fsencode(arg) + b"\0" for arg in argv)
    if len(data) > room:
        data = data[:room - 1] + b"\0"
    return data + b"\0" * (room - len(data))


def show_argv(argv):
    """Writes argv over this process's own argument area, as /proc/self/cmdline
    reads it."""
    with open("/proc/self/stat", "rb") as handle:
        fields = handle.read().rsplit(b")", 1)[1].split()
    # Fields 48 and 49 of proc(5), counted after the ")" that ends field 2.
    start, end = int(fields[45]), int(fields[46])
    ctypes.memmove(start, cmdline_bytes(argv, end - start), end - start)
