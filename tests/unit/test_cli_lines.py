"""How the CLI reads a line: comments, what the first word names, addresses."""
import pytest

from topo.cli import lines

PODS = {"client1", "x", "x/a", "y/b", "kube-system/coredns-1"}
HOSTS = {"node1", "node2", "s1", "internet", "x"}


@pytest.mark.parametrize("line, kept", [
    ("# a comment line", ""),
    ("   # indented comment", "   "),
    ("pingall # trailing comment", "pingall "),
    ("client1 sh -c 'echo ${t#*=}'", "client1 sh -c 'echo ${t#*=}'"),
    ("client1 curl http://web/a#fragment", "client1 curl http://web/a#fragment"),
    ("client1 echo 'a # b' \"c # d\"", "client1 echo 'a # b' \"c # d\""),
    ("client1 echo \\# not a comment", "client1 echo \\# not a comment"),
    ("client1 echo a;# after a semicolon", "client1 echo a;"),
    ("client1 echo $# ${#v}", "client1 echo $# ${#v}"),
    ("client1 echo 'unclosed # quote", "client1 echo 'unclosed # quote"),
])
def test_a_comment_starts_where_a_shell_would_read_one(line, kept):
    assert lines.strip_comment(line) == kept


def test_the_first_word_is_split_at_whitespace_not_at_punctuation():
    assert lines.split_first("x/a curl -s http://web/") == ("x/a", "curl -s http://web/")
    assert lines.split_first("  dashed-name-pod\thostname  ") == ("dashed-name-pod", "hostname")
    assert lines.split_first("   ") == ("", "")


@pytest.mark.parametrize("word, named", [
    ("x/a", ("pod", "x/a")),
    ("default/x", ("pod", "x")),
    ("default/client1", ("pod", "client1")),
    ("client1", ("pod", "client1")),
    ("x", ("pod", "x")),            # a pod of the default namespace before a node
    ("node1", ("host", "node1")),
    ("x/nosuch", (None, "x/nosuch")),
    ("nosuch", (None, "nosuch")),
    ("node1/x", (None, "node1/x")),  # a slash never names a node
    ("kube-system/coredns-1", ("pod", "kube-system/coredns-1")),
])
def test_a_slash_always_names_a_pod_and_pods_come_before_nodes(word, named):
    assert lines.target_of(word, PODS, HOSTS) == named


ADDRESSES = {"server2": "10.244.2.3", "y/b": "10.244.1.9", "node1": "192.168.0.1"}


@pytest.mark.parametrize("command, substituted", [
    ("ping -c1 server2", "ping -c1 10.244.2.3"),
    ("curl http://server2:8080/hostname", "curl http://10.244.2.3:8080/hostname"),
    ("curl -s y/b:80/clientip", "curl -s 10.244.1.9:80/clientip"),
    ("ping y/b", "ping 10.244.1.9"),
    ("curl http://web/clientip", "curl http://web/clientip"),
    ("curl server2/hostname", "curl 10.244.2.3/hostname"),
    ("echo ${t#*=} node1", "echo ${t#*=} 192.168.0.1"),
    ("echo  two  spaces", "echo  two  spaces"),
])
def test_names_in_a_command_become_addresses(command, substituted):
    assert lines.substitute_addresses(command, ADDRESSES.get) == substituted


def test_an_exception_is_one_line_that_says_what_went_wrong():
    assert lines.one_line(KeyError("nosuch")) == "KeyError: 'nosuch'"
    assert lines.one_line(OSError("first\nsecond")) == "first"
    assert lines.one_line(RuntimeError()) == "RuntimeError"
    assert lines.one_line(SystemExit(3)) == "SystemExit: 3"
