"""The streaming subresources: a container's log (with follow); exec and attach over
a WebSocket or a bare SPDY connection (with a terminal for -t); port-forward."""
import time

from topo.api import portforward, portforward_channels, spdy_channels, websocket
from topo.api.sessions import AttachSession, ExecSession, WebSocketChannels
from topo.api.status import ApiError, not_found
from topo.errors import KubemnError
from topo.kubelet.status_manager import waiting_state
from topo.plan.model import DEFAULT_NAMESPACE, ref

FOLLOW_POLL = 0.1


def _tail(text, lines):
    if lines is None:
        return text
    kept = text.splitlines(keepends=True)
    return "".join(kept[-lines:]) if lines > 0 else ""


def serve_logs(api, request, handler):
    """GET pods/NAME/log: ?container=, ?tailLines=, ?follow=true, ?previous=true."""
    cluster = api.cluster
    pod_ref = ref(request.namespace, request.name)
    container = request.param("container")
    _refuse_pending(cluster, pod_ref, container)
    try:
        text = cluster.logs(pod_ref, container)
        pod = cluster.pod(pod_ref)
    except KubemnError as exc:
        code = 404 if "not found" in str(exc) else 400
        raise ApiError(code, str(exc)) from None
    if request.param("previous") in ("true", "1"):
        raise ApiError(400, 'previous terminated container "%s" in pod "%s" not found: '
                       'kubemn keeps one log per container, across restarts'
                       % (container or pod.spec.template.containers[0].name, request.name))
    tail = request.param("tailLines")
    try:
        tail = None if tail is None else int(tail)
    except ValueError:
        raise ApiError(400, "tailLines: not a number: %r" % tail) from None
    name = container or pod.spec.template.containers[0].name
    if request.param("follow") not in ("true", "1"):
        pod.note_log_read(name, len(text.encode()))
        handler.send_text(200, _tail(text, tail))
        return None, None
    handler.start_stream("text/plain; charset=utf-8")
    try:
        handler.send_chunk(_tail(text, tail).encode())
        offset = len(text.encode())
        while not api.stopping.is_set() and cluster.pods.get(pod.ref) is pod:
            data = pod.read_log(name, offset)   # on the pod's node's server
            if data:
                offset += len(data)
                handler.send_chunk(data)
            time.sleep(FOLLOW_POLL)
    except (BrokenPipeError, ConnectionResetError):
        return None, None
    handler.end_stream()
    return None, None


def _refuse_pending(cluster, pod_ref, container):
    """A pod the kubelet has not started (or that no node has taken yet) has no logs
    and runs nothing yet."""
    if pod_ref in cluster.pods:
        return
    namespace, _, name = pod_ref.rpartition("/")
    stored = cluster.api.store.get("pods", namespace or DEFAULT_NAMESPACE, name)
    if stored is not None and not stored["metadata"].get("deletionTimestamp"):
        waiting = cluster.pending.get(pod_ref)
        raise ApiError(400, 'container "%s" in pod "%s" is waiting to start: %s' % (
            container or stored["spec"]["containers"][0]["name"], name,
            waiting_state(waiting)[0] if waiting is not None else "ContainerCreating"))


def _offered(handler, protocols):
    """The first of protocols the WebSocket client offers (None: none)."""
    return websocket.choose_protocol(handler.headers.get("Sec-WebSocket-Protocol"), protocols)


def _upgrade(handler, protocols, what):
    """Answers a WebSocket upgrade with the first of protocols the client offers."""
    if "websocket" not in (handler.headers.get("Upgrade") or "").lower():
        raise ApiError(400, "%s needs a WebSocket upgrade (kubectl 1.31 or newer)" % what)
    protocol = _offered(handler, protocols)
    if protocol is None:
        raise ApiError(400, "none of the offered protocols is served: kubemn speaks %s"
                       % ", ".join(protocols))
    handler.send_response(101, "Switching Protocols")
    handler.send_header("Upgrade", "websocket")
    handler.send_header("Connection", "Upgrade")
    handler.send_header("Sec-WebSocket-Accept",
                        websocket.accept_key(handler.headers.get("Sec-WebSocket-Key", "")))
    handler.send_header("Sec-WebSocket-Protocol", protocol)
    handler.end_headers()
    handler.wfile.flush()
    handler.close_connection = True


def _flags(request):
    return {name: request.param(name) in ("true", "1")
            for name in ("stdin", "stdout", "stderr", "tty")}


