"""Load programs that run inside pods, each one process looping, bounded in time.

  load.py serve PORT        a minimal HTTP server: accept, read, answer, close
  load.py rate SECONDS HOST PORT [reset|close]
                            new connections per second (connect, request, close),
                            how many completed and failed, the slowest in seconds:
                            by default each ends with a reset, which leaves no
                            TIME_WAIT at the server; "close" ends them normally
"""
import json
import socket
import sys
import time

RESPONSE = b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"


def serve(port):
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("0.0.0.0", int(port)))
    listener.listen(1024)
    while True:
        connection, _ = listener.accept()
        try:
            connection.recv(4096)
            connection.sendall(RESPONSE)
        except OSError:
            pass
        finally:
            connection.close()


def rate(seconds, host, port, ending="reset"):
    done = failed = 0
    slowest = 0.0
    deadline = time.monotonic() + float(seconds)
    started = time.monotonic()
    while time.monotonic() < deadline:
        began = time.monotonic()
        try:
            with socket.create_connection((host, int(port)), timeout=1) as connection:
                if ending == "reset":
                    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                          b"\x01\x00\x00\x00\x00\x00\x00\x00")
                connection.sendall(b"GET / HTTP/1.0\r\n\r\n")
                while connection.recv(4096):
                    pass
            done += 1
        except OSError:
            failed += 1
        slowest = max(slowest, time.monotonic() - began)
    elapsed = time.monotonic() - started
    print(json.dumps({"per_second": done / elapsed, "done": done, "failed": failed,
                      "slowest": slowest}))


if __name__ == "__main__":
    {"serve": serve, "rate": rate}[sys.argv[1]](*sys.argv[2:])
