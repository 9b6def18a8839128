"""agnhost netexec, as Kubernetes' e2e tests and docs call it: HTTP and UDP servers
with agnhost's endpoints, answers, status codes and flags.

HTTP (any method; HEAD gets the headers; a path no endpoint claims is "/"):
  /                "NOW: <time>"           /hostname, /hostName   the pod's hostname
  /clientip        the client's ip:port    /echo?msg=X[&code=N]   X, with status N
  /dial?request=R&host=H&port=P[&protocol=http|udp][&tries=N]
                   R sent N times to H:P (http: GET /R), as JSON {"responses": [...],
                   "errors": [...]}; 400 on a bad parameter
  /shell?cmd=C     /bin/sh -c C, as JSON {"output": ..., "error": ...}
  /redirect?location=L[&code=N]            a redirect (302 unless N)
  /exit?code=N[&timeout=D][&wait=D]        exits with N (Go durations: 1s, 500ms)
  /healthz         200 once the UDP server runs, 412 before (or without one)
  /shutdown        exits at once
UDP, one datagram each way, lowercased as agnhost reads it: "hostname", "echo X",
"clientip"; anything else gets no answer.
Flags: --http-port (8080), --udp-port (8081; -1: none), --http-override PATH,
--udp-listen-addresses A,B; --sctp-port, --tls-cert-file and --tls-private-key-file
are accepted (no SCTP or TLS here). kubemn may give --http-port and --udp-port more
than once, to serve every port a container declares.
kubemn's own flag --root-page nginx|httpd serves that server's welcome page at "/"
instead (kubemn's stand-in for those images).
Sockets are bound before anything else, so the container listens as soon as it runs.
"""
import argparse
import datetime
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from services.apps.http_server import PodServer

STARTED = time.monotonic()
DIAL_TIMEOUT = 5.0
SHELL = "/bin/sh"
UDP_READY = threading.Event()
ROOT_PAGES = {
    "nginx": ("nginx", "<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n"
                       "</head>\n<body>\n<h1>Welcome to nginx!</h1>\n<p>If you see this page, "
                       "the nginx web server is successfully installed and\nworking.</p>\n"
                       "<p><em>Thank you for using nginx.</em></p>\n</body>\n</html>\n"),
    "httpd": ("Apache", "<html><body><h1>It works!</h1></body></html>\n"),
}
UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


# --- pure answers --------------------------------------------------------------------

def go_now(now=None, since_start=None):
    """The time as Go's time.Now() prints it (agnhost's "/")."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    since_start = time.monotonic() - STARTED if since_start is None else since_start
    return "%s.%09d +0000 UTC m=+%.9f" % (now.strftime("%Y-%m-%d %H:%M:%S"),
                                           now.microsecond * 1000, since_start)


def go_duration(text):
    """A Go duration ('1s', '500ms', '0') in seconds, or None if it is not one."""
    if text in ("", "0"):
        return 0.0
    total, rest = 0.0, text
    while rest:
        found = re.match(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)", rest)
        if not found:
            return None
        total += float(found.group(1)) * UNITS[found.group(2)]
        rest = rest[found.end():]
    return total


def udp_answer(message, client, hostname):
    """agnhost's UDP server: the command lowercased and trimmed; None: no answer."""
    text = message.decode(errors="replace").strip().lower()
    if text == "hostname":
        return hostname
    if text.startswith("echo "):
        return text.split(" ", 1)[1]
    if text == "clientip":
        return "%s:%d" % client[:2]
    return None


def dial_output(responses, errors, last_response):
    """/dial's JSON: "responses" only when the last try answered, "errors" when any
    failed (agnhost's own rule)."""
    output = {}
    if last_response:
        output["responses"] = responses
    if errors:
        output["errors"] = errors
    return json.dumps(output, separators=(",", ":"))


# --- dialing ---------------------------------------------------------------------------

