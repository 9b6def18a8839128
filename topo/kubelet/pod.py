"""A pod: network, UTS and mount namespaces held by a pause process inside its node,
a veth pair from the pod's eth0 to the node's cbr0, and containers as processes that
enter the pause process's namespaces.

The mount namespace gives the pod its own /etc/resolv.conf, /etc/hosts and
/etc/hostname (bind mounts of files in the pod's directory), as the kubelet does,
without touching the machine's. Nothing here needs a file in /run/netns: the
namespaces live as long as the pause process, and vanish, veth included, with it.
"""
import contextlib
import functools
import os
import shutil
import subprocess
import time
from dataclasses import replace
from subprocess import DEVNULL

from topo.errors import KubemnError, log_tail
from topo.kubelet.console import Console
from topo.kubelet.images import (NATIVE, PAUSE, applet_overlays, container_argv, exec_argv,
                                 image_path, top_level_programs, uses_busybox)
from topo.kubelet.expansion import expand_all
from topo.kubelet.pod_files import (MountError, host_names, mount_plan, pod_files,
                                    program_script, sandbox_plan)
from topo.kubelet.pod_volumes import PodVolumes
from topo.kubelet.probes import run_probe
from topo.kubelet.readiness import ProbeState
from topo.kubelet.restarts import backoff_seconds, wants_restart
from topo.kubelet.status import EXIT_SHOWN_SECONDS, container_state, pod_status
from topo.plan.naming import pod_veth_name
from topo.runtime.node import BRIDGE
from topo.runtime.processes import enter_argv, stop_processes, wait_until

PAUSE_NAME = "kubemn-pause"
# Makes the pod's namespaces and plugs it into its node's bridge from its plan
# (sandbox_plan), then becomes its pause: topo/runtime/native/pod_sandbox.c.
POD_SANDBOX = os.path.join(NATIVE, "pod_sandbox")
# What a container shares with its pod's pause process (/proc/PID/ns names).
SANDBOX_NAMESPACES = ("net", "uts", "mnt")
PAUSE_START_SECONDS = 10
BUSYBOX = "/bin/busybox"
STOP_GRACE_SECONDS = 1.0
# A pod without readinessProbe is Ready once it runs, in Kubernetes. kubemn's stand-ins
# start slower than the programs they stand in for, so it waits for the TCP ports the
# containers declare to listen; a declared port that nothing binds (the e2e suite's
# serve-hostname declares 80 and listens on 9376) waits this long at most.
UNBOUND_PORT_GRACE = 1.0
# An attach this soon after a log read follows on from it (attach_offset).
ATTACH_AFTER_LOG_SECONDS = 5.0


def _cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            return handle.read().split(b"\0")
    except OSError:
        return []


def _tcp_sockets(pid, states, tables=("tcp", "tcp6")):
    """(local port, state) of the TCP sockets in the network namespace of process pid
    whose state (the kernel's hex code) is one of states."""
    for table in tables:
        try:
            with open("/proc/%d/net/%s" % (pid, table)) as handle:
                next(handle)
                for line in handle:
                    fields = line.split()
                    if fields[3] in states:
                        yield int(fields[1].rsplit(":", 1)[1], 16), fields[3]
        except OSError:
            pass


def listening_tcp_ports(pid, tables=("tcp", "tcp6")):
    """TCP ports in LISTEN state in the network namespace of process pid."""
    return {port for port, _ in _tcp_sockets(pid, ("0A",), tables)}


def has_open_connections(pid):
    """Whether the network namespace of process pid holds a TCP connection being set up
    or established (a request that may still be answered)."""
    return any(True for _ in _tcp_sockets(pid, ("01", "03")))   # ESTABLISHED, SYN_RECV


