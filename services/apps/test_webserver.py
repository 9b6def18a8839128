"""agnhost test-webserver: a file server for the pod's filesystem on --port (80), as
the real one serves its image's, with its headers."""
import argparse
import functools
from http.server import SimpleHTTPRequestHandler

from services.apps.http_server import PodServer

HEADERS = (("Cache-Control", "private"), ("Access-Control-Allow-Origin", "*"),
           ("Access-Control-Allow-Credentials", "true"),
           ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
           ("Access-Control-Allow-Headers", "DNT,X-Mx-ReqToken,Keep-Alive,User-Agent,"
            "X-Requested-With,Cache-Control,Content-Type"))


class FileHandler(SimpleHTTPRequestHandler):
    def end_headers(self):
        for name, value in HEADERS:
            self.send_header(name, value)
        super().end_headers()

    def log_message(self, fmt, *args):
        pass


def main(argv=None):
    parser = argparse.ArgumentParser(prog="agnhost test-webserver")
    parser.add_argument("--port", type=int, default=80)
    args = parser.parse_args(argv)
    PodServer(("0.0.0.0", args.port),
              functools.partial(FileHandler, directory="/")).serve_forever()


if __name__ == "__main__":
    main()
