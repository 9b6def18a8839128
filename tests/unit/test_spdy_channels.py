"""Exec over a bare SPDY connection, the pure part: which stream protocol is spoken
and which streams a client opens for its flags."""
from topo.api.spdy_channels import choose_protocol, wanted_streams


def flags(**given):
    return dict({"stdin": False, "stdout": False, "stderr": False, "tty": False}, **given)


def test_the_newest_offered_stream_protocol_is_spoken():
    offered = ["v4.channel.k8s.io", "v3.channel.k8s.io,v2.channel.k8s.io", "channel.k8s.io"]
    assert choose_protocol(offered) == "v4.channel.k8s.io"
    assert choose_protocol(["channel.k8s.io"]) == "channel.k8s.io"
    assert choose_protocol(["v5.channel.k8s.io"]) is None


def test_a_terminal_has_no_stderr_stream_but_a_resize_stream():
    assert wanted_streams(flags(stdout=True, stderr=True)) == {"error", "stdout", "stderr"}
    assert wanted_streams(flags(stdin=True, stdout=True, stderr=True, tty=True)) == \
        {"error", "stdin", "stdout", "resize"}
