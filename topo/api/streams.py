"""The streaming subresources: a container's log (with follow) and exec."""
import os
import time

from topo.api.status import ApiError
from topo.errors import KubemnError

FOLLOW_POLL = 0.1


def _tail(text, lines):
    if lines is None:
        return text
    kept = text.splitlines(keepends=True)
    return "".join(kept[-lines:]) if lines > 0 else ""


def serve_logs(api, request, handler):
    """GET pods/NAME/log: ?container=, ?tailLines=, ?follow=true, ?previous=true."""
    cluster = api.cluster
    pod_ref = request.name if request.namespace == "default" else \
        "%s/%s" % (request.namespace, request.name)
    container = request.param("container")
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
    if request.param("follow") not in ("true", "1"):
        handler.send_text(200, _tail(text, tail))
        return None, None
    name = container or pod.spec.template.containers[0].name
    path = pod.log_path(name)
    handler.start_stream("text/plain; charset=utf-8")
    try:
        handler.send_chunk(_tail(text, tail).encode())
        offset = len(text.encode())
        while not api.stopping.is_set() and cluster.pods.get(pod.ref) is pod:
            try:
                size = os.path.getsize(path)
            except OSError:
                break
            if size > offset:
                with open(path, "rb") as log:
                    log.seek(offset)
                    data = log.read(size - offset)
                offset += len(data)
                handler.send_chunk(data)
            time.sleep(FOLLOW_POLL)
    except (BrokenPipeError, ConnectionResetError):
        return None, None
    handler.end_stream()
    return None, None


def serve_exec(api, request, handler):
    raise ApiError(400, "exec is not served yet")
