"""No line typed into the kubemn CLI ends the session or the cluster: every verb with
missing, wrong and hostile arguments, a few thousand random lines, piped and on a
terminal; pods reachable whatever they are called; `#` where a shell reads it; the
banner's command working from a new shell; and a start on a busy machine."""
import os
import pty
import random
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from tests.integration.conftest import ROOT, manifest_path
from topo.runtime import cleanup

NAMES = manifest_path("cli-names.yaml")
KUBEMN = [sys.executable, "-m", "topo.main", "run"]

# Every verb, Mininet's and kubemn's, with missing, wrong and hostile arguments.
HOSTILE = """
x
x nosuch
x/a
x/nosuch hostname
nosuch/a hostname
xterm nosuch
gterm nosuch
source
source /nonexistent
source /dev/null extra
source {itself}
py
py nosuch
py 1/0
py exit()
px raise KeyError('k')
px raise SystemExit(3)
sh
sh false
sh cat
sh exit 3
time
time nosuch
time x nosuch
help nosuch
nodes extra
net extra
dump extra
intfs extra
links extra
ports extra
noecho
noecho nosuch
link
link node1
link node1 s1 sideways
link nosuch s1 up
switch
switch nosuch start
switch s1 sideways
iperf nosuch
iperf node1
iperf node1 nosuch node2
iperfudp
iperfudp 10M nosuch node1
dpctl
dpctl nosuch-command
flows
flows nosuch
flows x/nosuch
policy
policy nosuch
trace
trace nosuch
trace x/a nosuch:99999 --proto sctp
draw /nonexistent/folder/picture
kubectl
kubectl get 'unclosed
kubectl nosuch
pods extra
default/py
node1
node1 exit
node1 exec true
node1 echo 'unclosed
node1 cat
node1 sleep 3000 &
x/a sleep 3000 &
node1 printf '\\311\\377 binary\\n'
node1 echo a\x00b
x/a cat
x/a printf '\\311\\377\\n'
x/a exit 3
x/a echo 'unclosed
internet exit
s1 exit
c0 exit
?nosuch
!nosuch
pingall nosuch
pingpair extra
wait extra
exit now
quit now
EOF extra
"""

# After all of it, the cluster answers, and pods are reached by any name.
AFTERWARDS = """
# a comment line, ignored
x/a hostname
default/py hostname
default/x hostname
py 6*7
x/a sh -c 't=key=value; echo ${t#*=} # and a comment'
x/a curl -s http://py:8080/hostname
default/x ping -c1 -W2 x/a
node1 ip route show default
node1 echo still here
kubectl get nodes
"""


def random_lines(count, seed=25):
    """Lines of verbs, targets and hostile words: nothing that writes a file (no
    redirection) or changes the cluster on purpose (no switch, link or py code)."""
    rng = random.Random(seed)
    firsts = ["nosuch", "x/nosuch", "-", "'", '"', "\\", "#", "?", "!", "py", "help",
              "nodes", "net", "dump", "intfs", "links", "ports", "time", "source", "x",
              "xterm", "noecho", "x/a", "default/py", "default/x", "node1", "internet",
              "s1", "flows", "policy", "\u00e9", "\x1b[2J", "", "\t"]
    words = ["nosuch", "x/a", "y/b", "default/py", "node1", "py", "x", "'", '"', "`",
             "\\", "$(", ")", "${t#*=}", "#", "#!", ";", "|", "&&", "||", "-", "--", "-c",
             "echo", "true", "printf", "%s", "%n", "{}", "[", "]", "*", "?", "~",
             "\u00e9", "\u202e", "\x7f", "\x00", "a" * 300, "http://x/a#frag", ":99999",
             "0", "-1", "EOF", "exit"]
    for _ in range(count):
        rest = " ".join(rng.choice(words) for _ in range(rng.randint(0, 6)))
        yield "%s %s" % (rng.choice(firsts), rest)


