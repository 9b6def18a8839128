"""How the CLI reads a line, as pure functions: where its comment starts, what its
first word names, and which words of a command become addresses.

The rules, as `help` and the README state them:
- `#` starts a comment where a shell would read one: at the start of a word, outside
  quotes. A line that starts with `#` is ignored; `${t#*=}`, `'a # b'` and a URL's
  `#fragment` reach the command whole.
- A first word with a slash names a pod (`namespace/name`; `default/name` for the
  default namespace), always. Any other first word is a CLI verb if there is one of
  that name, else a pod of the default namespace, else a Mininet node (a Kubernetes
  node, a switch, the internet host).
"""
import re

# Where a shell starts a new word, so that a `#` after it starts a comment.
WORD_BREAKS = " \t\n;&|()"

HOST_IN_WORD = re.compile(r"^(?P<scheme>[a-z]+://)?(?P<host>[a-z0-9][-a-z0-9.]*?)"
                          r"(?P<rest>(:\d+)?(/.*)?)$")
POD_REF_IN_WORD = re.compile(r"^(?P<host>[a-z0-9][-a-z0-9.]*/[a-z0-9][-a-z0-9.]*)"
                             r"(?P<rest>(:\d+)?(/.*)?)$")


def strip_comment(line: str) -> str:
    """The line without its comment (see the module's rules)."""
    quote = None
    escaped = False
    previous = " "
    for index, char in enumerate(line):
        if escaped:
            escaped = False
        elif char == "\\" and quote != "'":
            escaped = True
        elif quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#" and previous in WORD_BREAKS:
            return line[:index]
        previous = char
    return line


def split_first(line: str) -> tuple:
    """(first word, the rest) of a line, split at its first run of whitespace."""
    parts = line.strip().split(None, 1)
    if not parts:
        return "", ""
    return parts[0], parts[1].strip() if len(parts) > 1 else ""


def pod_ref(word: str, pods) -> str | None:
    """The pod a word names, as the cluster keys it ('name' in the default namespace,
    'namespace/name' elsewhere), or None. pods: the refs of the running pods."""
    if "/" in word:
        namespace, _, name = word.partition("/")
        ref = name if namespace == "default" else word
    else:
        ref = word
    return ref if ref in pods else None


def target_of(word: str, pods, hosts) -> tuple:
    """What a first word that is not a verb names: ("pod", ref), ("host", name) or
    (None, word). A word with a slash names a pod or nothing."""
    ref = pod_ref(word, pods)
    if ref is not None:
        return "pod", ref
    if "/" not in word and word in hosts:
        return "host", word
    return None, word


def substitute_addresses(command: str, address_of) -> str:
    """Pod and node names in a command become their addresses, as whole words
    (`ping server2`, `ping y/b`) and as the host of `name:port` or a URL
    (`curl http://server2:8080/`). address_of(name) gives an address or None."""
    return " ".join(_substituted(word, address_of) for word in command.split(" "))


def _substituted(word, address_of):
    # A namespaced pod only without a scheme: in a URL the host ends at the slash.
    for pattern in (POD_REF_IN_WORD, HOST_IN_WORD):
        match = pattern.match(word)
        if match is None:
            continue
        address = address_of(match.group("host"))
        if address is not None:
            return (match.groupdict().get("scheme") or "") + address + match.group("rest")
    return word


def one_line(exc: BaseException) -> str:
    """An exception as one line: its message's first line, named by its type when
    the message alone would not say what went wrong."""
    text = str(exc).strip().splitlines()
    message = text[0] if text else ""
    if isinstance(exc, (KeyError, IndexError, AttributeError, TypeError, ValueError,
                        SystemExit)) or not message:
        return "%s%s" % (type(exc).__name__, ": " + message if message else "")
    return message
