"""The browser view's HTTP server: on 127.0.0.1 only, every request carrying the
run's view token (in the URL it prints, as Jupyter's does). It serves the page
(static/, plain HTML, CSS and JavaScript: nothing to build), the page's stream of
events (Server-Sent Events: the cluster's map when it changes, the flows' digest as
they happen), a pod's details with its flows, and a trace from a pod.

  GET /?token=T                 the page
  GET /static/NAME?token=T      its script and style
  GET /events?token=T           text/event-stream: "cluster" and "flows" events
  GET /pod?token=T&pod=NS/NAME  the pod as the map has it, and its latest flows
  GET /trace?token=T&from=POD&to=DST[:PORT][&proto=tcp|udp|icmp]
                                `trace`'s text (a real packet, as the CLI's verb),
                                and its path on the map
Bad input gets 4xx with a one-line message: 400 (a parameter missing or wrong),
403 (no token or a wrong one), 404, 405 (not GET)."""
import glob
import hmac
import json
import mimetypes
import os
import secrets
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from topo.errors import KubemnError
from topo.inspect.tracepath import observe, render
from topo.observe.flow_log import matches
from topo.plan.naming import RUN_DIR_ROOT
from topo.runtime.controller import free_port
from topo.ui.hub import Hub
from topo.ui.trace_path import trace_path

STATIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")
STATIC_FILES = ("app.js", "app.css")
UI_URL_FILE = "ui-url"   # in the run's directory: the view's URL, for `kubemn ui`
KEEPALIVE_SECONDS = 15.0
POD_FLOWS = 100


def active_view_url_file():
    """The file with the newest run's view URL, or None."""
    found = sorted(glob.glob(os.path.join(RUN_DIR_ROOT, "*", UI_URL_FILE)),
                   key=os.path.getmtime)
    return found[-1] if found else None


class ViewError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class BrowserView:
    def __init__(self, cluster):
        self.cluster = cluster
        self.token = secrets.token_urlsafe(24)
        self.hub = None
        self.httpd = None
        self.stopping = threading.Event()

    @property
    def url(self):
        return "http://127.0.0.1:%d/?token=%s" % (self.httpd.server_address[1], self.token)

    def start(self, port=None):
        self.httpd = _Server(("127.0.0.1", port or free_port()), _Handler)
        self.httpd.view = self
        self.hub = Hub(self.cluster).start()
        threading.Thread(target=self.httpd.serve_forever, args=(0.2,), name="kubemn-ui",
                         daemon=True).start()
        return self

    def stop(self):
        self.stopping.set()
        if self.hub is not None:
            self.hub.stop()
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    # --- requests (each raises ViewError for what it refuses) ---------------------
    def check_token(self, query):
        given = query.get("token", [""])[-1]
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            raise ViewError(403, "this view needs the run's token: open the URL kubemn "
                                 "printed (the CLI's `ui` prints it again)")

    def page(self):
        with open(os.path.join(STATIC, "index.html")) as handle:
            return handle.read().replace("{{TOKEN}}", self.token)

    def pod(self, query):
        ref = _one(query, "pod")
        if "/" not in ref:
            ref = "default/" + ref
        drawn = next((p for p in self.hub.map_now()["pods"] if p["ref"] == ref), None)
        if drawn is None:
            raise ViewError(404, "pod %s not found" % ref)
        records, _ = self.cluster.flow_log().since(0)
        flows = [r for r in records if matches(r, pod=ref)][-POD_FLOWS:]
        return {"pod": drawn, "flows": flows}

    def trace(self, query):
        line = "%s %s" % (_one(query, "from"), _one(query, "to"))
        if "proto" in query:
            line += " --proto %s" % _one(query, "proto")
        try:
            observed = observe(self.cluster, line)
        except KubemnError as exc:
            raise ViewError(400, str(exc)) from None
        service = self.cluster.address_names().get(observed.dst_ip, "")
        drawn = trace_path(observed, service if service.startswith("svc:") else None)
        return dict(drawn, text=render(observed))


def _one(query, name):
    values = query.get(name)
    if not values or not values[-1].strip():
        raise ViewError(400, "the parameter %r is missing" % name)
    if len(values) > 1:
        raise ViewError(400, "the parameter %r is given %d times" % (name, len(values)))
    value = values[-1].strip()
    if any(c.isspace() for c in value):
        raise ViewError(400, "the parameter %r holds a space" % name)
    return value


class _Server(ThreadingHTTPServer):
    daemon_threads = True


class _Handler(BaseHTTPRequestHandler):
    server_version = "kubemn-view"

    def log_message(self, *args):
        pass   # the view is quiet; its errors go to the page

    def _refuse(self, code, message):
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        data = json.dumps({"error": message}).encode()
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send(self, content_type, data):
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        view = self.server.view
        url = urllib.parse.urlsplit(self.path)
        try:
            query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
            view.check_token(query)
            if url.path == "/":
                self._send("text/html; charset=utf-8", view.page().encode())
            elif url.path.startswith("/static/") and url.path[8:] in STATIC_FILES:
                with open(os.path.join(STATIC, url.path[8:]), "rb") as handle:
                    self._send(mimetypes.guess_type(url.path)[0] or "text/plain", handle.read())
            elif url.path == "/events":
                self._stream(view)
            elif url.path == "/pod":
                self._send("application/json", json.dumps(view.pod(query)).encode())
            elif url.path == "/trace":
                self._send("application/json", json.dumps(view.trace(query)).encode())
            else:
                raise ViewError(404, "no such page: %s" % url.path)
        except ViewError as refusal:
            self._refuse(refusal.code, str(refusal))
        except (BrokenPipeError, ConnectionResetError):
            pass   # the page went

    def _not_allowed(self):
        self._refuse(405, "the view answers GET only")

    do_POST = do_PUT = do_DELETE = do_PATCH = _not_allowed

    def _stream(self, view):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        events, sequence = view.hub.first()
        quiet_since = time.monotonic()
        while not view.stopping.is_set():
            if events:
                self.wfile.write("".join("event: %s\ndata: %s\n\n" % (name, data)
                                         for _, name, data in events).encode())
                self.wfile.flush()
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since >= KEEPALIVE_SECONDS:
                self.wfile.write(b": still here\n\n")   # a gone page is noticed
                self.wfile.flush()
                quiet_since = time.monotonic()
            events, sequence = view.hub.since(sequence, 1.0)
