"""A pod's DNS, as the kubelet shapes it (pure): dnsPolicy and dnsConfig into the
pod's /etc/resolv.conf.

- ClusterFirst (the default), and ClusterFirstWithHostNet (kubemn's pods never use
  the host's network): the cluster DNS, the cluster's search domains, ndots:5;
- Default: the node's own resolv.conf;
- None: dnsConfig alone (it must name a nameserver).
dnsConfig's nameservers, searches and options are then merged in, as the kubelet
merges them: at most 3 nameservers and 32 search domains, options by name."""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Optional, Tuple

from topo.errors import FieldInvalid

POLICIES = ("ClusterFirst", "ClusterFirstWithHostNet", "Default", "None")
MAX_NAMESERVERS = 3
MAX_SEARCHES = 32


class DnsConfigError(FieldInvalid):
    """A dnsPolicy or dnsConfig the API server would refuse."""


@dataclass(frozen=True)
class PodDns:
    policy: str = "ClusterFirst"
    nameservers: Tuple[str, ...] = ()
    searches: Tuple[str, ...] = ()
    options: Tuple[Tuple[str, Optional[str]], ...] = field(default=())


def parse_pod_dns(policy: str | None, config: dict | None, path: str = "spec") -> PodDns:
    """dnsPolicy and dnsConfig (as given in a pod spec) -> PodDns, or DnsConfigError
    naming the field, with the API server's rules."""
    policy = policy or "ClusterFirst"
    if policy not in POLICIES:
        raise DnsConfigError(path + ".dnsPolicy", 'Unsupported value: "%s": supported values: '
                             '%s' % (policy, ", ".join('"%s"' % p for p in POLICIES)))
    config = config or {}
    if not isinstance(config, dict):
        raise DnsConfigError(path + ".dnsConfig", "Invalid value: expected an object")
    nameservers = tuple(config.get("nameservers") or ())
    for i, server in enumerate(nameservers):
        try:
            ipaddress.ip_address(server)
        except (ValueError, TypeError):
            raise DnsConfigError("%s.dnsConfig.nameservers[%d]" % (path, i),
                                 "Invalid value: %r: must be a valid IP address" % (server,))
    if len(nameservers) > MAX_NAMESERVERS:
        raise DnsConfigError(path + ".dnsConfig.nameservers", "Invalid value: must not have "
                             "more than %d nameservers" % MAX_NAMESERVERS)
    searches = tuple(config.get("searches") or ())
    if len(searches) > MAX_SEARCHES or not all(isinstance(s, str) and s for s in searches):
        raise DnsConfigError(path + ".dnsConfig.searches", "Invalid value: at most %d "
                             "non-empty search domains" % MAX_SEARCHES)
    options = []
    for i, option in enumerate(config.get("options") or ()):
        if not isinstance(option, dict) or not option.get("name"):
            raise DnsConfigError("%s.dnsConfig.options[%d].name" % (path, i), "Required value")
        value = option.get("value")
        options.append((option["name"], None if value is None else str(value)))
    if policy == "None":
        if not config:
            raise DnsConfigError(path + ".dnsConfig", "Required value: must provide "
                                 "`dnsConfig` when `dnsPolicy` is None")
        if not nameservers:
            raise DnsConfigError(path + ".dnsConfig.nameservers", "Required value: must "
                                 "provide at least one DNS nameserver when `dnsPolicy` is None")
    return PodDns(policy, nameservers, searches, tuple(options))


def parse_resolv_conf(text: str) -> tuple[list[str], list[str], list[str]]:
    """(nameservers, searches, options) of a resolv.conf."""
    nameservers, searches, options = [], [], []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if words[0] == "nameserver" and len(words) > 1:
            nameservers.append(words[1])
        elif words[0] in ("search", "domain"):
            searches = words[1:]
        elif words[0] == "options":
            for word in words[1:]:
                name, _, value = word.partition(":")
                options.append((name, value or None))
    return nameservers, searches, options


def resolv_conf(dns: PodDns, namespace: str, cluster_dns_ip: str, node_resolv_conf: str,
                domain: str = "cluster.local") -> str:
    """The pod's /etc/resolv.conf."""
    if dns.policy in ("ClusterFirst", "ClusterFirstWithHostNet"):
        nameservers = [cluster_dns_ip]
        searches = ["%s.svc.%s" % (namespace, domain), "svc.%s" % domain, domain]
        options = [("ndots", "5")]
    elif dns.policy == "Default":
        nameservers, searches, options = parse_resolv_conf(node_resolv_conf)
    else:
        nameservers, searches, options = [], [], []
    nameservers = (nameservers + [n for n in dns.nameservers
                                  if n not in nameservers])[:MAX_NAMESERVERS]
    searches = (searches + [s for s in dns.searches if s not in searches])[:MAX_SEARCHES]
    merged = dict(options)
    merged.update(dict(dns.options))
    lines = []
    if searches:
        lines.append("search " + " ".join(searches))
    lines += ["nameserver " + n for n in nameservers]
    if merged:
        lines.append("options " + " ".join(n if v is None else "%s:%s" % (n, v)
                                           for n, v in merged.items()))
    return "\n".join(lines) + "\n"
