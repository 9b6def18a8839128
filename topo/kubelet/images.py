"""What a container runs (pure). kubemn pulls no images: the catalogue below says, for
each image it knows, what runs in its place on the machine, as the image's
ENTRYPOINT and CMD, which a container's `command` and `args` override as
Kubernetes does (command replaces the ENTRYPOINT and drops the CMD, args replace the
CMD). A real program from a Debian package where one exists (nginx, redis-server,
busybox, the shells), else kubemn's faithful rewrite (services/apps).

An image not in the catalogue runs a stand-in that says so: netexec on the
container's declared ports (8080/TCP and 8081/UDP without any).
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, List, Optional

from services.apps.agnhost import SUBCOMMANDS as AGNHOST_SUBCOMMANDS

if TYPE_CHECKING:
    from topo.plan.model import Container

PY = (sys.executable, "-m")
AGNHOST = PY + ("services.apps.agnhost",)
SAMPLES = PY + ("services.apps.samples",)
NGINX = PY + ("services.apps.nginx",)
REDIS = PY + ("services.apps.redis",)
NGINX_CMD = ("nginx", "-g", "daemon off;")
TAG = "{tag}"   # replaced by the image's tag
APPS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "services", "apps")
BUSYBOX_WGET = os.path.join(APPS, "busybox")
OLD_BUSYBOX = os.path.join(APPS, "busybox_1_28")
# kubemn's native programs, built by `make deps` (scripts/build-native.sh).
NATIVE = os.path.join(os.path.dirname(os.path.dirname(APPS)), "build", "native")
PAUSE = (os.path.join(NATIVE, "pause"),)
PYTHON_PATH = os.path.join(APPS, "python_path")   # `python`: the machine's python3
# curlimages/curl's entrypoint.sh: curl, unless the first argument is a command.
CURL_ENTRYPOINT = ("sh", "-c", 'if [ "${1#-}" != "$1" ] || [ -z "$(command -v "$1")" ]; '
                   'then set -- curl "$@"; fi; exec "$@"', "/entrypoint.sh")


@dataclass(frozen=True)
class Image:
    """An image kubemn knows."""
    names: tuple          # image names without registry and tag, or their last part
    entrypoint: tuple     # its ENTRYPOINT, as the machine runs it
    cmd: tuple            # its CMD
    ports: str            # what it serves, by default
    ready: str            # when it serves
    runs: str             # what runs in its place
    binaries: tuple = ()  # (the image's program as a `command` names it, what runs)
    busybox: bool = False  # busybox's applets first on its PATH
    path: tuple = ()       # directories first on its PATH (after busybox's applets)
    # Its top-level programs (/agnhost) are files in the pod, for its shell to run by
    # path; an image without a shell (pause) has none to run them: a command or an
    # exec that names one still runs it, and the pod needs no root of its own.
    shell: bool = True


CATALOGUE = (
    Image(("e2e-test-images/agnhost", "agnhost"), AGNHOST, ("pause",),
          "by subcommand: netexec 8080/TCP 8081/UDP, serve-hostname 9376, liveness "
          "8080, test-webserver 80, porter from SERVE_PORT_n; connect probes",
          "when its port listens",
          "kubemn's agnhost (services/apps/agnhost.py and its subcommands)",
          binaries=(("/agnhost", AGNHOST), ("agnhost", AGNHOST))),
    Image(("serve_hostname",), AGNHOST + ("serve-hostname",), (), "9376/TCP (HTTP)",
          "when 9376 listens", "agnhost serve-hostname"),
    Image(("echoserver",), PY + ("services.apps.echoserver", "--tag", TAG), (),
          "8080/TCP", "when 8080 listens", "kubemn's echoserver (1.10 or 1.4 format by tag)"),
    Image(("google-samples/hello-app", "hello-app"),
          SAMPLES + ("hello-app", "--tag", TAG), (), "8080/TCP ($PORT)",
          "when the port listens", "kubemn's hello-app"),
    Image(("google-samples/hello-go-gke", "hello-go-gke", "hello-go"),
          SAMPLES + ("hello-go",), (), "80/TCP", "when 80 listens", "kubemn's hello-go"),
    Image(("google-samples/hello-frontend", "hello-frontend"),
          NGINX + ("--site", "hello-frontend"), NGINX_CMD, "80/TCP (proxy to http://hello)",
          "when 80 listens", "nginx (Debian's) with the docs' frontend.conf",
          binaries=(("nginx", NGINX + ("--site", "hello-frontend", "nginx")),)),
    Image(("hashicorp/http-echo",), SAMPLES + ("http-echo",), (), "5678/TCP (-listen)",
          "when the port listens", "kubemn's http-echo",
          binaries=(("/http-echo", SAMPLES + ("http-echo",)),)),
    Image(("traefik/whoami",), SAMPLES + ("whoami",), (), "80/TCP (--port)",
          "when the port listens", "kubemn's whoami",
          binaries=(("/whoami", SAMPLES + ("whoami",)),)),
    Image(("nginxdemos/hello",), SAMPLES + ("nginx-hello", "--tag", TAG), (), "80/TCP",
          "when 80 listens", "kubemn's nginxdemos/hello (plain-text tags: text)"),
    # bprashanth/nginxhttps: "Connecting Applications with Services"' HTTPS nginx.
    Image(("nginx", "nginx-slim", "bprashanth/nginxhttps"), NGINX, NGINX_CMD, "80/TCP",
          "when 80 listens",
          "nginx (Debian's), with the image's configuration and welcome page",
          binaries=(("nginx", NGINX + ("nginx",)), ("/usr/sbin/nginx", NGINX + ("nginx",)))),
    Image(("httpd",), AGNHOST + ("netexec", "--http-port", "80", "--udp-port", "-1",
                                 "--root-page", "httpd"), (),
          "80/TCP", "when 80 listens", "netexec with httpd's \"It works!\" page "
          "(a stand-in: Apache is not run)"),
    Image(("redis",), REDIS, ("redis-server",), "6379/TCP",
          "when 6379 listens", "redis-server (Debian's), data in the pod",
          binaries=(("redis-server", REDIS + ("redis-server",)),)),
    Image(("busybox",), (), ("sh",), "none", "runs its command",
          "busybox (Debian's), its applets first on PATH", busybox=True),
    Image(("radial/busyboxplus",), (), ("/bin/sh",), "none", "runs its command",
          "busybox, as above, with the machine's curl", busybox=True),
    Image(("pause",), PAUSE, (), "none", "at once",
          "kubemn's pause (services/apps/native/pause.c): a process that waits, as the "
          "image's", binaries=(("/pause", PAUSE),), shell=False),
    Image(("alpine",), (), ("/bin/sh",), "none", "runs its command", "the machine's sh"),
    Image(("python",), (), ("python3",), "none", "runs its command",
          "the machine's python3 (also as `python`)", path=(PYTHON_PATH,)),
    Image(("ubuntu", "debian", "centos", "fedora"), (), ("bash",), "none",
          "runs its command", "the machine's bash"),
    Image(("nicolaka/netshoot",), (), ("bash",), "none", "runs its command",
          "the machine's bash and tools (the image's CMD is zsh)"),
    Image(("curlimages/curl",), CURL_ENTRYPOINT, ("curl",), "none", "runs its command",
          "the machine's curl"),
    Image(("e2e-test-images/jessie-dnsutils", "jessie-dnsutils", "dnsutils"), (), ("bash",),
          "none", "runs its command", "the machine's bash, dig and nslookup"),
)


def image_name(image: str) -> str:
    """'docker.io/library/nginx:1.25' -> 'nginx'; 'registry.k8s.io/e2e-test-images/
    agnhost:2.39' -> 'e2e-test-images/agnhost'."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name = name[: len(name) - len(last)] + last.split(":", 1)[0]
    parts = name.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    if parts[0] == "library":
        parts = parts[1:]
    return "/".join(parts)


