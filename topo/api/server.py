"""The Kubernetes API over HTTP, on 127.0.0.1 only, for the run's bearer token only.

One generic path serves every resource (resources.py says which exist): GET for
get, list and watch (JSON or kubectl's Table), POST to create, PUT to update,
PATCH in its three types, DELETE of one object or a collection; the subresources
log, exec, attach, portforward and scale; discovery, /version and OpenAPI. Writes go
through the registry, reads through the store.
"""
import hmac
import json
import os
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from services.apps.http_server import STOP_POLL
from topo.api import (access, field_manager, flows, openapi, protobuf, protobuf_encode, proxy,
                      render, resources, streams, tables)
from topo.api.patch import APPLY_PATCH, PatchError, apply_patch
from topo.api.registry import Registry
from topo.api.resources import store_key
from topo.api.selectors import SelectorError, field_selector, label_selector
from topo.api.event_recorder import EventRecorder
from topo.api.strategies import namespace as namespace_strategy
from topo.api.status import ApiError, invalid, not_found
from topo.api.store import Gone, Store
from topo.api.tls import make_certificate, server_context
from topo.errors import KubemnError

VERSION = {"major": "1", "minor": "37", "gitVersion": "v1.37.0-kubemn",
           "gitCommit": "kubemn", "gitTreeState": "clean", "buildDate": "2026-01-01T00:00:00Z",
           "goVersion": "python", "compiler": "kubemn", "platform": "linux/amd64"}
WATCH_TIMEOUT = 1800
MAX_BODY = 3 * 1024 * 1024   # the API server's own request limit


class Request:
    """One parsed API path: /api/v1/namespaces/NS/pods/NAME/log and its kin."""

    def __init__(self, path, query, raw_query=""):
        self.query, self.raw_query = query, raw_query
        self.resource = self.namespace = self.name = self.subresource = None
        self.proxy_path = None   # what follows .../NAME/proxy
        parts = [p for p in path.split("/") if p]
        if parts[:1] == ["api"] and len(parts) >= 2:
            self.group, self.version, rest = "", parts[1], parts[2:]
        elif parts[:1] == ["apis"] and len(parts) >= 3:
            self.group, self.version, rest = parts[1], parts[2], parts[3:]
        else:
            raise ApiError(404, "the server could not find the requested resource")
        if len(rest) >= 3 and rest[0] == "namespaces":
            self.namespace, rest = rest[1], rest[2:]
        if not rest:
            self.discovery = True
            return
        self.discovery = False
        self.resource = resources.BY_PLURAL.get((self.group, rest[0]))
        if len(rest) >= 3 and rest[2] == "proxy":
            self.proxy_path = "/" + "/".join(rest[3:]) + ("/" if path.endswith("/") and
                                                           len(rest) > 3 else "")
            rest = rest[:3]
        if self.resource is None or self.resource.version != self.version or len(rest) > 3:
            raise ApiError(404, "the server could not find the requested resource")
        self.name = rest[1] if len(rest) > 1 else None
        self.subresource = rest[2] if len(rest) > 2 else None
        if self.subresource and self.subresource not in self.resource.subresources:
            raise ApiError(404, "the server could not find the requested resource")
        if self.resource.namespaced and self.namespace is None and self.name is not None:
            raise ApiError(404, "the server could not find the requested resource")

    def param(self, name, default=None):
        return self.query.get(name, [default])[-1]


