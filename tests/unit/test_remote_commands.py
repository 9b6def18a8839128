"""What reaches another server: each word of a command as it is, however ssh joins
them (Server.prefix), and the agent's framing of the fork server's messages."""
import io
import subprocess

from topo.runtime import fork_protocol
from topo.servers import agent
from topo.servers.remote import Server


class ShellServer(Server):
    """A "server" whose ssh is `sh -c`: it gets the one string ssh would send."""

    def ssh_argv(self):
        return ["sh", "-c"]


def test_every_word_arrives_as_it_is():
    words = ["printf", "%s|", "two words", "it's", "$HOME", "", "a;b", '"quoted"', "*"]
    prefix = ShellServer("server2", "198.18.0.2").prefix()
    printed = subprocess.run(prefix + words, capture_output=True, text=True, check=True)
    assert printed.stdout == "two words|it's|$HOME||a;b|\"quoted\"|*|"


def test_the_head_runs_its_commands_itself():
    assert Server("head", "198.18.0.1").prefix() == []
    assert Server("head", "198.18.0.1", run_id="r1").argv(["true"]) == ["true"]
    remote = Server("server2", "198.18.0.2", ("-F", "cfg"), run_id="r1")
    argv = remote.argv(["echo", "a b"], {"X": "1"})
    assert argv[:3] == ["ssh", "-F", "cfg"] and "-tt" not in argv
    assert argv[-1] == "env KUBEMN_RUN=r1 X=1 echo 'a b'"
    assert "-tt" in remote.prefix(tty=True)[2]


def test_the_agent_reads_the_fork_servers_framing():
    body = fork_protocol.encode({"call": 3, "function": "os:getpid"})
    stream = io.BytesIO(fork_protocol.HEADER.pack(len(body), 4) + body + b"data")
    assert agent.read_message(stream) == ({"call": 3, "function": "os:getpid"}, b"data")
    assert agent.read_message(stream) == (None, b"")
    truncated = io.BytesIO(fork_protocol.HEADER.pack(len(body), 4) + body[:3])
    assert agent.read_message(truncated) == (None, b"")


def test_the_agent_finds_functions_by_module_and_name():
    assert agent.function_named("os.path:join") is __import__("os").path.join
    assert agent.function_named("topo.servers.remote:Server.prefix") is Server.prefix
