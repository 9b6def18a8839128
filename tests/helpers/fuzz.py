"""Malformed and hostile packets into the fabric, bounded in count, from inside a pod
or the internet host: garbage ARP, IP fragments, bad checksums, every TCP flag
combination at a Service, and a burst of new connections. Prints how many it sent.

  fuzz.py VIP PORT TARGET_IP TARGET_PORT [COUNT_EACH]
"""
import random
import sys

from scapy.all import ARP, ICMP, IP, TCP, UDP, Ether, Raw, conf, get_if_hwaddr, sendp

conf.verb = 0
random.seed(7)


def rand_ip():
    return "%d.%d.%d.%d" % tuple(random.randint(0, 255) for _ in range(4))


def rand_mac():
    return "02:%02x:%02x:%02x:%02x:%02x" % tuple(random.randint(0, 255) for _ in range(5))


def packets(vip, port, target, target_port, each, gateway_mac, own_mac):
    eth = Ether(src=own_mac, dst=gateway_mac)
    for _ in range(each):  # garbage ARP, to the broadcast and to the gateway
        yield Ether(src=rand_mac(), dst=random.choice(["ff:ff:ff:ff:ff:ff", gateway_mac])) / \
            ARP(op=random.randint(0, 65535), hwsrc=rand_mac(), psrc=rand_ip(),
                hwdst=rand_mac(), pdst=random.choice([rand_ip(), "192.168.0.254"]))
    for _ in range(each):  # fragments, overlapping and out of order
        yield eth / IP(dst=random.choice([vip, target]), flags=random.choice([0, 1]),
                       frag=random.randint(0, 8191), id=random.randint(0, 65535),
                       proto=random.choice([6, 17, 1])) / Raw(bytes(random.randint(0, 255)
                                                                   for _ in range(24)))
    for _ in range(each):  # bad checksums
        layer = random.choice([TCP(dport=port, chksum=random.randint(0, 65535)),
                               UDP(dport=port, chksum=random.randint(1, 65535)),
                               ICMP(chksum=random.randint(0, 65535))])
        yield eth / IP(dst=random.choice([vip, target]), chksum=random.randint(0, 65535)) / layer
    for flags in range(256):  # every TCP flag combination at the Service
        for _ in range(max(1, each // 256)):
            yield eth / IP(dst=vip) / TCP(sport=random.randint(1024, 65535), dport=port,
                                          flags=flags, seq=random.randint(0, 2 ** 32 - 1))
    for _ in range(each):  # a burst of new connections, to the Service and directly
        dst, dport = random.choice([(vip, port), (target, target_port)])
        yield eth / IP(dst=dst) / TCP(sport=random.randint(1024, 65535), dport=dport,
                                      flags="S")


def main(vip, port, target, target_port, each="2000"):
    iface = "eth0"
    own_mac = get_if_hwaddr(iface)
    gateway_mac = sys.stdin.readline().strip() or "ff:ff:ff:ff:ff:ff"
    batch = list(packets(vip, int(port), target, int(target_port), int(each), gateway_mac,
                         own_mac))
    sendp(batch, iface=iface)
    print(len(batch))


if __name__ == "__main__":
    main(*sys.argv[1:])
