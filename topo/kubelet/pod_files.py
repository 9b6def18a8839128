"""The files a pod's sandbox is made from (pure): its own /etc/hostname, /etc/hosts
and /etc/resolv.conf, as the kubelet writes them, and the `ip -batch` commands with
which its pause process makes its network (topo/kubelet/pod.py runs them)."""
from __future__ import annotations

import os
import shlex
from dataclasses import dataclass, replace

from services.dns_records import CLUSTER_DOMAIN
from topo.plan.naming import cni_mac


def host_names(hostname: str, subdomain: str | None, namespace: str) -> list[str]:
    """The pod's names in its /etc/hosts: with a subdomain, its FQDN
    <hostname>.<subdomain>.<namespace>.svc.<domain> first."""
    if not subdomain:
        return [hostname]
    return ["%s.%s.%s.svc.%s" % (hostname, subdomain, namespace, CLUSTER_DOMAIN), hostname]


def pod_files(hostname: str, names: list[str], ip: str, resolv_conf: str, pod_cidr: str,
              bridge_ip: str, veth: str, node_pid: int) -> dict[str, str]:
    """{file name: text}: hostname, hosts and resolv.conf for the pod's /etc, and
    network: eth0 made in the pod with its peer (veth) straight in the node's
    network namespace (node_pid), its address in pod_cidr, the default route via the
    node's bridge."""
    prefix = pod_cidr.split("/")[1]
    return {"hostname": hostname + "\n",
            "hosts": "# Kubernetes-managed hosts file (kubemn).\n"
                     "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                     "%s\t%s\n" % (ip, "\t".join(names)),
            "resolv.conf": resolv_conf,
            "network": "".join(line + "\n" for line in [
                "link add eth0 address %s type veth peer name %s netns %d"
                % (cni_mac(ip), veth, node_pid),
                "link set lo up",
                "addr add %s/%s dev eth0" % (ip, prefix),
                "link set eth0 up",
                "route add default via %s dev eth0" % bridge_ip])}


# Mounts a root of the pod's own over / in its mount namespace (the containers enter
# it afterwards, so they see it as /): a tmpfs holding the machine's top-level
# entries, bound as they are, beside the new directories the volumes need. The
# machine's own / gains nothing.
OWN_ROOT = """root="$1/root"
mkdir -p "$root"
mount -t tmpfs -o mode=755 kubemn-root "$root"
for entry in /*; do
  name="${entry#/}"
  if [ -L "$entry" ]; then ln -s "$(readlink "$entry")" "$root/$name"
  elif [ -d "$entry" ]; then mkdir "$root/$name"; mount --rbind "$entry" "$root/$name"
  else touch "$root/$name"; mount --bind "$entry" "$root/$name"; fi
done
"""
# A machine directory a new mount point goes in is seen through an overlay in the pod
# (its changes kept in the pod's directory): /etc/config appears in the pod alone.
OVERLAY = ('mkdir -p "$1/overlays/%(n)d/upper" "$1/overlays/%(n)d/work"\n'
           'mount -t overlay kubemn-overlay -o lowerdir=%(dir)s,upperdir="$1/overlays/'
           '%(n)d/upper",workdir="$1/overlays/%(n)d/work" "$root"%(dir)s')
POD_ETC_FILES = ("hostname", "hosts", "resolv.conf")   # bound over /etc's by PAUSE_SCRIPT


@dataclass(frozen=True)
class Mount:
    """A volume (or a file or directory in it: source, below $1/volumes) at a path of
    the pod's file system."""
    source: str
    path: str
    read_only: bool = False
    is_file: bool = False


class MountError(ValueError):
    """A mount the pod's file system cannot take (one line, naming the path)."""


def _within(path, parent):
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def _existing_ancestor(path, kind_of):
    while path != "/":
        path = os.path.dirname(path)
        if kind_of(path) == "dir":
            return path
    return "/"


def volume_script(mounts, programs=(), kind_of=None, realpath=os.path.realpath) -> str:
    """The shell commands ($1: the pod's directory) that mount a pod's volumes (Mount,
    each at its path, read-only where asked) and its images' own top-level programs
    (paths such as /agnhost whose scripts kubemn wrote to $1/programs) in its mount
    namespace, which all its containers share. A path the machine lacks is made in the
    pod's own root: a new top-level directory in its tmpfs, a deeper one in an overlay
    of the machine directory it goes in, one inside an earlier mount in that volume.
    kind_of(path): 'dir', 'file' or None, on the machine."""
    if not mounts and not programs:
        return ""
    kind_of = kind_of or _machine_kind
    steps, overlays = [], set()
    for mount in sorted(mounts, key=lambda m: m.path.count("/")):
        path = realpath(mount.path)   # /var/run/x is /run/x: made where it really goes
        inside = any(_within(path, earlier.path) for earlier, _ in steps)
        found = None if inside else kind_of(path)
        if found is not None and (found == "file") != mount.is_file:
            raise MountError("volume mount %s: the machine has a %s there, the volume a %s"
                             % (mount.path, "file" if found == "file" else "directory",
                                "file" if mount.is_file else "directory"))
        if found is None and not inside:
            overlays.add(_existing_ancestor(path, kind_of))
        steps.append((replace(mount, path=path), found is None))
    overlays.discard("/")
    own_root = bool(programs or any(make for _, make in steps))
    root = '"$root"' if own_root else ""
    lines = []
    if own_root:
        lines.append(OWN_ROOT.rstrip("\n"))
    for n, directory in enumerate(sorted(overlays, key=len)):
        lines.append(OVERLAY % {"n": n, "dir": shlex.quote(directory)})
    for mount, make in steps:
        target = root + shlex.quote(mount.path)
        if make and mount.is_file:
            lines.append("mkdir -p %s%s && touch %s" % (
                root, shlex.quote(os.path.dirname(mount.path)), target))
        elif make:
            lines.append("mkdir -p %s" % target)
        lines.append('mount --bind "$1/volumes/"%s %s' % (shlex.quote(mount.source), target))
        if mount.read_only:
            lines.append("mount -o remount,bind,ro %s" % target)
    for path in sorted(set(programs)):
        lines.append('touch "$root%s"; mount --bind "$1/programs%s" "$root%s"'
                     % (path, path, path))
    if any(_within("/etc", d) for d in overlays):   # the overlay hides the pod's own
        lines += ['mount --bind "$1/%s" "$root/etc/%s"' % (f, f) for f in POD_ETC_FILES]
    if own_root:
        lines.append('mount --rbind "$root" /')
    return "\n".join(lines) + "\n"


def _machine_kind(path):
    if os.path.isdir(path):
        return "dir"
    return "file" if os.path.lexists(path) else None


def program_script(argv) -> str:
    """The script at an image's program path (`/agnhost`) in the pod: what kubemn
    runs for that program, with the script's own arguments."""
    return "#!/bin/sh\nexec %s \"$@\"\n" % " ".join(shlex.quote(a) for a in argv)