class ApiServer:
    """Serves the cluster's API on 127.0.0.1:port; start() and stop()."""

    def __init__(self, cluster, token, port, run_dir):
        self.cluster, self.token, self.port = cluster, token, port
        self.cert, self.key = make_certificate(run_dir)
        log_path = os.path.join(run_dir, "api.log")
        self.store = Store()
        self.recorder = EventRecorder(self.store)
        self.registry = Registry(cluster, self.store)
        self.log = open(log_path, "a", buffering=1) if log_path else None
        self.httpd = None
        self.stopping = threading.Event()

    @property
    def url(self):
        return "https://127.0.0.1:%d" % self.port

    def start(self):
        for name in namespace_strategy.BUILT_IN:
            self.store.put(namespace_strategy.RESOURCE, namespace_strategy.for_create(
                {"metadata": {"name": name}}, self.cluster.created))
        # Where the API listens, as the `kubernetes` Service's endpoint.
        self.store.put("endpoints", render.api_endpoints_json(self.port, self.cluster.created))
        self.store.put("endpointslices.discovery.k8s.io",
                       render.api_endpoint_slice_json(self.port, self.cluster.created))
        self.httpd = _TLSServer(("127.0.0.1", self.port), _Handler)
        self.httpd.context = server_context(self.cert, self.key)
        self.httpd.daemon_threads = True
        self.httpd.api = self
        threading.Thread(target=self.httpd.serve_forever, args=(STOP_POLL,),
                         name="kubemn-api", daemon=True).start()
        return self

    def stop(self):
        self.stopping.set()
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None
        if self.log:
            self.log.close()
            self.log = None

    # --- requests ------------------------------------------------------------------
    def authorized(self, header):
        expected = "Bearer " + self.token
        return hmac.compare_digest((header or "").encode(), expected.encode())

    def handle(self, handler, method):
        url = urllib.parse.urlsplit(handler.path)
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        # As Go's URL.Path: decoded (clients escape a name's ':' in pods/NAME:PORT/proxy).
        path = urllib.parse.unquote(url.path)
        path = path if "/proxy/" in path else path.rstrip("/") or "/"
        if self.log:
            self.log.write("%.3f %s %s\n" % (time.time(), method, handler.path))
        if not self.authorized(handler.headers.get("Authorization")):
            raise ApiError(401, "Unauthorized")
        who = access.requester(handler.headers)   # the admin, or whom it impersonates
        if not path.startswith(("/api/", "/apis/")) or path.count("/") <= 2:
            access.check(self.store, who, method, path)
        if path == "/openapi/v2" and openapi.V2_PROTOBUF in (handler.headers.get("Accept") or ""):
            # Served as Kubernetes' handler serves it: the type sniffed from the bytes.
            handler.send_bytes(200, "application/octet-stream", openapi.v2_protobuf())
            return None, None
        fixed = self._fixed(path)
        if fixed is not None:
            return 200, fixed
        if path == flows.PATH and method == "GET":
            return flows.serve_flows(self, query, handler)
        request = Request(path, query, url.query)
        access.check(self.store, who, method, path, request)
        if request.discovery:
            return self._discovery(request)
        if request.subresource in ("exec", "attach", "portforward"):   # long-lived:
            return self._stream(request, handler)   # never under the registry's lock
        if request.subresource == "proxy":
            return proxy.serve_proxy(self, request, method, handler)
        if method == "GET":
            return self._get(request, handler)
        dry_run = request.param("dryRun")
        if dry_run not in (None, "All"):
            raise invalid("CreateOptions", "", "dryRun", 'Unsupported value: "%s": supported '
                          'values: "All"' % dry_run)
        if handler.raw_body and _content_type(handler) == protobuf.CONTENT_TYPE:
            try:
                body = protobuf.decode(handler.raw_body)
            except protobuf.ProtobufError as exc:
                raise ApiError(415, "the body of the request was in an unknown format: %s; "
                               "send JSON" % exc, reason="UnsupportedMediaType") from None
        else:
            body = handler.read_body()
        if request.resource.group == access.GROUP and method == "POST":
            return 201, access.review(self.store, who, request.resource, body)
        with self.registry.lock:
            return self._write(request, method, body, handler)

    def _fixed(self, path):
        if path == "/version":
            return VERSION
        if path == "/api":
            return resources.api_version("127.0.0.1:%d" % self.port)
        if path == "/apis":
            return resources.api_group_list()
        if path.count("/") == 2 and path.startswith("/apis/"):
            group = resources.api_group(path.split("/")[2])
            if group is None:
                raise ApiError(404, "the server could not find the requested resource")
            return group
        if path.startswith("/openapi/"):
            document = openapi.document(path)
            if document is None:
                raise ApiError(404, "the server could not find the requested resource")
            return document
        return None

    def _discovery(self, request):
        listing = resources.api_resource_list(request.group, request.version)
        if listing is None or request.namespace is not None:
            raise ApiError(404, "the server could not find the requested resource")
        return 200, listing

    def _get(self, request, handler):
        resource, key = request.resource, store_key(request.resource)
        if request.subresource == "log":
            return self._logs(request, handler)
        if request.subresource == "scale":
            return 200, self.registry.scale(resource, request.namespace, request.name)
        namespace = request.namespace if resource.namespaced else ""
        if request.name is not None:
            obj = self.store.get(key, namespace or "", request.name)
            if obj is None:
                raise not_found(key, request.name)
            return 200, self._shape(handler, key, [obj], obj["metadata"]["resourceVersion"],
                                    single=True)
        matches = self._matcher(request)
        if request.param("watch") in ("true", "1"):
            return self._watch(request, handler, key, namespace, matches)
        version, objects = self.store.list(key, namespace)
        objects = [o for o in objects if matches(o)]
        return 200, self._shape(handler, key, objects, version)

    def _matcher(self, request):
        try:
            labels = label_selector(request.param("labelSelector", ""))
            fields = field_selector(request.param("fieldSelector", ""))
        except SelectorError as exc:
            raise ApiError(400, str(exc)) from None
        return lambda obj: labels(obj["metadata"].get("labels")) and fields(obj)

    def _shape(self, handler, key, objects, version, single=False):
        """A list (or one object), or kubectl's Table when it asks for one."""
        if "as=Table" in (handler.headers.get("Accept") or ""):
            include = urllib.parse.parse_qs(urllib.parse.urlsplit(handler.path).query).get(
                "includeObject", ["PartialObjectMetadata"])[-1]
            return tables.table(key, objects, version, time.time(), include)
        if single:
            return objects[0]
        return _list_body(key, objects, version)

    def _watch(self, request, handler, key, namespace, matches):
        """Streams watch events (JSON lines, or protobuf frames to a client that asks
        for them) until the timeout or the client goes."""
        since = request.param("resourceVersion") or "0"
        try:
            since = int(since)
        except ValueError:
            raise ApiError(400, "invalid resourceVersion %r" % since) from None
        timeout = min(int(request.param("timeoutSeconds") or WATCH_TIMEOUT), WATCH_TIMEOUT)
        as_table = "as=Table" in (handler.headers.get("Accept") or "")
        resource = resources.BY_STORE_KEY[key]
        send = _event_sender(handler, resource)
        initial = []
        send_initial = request.param("sendInitialEvents") == "true"
        if since == 0 or send_initial:
            version, objects = self.store.list(key, namespace)
            initial = [("ADDED", o) for o in objects if matches(o)]
            since = int(version)
            if send_initial:
                # client-go's watch-list: the initial events end with a bookmark.
                initial.append(("BOOKMARK", {
                    "kind": resource.kind, "apiVersion": resources.group_version(resource),
                    "metadata": {"resourceVersion": version, "annotations": {
                        "k8s.io/initial-events-end": "true"}}}))
        deadline = time.monotonic() + timeout
        events = initial
        while True:
            for kind, obj in events:
                shown = tables.table(key, [obj], obj["metadata"]["resourceVersion"],
                                     time.time()) if as_table and kind != "BOOKMARK" else obj
                send(kind, shown)
            left = deadline - time.monotonic()
            if left <= 0 or self.stopping.is_set():
                break
            try:
                found, since = self.store.events_since(key, since, min(left, 1.0))
            except Gone:
                send("ERROR", ApiError(410, "too old resource version: %d" % since).status())
                break
            events = []
            for _, kind, obj in found:
                if (namespace and obj["metadata"].get("namespace") != namespace) or \
                        not matches(obj):
                    continue
                events.append((kind, obj))
        handler.end_stream()
        return None, None

    def _logs(self, request, handler):
        return streams.serve_logs(self, request, handler)

    def _stream(self, request, handler):
        serve = {"portforward": streams.serve_portforward, "attach": streams.serve_attach,
                 "exec": streams.serve_exec}[request.subresource]
        return serve(self, request, handler)

    def note(self, line):
        """A line in the run's api.log."""
        if self.log:
            self.log.write("%.3f %s\n" % (time.time(), line))

    def _write(self, request, method, body, handler):
        resource = request.resource
        namespace = request.namespace if resource.namespaced else None
        if resource.namespaced and namespace is None:
            raise ApiError(404, "the server could not find the requested resource")
        # A delete's DeleteOptions may say it in the body (kubectl delete --dry-run=server).
        dry_run = request.param("dryRun") == "All" or method == "DELETE" and \
            isinstance(body, dict) and "All" in (body.get("dryRun") or ())
        if dry_run and (request.subresource is not None or
                        method == "DELETE" and request.name is None):
            raise ApiError(400, "a dry run of %s is not served by kubemn: nothing was "
                           "changed" % ("the %s subresource" % request.subresource
                                        if request.subresource else "deletecollection"))
        if request.subresource == "scale":
            return self._write_scale(request, method, body, handler)
        if request.subresource == "binding" and method == "POST":
            return 201, self._bind(request, namespace, body)
        if request.subresource is not None and request.subresource != "status":
            raise ApiError(405, "the server does not allow this method on the requested "
                           "resource", reason="MethodNotAllowed")
        if method == "POST":
            if request.name is not None:
                raise ApiError(405, "the server does not allow this method on the "
                               "requested resource", reason="MethodNotAllowed")
            if namespace is not None:
                name = (body.get("metadata") or {}).get("name", "") \
                    if isinstance(body, dict) else ""
                namespace_strategy.check_open(
                    self.store.get(namespace_strategy.RESOURCE, "", namespace), namespace,
                    store_key(resource), name)
            return 201, self.registry.create(resource, namespace, body,
                                             request.param("fieldValidation"),
                                             _manager(request, handler), dry_run=dry_run)
        if method == "DELETE":
            if request.name is None:
                return 200, self._delete_collection(request, namespace)
            if dry_run:   # what would go: the object as it is
                current = self.store.get(store_key(resource), namespace or "", request.name)
                if current is None:
                    raise not_found(store_key(resource), request.name)
                return 200, current
            return 200, self.registry.delete(resource, namespace, request.name,
                                             _propagation(request, body),
                                             _grace(request, body))
        if request.name is None:
            raise ApiError(405, "the server does not allow this method on the requested "
                           "resource", reason="MethodNotAllowed")
        if method == "PATCH" and _content_type(handler) == APPLY_PATCH:
            return self._apply(request, namespace, body, dry_run)
        if request.param("force") is not None:
            raise invalid("PatchOptions", "", "force",
                          "Forbidden: may not be specified for non-apply patch")
        if method == "PATCH":
            body = self._patched(request, namespace, body, handler)
            if request.subresource == "status":
                return 200, self.registry.update_status(resource, namespace, request.name,
                                                        body, patched=True)
            return 200, self.registry.update(resource, namespace, request.name, body,
                                             True, request.param("fieldValidation"),
                                             _manager(request, handler), dry_run=dry_run)
        if request.subresource == "status":
            return 200, self.registry.update_status(resource, namespace, request.name, body)
        return 200, self.registry.update(resource, namespace, request.name, body,
                                         validation=request.param("fieldValidation"),
                                         manager=_manager(request, handler), dry_run=dry_run)

    def _apply(self, request, namespace, config, dry_run=False):
        """Server-side apply (topo/api/field_manager.py): the object made, or config
        merged into it as manager's whole intent (201 or 200)."""
        manager = request.param("fieldManager")
        if not manager:
            raise invalid("PatchOptions", "", "fieldManager",
                          "Required value: is required for apply patch")
        if request.subresource is not None:
            raise ApiError(415, "server-side apply of the %s subresource is not supported "
                           "by kubemn" % request.subresource, reason="UnsupportedMediaType")
        if not isinstance(config, dict):
            raise ApiError(400, "the request body is not a Kubernetes object")
        resource, key = request.resource, store_key(request.resource)
        config = dict(config, metadata=dict(config.get("metadata") or {}))
        if config["metadata"].setdefault("name", request.name) != request.name:
            raise ApiError(400, "the name of the object (%s) does not match the name on "
                           "the URL (%s)" % (config["metadata"]["name"], request.name))
        live = self.store.get(key, namespace or "", request.name)
        force = request.param("force") in ("true", "1")
        try:
            merged, managed = field_manager.apply(live, config, manager,
                                                  resources.group_version(resource),
                                                  time.time(), force)
        except field_manager.ApplyConflict as exc:
            raise ApiError(409, field_manager.conflict_message(exc.conflicts),
                           reason="Conflict", details={
                               "causes": field_manager.conflict_causes(exc.conflicts)}) \
                from None
        if live is None:
            if namespace is not None:
                namespace_strategy.check_open(
                    self.store.get(namespace_strategy.RESOURCE, "", namespace), namespace,
                    key, request.name)
            return 201, self.registry.create(resource, namespace, merged,
                                             request.param("fieldValidation"),
                                             applied=managed, dry_run=dry_run)
        return 200, self.registry.update(resource, namespace, request.name, merged, True,
                                         request.param("fieldValidation"), applied=managed,
                                         dry_run=dry_run)

    def _patched(self, request, namespace, patch, handler):
        key = store_key(request.resource)
        current = self.store.get(key, namespace or "", request.name)
        if current is None:
            raise not_found(key, request.name)
        content_type = _content_type(handler)
        try:
            return apply_patch(current, patch, content_type)
        except PatchError as exc:
            raise ApiError(422 if "unsupported" not in str(exc) else 415, str(exc)) from None

    def _bind(self, request, namespace, body):
        """POST pods/NAME/binding: a scheduler's Binding, its target a node."""
        target = body.get("target") if isinstance(body, dict) else None
        node = target.get("name") if isinstance(target, dict) else None
        if not isinstance(node, str) or not node:
            raise ApiError(422, 'Binding "%s" is invalid: target.name: Required value'
                           % request.name, reason="Invalid")
        self.registry.bind(namespace, request.name, node)
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                "code": 201}

    def _write_scale(self, request, method, body, handler):
        resource, namespace = request.resource, request.namespace
        if method not in ("PUT", "PATCH"):
            raise ApiError(405, "the server does not allow this method on the requested "
                           "resource", reason="MethodNotAllowed")
        if method == "PATCH":
            current = self.registry.scale(resource, namespace, request.name)
            try:
                body = apply_patch(current, body, _content_type(handler))
            except PatchError as exc:
                raise ApiError(422, str(exc)) from None
        spec = body.get("spec") if isinstance(body, dict) else None
        if not isinstance(spec, dict) or "replicas" not in spec:
            raise ApiError(422, 'Scale "%s" is invalid: spec.replicas: Required value'
                           % request.name, reason="Invalid")
        return 200, self.registry.scale(resource, namespace, request.name, spec["replicas"],
                                        _manager(request, handler))

    def _delete_collection(self, request, namespace):
        key = store_key(request.resource)
        matches = self._matcher(request)
        version, objects = self.store.list(key, namespace or "")
        deleted = [o for o in objects if matches(o)]
        for obj in deleted:
            if self.store.get(key, namespace or "", obj["metadata"]["name"]) is not None:
                self.registry.delete(request.resource, namespace, obj["metadata"]["name"])
        return _list_body(key, deleted, version)


