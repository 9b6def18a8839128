"""One HTTP GET from a chosen source port (SO_REUSEADDR, as a busy client reusing
ports would): prints the body, or ERROR and the reason.

  http_from_port.py SOURCE_PORT HOST PORT PATH [TIMEOUT]
"""
import socket
import sys


def get(source_port, host, port, path, timeout=3.0):
    """The body of one HTTP/1.0 GET (the server closes first), or "ERROR reason"."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.settimeout(timeout)
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
        return response.split(b"\r\n\r\n", 1)[-1].decode(errors="replace")
    except OSError as exc:
        return "ERROR %s" % exc
    finally:
        sock.close()


def main(source_port, host, port, path, timeout="3"):
    print(get(int(source_port), host, int(port), path, float(timeout)))


if __name__ == "__main__":
    main(*sys.argv[1:])
