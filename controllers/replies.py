"""Packets the fabric answers itself: ARP for the gateway and node addresses,
ping to the gateway. Pure: bytes in, bytes out (or None)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ryu.lib.packet import arp, ethernet, icmp, ipv4, packet, tcp, udp
from ryu.ofproto import ether, inet

from controllers.routing import fabric_mac_of, gateway_ips
from controllers.tables import SERVICE

if TYPE_CHECKING:
    from controllers.state import FabricState

ETHERNET_HEADER = 14


def reply_to(state: FabricState, data: bytes, table_id: int = 0) -> bytes | None:
    """The reply the fabric sends back for this packet-in, or None to drop it.
    From the SERVICE table, the packet opened a connection to a Service frontend
    without endpoints: it is rejected (TCP reset, ICMP port unreachable)."""
    pkt = packet.Packet(data)
    eth = pkt.get_protocol(ethernet.ethernet)
    if eth is None:
        return None
    request = pkt.get_protocol(arp.arp)
    if request is not None:
        return _arp_reply(state, eth, request)
    ip = pkt.get_protocol(ipv4.ipv4)
    if ip is None:
        return None
    if table_id == SERVICE:
        return _reject(state, pkt, data, eth, ip)
    echo = pkt.get_protocol(icmp.icmp)
    if echo is not None and echo.type == icmp.ICMP_ECHO_REQUEST \
            and ip.dst in gateway_ips(state):
        return _echo_reply(state, eth, ip, echo)
    return None


def _reject(state, pkt, data, eth, ip):
    reply = packet.Packet()
    reply.add_protocol(ethernet.ethernet(dst=eth.src, src=state.gateway_mac,
                                         ethertype=ether.ETH_TYPE_IP))
    segment = pkt.get_protocol(tcp.tcp)
    if segment is not None:
        if segment.bits & tcp.TCP_RST:
            return None
        reply.add_protocol(ipv4.ipv4(dst=ip.src, src=ip.dst, proto=inet.IPPROTO_TCP))
        payload = len(pkt.protocols[-1]) if isinstance(pkt.protocols[-1], bytes) else 0
        ack = segment.seq + payload + (1 if segment.bits & (tcp.TCP_SYN | tcp.TCP_FIN) else 0)
        reply.add_protocol(tcp.tcp(src_port=segment.dst_port, dst_port=segment.src_port,
                                   seq=segment.ack if segment.bits & tcp.TCP_ACK else 0,
                                   ack=ack & 0xFFFFFFFF, bits=tcp.TCP_RST | tcp.TCP_ACK))
    elif pkt.get_protocol(udp.udp) is not None:
        reply.add_protocol(ipv4.ipv4(dst=ip.src, src=ip.dst, proto=inet.IPPROTO_ICMP))
        original = _ip_header_and_8(data, ip)
        reply.add_protocol(icmp.icmp(type_=icmp.ICMP_DEST_UNREACH,
                                     code=icmp.ICMP_PORT_UNREACH_CODE,
                                     data=icmp.dest_unreach(data=original)))
    else:
        return None
    reply.serialize()
    return bytes(reply.data)


def _ip_header_and_8(data, ip):
    """The original IP header and first 8 bytes of its payload, for ICMP errors."""
    return bytes(data[ETHERNET_HEADER:ETHERNET_HEADER + ip.header_length * 4 + 8])


def _arp_reply(state, eth, request):
    if request.opcode != arp.ARP_REQUEST:
        return None
    mac = fabric_mac_of(state, request.dst_ip)
    if mac is None or request.dst_ip == request.src_ip:
        return None
    reply = packet.Packet()
    reply.add_protocol(ethernet.ethernet(dst=eth.src, src=mac, ethertype=ether.ETH_TYPE_ARP))
    reply.add_protocol(arp.arp(opcode=arp.ARP_REPLY, src_mac=mac, src_ip=request.dst_ip,
                               dst_mac=request.src_mac, dst_ip=request.src_ip))
    reply.serialize()
    return bytes(reply.data)


def _echo_reply(state, eth, ip, echo):
    reply = packet.Packet()
    reply.add_protocol(ethernet.ethernet(dst=eth.src, src=state.gateway_mac,
                                         ethertype=ether.ETH_TYPE_IP))
    reply.add_protocol(ipv4.ipv4(dst=ip.src, src=ip.dst, proto=inet.IPPROTO_ICMP))
    reply.add_protocol(icmp.icmp(type_=icmp.ICMP_ECHO_REPLY, code=0, csum=0, data=echo.data))
    reply.serialize()
    return bytes(reply.data)
