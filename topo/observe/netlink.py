"""Netlink's framing, as the netfilter subsystems use it (pure): messages of a read,
their attributes, and requests (the kernel's include/uapi/linux/netlink.h and
netfilter/nfnetlink.h)."""
import struct

NETLINK_NETFILTER = 12
NLM_F_REQUEST, NLM_F_ACK = 0x1, 0x4
NLMSG_ERROR = 2
NLA_TYPE_MASK = 0x3fff   # without NLA_F_NESTED and NLA_F_NET_BYTEORDER

NLMSG = struct.Struct("=IHHII")   # length, type, flags, sequence, port id
NFGENMSG = struct.Struct("=BBH")   # family, version, resource id (big-endian)
ATTRIBUTE = struct.Struct("=HH")   # length, type


def _aligned(length):
    return (length + 3) & ~3


def messages(data):
    """(type, flags, body) of each message of one read (body: what follows its
    header)."""
    at = 0
    while at + NLMSG.size <= len(data):
        length, kind, flags, _, _ = NLMSG.unpack_from(data, at)
        if length < NLMSG.size:
            return
        yield kind, flags, data[at + NLMSG.size:at + length]
        at += _aligned(length)


def attributes(data):
    """{type: payload} of a run of netlink attributes (the last of a type wins)."""
    found = {}
    at = 0
    while at + ATTRIBUTE.size <= len(data):
        length, kind = ATTRIBUTE.unpack_from(data, at)
        if length < ATTRIBUTE.size:
            break
        found[kind & NLA_TYPE_MASK] = data[at + ATTRIBUTE.size:at + length]
        at += _aligned(length)
    return found


def attribute(kind, payload):
    length = ATTRIBUTE.size + len(payload)
    return ATTRIBUTE.pack(length, kind) + payload + bytes(_aligned(length) - length)


def nfnetlink_request(message_type, resource, attrs, sequence=1, family=0):
    """A netfilter request the kernel acknowledges: its header, nfgenmsg (resource:
    the subsystem's id, e.g. an NFLOG group) and attributes ((type, payload))."""
    body = NFGENMSG.pack(family, 0, struct.unpack("=H", struct.pack("!H", resource))[0])
    body += b"".join(attribute(kind, payload) for kind, payload in attrs)
    return NLMSG.pack(NLMSG.size + len(body), message_type, NLM_F_REQUEST | NLM_F_ACK,
                      sequence, 0) + body


def error_of(data):
    """The errno of the first acknowledgement in a read (0: success), or None."""
    for kind, _, body in messages(data):
        if kind == NLMSG_ERROR and len(body) >= 4:
            return -struct.unpack_from("=i", body)[0]
    return None
