"""Exec and attach over a bare SPDY/3.1 connection, as client-go spoke them before
WebSockets (kubectl before 1.31, the e2e suite of v1.20): the request is upgraded to
SPDY/3.1 with a stream protocol (v4.channel.k8s.io), then the client opens one stream
per standard stream it wants (streamType error, stdin, stdout, stderr, resize). The
same interface as the WebSocket channels (topo/api/sessions.py's WebSocketChannels):
send(channel, data), finish(code), read_client(console)."""
import json
import threading

from topo.api import spdy, websocket
from topo.api.sessions import exit_status

UPGRADE = "SPDY/3.1"
# Newest first: v4 reports the exit code as a Status on the error stream.
PROTOCOLS = ("v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io",
             "channel.k8s.io")
STREAM_WAIT = 30.0   # seconds for the client to open the streams it asked for
CHANNELS = {websocket.STDOUT: "stdout", websocket.STDERR: "stderr",
            websocket.ERROR: "error"}


def choose_protocol(offered, protocols=PROTOCOLS):
    """The first of protocols (newest first) among the X-Stream-Protocol-Version values
    the client offers, or None."""
    names = {p.strip() for value in offered for p in value.split(",")}
    return next((p for p in protocols if p in names), None)


def wanted_streams(flags):
    """The streams a client opens for an exec or attach with these flags."""
    wanted = {"error"} | {name for name in ("stdin", "stdout") if flags[name]}
    if flags["stderr"] and not flags["tty"]:
        wanted.add("stderr")
    if flags["tty"]:
        wanted.add("resize")
    return wanted


class SpdyChannels:
    """The server's end of one upgraded SPDY connection, after the 101."""

    def __init__(self, handler, protocol, flags):
        self.rfile, self.wfile = handler.rfile, handler.wfile
        self.protocol, self.wanted = protocol, wanted_streams(flags)
        self.codec = spdy.HeaderCodec()
        self.lock = threading.Lock()
        self.streams = {}        # streamType -> stream id
        self.types = {}          # stream id -> streamType
        self.opened = threading.Condition()
        self.console = None      # where stdin and resizes go, once read_client runs
        self.early = []          # (stream type, data, fin) before then
        self.closed = False
        threading.Thread(target=self._read, daemon=True, name="kubemn-spdy").start()

    def wait_streams(self):
        """True once the client has opened every stream it asked for."""
        with self.opened:
            return self.opened.wait_for(
                lambda: self.wanted <= set(self.streams) or self.closed, STREAM_WAIT) \
                and self.wanted <= set(self.streams)

    def _write(self, data):
        with self.lock:
            try:
                self.wfile.write(data)
                self.wfile.flush()
            except (OSError, ValueError):
                pass

    def send(self, channel, data):
        stream = self.streams.get(CHANNELS[channel])
        if stream is not None and data:
            self._write(spdy.data_frame(stream, data))

    def finish(self, code):
        """The exit status on the error stream (v4: a Status; older: a message when
        it failed), every stream closed, then the connection."""
        if self.protocol == PROTOCOLS[0]:
            status = json.dumps(exit_status(code)).encode()
        else:
            status = b"" if code == 0 else (
                "command terminated with non-zero exit code: exit status %d" % code).encode()
        for name in ("stdout", "stderr"):
            if name in self.streams:
                self._write(spdy.data_frame(self.streams[name], b"", fin=True))
        if "error" in self.streams:
            self._write(spdy.data_frame(self.streams["error"], status, fin=True))
        self._write(spdy.control_frame(spdy.GOAWAY, 0, b"\0\0\0\0\0\0\0\0"))

    def read_client(self, console):
        """Takes stdin and resizes to console (what came before it, too); returns
        when the client goes."""
        with self.opened:
            self.console, early = console, self.early
            self.early = []
        for kind, data, fin in early:
            self._deliver(kind, data, fin)
        with self.opened:
            self.opened.wait_for(lambda: self.closed)

    def _deliver(self, kind, data, fin):
        if kind == "stdin":
            if data:
                self.console.write(data)
            if fin:
                self.console.close_input()
        elif kind == "resize" and data:
            for line in data.splitlines():
                try:
                    size = json.loads(line)
                    self.console.resize(size["Width"], size["Height"])
                except (ValueError, KeyError, TypeError, OSError):
                    pass

    def _read(self):
        buffer = b""
        try:
            while True:
                chunk = self.rfile.read1(65536)
                if not chunk:
                    break
                frames, buffer = spdy.parse_frames(buffer + chunk)
                for frame in frames:
                    self._on_frame(frame)
        except (OSError, ValueError, spdy.SpdyError):
            pass
        with self.opened:
            self.closed = True
            self.opened.notify_all()

    def _on_frame(self, frame):
        if frame.control and frame.kind == spdy.SYN_STREAM:
            stream, headers = spdy.syn_stream_headers(frame, self.codec)
            self._write(spdy.syn_reply(stream, self.codec))
            with self.opened:
                kind = headers.get("streamtype", "")
                self.streams[kind], self.types[stream] = stream, kind
                self.opened.notify_all()
        elif frame.control and frame.kind == spdy.PING:
            self._write(spdy.control_frame(spdy.PING, 0, frame.payload))
        elif not frame.control:
            kind = self.types.get(frame.stream)
            with self.opened:
                if self.console is None:
                    self.early.append((kind, frame.payload, frame.fin))
                    return
            self._deliver(kind, frame.payload, frame.fin)
