"""The small web servers of the Kubernetes docs' and tutorials' sample images, each
answering as the real image does:

  hello-app [--tag 1.0]         gcr.io/google-samples/hello-app: on 8080 (or $PORT),
                                "Hello, world!", its version (by the tag) and the
                                hostname
  hello-go                      gcr.io/google-samples/hello-go-gke: on 80,
                                {"message":"Hello"}
  http-echo -text=T [-listen=:5678] [-status-code=200]
                                hashicorp/http-echo: T and a newline
  whoami [--port 80]            traefik/whoami: the hostname, the pod's addresses,
                                the client's address and the request as received
  nginx-hello [--tag latest]    nginxdemos/hello: the server's address and name, the
                                date and the URI (an HTML page, or plain text for
                                the plain-text tags)

  python -m services.apps.samples NAME [flags]
"""
import argparse
import os
import socket
import sys
import time
import uuid

from services.apps import http_server


def semver(tag):
    """hello-app's tags (1.0, 2.0) as the version it prints (1.0.0, 2.0.0)."""
    parts = (tag.split(".") + ["0", "0"])[:3] if tag[:1].isdigit() else ["1", "0", "0"]
    return ".".join(parts)


def hello_app(version, hostname):
    return "Hello, world!\nVersion: %s\nHostname: %s\n" % (version, hostname)


def whoami(hostname, addresses, client, method, path, version, headers):
    lines = ["Hostname: %s" % hostname] + ["IP: %s" % a for a in addresses] + [
        "RemoteAddr: %s:%d" % client, "%s %s %s" % (method, path, version)]
    lines += ["%s: %s" % (name, value) for name, value in headers]
    return "\r\n".join(lines) + "\r\n\r\n"


def nginx_hello(server_address, hostname, date, uri, request_id, plain):
    if plain:
        return ("Server address: %s\nServer name: %s\nDate: %s\nURI: %s\nRequest ID: %s\n"
                % (server_address, hostname, date, uri, request_id))
    return ("<!DOCTYPE html>\n<html>\n<head>\n<title>Hello World</title>\n</head>\n<body>\n"
            "<p><span>Server&nbsp;address:</span> <span>%s</span></p>\n"
            "<p><span>Server&nbsp;name:</span> <span>%s</span></p>\n"
            "<p class=\"smaller\"><span>Date:</span> <span>%s</span></p>\n"
            "<p class=\"smaller\"><span>URI:</span> <span>%s</span></p>\n"
            "<p class=\"smaller\"><span>Request ID:</span> <span>%s</span></p>\n"
            "</body>\n</html>\n" % (server_address, hostname, date, uri, request_id))


def pod_addresses():
    """The pod's IPv4 addresses, loopback first, as whoami lists its interfaces'."""
    found = ["127.0.0.1"]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            found.append(probe.getsockname()[0])
        except OSError:
            pass
    return found


def serve(port, respond):
    """respond(handler) -> (status, content type, body, extra headers)."""
    sys.stdout.write("Listening on :%d\n" % port)
    sys.stdout.flush()
    http_server.serve(port, respond, _log)


def _log(handler, line):
    sys.stdout.write("%s %s\n" % (handler.client_address[0], line))
    sys.stdout.flush()


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        raise SystemExit("usage: python -m services.apps.samples NAME [flags]")
    name, rest = argv[0], argv[1:]
    hostname = socket.gethostname()
    if name == "hello-app":
        parser = argparse.ArgumentParser(prog=name)
        parser.add_argument("--tag", default="1.0")
        args = parser.parse_args(rest)
        body = hello_app(semver(args.tag), hostname)
        serve(int(os.environ.get("PORT", "8080")),
              lambda h: (200, "text/plain; charset=utf-8", body, ()))
    elif name == "hello-go":
        serve(80, lambda h: (200, "application/json", '{"message":"Hello"}', ()))
    elif name == "http-echo":
        parser = argparse.ArgumentParser(prog=name)   # Go's flags: -name or --name
        parser.add_argument("-text", "--text", required=True)
        parser.add_argument("-listen", "--listen", default=":5678")
        parser.add_argument("-status-code", "--status-code", type=int, default=200)
        args = parser.parse_args(rest)
        serve(int(args.listen.rsplit(":", 1)[1]),
              lambda h: (args.status_code, "text/plain; charset=utf-8", args.text + "\n",
                         [("X-App-Name", "http-echo"), ("X-App-Version", "1.0.0")]))
    elif name == "whoami":
        parser = argparse.ArgumentParser(prog=name)
        parser.add_argument("--port", "-port", type=int, default=int(os.environ.get(
            "WHOAMI_PORT_NUMBER", "80")))
        args, _ = parser.parse_known_args(rest)
        addresses = pod_addresses()
        serve(args.port, lambda h: (200, "text/plain; charset=utf-8", whoami(
            hostname, addresses, h.client_address[:2], h.command, h.path,
            h.request_version, list(h.headers.items())), ()))
    elif name == "nginx-hello":
        plain = "--tag" in rest and rest[rest.index("--tag") + 1].startswith("plain-text")
        serve(80, lambda h: (200, "text/plain" if plain else "text/html", nginx_hello(
            "%s:80" % h.connection.getsockname()[0], hostname,
            time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()), h.path,
            uuid.uuid4().hex, plain), [("Server", "nginx/1.25.3")]))
    else:
        raise SystemExit("samples: no sample image %r" % name)


if __name__ == "__main__":
    main()