def _channels(handler, flags, what):
    """The transport the client upgrades to: SPDY/3.1 (client-go before 1.31), or a
    WebSocket; None if a SPDY client did not open its streams."""
    if not _asks_for_spdy(handler):
        _upgrade(handler, websocket.PROTOCOLS, what)
        return WebSocketChannels(handler)
    protocol = _switch_to_spdy(handler, spdy_channels.PROTOCOLS)
    transport = spdy_channels.SpdyChannels(handler, protocol, flags)
    return transport if transport.wait_streams() else None


def _asks_for_spdy(handler):
    return (handler.headers.get("Upgrade") or "").lower() == spdy_channels.UPGRADE.lower()


def _switch_to_spdy(handler, protocols):
    """The 101 that upgrades the connection to SPDY/3.1 with the first of protocols the
    client offers (a 400 if it offers none); returns that protocol."""
    protocol = spdy_channels.choose_protocol(
        handler.headers.get_all("X-Stream-Protocol-Version") or [], protocols)
    if protocol is None:
        raise ApiError(400, "none of the offered stream protocols is served: kubemn "
                       "speaks %s" % ", ".join(protocols))
    handler.send_response(101, "Switching Protocols")
    handler.send_header("Connection", "Upgrade")
    handler.send_header("Upgrade", spdy_channels.UPGRADE)
    handler.send_header("X-Stream-Protocol-Version", protocol)
    handler.end_headers()
    handler.wfile.flush()
    handler.close_connection = True
    return protocol


def _running_pod(cluster, request):
    """The started pod a streaming request names (404, or 400 while it is pending)."""
    pod_ref = ref(request.namespace, request.name)
    _refuse_pending(cluster, pod_ref, request.param("container"))
    try:
        return cluster.pod(pod_ref)
    except KubemnError:
        raise not_found("pods", request.name) from None


def serve_portforward(api, request, handler):
    """pods/NAME/portforward: kubectl's SPDY session through a WebSocket, or on the
    upgraded connection itself (bare SPDY/3.1); the official clients' WebSocket of
    channels, a pair for each port the request names."""
    pod = _running_pod(api.cluster, request)
    if not _asks_for_spdy(handler):
        protocols = (portforward.PROTOCOL, portforward_channels.PROTOCOL)
        if _offered(handler, protocols) == portforward_channels.PROTOCOL:
            ports = portforward_channels.requested_ports(request.query.get("ports") or [])
            _upgrade(handler, protocols, "port-forward")
            portforward_channels.ChannelPortForward(pod, handler, ports, api.note).run()
            return None, None
        _upgrade(handler, protocols, "port-forward")
        transport = portforward.WebSocketBytes(handler)
    else:
        _switch_to_spdy(handler, (portforward.SPDY_PROTOCOL,))
        transport = portforward.RawBytes(handler)
    portforward.PortForwardSession(pod, transport, api.note).run()
    return None, None


def serve_exec(api, request, handler):
    """pods/NAME/exec: the command runs in the pod's namespaces, with a terminal when
    tty=true, its streams carried on the transport's channels."""
    pod = _running_pod(api.cluster, request)
    container = request.param("container")
    names = [c.name for c in pod.spec.template.containers]
    if container is not None and container not in names:
        raise ApiError(400, "container %s is not valid for pod %s" % (container, pod.name))
    command = request.query.get("command") or []
    if not command:
        raise ApiError(400, "you must specify at least one command for the container")
    flags = _flags(request)
    transport = _channels(handler, flags, "exec")
    if transport is not None:
        ExecSession(transport, pod, container, command, flags).run()
    return None, None


def serve_attach(api, request, handler):
    """pods/NAME/attach: the container's own terminal or standard input (kubectl
    attach, kubectl run -i|-it)."""
    pod = _running_pod(api.cluster, request)
    name = request.param("container") or pod.spec.template.containers[0].name
    console = pod.consoles.get(name)
    if name not in pod.containers:
        raise ApiError(400, "container %s is not valid for pod %s" % (name, pod.name))
    if console is None:
        raise ApiError(400, "container %s of pod %s was not started with stdin or tty: "
                       "attach needs `stdin: true` (kubectl run -i)" % (name, pod.name))
    transport = _channels(handler, _flags(request), "attach")
    if transport is not None:
        AttachSession(transport, pod, name, console).run()
    return None, None
