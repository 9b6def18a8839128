"""SPDY/3.1 framing (pure), the part kubectl port-forward speaks: kubectl 1.37
tunnels a SPDY session through a WebSocket (protocol SPDY/3.1+portforward.k8s.io),
one stream pair (error, data) per forwarded connection.

Frames: an 8-byte header (control: 1, version 3, type; data: 0, stream id; then
flags and a 24-bit length). Header blocks are name/value pairs, zlib-compressed with
one context per direction and, from the client, the dictionary SPDY/3 defines.
"""
import struct
import zlib

VERSION = 3
SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY, HEADERS, WINDOW_UPDATE = \
    1, 2, 3, 4, 6, 7, 8, 9
FLAG_FIN = 0x01
MAX_FRAME = 1 << 24


def _dictionary():
    """The header compression dictionary of the SPDY/3 specification (section
    2.6.10.1): length-prefixed header names and values, then a run of common text."""
    words = ("options head post put delete trace accept accept-charset accept-encoding "
             "accept-language accept-ranges age allow authorization cache-control "
             "connection content-base content-encoding content-language content-length "
             "content-location content-md5 content-range content-type date etag expect "
             "expires from host if-match if-modified-since if-none-match if-range "
             "if-unmodified-since last-modified location max-forwards pragma "
             "proxy-authenticate proxy-authorization range referer retry-after server te "
             "trailer transfer-encoding upgrade user-agent vary via warning "
             "www-authenticate method get status").split() + ["200 OK"] + \
        "version HTTP/1.1 url public set-cookie keep-alive origin".split()
    prefixed = b"".join(struct.pack("!I", len(w)) + w.encode() for w in words)
    codes = "".join(str(c) for c in (100, 101, 201, 202, 205, 206, 300, 302, 303, 304, 305,
                                     306, 307, 402, 405, 406, 407, 408, 409, 410, 411, 412,
                                     413, 414, 415, 416, 417, 502, 504, 505))
    text = (codes + "203 Non-Authoritative Information204 No Content301 Moved Permanently"
            "400 Bad Request401 Unauthorized403 Forbidden404 Not Found500 Internal Server "
            "Error501 Not Implemented503 Service UnavailableJan Feb Mar Apr May Jun Jul "
            "Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMTchunked,"
            "text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,"
            "text/plain,text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8"
            "charset=iso-8859-1,utf-,*,enq=0.")
    return prefixed + text.encode()


DICTIONARY = _dictionary()


class SpdyError(ValueError):
    pass


class Frame:
    """A parsed frame: control (kind, flags, payload) or data (stream, flags, data)."""

    def __init__(self, control, kind, stream, flags, payload):
        self.control, self.kind, self.stream = control, kind, stream
        self.flags, self.payload = flags, payload

    @property
    def fin(self):
        return bool(self.flags & FLAG_FIN)


def parse_frames(buffer):
    """(complete frames, the bytes left over) from a byte buffer."""
    frames, pos = [], 0
    while len(buffer) - pos >= 8:
        first, second = struct.unpack_from("!II", buffer, pos)
        flags, length = second >> 24, second & 0xFFFFFF
        if len(buffer) - pos - 8 < length:
            break
        payload = bytes(buffer[pos + 8:pos + 8 + length])
        pos += 8 + length
        if first & 0x80000000:
            version, kind = (first >> 16) & 0x7FFF, first & 0xFFFF
            if version != VERSION:
                raise SpdyError("SPDY version %d, not 3" % version)
            stream = struct.unpack_from("!I", payload)[0] & 0x7FFFFFFF \
                if kind in (SYN_STREAM, SYN_REPLY, RST_STREAM, HEADERS, WINDOW_UPDATE) \
                and len(payload) >= 4 else 0
            frames.append(Frame(True, kind, stream, flags, payload))
        else:
            frames.append(Frame(False, None, first & 0x7FFFFFFF, flags, payload))
    return frames, buffer[pos:]


def control_frame(kind, flags, payload):
    return struct.pack("!II", 0x80000000 | (VERSION << 16) | kind,
                       (flags << 24) | len(payload)) + payload


def data_frame(stream, data, fin=False):
    return struct.pack("!II", stream & 0x7FFFFFFF,
                       ((FLAG_FIN if fin else 0) << 24) | len(data)) + data


class HeaderCodec:
    """One direction's header compression context, kept for the whole session."""

    def __init__(self):
        self.inflater = zlib.decompressobj(zdict=DICTIONARY)
        self.deflater = zlib.compressobj(zdict=DICTIONARY)

    def decode(self, block):
        """{name: value} of a compressed header block."""
        try:
            raw = self.inflater.decompress(block)
        except zlib.error as exc:
            raise SpdyError("bad header block: %s" % exc) from None
        count, pos, headers = struct.unpack_from("!I", raw)[0], 4, {}
        for _ in range(count):
            size = struct.unpack_from("!I", raw, pos)[0]
            name = raw[pos + 4:pos + 4 + size].decode()
            pos += 4 + size
            size = struct.unpack_from("!I", raw, pos)[0]
            headers[name.lower()] = raw[pos + 4:pos + 4 + size].decode()
            pos += 4 + size
        return headers

    def encode(self, headers):
        raw = struct.pack("!I", len(headers)) + b"".join(
            struct.pack("!I", len(k)) + k.encode() + struct.pack("!I", len(v)) + v.encode()
            for k, v in headers.items())
        return self.deflater.compress(raw) + self.deflater.flush(zlib.Z_SYNC_FLUSH)


def syn_stream_headers(frame, codec):
    """The stream id and headers of a SYN_STREAM (id, associated id, priority, slot,
    then the header block)."""
    return frame.stream, codec.decode(frame.payload[10:])


def syn_reply(stream, codec, headers=None):
    return control_frame(SYN_REPLY, 0, struct.pack("!I", stream) + codec.encode(headers or {}))


def rst_stream(stream, status=5):   # 5: CANCEL
    return control_frame(RST_STREAM, 0, struct.pack("!II", stream, status))
