"""`observe`'s options (pure): Hubble's flag names where they fit."""
import argparse
import ipaddress
import shlex

from topo.errors import KubemnError

FORMATS = ("compact", "json", "table")
# What the API's flows endpoint takes (the output is its own: JSON lines).
QUERY_NAMES = {"last", "follow", "pod", "namespace", "protocol", "port", "node", "verdict",
               "ip"}
VERDICTS = ("FORWARDED", "DROPPED", "REJECTED")


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise KubemnError("observe: " + message)


def _address(text):
    try:
        return str(ipaddress.IPv4Address(text))
    except ValueError:
        raise argparse.ArgumentTypeError("%r is not an IPv4 address" % text) from None


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
    parser.add_argument("--ip", type=_address)
    parser.add_argument("-o", "--output", choices=FORMATS, default="compact")
    return parser


def parse_observe(line):
    """The options of an `observe` line: a namespace with last, follow, output and the
    filters (a dict for flow_log.matches); KubemnError in one line for bad input."""
    try:
        words = shlex.split(line)
    except ValueError as exc:
        raise KubemnError("observe: %s" % exc) from None
    return parse_observe_words(words)


def query_words(query):
    """The words of an observe line a request's query ({name: [values]}) stands for:
    ?follow=true&pod=client1 is `-f --pod client1`."""
    words = []
    for name, values in sorted(query.items()):
        if name not in QUERY_NAMES:
            raise KubemnError("observe: unknown parameter %r (known: %s)"
                              % (name, ", ".join(sorted(QUERY_NAMES))))
        for value in values:
            if name == "follow":
                if value not in ("true", "false", "1", "0"):
                    raise KubemnError("observe: follow must be true or false, not %r" % value)
                words += ["--follow"] if value in ("true", "1") else []
            else:
                words += ["--" + name, value]
    return words


def query_of(options):
    """The request's query of parsed options (query_words' inverse)."""
    query = {"last": str(options.last)}
    if options.follow:
        query["follow"] = "true"
    query.update((name, str(value)) for name, value in options.filters.items()
                 if value is not None)
    return query


def parse_observe_words(words):
    """parse_observe of a line already split into words."""
    options = _parser().parse_args(words)
    if options.last < 0:
        raise KubemnError("observe: --last must be 0 or more, not %d" % options.last)
    if options.port is not None and not 0 < options.port < 65536:
        raise KubemnError("observe: --port %d is out of range (1-65535)" % options.port)
    options.filters = {k: getattr(options, k) for k in
                       ("pod", "namespace", "protocol", "port", "node", "verdict", "ip")}
    return options
