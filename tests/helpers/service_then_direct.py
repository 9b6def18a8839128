"""A Service connection from a chosen source port, then at once a direct one from the
same port to the endpoint behind it (as a client alternating the two reuses ports):
prints JSON {"service": body, "direct": body, "seconds": the direct GET's time}, a
body being "ERROR reason" if its connection failed.

  service_then_direct.py SOURCE_PORT VIP VIP_PORT ENDPOINT ENDPOINT_PORT PATH
"""
import json
import sys
import time

from http_from_port import get   # its neighbour in tests/helpers


def main(source_port, vip, vip_port, endpoint, endpoint_port, path):
    source_port = int(source_port)
    service = get(source_port, vip, int(vip_port), path).strip()
    started = time.monotonic()
    direct = get(source_port, endpoint, int(endpoint_port), path).strip()
    print(json.dumps({"service": service, "direct": direct,
                      "seconds": round(time.monotonic() - started, 3)}))


if __name__ == "__main__":
    main(*sys.argv[1:])
