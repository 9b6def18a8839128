"""What a container runs (pure): its command and args as given, or, with no command,
a built-in app chosen by image, since kubemn pulls no images.

- agnhost: its subcommand, from args, as agnhost runs it: `netexec`
  (services/apps/netexec.py: agnhost's endpoints, HTTP 8080 and UDP 8081 unless its
  flags say otherwise), `serve-hostname` (services/apps/serve_hostname.py, 9376),
  `pause`; without a subcommand, netexec on the container's declared ports;
- serve_hostname: agnhost serve-hostname (the hostname over HTTP on 9376);
- echoserver: services/apps/echoserver.py, the request echoed on 8080 in the format
  of the image's tag (1.10 and later, or 1.4);
- the docs' sample web servers (services/apps/samples.py): hello-app (8080),
  hashicorp/http-echo (its -text on 5678), traefik/whoami (80), nginxdemos/hello
  (80; the plain-text tag in text);
- nginx-like images (nginx, httpd, caddy): netexec on port 80 with the server's
  welcome page at "/";
- busybox, pause and plain OS images: sleep, for users to exec into; busybox's own
  applets where the machine's differ from them (services/apps/busybox) come first
  on its containers' PATH;
- other images: netexec on the container's declared ports (8080 and 8081 when none
  are declared).
"""
import os
import sys

SLEEP_IMAGES = ("busybox", "pause", "alpine", "ubuntu", "debian", "centos", "fedora",
                "nicolaka/netshoot", "curlimages/curl", "e2e-test-images/jessie-dnsutils")
WEB_IMAGES = ("nginx", "httpd", "caddy")
NETEXEC = [sys.executable, "-m", "services.apps.netexec"]
SERVE_HOSTNAME = [sys.executable, "-m", "services.apps.serve_hostname"]
ECHOSERVER = [sys.executable, "-m", "services.apps.echoserver"]
SAMPLES = [sys.executable, "-m", "services.apps.samples"]
ROOT_PAGES = {"nginx": "nginx", "httpd": "httpd"}   # web images with a welcome page
BUSYBOX_APPLETS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "services", "apps", "busybox")


def image_name(image):
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


def image_tag(image):
    """'registry.k8s.io/echoserver:1.10' -> '1.10'; no tag -> 'latest'."""
    last = image.split("@", 1)[0].rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else "latest"


def _semver(tag):
    """hello-app's tags (1.0, 2.0) as the version it prints (1.0.0, 2.0.0)."""
    parts = (tag.split(".") + ["0", "0"])[:3] if tag[:1].isdigit() else ["1", "0", "0"]
    return ".".join(parts)


def _echoserver_version(tag):
    try:
        major, minor = (int(part) for part in tag.split(".")[:2])
    except ValueError:
        return "1.10"
    return "1.4" if (major, minor) < (1, 10) else "1.10"


def _declared(container, protocol):
    return [p.container_port for p in container.ports if p.protocol == protocol]


def netexec_argv(http_ports, udp_ports, extra=()):
    """netexec serving exactly these ports (no UDP: --udp-port -1)."""
    argv = list(NETEXEC)
    for port in http_ports:
        argv += ["--http-port", str(port)]
    for port in udp_ports or [-1]:
        argv += ["--udp-port", str(port)]
    return argv + list(extra)


def container_argv(container):
    """The argv that runs this container inside its pod."""
    return _choose(container)[0]


def stand_in(container):
    """None, or what kubemn says when it runs a stand-in for an image (or an agnhost
    subcommand) it does not know: never silently."""
    return _choose(container)[1]


def _choose(container):
    """(argv, None or the stand-in's note)."""
    if container.command:
        return list(container.command) + list(container.args), None
    return _builtin(container)


def _builtin(container):
    known = _known(container)
    if known is not None:
        return known, None
    name = image_name(container.image)
    argv = netexec_argv(_declared(container, "TCP") or [8080],
                        _declared(container, "UDP") or ([] if container.ports else [8081]))
    ports = ", ".join("%d/%s" % (p.container_port, p.protocol) for p in container.ports) \
        or "8080/TCP and 8081/UDP"
    if name.rsplit("/", 1)[-1] == "agnhost":
        what = ('agnhost subcommand "%s"' % container.args[0]) if container.args else \
            "agnhost without a subcommand"
    else:
        what = 'image "%s"' % container.image
    return argv, ("kubemn does not know %s: container %s runs netexec (an HTTP and UDP "
                  "server) on %s in its place" % (what, container.name, ports))


def _known(container):
    """The argv of an image kubemn knows, or None."""
    name = image_name(container.image)
    base = name.rsplit("/", 1)[-1]
    if name in SLEEP_IMAGES or base in SLEEP_IMAGES:
        return list(container.args) if container.args else ["sleep", "infinity"]
    if name in WEB_IMAGES or base in WEB_IMAGES:
        page = ["--root-page", ROOT_PAGES[base]] if base in ROOT_PAGES else []
        return netexec_argv(_declared(container, "TCP") or [80], _declared(container, "UDP"),
                            page)
    args = list(container.args)
    if base == "serve_hostname":
        return SERVE_HOSTNAME + args
    if base == "hello-app":
        return SAMPLES + ["hello-app", "--version", _semver(image_tag(container.image))]
    if name == "hashicorp/http-echo":
        return SAMPLES + ["http-echo"] + args
    if name == "traefik/whoami":
        return SAMPLES + ["whoami"] + args
    if name == "nginxdemos/hello":
        plain = image_tag(container.image).startswith("plain-text")
        return SAMPLES + ["nginx-hello"] + (["--plain"] if plain else [])
    if base == "echoserver":
        return ECHOSERVER + ["--version", _echoserver_version(image_tag(container.image))]
    if base == "agnhost" and args:
        # agnhost's own flags are its stand-ins' too.
        if args[0] == "netexec":
            return list(NETEXEC) + args[1:]
        if args[0] == "serve-hostname":
            return SERVE_HOSTNAME + args[1:]
        if args[0] == "pause":
            return ["sleep", "infinity"]
    return None


def applets_path(container):
    """A directory to put first on the container's PATH, or None."""
    return BUSYBOX_APPLETS if image_name(container.image).rsplit("/", 1)[-1] == "busybox" \
        else None
