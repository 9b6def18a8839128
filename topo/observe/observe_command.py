"""`observe`'s options (pure): Hubble's flag names where they fit."""
import argparse
import shlex

from topo.errors import KubemnError

FORMATS = ("compact", "json")
VERDICTS = ("FORWARDED", "DROPPED", "REJECTED")


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise KubemnError("observe: " + message)


def _parser():
    parser = _Parser(prog="observe", add_help=False)
    parser.add_argument("--last", type=int, default=20)
    parser.add_argument("-f", "--follow", action="store_true")
    parser.add_argument("--pod")
    parser.add_argument("--namespace")
    parser.add_argument("--protocol", choices=("tcp", "udp", "icmp", "sctp"),
                        type=str.lower)
    parser.add_argument("--port", type=int)
    parser.add_argument("--node")
    parser.add_argument("--verdict", choices=VERDICTS, type=str.upper)
    parser.add_argument("-o", "--output", choices=FORMATS, default="compact")
    return parser


def parse_observe(line):
    """The options of an `observe` line: a namespace with last, follow, output and the
    filters (a dict for flow_log.matches); KubemnError in one line for bad input."""
    try:
        words = shlex.split(line)
    except ValueError as exc:
        raise KubemnError("observe: %s" % exc) from None
    options = _parser().parse_args(words)
    if options.last < 0:
        raise KubemnError("observe: --last must be 0 or more, not %d" % options.last)
    if options.port is not None and not 0 < options.port < 65536:
        raise KubemnError("observe: --port %d is out of range (1-65535)" % options.port)
    options.filters = {k: getattr(options, k) for k in
                       ("pod", "namespace", "protocol", "port", "node", "verdict")}
    return options