@pytest.fixture(scope="module")
def itself(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "loops.kubemn"
    path.write_text("nodes\nsource %s\n" % path)
    return str(path)


@pytest.fixture(scope="module")
def piped(itself):
    script = "\n".join([HOSTILE.format(itself=itself)] + list(random_lines(2500))
                       + [AFTERWARDS])
    result = subprocess.run(KUBEMN + ["-f", NAMES], input=script, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, errors="replace", cwd=ROOT,
                            timeout=600, env=dict(os.environ, PYTHONUNBUFFERED="1"))
    return result.returncode, result.stdout


def answer(transcript, command):
    """What one line of the session printed (output and errors)."""
    start = transcript.rindex("kubemn> %s\n" % command) + len("kubemn> %s\n" % command)
    end = transcript.find("kubemn> ", start)
    said = transcript[start:end if end >= 0 else len(transcript)]
    return said.replace("kubemn: tearing down\n", "")


def test_no_line_ends_the_session_or_the_cluster(piped):
    code, transcript = piped
    assert code == 0, transcript[-3000:]
    assert "Traceback" not in transcript, transcript[transcript.find("Traceback") - 2000:][:4000]
    assert "kubemn: tearing down" in transcript
    # What ran in the background (`sleep 3000 &`) neither held the line nor outlived the run.
    assert not cleanup.marked_processes()
    nodes = answer(transcript, "kubectl get nodes").splitlines()
    assert [row.split()[:2] for row in nodes[1:]] == [["node1", "Ready"], ["node2", "Ready"]]
    assert "default via 192.168.0.254" in answer(transcript, "node1 ip route show default")
    assert answer(transcript, "node1 echo still here") == "still here\n"


@pytest.mark.parametrize("line", [
    "x nosuch", "x/nosuch hostname", "source /nonexistent", "source /dev/null extra",
    "py exit()", "py nosuch", "px raise KeyError('k')", "flows nosuch", "policy nosuch",
    "trace nosuch", "draw /nonexistent/folder/picture", "kubectl get 'unclosed", "default/py",
    "node1", "?nosuch", "!nosuch", "nosuch/a hostname", "exit now", "quit now",
    "EOF extra"])
def test_a_failing_line_prints_one_error_line(piped, line):
    said = answer(piped[1], line).splitlines()
    assert len(said) == 1 and re.match(r"^(Error: |\*\*\* )", said[0]), (line, said)


def test_a_file_that_sources_itself_is_read_once(piped, itself):
    said = answer(piped[1], "source %s" % itself)
    assert said.count("is already being read") == 1, said


def test_a_node_command_runs_in_a_shell_of_its_own(piped):
    transcript = piped[1]
    assert answer(transcript, "node1 exit") == ""
    assert "unexpected EOF" in answer(transcript, "node1 echo 'unclosed")
    assert "\ufffd\ufffd binary" in answer(transcript, "node1 printf '\\311\\377 binary\\n'")
    assert answer(transcript, "node1 cat") == ""      # its standard input is empty


def test_pods_are_reached_by_any_name(piped):
    transcript = piped[1]
    assert answer(transcript, "x/a hostname") == "a\n"
    assert answer(transcript, "default/py hostname") == "py\n"
    assert answer(transcript, "default/x hostname") == "x\n"
    assert answer(transcript, "py 6*7") == "42\n"     # the verb, as `help` says
    assert answer(transcript, "x/a curl -s http://py:8080/hostname") == "py\n"
    assert "1 received" in answer(transcript, "default/x ping -c1 -W2 x/a")


def test_a_hash_reaches_the_pods_shell_where_a_shell_keeps_it(piped):
    transcript = piped[1]
    said = answer(transcript, "x/a sh -c 't=key=value; echo ${t#*=} # and a comment'")
    assert said == "value\n"
    assert "a comment line" not in transcript


class Terminal:
    """kubemn run on a pseudo-terminal, as a user types into it."""
    PROMPT = "kubemn> "

    def __init__(self, *args):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.chdir(ROOT)
            os.execv(sys.executable, KUBEMN + list(args))
        self.seen = ""
        self.banner = self.until_prompt(300)

    def until_prompt(self, timeout=120):
        deadline = time.monotonic() + timeout
        while not self.seen.endswith(self.PROMPT):
            left = deadline - time.monotonic()
            assert left > 0, "no prompt after %r" % self.seen[-2000:]
            if select.select([self.fd], [], [], left)[0]:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:
                    chunk = b""
                assert chunk, "the session ended: %r" % self.seen[-2000:]
                self.seen += chunk.decode(errors="replace")
        said, self.seen = self.seen[:-len(self.PROMPT)], ""
        return said.replace("\r\n", "\n")

    def type(self, line, timeout=120):
        os.write(self.fd, (line + "\n").encode())
        said = self.until_prompt(timeout)
        return said.split("\n", 1)[1] if "\n" in said else ""   # after the echo

    def close(self):
        os.write(self.fd, b"exit\n")
        ended = _wait_pid(self.pid, 60)
        if ended is None:
            os.kill(self.pid, signal.SIGTERM)
            _wait_pid(self.pid, 60)
        os.close(self.fd)
        return ended


def _wait_pid(pid, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.1)
    return None


def test_on_a_terminal_no_line_ends_the_session():
    terminal = Terminal("-f", NAMES)
    try:
        for line in ("x nosuch", "source /nonexistent", "x/a printf '\\311\\377\\n'",
                     "node1 exit", "node1 exec true", "node1 printf '\\311\\n'", "s1 exit"):
            terminal.type(line)
        assert terminal.type("node1 echo 'unclosed").count("\n") == 1
        assert terminal.type("x/a hostname").strip() == "a"
        assert "default via 192.168.0.254" in terminal.type("node1 ip route show default")
        said = terminal.type("x/a sh -c 't=key=value; echo ${t#*=}'")
        assert said.strip() == "value"
        setup = re.search(r"for kubectl in another shell: (.*)", terminal.banner).group(1)
        # The banner's line, as printed, from a new shell in the project's folder.
        new_shell = subprocess.run(
            ["env", "-i", "HOME=/root", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "bash", "-c",
             "%s && kubectl get pod -n x a -o name" % setup],
            capture_output=True, text=True, cwd=ROOT, timeout=60)
        assert new_shell.stdout == "pod/a\n", new_shell.stderr
    finally:
        assert terminal.close() == 0


def test_the_controller_probe_is_a_plain_connect():
    """Mininet's probe decodes telnet's output, which on a busy machine holds the
    controller's binary hello; kubemn's connects and closes, whatever the controller
    says, and tells a closed port from a listening one."""
    from topo.runtime.network import ProbedController
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    port = server.getsockname()[1]
    hellos = []

    def say_hello():
        while True:
            try:
                peer, _ = server.accept()
            except OSError:
                return
            peer.sendall(b"\x04\x00\x00\x08\xc9\xff\xfe\x00")   # an OpenFlow hello, and worse
            hellos.append(peer)

    threading.Thread(target=say_hello, daemon=True).start()
    try:
        controller = ProbedController("cprobe", ip="127.0.0.1", port=port)
        try:
            assert controller.isListening("127.0.0.1", port)
            closed = socket.socket()
            closed.bind(("127.0.0.1", 0))
            assert not controller.isListening("127.0.0.1", closed.getsockname()[1])
            closed.close()
        finally:
            controller.terminate()
        assert hellos, "the probe never connected"
    finally:
        server.close()
        for peer in hellos:
            peer.close()


def test_kubemn_run_reaches_its_prompt_on_a_busy_machine():
    spin = "import time\nend = time.time() + 240\nwhile time.time() < end:\n    pass\n"
    burners = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(os.cpu_count() or 2)]
    try:
        for attempt in range(3):
            result = subprocess.run(KUBEMN + ["--nodes", "1", "-f", manifest_path("cli-busy.yaml")],
                                    input="kubectl get nodes\n", capture_output=True, text=True,
                                    cwd=ROOT, timeout=180)
            assert result.returncode == 0, (attempt, result.stderr[-3000:])
            assert "cluster ready" in result.stderr
            assert re.search(r"^node1 +Ready ", result.stdout, re.M), result.stdout
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
