"""The coredns ConfigMap's Corefile, as kubemn's cluster DNS reads it (pure): the
plugins of its server block, which of them kubemn serves, and the settings the DNS
pods follow (the query log, and where names outside the cluster go). kubeadm's
Corefile is the default."""
import hashlib
import re
from typing import List, Tuple

KUBEADM_COREFILE = """.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
"""
# What kubemn's DNS pods do of each plugin: served, or harmless to leave out here
# (health endpoints, metrics, caching, loop detection, reloading: reloads are at once).
SERVED = ("kubernetes", "log", "errors", "reload", "forward")
HARMLESS = ("health", "ready", "prometheus", "cache", "loop", "loadbalance")


def plugin_lines(corefile: str) -> List[Tuple[str, List[str]]]:
    """[(plugin name, its arguments)] of the first server block, in order."""
    found, depth = [], 0
    for raw in corefile.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if depth == 1 and not line.startswith("}"):
            words = line.replace("{", " ").split()
            found.append((words[0], words[1:]))
        depth += line.count("{") - line.count("}")
        if depth == 0 and found:
            break
    return found


def plugins(corefile: str) -> List[str]:
    """The plugin names of the first server block, in order."""
    return [name for name, _ in plugin_lines(corefile)]


def forward_to(corefile: str) -> List[str]:
    """Where `forward . TO...` sends names outside the cluster: addresses, or
    "/etc/resolv.conf" (the DNS pod's own nameservers); [] without forward."""
    for name, args in plugin_lines(corefile):
        if name == "forward" and args[:1] == ["."]:
            return [re.sub(r"^dns://|:53$", "", target) for target in args[1:]]
    return []


def dns_settings(corefile: str) -> dict:
    """{"log": bool, "unsupported": [plugins kubemn does not serve], "sha512": ...}
    for the DNS pods."""
    found = plugins(corefile)
    return {"log": "log" in found, "forward": forward_to(corefile),
            "unsupported": [p for p in found if p not in SERVED + HARMLESS],
            "sha512": hashlib.sha512(corefile.encode()).hexdigest()}


def configmap(created: str) -> dict:
    """kube-system/coredns, as kubeadm makes it."""
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "coredns", "namespace": "kube-system",
                         "creationTimestamp": created},
            "data": {"Corefile": KUBEADM_COREFILE}}
