"""pods/NAME/proxy, services/NAME/proxy and nodes/NAME/proxy: the API server relays an
HTTP request to a pod's port, to a ready endpoint of a Service's port, or to a node's
kubelet (topo/kubelet/port.py), and the answer back (the e2e suite reads its DNS
probes' results this way; `kubectl get --raw`). NAME may carry a
port, `name:port` or `scheme:name:port` (http or https: a pod's certificate is not
verified, as the API server's proxy does not verify it). The request leaves from the
namespace of the pod's node, as the API server reaches pods over the cluster's
network. The links of an HTML answer are rewritten to go through the proxy again."""
import http.client
import random
import re
import socket
import ssl

from topo.api.status import ApiError, not_found
from topo.errors import KubemnError
from topo.kubelet.endpoints import PORT as KUBELET_PORT
from topo.plan.model import ref
from topo.runtime.netns import network_namespace_of

TIMEOUT = 30.0
LINK = re.compile(r"""(\b(?:href|src|action)\s*=\s*)(["'])(/(?!/)[^"']*)\2""", re.IGNORECASE)
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "upgrade", "te", "trailer",
              "proxy-authorization", "proxy-authenticate", "host", "authorization",
              "content-length"}


def split_name(text):
    """(scheme, name, port) of NAME, [scheme:]name[:port]; port '' when not given."""
    parts = text.split(":")
    if len(parts) == 3:
        return parts[0] or "http", parts[1], parts[2]
    if len(parts) == 2:
        return "http", parts[0], parts[1]
    return "http", text, ""


def _pod_target(cluster, namespace, name, port):
    try:
        pod = cluster.pod(ref(namespace, name))
    except KubemnError:
        raise not_found("pods", name) from None
    if not port:
        port = 80
    elif not port.isdigit():
        named = [p.container_port for c in pod.spec.template.containers for p in c.ports
                 if p.name == port]
        if not named:
            raise ApiError(503, "no such port %r in pod %s" % (port, name))
        port = named[0]
    return cluster.proxy_origin(pod.node.name), pod.ip, int(port)


def _service_target(cluster, namespace, name, port):
    try:
        served = cluster.served_service(ref(namespace, name))
    except (KubemnError, StopIteration):
        raise not_found("services", name) from None
    wanted = [p for p in served.ports if not port or port in (p.name, str(p.port))]
    if not wanted:
        raise ApiError(503, "no service port %r found for service %r" % (port, name))
    choices = [(e, target) for e in served.endpoints for number, protocol, target in e.ports
               if number == wanted[0].port and protocol == wanted[0].protocol]
    if not choices:
        raise ApiError(503, 'no endpoints available for service "%s"' % name)
    endpoint, target = random.choice(choices)
    return cluster.proxy_origin(endpoint.node), endpoint.ip, target


def _node_target(cluster, name, port):
    """The node's kubelet port (topo/kubelet/port.py) unless another is named."""
    try:
        node = cluster.node(name)
    except KubemnError:
        raise not_found("nodes", name) from None
    if port and not port.isdigit():
        raise ApiError(503, "no such port %r on node %s" % (port, name))
    if int(port or KUBELET_PORT) == KUBELET_PORT and name not in cluster.kubelet_ports:
        raise ApiError(503, "node %s runs on another server than the head, whose kubelet "
                       "port kubemn does not serve yet" % name)
    return cluster.proxy_origin(node.name), cluster.node_plans[name].ip, \
        int(port or KUBELET_PORT)


def rewrite_links(html, prefix):
    """An HTML page's links to absolute paths, prefixed with the proxy's path (as the
    API server's proxy rewrites them, so that they lead through it again)."""
    return LINK.sub(lambda m: m.group(1) + m.group(2) + prefix + m.group(3) + m.group(2),
                    html)


def relay(pid, address, port, method, path, headers, body, tls=False):
    """(status, reason, [(header, value)], body) of one HTTP request to address:port,
    sent from pid's network namespace; tls: over TLS, the certificate not verified."""
    with network_namespace_of(pid):
        sock = socket.create_connection((address, port), TIMEOUT)
    if tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        sock = context.wrap_socket(sock)
    connection = http.client.HTTPConnection(address, port, timeout=TIMEOUT)
    connection.sock = sock
    try:
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        return response.status, response.reason, [
            (k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP], \
            response.read()
    finally:
        connection.close()


def serve_proxy(api, request, method, handler):
    scheme, name, port = split_name(request.name)
    if scheme not in ("http", "https"):
        raise ApiError(400, "kubemn proxies http and https, not %s" % scheme)
    kind = request.resource.plural
    try:
        if kind == "pods":
            pid, address, port = _pod_target(api.cluster, request.namespace, name, port)
        elif kind == "services":
            pid, address, port = _service_target(api.cluster, request.namespace, name, port)
        elif kind == "nodes":
            if request.name.count(":") < 2 and port in ("", str(KUBELET_PORT)):
                scheme = "https"   # the kubelet's port speaks TLS
            pid, address, port = _node_target(api.cluster, name, port)
        else:
            raise ApiError(404, "kubemn proxies to pods, services and nodes only")
    except KubemnError as exc:   # nowhere to connect from (topo/cluster.proxy_origin)
        raise ApiError(503, str(exc)) from None
    path = request.proxy_path + ("?" + request.raw_query if request.raw_query else "")
    headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_BY_HOP}
    try:
        status, reason, headers, body = relay(pid, address, port, method, path, headers,
                                              handler.raw_body, scheme == "https")
    except OSError as exc:
        raise ApiError(503, "error trying to reach %s: dial tcp %s:%d: connect: %s"
                       % (kind[:-1], address, port,
                          (exc.strerror or str(exc)).lower())) from None
    except http.client.HTTPException as exc:
        raise ApiError(502, "error reading from %s:%d: %s" % (address, port, exc)) from None
    if any(k.lower() == "content-type" and v.startswith("text/html") for k, v in headers):
        prefix = "/api/v1/%s%s/%s/proxy" % ("namespaces/%s/" % request.namespace
                                             if request.namespace else "", kind,
                                             request.name)
        body = rewrite_links(body.decode("utf-8", "replace"), prefix).encode()
    handler.send_response(status, reason)
    for key, value in headers:
        handler.send_header(key, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)
    return None, None
