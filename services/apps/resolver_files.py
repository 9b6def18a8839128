"""agnhost's dns-suffix, dns-server-list and etc-hosts: what the pod's resolver files
say, as the e2e suite reads them with `kubectl exec POD -- /agnhost dns-suffix`."""
import sys

RESOLV_CONF = "/etc/resolv.conf"
HOSTS = "/etc/hosts"


def _first(prefix):
    """The words after prefix on the first line of resolv.conf that starts with it."""
    with open(RESOLV_CONF) as handle:
        for line in handle.read().split("\n"):
            if line.startswith(prefix):
                return line.split(" ")[1:]
    sys.stderr.write("Could not find DNS search list!\n")   # agnhost's own message
    raise SystemExit(2)


def dns_suffix(argv):
    print(",".join(_first("search")))
    return 0


def dns_server_list(argv):
    print(",".join(_first("nameserver")))
    return 0


def etc_hosts(argv):
    with open(HOSTS) as handle:
        print(handle.read())
    return 0