class Pod:
    """A running pod; created by start(), gone after stop()."""

    def __init__(self, spec, node, ip, pod_dir, fork_server, resolv_conf="", service_env=(),
                 applets_dir=None, stored=None, lookup=None, allocatable=None,
                 token_key=b""):
        """fork_server: what starts the pod's sandbox and containers (those with a
        terminal or stdin start on their own) on its node's server, where its files
        are written and read and its processes signalled (machine); stored: the pod
        as the store has it (the downward API's source, kept up to date by the
        kubelet); lookup(resource,
        namespace, name): the store's objects (ConfigMaps and Secrets for volumes and
        variables); allocatable: the node's."""
        self.spec = spec
        self.stored = stored
        self.name = spec.name
        self.namespace = spec.namespace
        self.ref = spec.ref
        self.node = node
        self.ip = ip
        self.pod_dir = pod_dir
        self.resolv_conf = resolv_conf
        self.service_env = dict(service_env)  # the Services' variables at its start
        # busybox's applets, one directory for the run's pods (made by the first)
        self.applets_dir = applets_dir or os.path.join(pod_dir, "busybox")
        self.veth = pod_veth_name(spec.ref)
        self.labels = spec.template.labels  # kubectl label may change them later
        self.uid = None   # the stored pod's: one made anew under its name is another
        self.pause = None
        self.sandbox_pid = None   # the pause process's, kept after stop(): a probe
        # that began before the pod stopped enters a namespace that is gone, and fails
        self.containers = {}  # name -> Popen, or ForkedProcess
        self.machine = fork_server
        self.created = time.time()
        self.is_ready = False  # as the kubelet last found it; endpoints follow this
        self.seen_listening = False
        self.containers_started = None   # time.monotonic() of the latest start
        self.probes = {}       # container name -> ProbeState
        self.restarts = {}     # container name -> times started again
        self.exited_at = {}    # container name -> when its exit was seen
        self.exits_seen = 0
        self.backoff_shown = set()   # containers whose CrashLoopBackOff the API shows
        self.consoles = {}     # container name -> Console, for stdin or tty containers
        self.log_reads = {}    # container name -> (bytes read, when): note_log_read
        self.volumes = PodVolumes(self, lookup or (lambda resource, namespace, name: None),
                                  allocatable or {}, token_key)
        self.variables = {}    # container name -> [(name, value)] at its latest start

    # --- life cycle ----------------------------------------------------------
    def launch(self):
        """Starts the pause process, which makes the pod's namespaces and network by
        itself (many pods can be launched before wait_sandbox() waits for them), in
        a session of its own (stop_pods ends its process group). Its namespaces are
        new: it needs none of its node's to start from (its veth's other end goes to
        the node by the node's pid)."""
        argv = [POD_SANDBOX, os.path.join(self.pod_dir, "sandbox"), PAUSE[0],
                "%s %s" % (PAUSE_NAME, self.name)]
        try:
            self._write_pod_files()
            self.pause = self._spawn(argv, os.environ, None, self._pause_log(), "w",
                                     output=False)
        except BaseException:
            self.stop()
            raise
        return self

    def wait_sandbox(self):
        """Waits for the pause process to hold a plugged-in network (the sandbox);
        on failure, removes what was made and re-raises."""
        try:
            self.sandbox_pid = self.pause.pid   # once the fork server has started it
            if not wait_until(lambda: self._pause_sleeping() or self.pause.poll() is not None,
                              PAUSE_START_SECONDS):
                raise KubemnError("timed out after %.0f s waiting for the pause process of %s"
                                  % (PAUSE_START_SECONDS, self.name))
            if self.pause.poll() is not None:
                raise KubemnError("pod %s: setting up its namespaces failed: %s"
                                  % (self.name, self._pause_error()))
        except BaseException:
            self.stop()
            raise
        return self

    def start_containers(self):
        """Starts the containers in the sandbox; on failure, removes what was made
        and re-raises."""
        try:
            self._start_containers()
        except BaseException:
            self.stop()
            raise
        return self

    def wait_containers(self):
        """Waits for the fork server to have started its containers (their pids); on
        failure, removes what was made and re-raises."""
        try:
            for process in self.containers.values():
                process.pid   # a forked one's waits for the server's answer
        except BaseException:
            self.stop()
            raise
        return self

    def _pause_sleeping(self):
        return self.machine.call(_cmdline, self.pause.pid)[:1] == [
            ("%s %s" % (PAUSE_NAME, self.name)).encode()]

    def _pause_log(self):
        return os.path.join(self.pod_dir, "pause.log")

    def _pause_error(self):
        lines = self.machine.call(log_tail, self._pause_log(), 1)
        return lines[-1] if lines else "exit %s" % self.pause.returncode

    def _write_pod_files(self):
        """The pod's own /etc/hostname, /etc/hosts and /etc/resolv.conf, and the plan
        from which pod_sandbox makes its namespaces (sandbox_plan)."""
        self.machine.call(clear_pod_directory, self.pod_dir,
                          [self.log_path(c.name) for c in self.spec.template.containers])
        files = pod_files(self.hostname(), self.host_names(), self.ip, self.resolv_conf)
        # Every container of the pod sees its images' programs: they share its root.
        programs = {path: argv for c in self.spec.template.containers
                    for path, argv in top_level_programs(c).items()}
        self.volumes.write()
        try:
            mounts = mount_plan(self.pod_dir, self.volumes.mounts(), programs)
        except MountError as exc:
            raise KubemnError("pod %s: %s" % (self.ref, exc)) from None
        plan = self.node.plan
        files["sandbox"] = sandbox_plan(self.hostname(), mounts, self.ip, plan.pod_cidr,
                                        BRIDGE, plan.bridge_ip, self.veth, self.node.pid)
        for path, argv in programs.items():
            files["programs" + path] = program_script(argv)
        busybox = any(uses_busybox(c) for c in self.spec.template.containers)
        self.machine.call(write_pod_files, self.pod_dir, files,
                          self.applets_dir if busybox else None)

    def _start_containers(self):
        now = self.containers_started = time.monotonic()
        self.probes = {c.name: ProbeState(c.readiness_probe, now)
                       for c in self.spec.template.containers if c.readiness_probe}
        for container in self.spec.template.containers:
            self._run_container(container)

    def _run_container(self, container):
        # Its variables from ConfigMaps, Secrets and the downward API, as they are now.
        self.variables[container.name] = self.volumes.variables(container, self.service_env)
        env = self.container_env(container.name)
        variables = dict(self.service_env, **dict(self.variables[container.name]))
        argv = container_argv(replace(container,
                                      command=expand_all(container.command, variables),
                                      args=expand_all(container.args, variables)))
        console = Console(container.tty) if container.stdin or container.tty else None
        if console is not None and self.machine.remote:
            raise KubemnError("pod %s: container %s: stdin and tty containers run on the "
                              "head's nodes only, so far" % (self.name, container.name))
        if console is None:
            process = self._spawn(argv, env, self.sandbox_pid, self.log_path(container.name))
        else:
            with open(self.log_path(container.name), "ab") as log:
                try:
                    process = subprocess.Popen(self.nsenter_argv() + argv, env=env, cwd="/",
                                               start_new_session=True, **console.streams(log))
                except OSError as exc:
                    raise KubemnError("pod %s: container %s: cannot run %r: %s"
                                      % (self.name, container.name, argv[0], exc.strerror))
        self.containers[container.name] = process
        if console is not None:
            console.started(process, self.log_path(container.name))
            self.consoles[container.name] = console

    def _spawn(self, argv, env, sandbox_pid, log, mode="a", output=True):
        """argv from the fork server (forked, or executed), in the namespaces of
        sandbox_pid as nsenter would put it (nsenter_argv; None: namespaces of its
        own to make), its errors (and its output, if output) on the file log, appended
        to (mode "a") or written anew ("w"). Another server's opens the file there."""
        namespaces = SANDBOX_NAMESPACES if sandbox_pid else ()
        if self.machine.remote:
            stream = (log, mode)
            return self.machine.spawn(argv, env, sandbox_pid, namespaces, None,
                                      stream if output else None, stream)
        stdin = os.open(os.devnull, os.O_RDONLY)
        nowhere = None if output else os.open(os.devnull, os.O_WRONLY)
        try:
            with open(log, mode + "b") as handle:
                return self.machine.spawn(argv, env, sandbox_pid, namespaces, stdin,
                                          nowhere or handle.fileno(), handle.fileno())
        finally:
            os.close(stdin)
            if nowhere is not None:
                os.close(nowhere)

    def restart_exited(self, now):
        """Starts again, by the restartPolicy and its back-off, the containers that
        exited; returns their names."""
        restarted = []
        for container in self.spec.template.containers:
            process = self.containers.get(container.name)
            if self.pause is None or process is None or process.poll() is None:
                continue
            if container.name not in self.exited_at:
                self.exits_seen += 1   # the API shows the new state at once
            exited = self.exited_at.setdefault(container.name, now)
            count = self.restarts.get(container.name, 0)
            if count and now - exited >= EXIT_SHOWN_SECONDS and \
                    container.name not in self.backoff_shown:
                self.backoff_shown.add(container.name)
                self.exits_seen += 1   # and its back-off, once the exit has shown
            if self._waits_for_restart(container.name) and \
                    now - exited >= backoff_seconds(count):
                # Counted first: a start that fails waits out the back-off too.
                self.restarts[container.name] = count + 1
                del self.exited_at[container.name]
                self.backoff_shown.discard(container.name)
                if container.readiness_probe:
                    self.probes[container.name] = ProbeState(container.readiness_probe, now)
                self.seen_listening, self.containers_started = False, now
                try:
                    self._run_container(container)
                except KubemnError:   # a variable's source is gone: tried again later
                    continue
                restarted.append(container.name)
        return restarted

    def _waits_for_restart(self, name):
        process = self.containers[name]
        return process.poll() is not None and \
            wants_restart(self.spec.template.restart_policy, process.returncode)

    def stop(self):
        """Stops the containers, then the pause process; the namespaces go with it.
        Safe to call twice."""
        stop_pods([self])

    def processes(self):
        return list(self.containers.values()) + ([self.pause] if self.pause else [])

    def forget_processes(self):
        self.containers = {}
        self.pause = None

    # --- queries -------------------------------------------------------------
    def hostname(self):
        """spec.hostname, or the pod's name."""
        return self.spec.template.host_name(self.name)

    def host_names(self):
        """The pod's names in its /etc/hosts (topo/kubelet/pod_files.py)."""
        return host_names(self.hostname(), self.spec.template.subdomain, self.namespace)

    def container_env(self, name=None):
        """The environment of a container (the first without a name), as its
        processes and `kubectl exec` see it: the Services' variables, then its own."""
        containers = self.spec.template.containers
        container = next((c for c in containers if c.name == name), containers[0])
        env = dict(os.environ, HOSTNAME=self.hostname(), **self.service_env)
        if uses_busybox(container):
            env["PATH"] = os.pathsep.join(applet_overlays(container) + [
                self.applets_dir, env.get("PATH", os.defpath)])
        if image_path(container):
            env["PATH"] = os.pathsep.join(image_path(container) + [env.get("PATH",
                                                                           os.defpath)])
        env.update(self.variables.get(container.name) or
                   [(k, v) for k, v in container.env if isinstance(v, str)])
        return env

    def exec_command(self, name, command, tty=False):
        """(argv, env) that run command in container name (None: the first) as `kubectl
        exec` and exec probes do: in the pod's namespaces, with the container's
        environment, the image's own programs by their paths there (`/agnhost`); tty:
        on a terminal (TERM=xterm, as the kubelet's)."""
        container = next(c for c in self.spec.template.containers if name in (None, c.name))
        env = self.container_env(container.name)
        if tty:
            env["TERM"] = "xterm"
        return self.command(exec_argv(container, command), env, tty)

    def nsenter_argv(self):
        """The argv prefix that enters the pod's namespaces (on its node's server:
        through ssh on another)."""
        return self._on_server() + enter_argv(self.sandbox_pid, *SANDBOX_NAMESPACES)

    def _on_server(self):
        return self.machine.server.prefix() if self.machine.remote else []

    def command(self, argv, env=None, tty=False):
        """(argv, env) that run argv in the pod's namespaces with env (None: this
        process's) as its environment, on its node's server (tty: on a terminal of
        its own there, which ssh joins to this process's)."""
        inside = enter_argv(self.sandbox_pid, *SANDBOX_NAMESPACES) + list(argv)
        if not self.machine.remote:
            return inside, env
        # ssh does not carry an environment: the command sets it there.
        return (self.machine.server.prefix(tty) + ["env", "-i"] +
                ["%s=%s" % item for item in (env or os.environ).items()] + inside, None)

    def container_states(self):
        """{container name: 'Running' | 'Completed' | 'Error' | 'CrashLoopBackOff'}
        (topo/kubelet/status.py)."""
        policy, now = self.spec.template.restart_policy, time.monotonic()
        return {name: container_state(process.poll(), policy, self.restarts.get(name, 0),
                                      now - self.exited_at.get(name, now))
                for name, process in self.containers.items()}

    def restart_count(self):
        return sum(self.restarts.values())

    def listening(self):
        """Every declared TCP port of a container without a readinessProbe listens, or
        UNBOUND_PORT_GRACE has passed since the containers started. Once seen,
        remembered: reading the kernel's socket tables is not cheap, and a container
        that dies is noticed by running()."""
        if not self.seen_listening and self.containers_started is not None and \
                time.monotonic() - self.containers_started >= UNBOUND_PORT_GRACE:
            self.seen_listening = True
        if not self.seen_listening:
            wanted = {p.container_port for c in self.spec.template.containers
                      for p in c.ports if p.protocol == "TCP" and not c.readiness_probe}
            # IPv4 first: most servers listen there, and each table costs a read.
            self.seen_listening = not wanted or \
                wanted <= self.machine.call(listening_tcp_ports, self.sandbox_pid, ("tcp",)) \
                or wanted <= self.machine.call(listening_tcp_ports, self.sandbox_pid)
        return self.seen_listening

    def running(self):
        states = self.container_states().values()
        return bool(states) and all(s == "Running" for s in states)

    def started(self):
        """Running, and listening on the ports it declares (the readiness of a pod
        without readinessProbes)."""
        return self.running() and self.listening()

    def run_due_probes(self, now):
        """{container: probe result} for the probes due now."""
        if self.pause is None or not self.running():
            return {}
        return {name: run_probe(state.probe, self, name) for name, state in self.probes.items()
                if state.due(now)}

    def update_readiness(self, results, now):
        """Takes probe results; returns True if the pod's readiness changed."""
        for name, ok in results.items():
            self.probes[name].record(ok, now)
        ready = self.pause is not None and self.started() and all(
            state.ready for state in self.probes.values())
        changed = ready != self.is_ready
        self.is_ready = ready
        return changed

    def container_ready(self, name):
        """Running, and its readinessProbe passing (without one: the pod listens)."""
        process = self.containers.get(name)
        probe = self.probes.get(name)
        return process is not None and process.poll() is None and \
            (probe.ready if probe else self.listening())

    def ready_containers(self):
        """How many containers count as ready (kubectl's READY column)."""
        return sum(self.container_ready(c.name) for c in self.spec.template.containers)

    def status(self):
        return pod_status(self.container_states().values())

    def log_path(self, container):
        return os.path.join(self.pod_dir, container + ".log")

    def note_log_read(self, container, size):
        """A client has read the container's log up to size bytes."""
        self.log_reads[container] = (size, time.monotonic())

    def attach_offset(self, container):
        """Where an attach's output starts: where a log read of the moment before
        ended (kubectl run -i reads the log, then attaches: what the container writes
        in between is neither lost nor shown twice), else the log's end now."""
        size, when = self.log_reads.pop(container, (None, 0.0))
        if size is not None and time.monotonic() - when < ATTACH_AFTER_LOG_SECONDS:
            return size
        return self.machine.call(os.path.getsize, self.log_path(container))

    def read_log(self, container, offset=0):
        """The container's log from byte offset on, from its node's server."""
        return self.machine.call(read_from, self.log_path(container), offset)