def image_tag(image: str) -> str:
    """'registry.k8s.io/echoserver:1.10' -> '1.10'; no tag -> 'latest'."""
    last = image.split("@", 1)[0].rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else "latest"


def known_image(image: str) -> Optional[Image]:
    """The catalogue's entry for an image name, or None (a full name first, then its
    last part: 'myregistry/team/nginx' is nginx)."""
    name = image_name(image)
    for candidate in (name, name.rsplit("/", 1)[-1]):
        for entry in CATALOGUE:
            if candidate in entry.names:
                return entry
    return None


def _declared(container, protocol):
    return [p.container_port for p in container.ports if p.protocol == protocol]


def netexec_argv(http_ports: List[int], udp_ports: List[int]) -> List[str]:
    """netexec serving exactly these ports (no UDP: --udp-port -1)."""
    argv = list(AGNHOST) + ["netexec"]
    for port in http_ports:
        argv += ["--http-port", str(port)]
    for port in udp_ports or [-1]:
        argv += ["--udp-port", str(port)]
    return argv


def container_argv(container: Container) -> List[str]:
    """The argv that runs this container inside its pod."""
    return _choose(container)[0]


def exec_argv(container: Container, command) -> List[str]:
    """What `kubectl exec` runs for command in this container: the image's own
    program, by its path there (`/agnhost`), is what kubemn runs for it."""
    return _own_program(known_image(container.image), list(command))


