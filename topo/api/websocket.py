"""The server side of a WebSocket (RFC 6455) and Kubernetes' channel protocol on it
(v4/v5.channel.k8s.io): every binary message starts with its channel, 0 stdin,
1 stdout, 2 stderr, 3 the final Status, 4 terminal resizes; in v5, 255 closes a
channel. kubectl exec speaks it."""
import base64
import hashlib
import struct

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255
TEXT, BINARY, CLOSE_FRAME, PING, PONG = 0x1, 0x2, 0x8, 0x9, 0xA
MAX_MESSAGE = 1 << 20


class WebSocketError(Exception):
    pass


def accept_key(key):
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


def choose_protocol(header, served=PROTOCOLS):
    """The first protocol of served among those the client offers."""
    offered = [p.strip() for p in (header or "").split(",")]
    return next((p for p in served if p in offered), None)


def frame(opcode, payload):
    """A server frame (unmasked, final)."""
    head = bytes([0x80 | opcode])
    if len(payload) < 126:
        head += bytes([len(payload)])
    elif len(payload) < 1 << 16:
        head += bytes([126]) + struct.pack("!H", len(payload))
    else:
        head += bytes([127]) + struct.pack("!Q", len(payload))
    return head + payload


def read_frame(read):
    """(opcode, payload) of the next frame; read(n) returns exactly n bytes or fewer
    at the end of the stream."""
    head = read(2)
    if len(head) < 2:
        raise EOFError
    opcode, length = head[0] & 0x0F, head[1] & 0x7F
    masked = head[1] & 0x80
    if length == 126:
        length = struct.unpack("!H", read(2))[0]
    elif length == 127:
        length = struct.unpack("!Q", read(8))[0]
    if length > MAX_MESSAGE:
        raise WebSocketError("frame of %d bytes is too large" % length)
    mask = read(4) if masked else b"\0\0\0\0"
    payload = read(length)
    if len(payload) < length:
        raise EOFError
    if masked:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return opcode, payload


def read_message(read):
    """(opcode, payload) of the next whole message (fragments joined)."""
    opcode, payload = read_frame(read)
    while opcode == 0x0:   # a continuation without a start: skip
        opcode, payload = read_frame(read)
    return opcode, payload
