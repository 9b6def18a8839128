"""Captures and probes with scapy inside namespaces: `trace` and the integration
tests run them there with nsenter.

  python -m topo.runtime.capture IFACE BPF SECONDS [COUNT]
        prints READY once it captures; when COUNT packets were seen (without COUNT:
        when its input closes) or SECONDS passed, one JSON list of the IPv4 packets
        it saw
  python -m topo.runtime.capture send PROTO DST DPORT SPORT
        one packet; prints its answer
"""
import json
import sys
import threading

from scapy.all import ICMP, IP, TCP, UDP, AsyncSniffer, Raw, conf

conf.verb = 0


def summary(pkt):
    """An IPv4 packet as JSON-ready fields: addresses, TTL, protocol, ports, TCP
    flags, ICMP type, code and id, and its payload as text."""
    ip = pkt[IP]
    found = {"time": float(pkt.time), "src": ip.src, "dst": ip.dst, "ttl": ip.ttl}
    for layer, name in ((TCP, "tcp"), (UDP, "udp")):
        if layer in pkt:
            found.update(proto=name, sport=pkt[layer].sport, dport=pkt[layer].dport)
    if TCP in pkt:
        found["flags"] = str(pkt[TCP].flags)
    if UDP in pkt:
        found["payload"] = bytes(pkt[UDP].payload).decode(errors="replace")
    elif Raw in pkt:
        found["payload"] = bytes(pkt[Raw].load).decode(errors="replace")
    if ICMP in pkt:
        found.update(proto="icmp", icmp_type=pkt[ICMP].type, icmp_code=pkt[ICMP].code,
                     icmp_id=pkt[ICMP].id)
    return found


def main(iface, bpf, seconds, count="0"):
    """Captures until count packets were seen (count 0: until standard input
    closes) or seconds pass, then reports."""
    sniffer = AsyncSniffer(iface=iface, filter=bpf, count=int(count), store=True,
                           lfilter=lambda p: IP in p,
                           started_callback=lambda: print("READY", flush=True))
    sniffer.start()
    if int(count):
        sniffer.join(float(seconds))
    else:
        stop = threading.Thread(target=sys.stdin.read, daemon=True)
        stop.start()
        stop.join(float(seconds))
    if sniffer.running:
        sniffer.stop()
    print(json.dumps([summary(p) for p in sniffer.results or []]), flush=True)


def send(proto, dst, dport, sport):
    """One packet, and its answer: prints the answer's summary (or null)."""
    from scapy.all import sr1
    if proto == "tcp":
        packet = IP(dst=dst) / TCP(sport=int(sport), dport=int(dport), flags="S")
    elif proto == "udp":
        packet = IP(dst=dst) / UDP(sport=int(sport), dport=int(dport)) / b"hostname"
    else:
        packet = IP(dst=dst) / ICMP(id=int(sport)) / b"kubemn trace"
    answer = sr1(packet, timeout=2)
    print(json.dumps(summary(answer) if answer is not None and IP in answer else None))


if __name__ == "__main__":
    if sys.argv[1:2] == ["send"]:
        send(*sys.argv[2:])
    else:
        main(*sys.argv[1:])
