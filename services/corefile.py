"""The coredns ConfigMap's Corefile, as kubemn's cluster DNS reads it (pure): the
plugins of its server block, which of them kubemn serves, and the settings the DNS
pods follow (the query log, for now). kubeadm's Corefile is the default."""
import hashlib
import re

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
SERVED = ("kubernetes", "log", "errors", "reload")
HARMLESS = ("health", "ready", "prometheus", "cache", "loop", "loadbalance", "forward")


def plugins(corefile):
    """The plugin names of the first server block, in order."""
    names, depth = [], 0
    for raw in corefile.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if depth == 1 and not line.startswith("}"):
            names.append(re.split(r"[\s{]", line, 1)[0])
        depth += line.count("{") - line.count("}")
        if depth == 0 and names:
            break
    return names


def dns_settings(corefile):
    """{"log": bool, "unsupported": [plugins kubemn does not serve], "sha512": ...}
    for the DNS pods."""
    found = plugins(corefile)
    return {"log": "log" in found,
            "unsupported": [p for p in found if p not in SERVED + HARMLESS],
            "sha512": hashlib.sha512(corefile.encode()).hexdigest()}


def configmap(created):
    """kube-system/coredns, as kubeadm makes it."""
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "coredns", "namespace": "kube-system",
                         "creationTimestamp": created},
            "data": {"Corefile": KUBEADM_COREFILE}}
