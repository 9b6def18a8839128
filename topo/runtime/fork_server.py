"""The fork server: one process a run that imports kubemn's Python stand-ins once and
forks each of their containers from itself, so that a container costs the pages it
writes, not a whole interpreter (agnhost netexec: 12 MiB started on its own).

A forked container is still a container of its own: its own process and session,
in its pod's namespaces, its standard streams on its log, its own environment, its
argv as /proc shows it, its exit status reported to the kubelet
(topo/runtime/forked.py). It runs its module as `python -m` does, in a fresh
__main__, and ends as that interpreter would (its threads joined, atexit run).

It starts the kubelet's other processes too, as a container runtime does: a pod's
sandbox, a container of a program (pause, busybox, nginx), executed as Popen would
(PATH searched in its environment) in the pod's namespaces. The server spawns them
(posix_spawn: the kernel's vfork) from within the pod's namespaces, which it visits
for the moment, rather than forking: a fork copies the server's page tables, the
child then copies each page it writes and its exec tears them all down again, which
cost more than the program's own start (a fifth of the machine's CPU when 5000 pods
start). Where any step of that fails, a forked child does them again and ends as
nsenter's would: saying why in its log, with status 127 when the program cannot be
executed. kubemn's own process spends nothing on their start (a Popen from a process
of its size held it for 2 ms each), and no nsenter stands between a container and
its pod.

  python -c 'from topo.runtime.fork_server import main; main()' FD PADDING

PADDING is room for the containers' argv (topo/runtime/process_image.py).
"""
import contextlib
import gc
import importlib
import importlib.util
import json
import os
import selectors
import shutil
import signal
import socket
import sys
import tempfile
import types

from topo.runtime import fork_protocol, process_image
from topo.runtime.netns import enter_namespaces, setns


def main():
    sock = socket.socket(fileno=int(sys.argv[1]))
    # Each module imported, and found and compiled as `python -m` would run it: a
    # child that did either itself would write to (and so copy) many pages.
    programs = {}
    for name in fork_protocol.PRELOADED:
        module = importlib.import_module(name)
        spec = importlib.util.find_spec(name)
        programs[name] = (spec, spec.loader.get_code(name))
        # Python's specializing interpreter counts a function's first calls in its
        # code object: a stand-in's start-up, warmed up here, writes no such page in
        # each container (about 450 KiB of agnhost netexec's).
        if hasattr(module, "warm_up"):
            module.warm_up()
    # What the imports made is never scanned again: a collection in a child would
    # otherwise write to (and so copy) every page of it.
    gc.collect()
    _fill_free_blocks()
    gc.freeze()
    request = serve(sock)
    if request is None:
        return
    if request["exec"]:   # in a forked child
        run_program(request)
    else:
        run_container(request, *programs[request["argv"][2]])


def _fill_free_blocks(passes=3):
    """Takes the free blocks of the allocator's partly used pools, for good: a child's
    new objects would go there first, each into a page shared with the server, which
    the child then copies (about 200 KiB of agnhost netexec's). Its new objects go to
    pools of their own instead. The counts are CPython's own (sys._debugmallocstats:
    "avail blocks" by size class); where it prints none, nothing is taken."""
    for _ in range(passes):
        for size_class, free in _free_blocks().items():
            size = 16 * (size_class + 1)   # the class's block size (16-byte alignment)
            if size_class == 0:
                _TAKEN.extend(object() for _ in range(free))         # 16 bytes
            elif size_class == 1:
                _TAKEN.extend(float(n) for n in range(free))         # 24 bytes
            else:   # a bytes object of n bytes takes 33 + n
                _TAKEN.extend(bytes(size - 33) for _ in range(free))


_TAKEN = []


