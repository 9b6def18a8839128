"""The simulated servers' plan (pure): N servers on one machine, each a set of
namespaces (network, mount, UTS, PID) with its own hostname, LAN address and sshd, on
a LAN bridge in a network namespace of its own; the machine itself is the head, on
the LAN by a veth. What topo/servers/simulated.py makes from it, and the texts it
writes: each server's sshd configuration and start script, and the ssh client's
configuration that reaches them.

They let kubemn's tests (and a user without spare machines) run a cluster over
several servers as it runs over real ones: every command for a server goes through
ssh, as it would to another machine.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass

# The harness's own prefix and marker: cleanup removes what carries them, and a
# cluster run on the head does not count them as an earlier run's leftovers.
SERVERS_PREFIX = "kms-"
SERVERS_MARKER = "KUBEMN_SERVERS"
SERVERS_DIR = "/run/kubemn-servers"
# RFC 2544's benchmarking range: documentation ranges (192.0.2.0/24) may be the
# machine's own network, as they are on this kind of machine.
LAN_CIDR = "198.18.0.0/24"
HEAD = "head"
MOST = 16   # servers at most, the head included: a bound on what a test may make
# Where a server sees its directory of the harness (its host key, sshd's
# configuration): its /tmp and /run are its own, so nothing of the head's shows there.
SERVER_MOUNT = "/run/kubemn-server"
PRIVATE = ("/tmp", "/run")   # a server's own


@dataclass(frozen=True)
class SimulatedServer:
    name: str       # its hostname and ssh alias: server2, server3 ...
    address: str    # on the LAN
    link: str       # the LAN's end of its veth (in the LAN namespace)


@dataclass(frozen=True)
class SimulatedLan:
    cidr: str
    head_address: str
    head_link: str      # the head's end, in the machine's own namespace
    servers: tuple      # SimulatedServer, server2 first

    @property
    def names(self):
        """What `kubemn run --servers` takes: the head, then the simulated servers."""
        return (HEAD,) + tuple(s.name for s in self.servers)


def plan_lan(count: int, cidr: str = LAN_CIDR) -> SimulatedLan:
    """count servers in all, the head (this machine) included: server2 ... serverN."""
    if not 2 <= count <= MOST:
        raise ValueError("expected 2-%d servers (the head included), not %d" % (MOST, count))
    hosts = list(ipaddress.ip_network(cidr).hosts())
    servers = tuple(SimulatedServer("server%d" % i, str(hosts[i - 1]),
                                    "%sserver%d" % (SERVERS_PREFIX, i))
                    for i in range(2, count + 1))
    return SimulatedLan(cidr, str(hosts[0]), SERVERS_PREFIX + "head", servers)


def overlapping_routes(cidr: str, routes: str) -> list[str]:
    """The machine's routes (`ip -4 route` lines) whose destination overlaps cidr: the
    LAN must be nobody else's (the head's address on it would shadow theirs)."""
    lan = ipaddress.ip_network(cidr)
    found = []
    for line in routes.splitlines():
        words = line.split()
        if not words or words[0] == "default":
            continue
        try:
            destination = ipaddress.ip_network(words[0], strict=False)
        except ValueError:
            continue
        if destination.overlaps(lan):
            found.append(line.strip())
    return found


def sshd_config(address: str) -> str:
    """A server's sshd: root by key only, the harness's files (SERVER_MOUNT), no PAM,
    DNS or pid file, and enough unauthenticated connections at once for the nodes'
    shells Mininet opens together."""
    return "\n".join([
        "ListenAddress %s" % address,
        "HostKey %s/host_key" % SERVER_MOUNT,
        "AuthorizedKeysFile %s/authorized_keys" % SERVER_MOUNT,
        "PermitRootLogin prohibit-password",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "StrictModes no",
        "UseDNS no",
        "PidFile none",
        "PrintMotd no",
        "MaxStartups 200",
        "MaxSessions 200",
        "",
    ])


def hidden(path: str) -> bool:
    """Whether a server's private /tmp or /run hides path of the machine's."""
    return any(path == p or path.startswith(p + "/") for p in PRIVATE)


def start_script(name: str, directory: str, kubemn: str) -> str:
    """What runs as the server's first process (PID 1 of its namespaces, sshd in the
    end: the server ends, everything in it with it, when sshd does). directory: the
    server's directory of the harness, on the head (with an empty directory "kubemn"
    in it when hidden(kubemn)); kubemn: the checkout every server runs, at the same
    path: one that a private directory would hide (a clone in /tmp) is carried over.

    Its own /tmp and /run (sshd's, Open vSwitch's, kubemn's runs and lock), as another
    machine has. What must show through them is bound before they hide it and moved
    under them after (a bind from another mount namespace's tree is refused)."""
    carried = hidden(kubemn)
    return "\n".join(
        ["set -e",
         "hostname %s" % name,
         "mount --bind %s %s" % (directory, directory)] +
        (["mount --bind %s %s/kubemn" % (kubemn, directory)] if carried else []) +
        ["mount -t tmpfs -o mode=1777 kubemn-server /tmp",
         "mkdir /tmp/kubemn-stash",
         "mount --move %s /tmp/kubemn-stash" % directory,
         "mount -t tmpfs -o mode=755 kubemn-server /run",
         "mkdir -p /run/sshd %s" % SERVER_MOUNT,
         "mount --move /tmp/kubemn-stash %s" % SERVER_MOUNT,
         "rmdir /tmp/kubemn-stash"] +
        (["mkdir -p %s" % kubemn,
          "mount --move %s/kubemn %s" % (SERVER_MOUNT, kubemn)] if carried else []) +
        ["mount -t proc proc /proc",   # its own PID namespace's
         "ip link set lo up",
         "exec /usr/sbin/sshd -D -e -f %s/sshd_config" % SERVER_MOUNT,
         ""])


def ssh_config(lan: SimulatedLan, key: str, known_hosts: str, control_dir: str) -> str:
    """The ssh client's configuration for the simulated servers, by name or address:
    the harness's key, its known hosts (checked), and one shared connection a server
    (kubemn opens many ssh sessions; each would cost a handshake)."""
    lines = []
    for server in lan.servers:
        lines += ["Host %s %s" % (server.name, server.address),
                  "    HostName %s" % server.address]
    lines += ["Host %s" % " ".join(n for s in lan.servers for n in (s.name, s.address)),
              "    User root",
              "    IdentityFile %s" % key,
              "    IdentitiesOnly yes",
              "    UserKnownHostsFile %s" % known_hosts,
              "    StrictHostKeyChecking yes",
              "    BatchMode yes",
              "    ConnectTimeout 5",
              "    ControlMaster auto",
              "    ControlPath %s/%%h" % control_dir,
              "    ControlPersist 5",
              ""]
    return "\n".join(lines)


def known_hosts(lan: SimulatedLan, host_keys: dict) -> str:
    """host_keys: server name -> its public host key line ('ssh-ed25519 AAAA... c')."""
    return "".join("%s,%s %s\n" % (s.name, s.address, " ".join(host_keys[s.name].split()[:2]))
                   for s in lan.servers)
