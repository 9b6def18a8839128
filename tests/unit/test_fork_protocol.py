"""The fork server's messages and what it takes (topo/runtime/fork_protocol.py), and
the argv area a forked container writes (topo/runtime/process_image.py)."""
import os
import socket

from topo.runtime import fork_protocol
from topo.runtime.fork_protocol import forkable
from topo.runtime.process_image import cmdline_bytes

PYTHON = "/venv/bin/python"


def test_only_a_preloaded_module_run_by_kubemns_interpreter_forks():
    assert forkable([PYTHON, "-m", "services.apps.agnhost", "netexec"], PYTHON) == \
        "services.apps.agnhost"
    assert forkable([PYTHON, "-m", "services.apps.clusterdns"], PYTHON) == \
        "services.apps.clusterdns"
    assert forkable(["python3", "-m", "services.apps.agnhost"], PYTHON) is None
    assert forkable([PYTHON, "-m", "http.server"], PYTHON) is None
    assert forkable([PYTHON, "-c", "services.apps.agnhost"], PYTHON) is None
    assert forkable([PYTHON, "-m"], PYTHON) is None
    assert forkable(["sh", "-c", "sleep 1"], PYTHON) is None


def test_every_preloaded_module_is_one_the_catalogue_or_the_dns_addon_runs():
    from services.apps.agnhost import SUBCOMMANDS
    from topo.kubelet.images import CATALOGUE
    run = {argv[2] for image in CATALOGUE for argv in
           [image.entrypoint + image.cmd] + [b for _, b in image.binaries]
           if argv[1:2] == ("-m",)}
    run |= {module.split(":")[0] for module in SUBCOMMANDS.values()}
    run.add("services.apps.clusterdns")   # the DNS add-on's (topo/plan/addons.py)
    assert set(fork_protocol.PRELOADED) == run


def test_a_message_and_its_streams_arrive_whole():
    ours, theirs = socket.socketpair()
    read, write = os.pipe()
    try:
        big = fork_protocol.encode({"env": {"V%d" % i: "x" * 100 for i in range(5000)}})
        sender = os.fork()
        if sender == 0:   # a message larger than the socket's buffer needs a reader
            fork_protocol.send(theirs, {"start": 7}, (read, write, write), big)
            os._exit(0)
        message, payload, fds = fork_protocol.receive(ours)
        os.waitpid(sender, 0)
        assert (message, payload) == ({"start": 7}, big)
        assert len(fds) == 3
        os.write(fds[1], b"through the passed descriptor")
        assert os.read(read, 100) == b"through the passed descriptor"
        for fd in fds:
            os.close(fd)
        fork_protocol.send(theirs, {"exited": 12, "code": -15})
        assert fork_protocol.receive(ours) == ({"exited": 12, "code": -15}, b"", [])
        theirs.close()
        assert fork_protocol.receive(ours) == (None, b"", [])
    finally:
        for fd in (read, write):
            os.close(fd)
        ours.close()


def test_the_argv_area_holds_the_argv_then_nuls():
    assert cmdline_bytes(["python", "-m", "x"], 16) == b"python\0-m\0x\0" + b"\0" * 4
    assert cmdline_bytes(["abcdef", "ghij"], 8) == b"abcdef\0" + b"\0"   # cut, NUL-ended
    assert len(cmdline_bytes(["a" * 5000], 4096)) == 4096