def _free_blocks():
    """{size class: free blocks in its used pools}, from sys._debugmallocstats."""
    with tempfile.TemporaryFile() as printed:
        saved = os.dup(2)
        os.dup2(printed.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        printed.seek(0)
        lines = printed.read().decode(errors="replace").splitlines()
    free = {}
    table = False
    for line in lines:
        fields = line.split()
        if line.startswith("-----"):
            table = True
        elif table and len(fields) == 5 and all(f.isdigit() for f in fields):
            free[int(fields[0])] = int(fields[4])
        elif table:
            break
    return free


def serve(sock):
    """Answers requests until kubemn closes its end (None); returns a request in the
    child forked for it."""
    os.set_inheritable(sock.fileno(), False)   # no program spawned gets it
    home = Home(fork_protocol.NAMESPACES)
    wake_read, wake_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    selector = selectors.DefaultSelector()
    selector.register(sock, selectors.EVENT_READ)
    selector.register(wake_read, selectors.EVENT_READ)
    while True:
        for key, _ in selector.select():
            if key.fileobj is sock:
                message, payload, fds = fork_protocol.receive(sock)
                if message is None:
                    return None
                if message.get("exec") and _spawn(sock, message, payload, fds, home):
                    continue
                if _fork(sock, message, fds) == 0:
                    signal.set_wakeup_fd(-1)
                    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                    selector.close()
                    for fd in (wake_read, wake_write, sock.detach()):
                        os.close(fd)
                    request = json.loads(payload)
                    request.update(fds=fds, exec=message.get("exec", False))
                    return request
            else:
                while os.read(wake_read, 512) == 512:
                    pass
                _report_exits(sock)


class Home:
    """The server's own namespaces and working directory, to visit a pod's from and
    come back to."""

    def __init__(self, namespaces):
        self.namespaces = {name: os.open("/proc/self/ns/" + name, os.O_RDONLY | os.O_CLOEXEC)
                           for name in namespaces}
        self.cwd = os.open(".", os.O_RDONLY | os.O_CLOEXEC)

    @contextlib.contextmanager
    def visiting(self, pid, namespaces, cwd):
        """In the namespaces of process pid (None: the server's own) and directory
        cwd, then back home (a failure to come back ends the server: it would fork
        and spawn in a pod's namespaces)."""
        try:
            if pid is not None:
                enter_namespaces(pid, namespaces)
            os.chdir(cwd)
            yield
        finally:
            try:
                if pid is not None:
                    for name, fd in self.namespaces.items():
                        setns(fd, 0, "the fork server's own %s namespace" % name)
                os.fchdir(self.cwd)
            except OSError as exc:
                raise SystemExit("fork server: coming back from a pod: %s" % exc)


def _spawn(sock, message, payload, fds, home):
    """Starts an exec request's program without a fork (see the module's
    docstring): True once it runs; False when a step failed, for the forked child
    to do them again and report why."""
    request = json.loads(payload)
    argv, env = request["argv"], request["env"]
    if not set(request["namespaces"]) <= set(home.namespaces):
        return False
    streams = [(os.POSIX_SPAWN_DUP2, fd, target) for target, fd in enumerate(fds)]
    streams += [(os.POSIX_SPAWN_CLOSE, fd) for fd in set(fds) - {0, 1, 2}]
    try:
        with home.visiting(request["sandbox"], request["namespaces"], request["cwd"]):
            pid = os.posix_spawn(
                _program(argv[0], env), argv, env, file_actions=streams, setsid=True,
                # What Python ignores, a program gets as Popen gives it: by default.
                setsigdef=(signal.SIGPIPE, signal.SIGXFSZ))
    except OSError:
        return False
    for fd in fds:
        os.close(fd)
    fork_protocol.send(sock, {"started": message["start"], "pid": pid})
    return True


def _program(name, env):
    """The file execvpe would execute for name: searched in env's PATH unless it has
    a slash (FileNotFoundError: none there)."""
    path = shutil.which(name, path=os.pathsep.join(os.get_exec_path(env)))
    if path is None:
        raise FileNotFoundError(name)
    return path


def _fork(sock, message, fds):
    sys.stdout.flush()   # nothing of the server's may reach a container's log
    sys.stderr.flush()
    try:
        pid = os.fork()
    except OSError as exc:
        fork_protocol.send(sock, {"failed": message["start"], "error": exc.strerror})
        pid = None
    if pid == 0:
        return 0
    for fd in fds:
        os.close(fd)
    if pid is not None:
        fork_protocol.send(sock, {"started": message["start"], "pid": pid})
    return pid


def _report_exits(sock):
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        fork_protocol.send(sock, {"exited": pid, "code": os.waitstatus_to_exitcode(status)})


def _become(request):
    """In the forked child: its own session, its standard streams, its pod's
    namespaces (none for a sandbox: it makes its own) and working directory; a pod
    that is gone ends it, the reason in its log."""
    os.setsid()
    for target, fd in enumerate(request["fds"]):
        os.dup2(fd, target)
    for fd in set(request["fds"]) - {0, 1, 2}:
        os.close(fd)
    try:
        if request["sandbox"] is not None:
            enter_namespaces(request["sandbox"], request["namespaces"])
        os.chdir(request["cwd"])
    except OSError as exc:
        os.write(2, b"kubemn: entering the pod's namespaces failed: %s\n" % str(exc).encode())
        os._exit(1)


def run_program(request):
    """In the forked child: executes the request's program (every descriptor of the
    server's but the streams closes on exec: Python opens them so)."""
    argv = request["argv"]
    _become(request)
    # What Python ignores, a program gets as Popen gives it: by default.
    for signum in (signal.SIGPIPE, signal.SIGXFSZ):
        signal.signal(signum, signal.SIG_DFL)
    try:
        os.execvpe(argv[0], argv, request["env"])
    except OSError as exc:
        os.write(2, b"kubemn: failed to execute %s: %s\n"
                 % (argv[0].encode(), (exc.strerror or str(exc)).encode()))
    os._exit(127)


def run_container(request, spec, code):
    """In the forked child: becomes the container, then runs its module (spec, code)
    as `python -m` does: as a fresh __main__, its exceptions and SystemExit ending the
    process as they end that one."""
    _become(request)
    # sys.stdin, stdout and stderr now read and write the container's streams, as
    # buffered as a new interpreter's would be (a log file, never a terminal: a
    # container with one runs on its own), unless its environment says unbuffered.
    env = request["env"]
    if env.get("PYTHONUNBUFFERED"):
        sys.stdout.reconfigure(write_through=True)
        sys.stderr.reconfigure(write_through=True)
    process_image.replace_environment(env)
    argv = request["argv"]
    process_image.show_argv(argv)
    sys.argv = [spec.origin] + argv[3:]
    sys.path[0] = os.getcwd()   # as `python -m` puts its directory first
    main_module = sys.modules["__main__"] = types.ModuleType("__main__")
    main_module.__dict__.update(__file__=spec.origin, __cached__=spec.cached,
                                __loader__=spec.loader, __package__=spec.parent,
                                __spec__=spec)
    exec(code, main_module.__dict__)


if __name__ == "__main__":
    main()
