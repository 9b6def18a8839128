"""What a node's kubelet answers on its port (pure), as the API server's
nodes/NAME/proxy reaches it: /healthz, /pods (the pods bound to the node, as the API
serves them), and /logs/ (its containers' logs, named as in a node's
/var/log/containers: POD_NAMESPACE_CONTAINER.log), with the directory listings Go's
file server writes."""
import html
import json
import urllib.parse

PORT = 10250   # the kubelet's secure port; the API server reaches it over TLS
TEXT, HTML, JSON = "text/plain; charset=utf-8", "text/html; charset=utf-8", \
    "application/json"


def log_name(namespace, pod, container):
    return "%s_%s_%s.log" % (pod, namespace, container)


def listing(names):
    """A directory listing as Go's http.FileServer writes it."""
    lines = ['<a href="%s">%s</a>' % (urllib.parse.quote(n), html.escape(n))
             for n in sorted(names)]
    return "<pre>\n%s</pre>\n" % "".join(line + "\n" for line in lines)


def answer(path, pods, logs):
    """(status, content type, text, file) for a GET of path: file, a log's path to
    send instead of text, or None. pods: the node's pods as the API serves them;
    logs: {file name: its path}."""
    path = urllib.parse.unquote(path.split("?", 1)[0])
    if path == "/healthz":
        return 200, TEXT, "ok", None
    if path in ("/pods", "/pods/"):
        return 200, JSON, json.dumps({"kind": "PodList", "apiVersion": "v1",
                                      "metadata": {}, "items": pods}), None
    if path == "/logs/":
        return 200, HTML, listing(["containers/"]), None
    if path == "/logs/containers/":
        return 200, HTML, listing(logs), None
    name = path[len("/logs/containers/"):] if path.startswith("/logs/containers/") else None
    if name in logs:
        return 200, TEXT, "", logs[name]
    return 404, TEXT, "404 page not found\n", None
