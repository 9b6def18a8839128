"""scapy in a namespace, for the integration tests: run with nsenter in a pod or node.

  packets.py sniff IFACE FILTER COUNT TIMEOUT   prints READY once capturing, then
                                                one JSON list of the packets seen
  packets.py ping DST [TTL] [ICMP_ID]           one echo request; JSON of the reply
  packets.py syn DST DPORT                      one SYN; JSON of the answer
  packets.py udp DST DPORT PAYLOAD              one datagram; JSON of the answer
"""
import json
import random
import sys

from scapy.all import ICMP, IP, TCP, UDP, AsyncSniffer, Raw, conf, sr1

conf.verb = 0


def summary(pkt):
    if IP not in pkt:
        return {"summary": pkt.summary()}
    ip = pkt[IP]
    found = {"src": ip.src, "dst": ip.dst, "ttl": ip.ttl, "proto": ip.proto}
    if TCP in pkt:
        found.update(sport=pkt[TCP].sport, dport=pkt[TCP].dport, flags=str(pkt[TCP].flags))
    if UDP in pkt:
        found.update(sport=pkt[UDP].sport, dport=pkt[UDP].dport,
                     payload=bytes(pkt[UDP].payload).decode(errors="replace"))
    if ICMP in pkt:
        found.update(icmp_type=pkt[ICMP].type, icmp_code=pkt[ICMP].code, icmp_id=pkt[ICMP].id)
    if Raw in pkt and UDP not in pkt:
        found["payload"] = bytes(pkt[Raw].load).decode(errors="replace")
    return found


def sniff(iface, bpf, count, timeout):
    sniffer = AsyncSniffer(iface=iface, filter=bpf, count=int(count), store=True,
                           started_callback=lambda: print("READY", flush=True))
    sniffer.start()
    sniffer.join(float(timeout))
    if sniffer.running:
        sniffer.stop()
    print(json.dumps([summary(p) for p in sniffer.results or []]), flush=True)


def answer(packet):
    reply = sr1(packet, timeout=3)
    print(json.dumps(summary(reply) if reply is not None else None), flush=True)


def main(argv):
    verb, args = argv[0], argv[1:]
    if verb == "sniff":
        sniff(*args)
    elif verb == "ping":
        ttl = int(args[1]) if len(args) > 1 else 64
        ident = int(args[2]) if len(args) > 2 else random.randint(1, 65535)
        answer(IP(dst=args[0], ttl=ttl) / ICMP(id=ident) / Raw(b"kubemn"))
    elif verb == "syn":
        answer(IP(dst=args[0]) / TCP(sport=random.randint(20000, 60000),
                                     dport=int(args[1]), flags="S"))
    elif verb == "udp":
        answer(IP(dst=args[0]) / UDP(sport=random.randint(20000, 60000),
                                     dport=int(args[1])) / Raw(args[2].encode()))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