def dial_http(request, host, port):
    url = "http://%s:%d/%s" % (host, port, request)
    try:
        with urllib.request.urlopen(url, timeout=DIAL_TIMEOUT) as answer:
            return answer.read().decode(errors="replace"), None
    except urllib.error.HTTPError as exc:
        return exc.read().decode(errors="replace"), None
    except OSError as exc:
        reason = getattr(exc, "reason", exc)
        return "", 'Get "%s": dial tcp %s:%d: %s' % (url, host, port, reason)


def dial_udp(request, host, port):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(DIAL_TIMEOUT)
        try:
            sock.connect((host, port))
            sock.send(request.encode())
            data = sock.recv(2048)
        except OSError as exc:
            return "", "reading from udp connection failed. err:'%s'" % (
                "i/o timeout" if isinstance(exc, socket.timeout) else exc)
        if not data:
            return "", "reading from udp connection failed. err:'<nil>'"
        return data.decode(errors="replace"), None


# --- HTTP -------------------------------------------------------------------------------

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    override = ""
    root_page = None     # (server name, HTML) for a web server's stand-in
    head_only = False

    def do_GET(self):
        path = self.override or self.path
        url = urlsplit(path)
        query = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        sys.stderr.write("%s %s %s\n" % (time.strftime("%Y/%m/%d %H:%M:%S"), self.command,
                                         path))
        route = {"/clientip": self.clientip, "/dial": self.dial, "/echo": self.echo,
                 "/exit": self.exit, "/healthz": self.healthz, "/hostname": self.hostname,
                 "/hostName": self.hostname, "/redirect": self.redirect,
                 "/shell": self.shell, "/shutdown": self.shutdown}.get(url.path, self.root)
        route(query)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET

    def do_HEAD(self):
        self.head_only = True
        self.do_GET()

    # endpoints
    def root(self, _query):
        if self.root_page:
            self.reply(200, self.root_page[1], (), "text/html")
            return
        self.reply(200, "NOW: " + go_now())

    def hostname(self, _query):
        self.reply(200, socket.gethostname())

    def clientip(self, _query):
        self.reply(200, "%s:%d" % self.client_address[:2])

    def echo(self, query):
        code = query.get("code", "")
        if code and not code.lstrip("-").isdigit():
            self.reply(200, "argument 'code' must be an integer or empty, got %r\n" % code)
            return
        self.reply(int(code) if code else 200, query.get("msg", ""))

    def healthz(self, _query):
        self.reply(200 if UDP_READY.is_set() else 412, "")

    def shutdown(self, _query):
        os._exit(0)

    def exit(self, query):
        timeout, wait = go_duration(query.get("timeout", "")), go_duration(query.get("wait", ""))
        code = query.get("code", "")
        for name, value in (("timeout", timeout), ("wait", wait)):
            if value is None:
                self.reply(200, "argument '%s' must be a valid golang duration or empty, "
                                "got %r\n" % (name, query[name]))
                return
        if code and not (code.isdigit() and 0 <= int(code) <= 127):
            self.reply(200, "argument 'code' must be an integer [0-127] or empty, got %r\n"
                       % code)
            return
        time.sleep(wait)
        if timeout:
            self.reply(200, "")
            self.wfile.flush()
        os._exit(int(code or 0))

    def redirect(self, query):
        code = query.get("code", "")
        if code and not code.isdigit():
            self.reply(200, "argument 'code' must be an integer or empty, got %r\n" % code)
            return
        location = query.get("location", "")
        self.reply(int(code or 302), "", [("Location", location)])

    def shell(self, query):
        command = query.get("shellCommand") or query.get("cmd", "")
        done = subprocess.run([SHELL, "-c", command], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
        output = {}
        if done.stdout:
            output["output"] = done.stdout.decode(errors="replace")
        if done.returncode:
            output["error"] = "exit status %d" % done.returncode
        self.reply(200, json.dumps(output, separators=(",", ":")))

    def dial(self, query):
        request, protocol = query.get("request", ""), query.get("protocol", "").lower()
        tries = query.get("tries", "1")
        if not tries.lstrip("-").isdigit():
            self.reply(400, "tries parameter is invalid. strconv.Atoi: parsing %r: invalid "
                            "syntax\n" % tries)
            return
        if not request:
            self.reply(400, "request parameter not specified. <nil>\n")
            return
        dialer = {"": dial_http, "http": dial_http, "udp": dial_udp}.get(protocol)
        if dialer is None:
            self.reply(400, "unsupported protocol. %s\n" % protocol)
            return
        host, port = query.get("host", ""), query.get("port", "")
        try:
            address = socket.gethostbyname(host)
            port = int(port)
        except (OSError, ValueError):
            self.reply(400, "host and/or port param are invalid. lookup %s:%s\n" % (host, port))
            return
        responses, errors, response = [], [], ""
        for _ in range(int(tries)):
            response, error = dialer(request, address, port)
            if error:
                errors.append(error)
            else:
                responses.append(response)
        self.reply(200, dial_output(responses, errors, response))

    def send_response(self, code, message=None):
        """Go's server names no Server; a web server's stand-in names its own."""
        self.send_response_only(code, message)
        if self.root_page:
            self.send_header("Server", self.root_page[0])
        self.send_header("Date", self.date_time_string())

    def reply(self, status, text, headers=(), kind="text/plain; charset=utf-8"):
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not self.head_only:
            self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass   # each request is logged once, in do_GET, as agnhost logs it


def serve_udp(sock):
    UDP_READY.set()
    hostname = socket.gethostname()
    while True:
        data, client = sock.recvfrom(2048)
        answer = udp_answer(data, client, hostname)
        if answer is not None:
            sock.sendto(answer.encode(), client)


# --- command line -------------------------------------------------------------------

def parse_args(argv):
    parser = argparse.ArgumentParser(prog="netexec", description=__doc__.splitlines()[0])
    parser.add_argument("--http-port", type=int, action="append")
    parser.add_argument("--udp-port", type=int, action="append")
    parser.add_argument("--sctp-port", type=int, default=-1)
    parser.add_argument("--http-override", default="")
    parser.add_argument("--udp-listen-addresses", default="")
    parser.add_argument("--tls-cert-file", default="")
    parser.add_argument("--tls-private-key-file", default="")
    parser.add_argument("--root-page", choices=sorted(ROOT_PAGES))
    args = parser.parse_args(argv)
    args.http_port = args.http_port or [8080]
    args.udp_port = [p for p in (args.udp_port or [8081]) if p != -1]
    return args


def warm_up(calls=10):
    """Runs what main() runs at its start, serving nothing: the fork server calls it
    once, before its first fork (topo/runtime/fork_server.py)."""
    for _ in range(calls):
        parse_args(["--http-port", "8080"])
        PodServer(("127.0.0.1", 0), Handler, bind_and_activate=False).server_close()
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM).close()
        thread = threading.Thread(target=time.strftime, args=("%Y/%m/%d %H:%M:%S",),
                                  daemon=True)
        thread.start()
        thread.join()
        threading.Event().wait(0)


def main(argv=None):
    args = parse_args(argv)
    Handler.override = args.http_override
    Handler.root_page = ROOT_PAGES.get(args.root_page)
    servers = [PodServer(("0.0.0.0", port), Handler) for port in args.http_port]
    udp = []
    for address in (args.udp_listen_addresses.split(",") if args.udp_listen_addresses
                    else ["0.0.0.0"]):
        for port in args.udp_port:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind((address, port))
            udp.append(sock)
    for port in args.http_port:
        sys.stderr.write("%s Started HTTP server on port %d\n"
                         % (time.strftime("%Y/%m/%d %H:%M:%S"), port))
    for port in args.udp_port:
        sys.stderr.write("%s Started UDP server on port %d\n"
                         % (time.strftime("%Y/%m/%d %H:%M:%S"), port))
    sys.stderr.flush()
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    threads += [threading.Thread(target=serve_udp, args=(s,), daemon=True) for s in udp]
    for thread in threads:
        thread.start()
    threading.Event().wait()


if __name__ == "__main__":
    main()
