"""agnhost connect HOST:PORT: one TCP (or SCTP) connection attempt, its outcome as the
exit status (0: connected) and, on failure, one line on stderr whose first word tests
check for: UNKNOWN (bad arguments), TIMEOUT, DNS, REFUSED or OTHER. Flags as
agnhost's: --protocol tcp|sctp (tcp), --timeout DURATION (0: the kernel's own).
Kubernetes' NetworkPolicy e2e tests probe with it, and so do their readiness probes."""
import argparse
import errno
import socket
import sys

from services.apps.netexec import go_duration


class ConnectFailed(Exception):
    """The line agnhost prints for a failed attempt."""


def split_host_port(dest):
    """(host, port) of 'host:port' or '[v6]:port', as Go's net.SplitHostPort reads it."""
    host, colon, port = dest.rpartition(":")
    if not colon:
        raise ConnectFailed("UNKNOWN: address %s: missing port in address" % dest)
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if ":" in host:
        raise ConnectFailed("UNKNOWN: address %s: too many colons in address" % dest)
    return host, port


def resolve(host, port, kind):
    """The first address of host, or DNS: as Go's resolver says it."""
    if not port.isdigit() or int(port) > 65535:
        raise ConnectFailed("DNS: address %s: invalid port" % port)
    try:
        return socket.getaddrinfo(host, int(port), socket.AF_INET, kind)[0]
    except socket.gaierror:
        raise ConnectFailed("DNS: lookup %s: no such host" % host) from None


def dial(dest, protocol, timeout):
    """Connects and closes; ConnectFailed with agnhost's line when it cannot."""
    family, kind, number, _, address = resolve(*split_host_port(dest),
                                               socket.SOCK_STREAM)
    if protocol == "sctp":
        number = getattr(socket, "IPPROTO_SCTP", 132)
    try:
        conn = socket.socket(family, kind, number)
    except OSError as exc:
        raise ConnectFailed("OTHER: socket: %s" % exc.strerror) from None
    conn.settimeout(timeout or None)
    try:
        conn.connect(address)
    except socket.timeout:
        raise ConnectFailed("TIMEOUT") from None
    except OSError as exc:
        if exc.errno == errno.ECONNREFUSED:
            raise ConnectFailed("REFUSED") from None
        if exc.errno == errno.ETIMEDOUT:   # the kernel's own timeout (no --timeout)
            raise ConnectFailed("TIMEOUT") from None
        raise ConnectFailed("OTHER: dial %s %s: connect: %s"
                            % (protocol, dest, (exc.strerror or str(exc)).lower())) from None
    finally:
        conn.close()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="connect")
    parser.add_argument("--protocol", default="tcp")
    parser.add_argument("--timeout", default="0")
    parser.add_argument("dest")
    args = parser.parse_args(argv)
    timeout = go_duration(args.timeout)
    if timeout is None:
        parser.exit(1, 'Error: invalid argument "%s" for "--timeout" flag: time: invalid '
                       'duration "%s"\n' % (args.timeout, args.timeout))
    if args.protocol not in ("", "tcp", "sctp"):
        sys.stderr.write("Unsupported protocol\n%s" % args.protocol)
        return 1
    try:
        dial(args.dest, args.protocol or "tcp", timeout)
    except ConnectFailed as failure:
        sys.stderr.write("%s\n" % failure)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
