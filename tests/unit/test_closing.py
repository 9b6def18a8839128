"""Which connection a copied FIN or RST closes, when the closing channel flushes it,
and the OpenFlow it speaks (controllers/closing.py)."""
import struct

import pytest
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.l2 import ARP, Ether

from controllers import closing
from controllers.closing import FLUSH_DELAY, Closing, Original, original_of_reply

VIP, CLIENT = "10.96.0.20", "10.244.1.4"


def test_the_original_tuple_is_the_reply_turned_around():
    fin = bytes(Ether() / IP(src=VIP, dst=CLIENT) / TCP(sport=80, dport=40000, flags="FA"))
    assert original_of_reply(fin) == Original(6, CLIENT, 40000, VIP, 80)


def test_ip_options_do_not_move_the_ports():
    fin = bytes(Ether() / IP(src=VIP, dst=CLIENT, options=b"\x01\x01\x01\x00") /
                TCP(sport=80, dport=40000, flags="R"))
    assert original_of_reply(fin) == Original(6, CLIENT, 40000, VIP, 80)


def test_anything_but_ipv4_tcp_names_no_connection():
    for frame in (Ether() / ARP(), Ether() / IP(src=VIP, dst=CLIENT) / UDP(),
                  Ether() / IP(src=VIP, dst=CLIENT) / ICMP()):
        assert original_of_reply(bytes(frame)) is None
    truncated = bytes(Ether() / IP(src=VIP, dst=CLIENT) / TCP())[:30]
    assert original_of_reply(truncated) is None


def test_a_connection_is_flushed_once_after_the_delay_in_the_order_it_closed():
    pending = Closing()
    first, second = Original(6, CLIENT, 40000, VIP, 80), Original(6, CLIENT, 40002, VIP, 80)
    pending.closed(0x4B01, first, "s1", now=10.0)
    pending.closed(0x4B01, first, "s1", now=10.1)      # its RST after its FIN
    pending.closed(0x4B02, first, "s1", now=10.1)      # the masquerade's zone: its own
    pending.closed(0x4B01, second, "s1", now=10.2)
    assert pending.due(10.0 + FLUSH_DELAY / 2) == []
    assert pending.due(10.15 + FLUSH_DELAY) == [("s1", 0x4B01, first), ("s1", 0x4B02, first)]
    assert pending.due(11.0 + FLUSH_DELAY) == [("s1", 0x4B01, second)]
    assert pending.due(99.0) == []


def test_a_copy_without_a_zone_or_a_tuple_is_ignored():
    pending = Closing()
    pending.closed(None, Original(6, CLIENT, 40000, VIP, 80), "s1", now=0)
    pending.closed(0x4B01, None, "s1", now=0)
    assert pending.due(99.0) == []


def packet_in_message(table_id, data, match_fields=(b"\x80\x00\x00\x04\x00\x00\x00\x02",)):
    """An OpenFlow 1.3 packet-in as Open vSwitch sends it: fixed part, match (OXM
    fields, padded to 8 bytes), two bytes of padding, the packet."""
    fields = b"".join(match_fields)
    match = struct.pack("!HH", 1, 4 + len(fields)) + fields
    match += bytes(-len(match) % 8)
    body = struct.pack("!IHBBQ", 0xFFFFFFFF, len(data), 1, table_id, 0) + match + bytes(2) + data
    return struct.pack("!BBHI", 4, closing.OFPT_PACKET_IN, 8 + len(body), 7) + body


@pytest.mark.parametrize("extra", [0, 1, 4, 7])
def test_a_packet_in_gives_its_table_and_packet_whatever_its_match_length(extra):
    fin = bytes(Ether() / IP(src=VIP, dst=CLIENT) / TCP(sport=80, dport=40000, flags="FA"))
    fields = (b"\x80\x00\x00\x04\x00\x00\x00\x02",
              struct.pack("!HBB", 0x0001, 106 << 1, extra) + bytes(extra))
    table_id, data = closing.packet_in(packet_in_message(24, fin, fields))
    assert table_id == 24 and original_of_reply(data) == Original(6, CLIENT, 40000, VIP, 80)


def test_messages_are_cut_from_the_stream_where_their_lengths_say():
    one, two = packet_in_message(24, b"x" * 60), closing.hello()
    stream = one + two + one[:10]
    found, rest = closing.messages(stream)
    assert [(kind, message) for kind, _, message in found] == [
        (closing.OFPT_PACKET_IN, one), (closing.OFPT_HELLO, two)]
    assert rest == one[:10]
    assert closing.messages(rest + one[10:]) == ([(closing.OFPT_PACKET_IN, 7, one)], b"")
    with pytest.raises(ValueError):
        closing.messages(struct.pack("!BBHI", 4, 0, 4, 0))


def test_an_echo_is_answered_with_its_own_transaction_and_payload():
    request = struct.pack("!BBHI", 4, closing.OFPT_ECHO_REQUEST, 12, 99) + b"ping"
    assert closing.echo_reply(request) == struct.pack(
        "!BBHI", 4, closing.OFPT_ECHO_REPLY, 12, 99) + b"ping"


def test_the_flush_names_the_zone_and_the_whole_original_tuple():
    message = closing.ct_flush(0x4B01, Original(6, CLIENT, 40000, VIP, 80))
    version, kind, length, _ = struct.unpack_from("!BBHI", message)
    assert (version, kind, length) == (4, closing.OFPT_EXPERIMENTER, len(message))
    assert struct.unpack_from("!IIB", message, 8) == (
        closing.NX_VENDOR_ID, closing.NXT_CT_FLUSH, 6)
    properties, offset = {}, 24
    while offset < len(message):          # type, length, value padded to 8 bytes
        kind, size = struct.unpack_from("!HH", message, offset)
        properties[kind] = message[offset + 4:offset + size]
        offset += (size + 7) // 8 * 8
    assert properties[closing.CT_ZONE_ID] == b"\x4b\x01"
    assert b"\xff\xff" + bytes([10, 244, 1, 4]) in properties[closing.CT_ORIG_TUPLE]
    assert b"\xff\xff" + bytes([10, 96, 0, 20]) in properties[closing.CT_ORIG_TUPLE]