def _propagation(request, body):
    """A delete's propagationPolicy, from the query or the DeleteOptions body
    (orphanDependents, its older form, too)."""
    options = body if isinstance(body, dict) else {}
    policy = request.param("propagationPolicy") or options.get("propagationPolicy")
    orphan = request.param("orphanDependents") or options.get("orphanDependents")
    return policy or ("Orphan" if orphan in (True, "true") else None)


def _grace(request, body):
    """A delete's gracePeriodSeconds (a pod's), from the query or the DeleteOptions."""
    options = body if isinstance(body, dict) else {}
    grace = request.param("gracePeriodSeconds", options.get("gracePeriodSeconds"))
    try:
        return None if grace is None else max(0, int(grace))
    except (TypeError, ValueError):
        raise ApiError(400, "gracePeriodSeconds: expected a number, got %r" % (grace,)) \
            from None


def _event_sender(handler, resource):
    """Starts the watch stream; -> send(event type, object)."""
    in_protobuf = protobuf_encode.prefers_protobuf(handler.headers.get("Accept")) and \
        protobuf_encode.has_schema(resources.group_version(resource), resource.kind)
    handler.start_stream(protobuf_encode.WATCH_CONTENT_TYPE if in_protobuf
                         else "application/json")

    def send(kind, obj):
        if not in_protobuf:
            handler.send_chunk(json.dumps({"type": kind, "object": obj}).encode() + b"\n")
            return
        try:
            frame = protobuf_encode.watch_frame(kind, obj)
        except protobuf.ProtobufError as exc:   # a bug of ours: the client hears of it
            frame = protobuf_encode.watch_frame(
                "ERROR", ApiError(500, "internal error: %s" % exc).status())
        handler.send_chunk(frame)
    return send


