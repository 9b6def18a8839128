"""agnhost serve-hostname (and the serve_hostname image): the pod's hostname over HTTP
on port 9376, or raw over TCP and/or UDP (--tcp, --udp; not together with --http).
Flags as agnhost's: --http (true), --tcp, --udp, --close, --port 9376. On SIGTERM it
waits for the pod's deletion, as the real one does."""
import argparse
import signal
import socket
import sys
import threading
import time

from services.apps import http_server


def log(message):
    sys.stderr.write("%s %s\n" % (time.strftime("%Y/%m/%d %H:%M:%S"), message))
    sys.stderr.flush()


def flag(text):
    return text.lower() in ("1", "t", "true")


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="serve-hostname")
    for name, default in (("tcp", False), ("udp", False), ("http", True), ("close", False)):
        parser.add_argument("--" + name, nargs="?", const=True, default=default, type=flag)
    parser.add_argument("--port", type=int, default=9376)
    args = parser.parse_args(argv)
    if args.http and (args.tcp or args.udp):
        parser.exit(1, "Can't server TCP/UDP mode and HTTP mode at the same time\n")
    return args


def main(argv=None):
    args = parse_args(argv)
    hostname = socket.gethostname()

    def respond(handler):
        log("HTTP request from %s:%d" % handler.client_address[:2])
        # With --close, the connection closes after each request.
        return 200, "text/plain; charset=utf-8", hostname, \
            [("Connection", "close")] if args.close else []

    workers = []
    if args.tcp:
        listener = socket.create_server(("0.0.0.0", args.port))

        def serve_tcp():
            while True:
                conn, client = listener.accept()
                log("TCP request from %s:%d" % client[:2])
                conn.sendall(hostname.encode())
                conn.close()
        workers.append(serve_tcp)
    if args.udp:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("0.0.0.0", args.port))

        def serve_udp():
            while True:
                _, client = sock.recvfrom(16)
                log("UDP request from %s:%d" % client[:2])
                sock.sendto(hostname.encode(), client)
        workers.append(serve_udp)
    if args.http:
        workers.append(lambda: http_server.serve(args.port, respond))
    for work in workers:
        threading.Thread(target=work, daemon=True).start()
    log("Serving on port %d." % args.port)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    stopping.wait()
    log("Shutting down after receiving signal: terminated.")
    log("Awaiting pod deletion.")
    time.sleep(60)


if __name__ == "__main__":
    main()
