"""The files a pod's sandbox is made from (pure): its own /etc/hostname, /etc/hosts
and /etc/resolv.conf, as the kubelet writes them, and the `ip -batch` commands with
which its pause process makes its network (topo/kubelet/pod.py runs them)."""
from __future__ import annotations

import shlex

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
mount -t tmpfs kubemn-root "$root"
for entry in /*; do
  name="${entry#/}"
  if [ -L "$entry" ]; then ln -s "$(readlink "$entry")" "$root/$name"
  elif [ -d "$entry" ]; then mkdir "$root/$name"; mount --rbind "$entry" "$root/$name"
  else touch "$root/$name"; mount --bind "$entry" "$root/$name"; fi
done
"""


def volume_script(mounts, missing, programs=()) -> str:
    """The shell commands ($1: the pod's directory) that mount a pod's emptyDir
    volumes and its images' own top-level programs in its mount namespace, which all
    its containers share. mounts: [(volume name, mount path)]; missing: the mount
    paths with no directory on the machine, each a new top-level directory; programs:
    top-level paths (`/agnhost`) whose scripts kubemn wrote to $1/programs. Those and
    missing ones are made in a root of the pod's own."""
    if not mounts and not programs:
        return ""
    own_root = bool(missing or programs)
    lines = ['mkdir -p "$1/volumes/%s"' % name for name in sorted({n for n, _ in mounts})]
    if own_root:
        lines.append(OWN_ROOT.rstrip("\n"))
        lines += ['mkdir -p "$root%s"' % path for path in sorted(set(missing))]
    for name, path in mounts:   # with a root of its own, every mount is made in it
        target = ("$root" if own_root else "") + path
        lines.append('mount --bind "$1/volumes/%s" "%s"' % (name, target))
    for path in sorted(set(programs)):
        lines.append('touch "$root%s"; mount --bind "$1/programs%s" "$root%s"'
                     % (path, path, path))
    if own_root:
        lines.append('mount --rbind "$root" /')
    return "\n".join(lines) + "\n"


def program_script(argv) -> str:
    """The script at an image's program path (`/agnhost`) in the pod: what kubemn
    runs for that program, with the script's own arguments."""
    return "#!/bin/sh\nexec %s \"$@\"\n" % " ".join(shlex.quote(a) for a in argv)