def _manager(request, handler):
    """The write's field manager: the fieldManager asked for, or the client's name
    from its User-Agent (`kubectl/v1.37.0 (linux/amd64)` is kubectl), as Kubernetes
    names it."""
    manager = request.param("fieldManager")
    if manager:
        if len(manager) > 128 or not manager.isprintable():
            raise invalid("PatchOptions", "", "fieldManager", "Invalid value: %r: must be "
                          "at most 128 printable characters" % manager)
        return manager
    agent = handler.headers.get("User-Agent") or "unknown"
    return agent.split("/", 1)[0][:128] or "unknown"


def _content_type(handler):
    return (handler.headers.get("Content-Type") or "").split(";")[0].strip()


def _list_body(key, objects, version):
    """A <Kind>List of objects of the store's resource key."""
    resource = resources.BY_STORE_KEY[key]
    return {"kind": resource.kind + "List", "apiVersion": resources.group_version(resource),
            "metadata": {"resourceVersion": version}, "items": objects}


class _TLSServer(ThreadingHTTPServer):
    """TLS is set up in the request's own thread, so a slow or silent client never
    holds up the others."""
    daemon_threads = True
    context = None

    def handle_error(self, request, client_address):
        """A connection that failed mid-way (a client gone, a TLS error): into the
        run's api.log, not onto the CLI's terminal."""
        api = getattr(self, "api", None)
        if api is not None and api.log:
            api.log.write("connection from %s:%d failed: %s\n"
                          % (client_address + (sys.exc_info()[1],)))

    def finish_request(self, request, client_address):
        # Headers and body leave in separate writes: without this, Nagle's algorithm
        # and the client's delayed ACK hold every response for 40 ms.
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        request.settimeout(30)
        try:
            request = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        request.settimeout(None)
        self.RequestHandlerClass(request, client_address, self)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kubemn-apiserver"

    def log_message(self, *args):
        pass  # requests go to the run's api.log instead

    def _serve(self, method):
        try:
            self.raw_body = self.read_raw_body()
            code, body = self.server.api.handle(self, method)
        except ApiError as exc:
            code, body = exc.code, exc.status()
        except KubemnError as exc:
            code, body = 422, ApiError(422, str(exc)).status()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            return   # the client has gone
        except Exception as exc:  # a bug of ours: say so in one line, keep serving
            code, body = 500, ApiError(500, "internal error: %s: %s"
                                       % (type(exc).__name__, exc)).status()
        if code is not None:
            self.send_object(code, body)

    def do_GET(self):
        self._serve("GET")

    def do_POST(self):
        self._serve("POST")

    def do_PUT(self):
        self._serve("PUT")

    def do_PATCH(self):
        self._serve("PATCH")

    def do_DELETE(self):
        self._serve("DELETE")

    def read_raw_body(self):
        """The request's body, by Content-Length or chunked (as Go sends a body of
        unknown length); read in full, so the connection stays in step."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            raw = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                raw += self.rfile.read(size)
                self.rfile.readline()
                if len(raw) > MAX_BODY:
                    self.close_connection = True
                    raise ApiError(413, "the request is too large",
                                   reason="RequestEntityTooLarge")
            return raw
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.close_connection = True
            raise ApiError(413, "the request is too large", reason="RequestEntityTooLarge")
        return self.rfile.read(length) if length else b""

    def read_body(self):
        raw = self.raw_body
        if not raw:
            return None
        try:
            return json.loads(raw)
        except (ValueError, RecursionError):
            try:
                import yaml
                return yaml.safe_load(raw)
            except Exception:
                raise ApiError(400, "the request body is not valid JSON") from None

    def send_object(self, code, body):
        """The answer in protobuf if the client asks for it first and it has a
        schema, else in JSON."""
        content_type = "application/json"
        data = None
        if isinstance(body, dict) and protobuf_encode.prefers_protobuf(
                self.headers.get("Accept")):
            try:
                data, content_type = protobuf_encode.encode(body), protobuf.CONTENT_TYPE
            except protobuf.ProtobufError as exc:
                self.server.api.note("answered in JSON, not protobuf: %s" % exc)
        if data is None:
            data = json.dumps(body).encode()
        self.send_bytes(code, content_type, data)

    def send_bytes(self, code, content_type, data):
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def send_text(self, code, text):
        self.send_bytes(code, "text/plain; charset=utf-8", text.encode())

    def start_stream(self, content_type):
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()

    def send_chunk(self, data):
        if data:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

    def end_stream(self):
        try:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
