"""A Service connection from a chosen source port, then at once a direct one from the
same port to the endpoint behind it (as a client alternating the two reuses ports):
prints JSON {"service": body, "direct": body, "seconds": the direct GET's time}, a
body being "ERROR reason" if its connection failed.

  service_then_direct.py SOURCE_PORT VIP VIP_PORT ENDPOINT ENDPOINT_PORT PATH
"""
import json
import socket
import sys
import time

TIMEOUT = 3.0


def get(source_port, host, port, path):
    """One HTTP/1.0 GET (the server closes first, as in the bench's client)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.settimeout(TIMEOUT)
    try:
        sock.bind(("0.0.0.0", source_port))
        sock.connect((host, port))
        sock.sendall(("GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" % (path, host)).encode())
        response = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            response += chunk
        return response.split(b"\r\n\r\n", 1)[-1].decode(errors="replace").strip()
    except OSError as exc:
        return "ERROR %s" % exc
    finally:
        sock.close()


def main(source_port, vip, vip_port, endpoint, endpoint_port, path):
    source_port = int(source_port)
    service = get(source_port, vip, int(vip_port), path)
    started = time.monotonic()
    direct = get(source_port, endpoint, int(endpoint_port), path)
    print(json.dumps({"service": service, "direct": direct,
                      "seconds": round(time.monotonic() - started, 3)}))


if __name__ == "__main__":
    main(*sys.argv[1:])
