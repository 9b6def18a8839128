"""The files a pod's sandbox is made from (pure): its own /etc/hostname, /etc/hosts
and /etc/resolv.conf, as the kubelet writes them, and the plan with which kubemn's
pod_sandbox makes its hostname, file system and network (topo/kubelet/pod.py runs it)."""
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


def pod_files(hostname: str, names: list[str], ip: str, resolv_conf: str) -> dict[str, str]:
    """{file name: text}: hostname, hosts and resolv.conf for the pod's /etc."""
    return {"hostname": hostname + "\n",
            "hosts": "# Kubernetes-managed hosts file (kubemn).\n"
                     "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                     "%s\t%s\n" % (ip, "\t".join(names)),
            "resolv.conf": resolv_conf}


def sandbox_plan(hostname: str, mounts: str, ip: str, pod_cidr: str, bridge: str,
                 bridge_ip: str, veth: str, node_pid: int) -> str:
    """What kubemn's pod_sandbox (topo/runtime/native/pod_sandbox.c) does in the pod's
    new namespaces before it becomes the pause process: names the pod, makes its file
    system (mounts: mount_plan's), then its network: eth0 with its peer (veth) straight
    in the node's network namespace (node_pid), plugged into the node's bridge there,
    its address in pod_cidr, the default route via the bridge's address, and
    checksums filled in on send (captures in the pod stay clean for scapy users)."""
    prefix = pod_cidr.split("/")[1]
    return "hostname\t%s\n" % hostname + mounts + _plan_text([
        ("veth", "eth0", cni_mac(ip), veth, str(node_pid)),
        ("plug", veth, bridge, str(node_pid)),
        ("up", "lo"),
        ("addr", "eth0", "%s/%s" % (ip, prefix)),
        ("up", "eth0"),
        ("route", bridge_ip, "eth0"),
        ("no-tx-checksum", "eth0")])


POD_ETC_FILES = ("hostname", "hosts", "resolv.conf")   # the pod's own, over /etc's


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


def mount_plan(pod_dir, mounts=(), programs=(), kind_of=None, realpath=os.path.realpath,
               top_level=None) -> str:
    """The operations that make a pod's file system in its mount namespace, which all
    its containers share (a part of its sandbox_plan):
    its own /etc/hostname, hosts and resolv.conf (files in pod_dir), its volumes
    (Mount, each at its path, read-only where asked, below pod_dir/volumes) and its
    images' own top-level programs (paths such as /agnhost whose scripts kubemn wrote
    to pod_dir/programs). A path the machine lacks is made in the pod's own root,
    mounted over / (the machine's own / gains nothing): a tmpfs holding the machine's
    top-level entries, bound as they are, a new top-level directory there, a deeper
    one in an overlay of the machine directory it goes in (its changes kept in
    pod_dir/overlays), one inside an earlier mount in that volume. kind_of(path):
    'dir', 'file' or None, on the machine; top_level: the machine's [(name, kind,
    link target)] at /."""
    kind_of = kind_of or _machine_kind
    plan = [("bind", os.path.join(pod_dir, f), "/etc/" + f) for f in POD_ETC_FILES]
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
    root = os.path.join(pod_dir, "root") if own_root else ""
    if own_root:
        plan += [("dir", root), ("tmpfs", root)]
        for name, kind, target in (_machine_top_level() if top_level is None else top_level):
            entry, there = "/" + name, root + "/" + name
            if kind == "link":
                plan.append(("link", target, there))
            else:
                plan += [("dir" if kind == "dir" else "file", there),
                         ("rbind" if kind == "dir" else "bind", entry, there)]
    for n, directory in enumerate(sorted(overlays, key=len)):
        layers = os.path.join(pod_dir, "overlays", str(n))
        plan += [("dir", layers + "/upper"), ("dir", layers + "/work"),
                 ("overlay", directory, layers + "/upper", layers + "/work", root + directory)]
    for mount, make in steps:
        target = root + mount.path
        if make and mount.is_file:
            plan += [("dir", os.path.dirname(target)), ("file", target)]
        elif make:
            plan.append(("dir", target))
        plan.append(("bind", os.path.join(pod_dir, "volumes", mount.source), target))
        if mount.read_only:
            plan.append(("ro", target))
    for path in sorted(set(programs)):
        plan += [("file", root + path), ("bind", pod_dir + "/programs" + path, root + path)]
    if any(_within("/etc", d) for d in overlays):   # the overlay hides the pod's own
        plan += [("bind", os.path.join(pod_dir, f), root + "/etc/" + f) for f in POD_ETC_FILES]
    if own_root:
        plan.append(("rbind", root, "/"))
    return _plan_text(plan)


def _plan_text(plan):
    for step in plan:
        for path in step[1:]:
            if "\t" in path or "\n" in path:
                raise MountError("volume mount %r: a path with a tab or a line break" % path)
    return "".join("\t".join(step) + "\n" for step in plan)


def _machine_top_level():
    """[(name, 'link' | 'dir' | 'file', link target)] of the machine's /, by name."""
    with os.scandir("/") as entries:
        return sorted((e.name, "link" if e.is_symlink() else "dir" if e.is_dir() else "file",
                       os.readlink(e.path) if e.is_symlink() else None) for e in entries)


def _machine_kind(path):
    if os.path.isdir(path):
        return "dir"
    return "file" if os.path.lexists(path) else None


def program_script(argv) -> str:
    """The script at an image's program path (`/agnhost`) in the pod: what kubemn
    runs for that program, with the script's own arguments."""
    return "#!/bin/sh\nexec %s \"$@\"\n" % " ".join(shlex.quote(a) for a in argv)
