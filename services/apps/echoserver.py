"""The echoserver image of the Kubernetes docs ("Using Source IP"): on port 8080 it
answers every request with what it received, in the format of the image's tag:
1.10 and later ("Hostname:", "Request Information:", tab-indented) or the older 1.4
("CLIENT VALUES:"). client_address is the address the server saw."""
import argparse
import socket
import sys
from urllib.parse import urlsplit

from services.apps import http_server

SERVERS = {"1.10": "nginx: 1.13.3 - lua: 10008", "1.4": "nginx: 1.10.0 - lua: 10001"}


def echo_text(version, hostname, client, method, path, version_text, headers, body,
              port=8080):
    """The echo of one request (pure). headers: [(name, value)] as received."""
    url = urlsplit(path)
    host = dict((k.lower(), v) for k, v in headers).get("host", "").split(":")[0]
    uri = "http://%s:%d%s" % (host, port, path)
    names = sorted((k.lower(), v) for k, v in headers)
    if version == "1.4":
        lines = ["CLIENT VALUES:", "client_address=%s" % client, "command=%s" % method,
                 "real path=%s" % url.path, "query=%s" % (url.query or "nil"),
                 "request_version=%s" % version_text, "request_uri=%s" % uri, "",
                 "SERVER VALUES:", "server_version=%s" % SERVERS["1.4"], "",
                 "HEADERS RECEIVED:"] + ["%s=%s" % kv for kv in names] + [
                 "BODY:", body or "-no body in request-"]
        return "\n".join(lines)
    lines = ["", "", "Hostname: %s" % hostname, "", "Pod Information:",
             "\t-no pod information available-", "", "Server values:",
             "\tserver_version=%s" % SERVERS["1.10"], "", "Request Information:",
             "\tclient_address=%s" % client, "\tmethod=%s" % method,
             "\treal path=%s" % url.path, "\tquery=%s" % url.query,
             "\trequest_version=%s" % version_text, "\trequest_scheme=http",
             "\trequest_uri=%s" % uri, "", "Request Headers:"] + [
             "\t%s=%s  " % kv for kv in names] + [
             "", "Request Body:", "\t" + (body or "-no body in request-"), "", ""]
    return "\n".join(lines)


def format_of(tag):
    """The echo format of an image tag: 1.4 before 1.10, else (latest too) 1.10."""
    try:
        major, minor = (int(part) for part in tag.split(".")[:2])
    except ValueError:
        return "1.10"
    return "1.4" if (major, minor) < (1, 10) else "1.10"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="echoserver")
    parser.add_argument("--tag", default="1.10")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    args.version = format_of(args.tag)
    hostname = socket.gethostname()

    def respond(handler):
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode(errors="replace") if length else ""
        text = echo_text(args.version, hostname, handler.client_address[0], handler.command,
                         handler.path, handler.request_version.split("/")[-1],
                         list(handler.headers.items()), body, args.port)
        return 200, "text/plain", text, [("Server", "echoserver")]

    def log(handler, line):
        sys.stdout.write("%s - - %s\n" % (handler.client_address[0], line))
        sys.stdout.flush()

    http_server.serve(args.port, respond, log)


if __name__ == "__main__":
    main()
