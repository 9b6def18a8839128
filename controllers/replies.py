"""Packets the fabric answers itself: ARP for the gateway and node addresses,
ping to the gateway. Pure: bytes in, bytes out (or None)."""
from ryu.lib.packet import arp, ethernet, icmp, ipv4, packet
from ryu.ofproto import ether, inet

from controllers.routing import fabric_mac_of


def reply_to(state, data):
    """The reply the fabric sends back for this packet-in, or None to drop it."""
    pkt = packet.Packet(data)
    eth = pkt.get_protocol(ethernet.ethernet)
    if eth is None:
        return None
    request = pkt.get_protocol(arp.arp)
    if request is not None:
        return _arp_reply(state, eth, request)
    ip = pkt.get_protocol(ipv4.ipv4)
    echo = pkt.get_protocol(icmp.icmp)
    if ip is not None and echo is not None and echo.type == icmp.ICMP_ECHO_REQUEST \
            and ip.dst == state.gateway_ip:
        return _echo_reply(state, eth, ip, echo)
    return None


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
    reply.add_protocol(ipv4.ipv4(dst=ip.src, src=state.gateway_ip, proto=inet.IPPROTO_ICMP))
    reply.add_protocol(icmp.icmp(type_=icmp.ICMP_ECHO_REPLY, code=0, csum=0, data=echo.data))
    reply.serialize()
    return bytes(reply.data)
