"""A TCP connection relayed over standard input and output: what kubemn runs on
another server, in a pod's network namespace there, to forward a port of the pod
(topo/api/portforward.py). It says first whether it connected (a zero byte, or a
one byte and the error's text), then copies both ways until either side ends.

  python -m topo.servers.relay PORT
"""
import os
import socket
import sys
import threading

CHUNK = 32 * 1024


def main():
    port = int(sys.argv[1])
    out = sys.stdout.buffer
    try:
        sock = socket.create_connection(("127.0.0.1", port), 5)
    except OSError as exc:
        out.write(b"\x01" + str(exc).encode())
        out.flush()
        return
    sock.settimeout(None)
    out.write(b"\x00")
    out.flush()

    def from_pod():
        while True:
            data = sock.recv(CHUNK)
            if not data:
                break
            out.write(data)
            out.flush()
        os._exit(0)   # the pod closed it: so is the stream

    threading.Thread(target=from_pod, daemon=True).start()
    while True:
        data = os.read(0, CHUNK)
        if not data:
            sock.shutdown(socket.SHUT_WR)
            break
        sock.sendall(data)
    threading.Event().wait()   # until the pod closes its side


if __name__ == "__main__":
    main()