def read_from(path, offset=0):
    """The bytes of file path from offset on (b"" if it is gone)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            return handle.read()
    except OSError:
        return b""


def clear_pod_directory(pod_dir, logs):
    """A new pod that takes an old one's name starts with volumes, overlays and logs
    of its own (an emptyDir lives as long as its pod, not its name)."""
    os.makedirs(pod_dir, exist_ok=True)
    for made in ("volumes", "overlays", "root"):
        shutil.rmtree(os.path.join(pod_dir, made), ignore_errors=True)
    for log in logs:
        with contextlib.suppress(FileNotFoundError):
            os.remove(log)


def write_pod_files(pod_dir, files, applets_dir=None):
    """The pod's files (its /etc files, sandbox plan, image programs), and busybox's
    applets when a container needs them (applets_dir)."""
    if any(name.startswith("programs/") for name in files):
        os.makedirs(os.path.join(pod_dir, "programs"), exist_ok=True)
    for name, text in files.items():
        with open(os.path.join(pod_dir, name), "w") as handle:
            handle.write(text)
        if name.startswith("programs/"):
            os.chmod(os.path.join(pod_dir, name), 0o755)
    if applets_dir is not None:
        link_busybox_applets(applets_dir)


def link_busybox_applets(directory):
    """A directory of busybox's applets (sh, wget, nslookup, nc...), as the busybox
    image's /bin holds them, for its containers' PATH; made once (a few hundred
    links cost a pod start 100 ms on a busy disk), complete or not at all."""
    if os.path.isdir(directory):
        return
    making = "%s.%d" % (directory, os.getpid())
    os.makedirs(making)
    for applet in _busybox_applets():
        os.symlink(BUSYBOX, os.path.join(making, applet))
    try:
        os.rename(making, directory)
    except OSError:   # made meanwhile
        shutil.rmtree(making, ignore_errors=True)


@functools.lru_cache(maxsize=1)
def _busybox_applets():
    if not os.path.exists(BUSYBOX):
        raise KubemnError("busybox is not installed: `make run-topology` or `make test` "
                          "installs it")
    listed = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True, check=True)
    return tuple(listed.stdout.split())


def _by_node(pods, command):
    """{node: `ip -batch` input of command % veth for each pod with a sandbox}."""
    by_node = {}
    for pod in pods:
        if pod.pause is not None:
            by_node.setdefault(pod.node, []).append(command % pod.veth + "\n")
    return {node: "".join(lines) for node, lines in by_node.items()}


def _unplug(pods):
    """Deletes the pods' veth pairs, one `ip -batch` per node: the kernel frees a dead
    namespace's devices only later (its address would answer meanwhile), and a new
    pod may want the name at once."""
    for node, commands in _by_node(pods, "link del %s").items():
        # node.popen: in its namespaces, on its server.
        node.popen(["ip", "-force", "-batch", "-"], stdin=subprocess.PIPE, stdout=DEVNULL,
                   stderr=DEVNULL, text=True).communicate(commands)


def stop_pods(pods, unplug=True):
    """Ends the processes of many pods at once: their veths unplugged (unless their
    nodes go too: the kernel deletes a veth in tens of milliseconds, a node's
    namespace takes all of its own at once), SIGTERM to all, one grace period for
    all, then SIGKILL to what is left (a whole cluster stops in one grace period)."""
    if unplug:
        _unplug(pods)
    # Each process runs in a session of its own: a container's children (a shell's
    # commands) go with it.
    stop_processes([process for pod in pods for process in pod.processes()],
                   STOP_GRACE_SECONDS)
    for pod in pods:
        pod.forget_processes()
