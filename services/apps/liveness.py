"""agnhost liveness: an HTTP server on 8080 that is healthy for its first 10 seconds
and unhealthy after, for the docs' liveness probe tasks.

  /healthz   200 "ok" for 10 s from the start, then 500 "error: <seconds>"
  /started   the time since the start, as Go prints a duration
  /redirect?loc=L   a 302 to L
  /sleep-headers, /sleep-body, /slow-response?code=&time=&size=   as agnhost
"""
import time
from urllib.parse import parse_qs, unquote, urlsplit

from services.apps import http_server

HEALTHY_SECONDS = 10


def healthz(elapsed):
    """(status, body) of /healthz after elapsed seconds."""
    if elapsed > HEALTHY_SECONDS:
        return 500, "error: %s" % _go_float(elapsed)
    return 200, "ok"


def _go_float(seconds):
    """A float64 as Go's %v prints it: the shortest form, no ".0"."""
    text = repr(float(seconds))
    return text[:-2] if text.endswith(".0") else text


def go_duration_text(seconds):
    """A duration as Go's Duration.String() prints it: 1m5.5s, 12.3456ms."""
    if seconds < 1e-3:
        return "%sµs" % _trim("%.3f" % (seconds * 1e6))
    if seconds < 1:
        return "%sms" % _trim("%.6f" % (seconds * 1e3))
    minutes, rest = divmod(seconds, 60)
    hours, minutes = divmod(int(minutes), 60)
    text = "%ss" % _trim("%.9f" % rest)
    if hours:
        return "%dh%dm%s" % (hours, minutes, text)
    return "%dm%s" % (minutes, text) if minutes else text


def _trim(number):
    return number.rstrip("0").rstrip(".") if "." in number else number


def _param(query, name, default):
    values = query.get(name)
    try:
        return int(values[0]) if values else default
    except ValueError:
        return None


def respond_to(started):
    def respond(handler):
        url = urlsplit(handler.path)
        query = parse_qs(url.query)
        elapsed = time.monotonic() - started
        if url.path == "/healthz":
            status, body = healthz(elapsed)
            return status, "text/plain; charset=utf-8", body, ()
        if url.path == "/started":
            return 200, "text/plain; charset=utf-8", go_duration_text(elapsed), ()
        if url.path == "/redirect":
            location = unquote(query.get("loc", [""])[0])
            return 302, "text/html; charset=utf-8", "", [("Location", location or "/")]
        if url.path in ("/sleep-headers", "/sleep-body", "/slow-response"):
            code, sleep = _param(query, "code", 500), _param(query, "time", 0)
            if code is None or sleep is None:
                return 400, "text/plain; charset=utf-8", "parameter is invalid\n", ()
            time.sleep(min(sleep, 60))
            return code, "text/plain; charset=utf-8", "Slept for %d secs\n" % sleep, ()
        return 404, "text/plain; charset=utf-8", "404 page not found\n", ()
    return respond


def main(argv=None):
    http_server.serve(8080, respond_to(time.monotonic()))


if __name__ == "__main__":
    main()
