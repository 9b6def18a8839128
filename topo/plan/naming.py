"""Names of everything kubemn creates on the machine.

One prefix identifies what is ours, so that cleanup removes exactly that: OVS
bridges and their ports in the root namespace start with PREFIX, and every process
kubemn starts (node shells, pause and container processes, the controller) carries
RUN_MARKER in its environment. Node and pod interfaces live inside namespaces that
vanish with those processes.
"""
from __future__ import annotations

import hashlib

PREFIX = "kmn-"
RUN_MARKER = "KUBEMN_RUN"
IFNAMSIZ = 15  # the kernel's limit on interface names, without the NUL
RUN_DIR_ROOT = "/run/kubemn"
LOCK_FILE = "/run/kubemn.lock"


def switch_name(role: str, index: int | None = None) -> str:
    """'kmn-s1', 'kmn-spine', 'kmn-leaf2'; their ports are '<switch>-ethN'."""
    name = PREFIX + role + ("" if index is None else str(index))
    if len(name) + len("-eth99") > IFNAMSIZ:
        raise ValueError("switch name %r leaves no room for port names" % name)
    return name


def pod_veth_name(pod_name: str) -> str:
    """The node-side end of a pod's veth pair: 'veth' and a hash, as CNI plugins do."""
    return "veth" + hashlib.sha1(pod_name.encode()).hexdigest()[:8]


def cni_mac(ip: str) -> str:
    """0a:58 and the IPv4 address, as the CNI bridge plugin picks MACs: stable per
    address, so a bridge keeps its MAC while ports come and go."""
    return "0a:58:" + ":".join("%02x" % int(octet) for octet in ip.split("."))
