"""scapy probes in a namespace, for the integration tests: run with nsenter in a pod
or node. Packets are summed up as `trace` sums them up (topo/runtime/capture.py,
which also captures for the tests).

  packets.py ping DST [TTL] [ICMP_ID]           one echo request; JSON of the reply
  packets.py syn DST DPORT                      one SYN; JSON of the answer
  packets.py udp DST DPORT PAYLOAD              one datagram; JSON of the answer
"""
import json
import random
import sys

from scapy.all import ICMP, IP, TCP, UDP, Raw, conf, sr1

from topo.runtime.capture import summary

conf.verb = 0


def answer(packet):
    reply = sr1(packet, timeout=3)
    print(json.dumps(summary(reply) if reply is not None and IP in reply else None),
          flush=True)


def main(argv):
    verb, args = argv[0], argv[1:]
    if verb == "ping":
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