def top_level_programs(container: Container) -> Dict[str, List[str]]:
    """{path: what runs for it} of the image's own programs at the top of its file
    system (`/agnhost`), which a container's shell may run by their paths."""
    entry = known_image(container.image)
    return {path: list(argv) for path, argv in (entry.binaries if entry and entry.shell else ())
            if path.startswith("/") and path.count("/") == 1}


def _own_program(entry, command):
    programs = dict(entry.binaries) if entry else {}
    if command and command[0] in programs:
        command[:1] = programs[command[0]]
    return command


def stand_in(container: Container) -> Optional[str]:
    """None, or what kubemn says when it runs a stand-in for an image (or an agnhost
    subcommand) it does not know: never silently."""
    return _choose(container)[1]


def uses_busybox(container: Container) -> bool:
    """Whether busybox's applets come first on the container's PATH."""
    entry = known_image(container.image)
    return bool(entry and entry.busybox)


def image_path(container: Container) -> List[str]:
    """Directories the image puts first on the container's PATH."""
    entry = known_image(container.image)
    return list(entry.path) if entry else []


def applet_overlays(container: Container) -> List[str]:
    """Directories of applets to put before busybox's own, as the image's busybox
    has them where Debian's differs: its wget (Debian's is built without -T and
    --timeout, which "Declare Network Policy" uses) and, before 1.28.4 (the docs'
    busybox:1.28 and gcr.io/google-containers/busybox), the nslookup that looked
    names up with the C library's resolver, search domains and all (so too
    radial/busyboxplus, of busybox 1.20, in "Connecting Applications with Services")."""
    if not uses_busybox(container):
        return []
    return ([OLD_BUSYBOX] if _before_1_28_4(container.image) else []) + [BUSYBOX_WGET]


def _before_1_28_4(image):
    if image_name(image) in ("google-containers/busybox", "radial/busyboxplus"):
        return True
    try:
        return tuple(int(part) for part in image_tag(image).split(".")[:3]) < (1, 28, 4)
    except ValueError:
        return False


def _choose(container):
    """(argv, None or the stand-in's note)."""
    entry = known_image(container.image)
    if entry is None:
        if container.command:
            return list(container.command) + list(container.args), None
        return _stand_in(container, 'image "%s"' % container.image)
    tag = image_tag(container.image)
    if container.command:
        return _own_program(entry, list(container.command)) + list(container.args), None
    args = list(container.args) if container.args else list(entry.cmd)
    if entry.entrypoint == AGNHOST and args[:1] and args[0] not in AGNHOST_SUBCOMMANDS:
        return _stand_in(container, 'agnhost subcommand "%s"' % args[0])
    return [part.replace(TAG, tag) for part in entry.entrypoint] + args, None


def _stand_in(container, what):
    argv = netexec_argv(_declared(container, "TCP") or [8080],
                        _declared(container, "UDP") or ([] if container.ports else [8081]))
    ports = ", ".join("%d/%s" % (p.container_port, p.protocol) for p in container.ports) \
        or "8080/TCP and 8081/UDP"
    return argv, ("kubemn does not know %s: container %s runs netexec (an HTTP and UDP "
                  "server) on %s in its place" % (what, container.name, ports))
