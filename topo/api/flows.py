"""GET /kubemn/v1/flows: the flow log over the API, for `kubemn observe` in another
shell and the browser view. Its query is observe's options (last, follow, pod,
namespace, protocol, port, node, verdict, ip); it answers JSON lines, one record each (as
`observe -o json` prints them) and, when the kernel dropped messages for the log, a
line {"lost_events": N} (Hubble's name). With follow it streams until the client
goes or the run stops. A path of its own beside the resources, as /healthz is:
RBAC's nonResourceURLs govern it for an impersonated user."""
import json

from topo.api.status import ApiError
from topo.errors import KubemnError
from topo.observe.flow_log import as_json, matches
from topo.observe.observe_command import parse_observe_words, query_words

PATH = "/kubemn/v1/flows"
CONTENT_TYPE = "application/x-ndjson"
WAIT_SECONDS = 1.0


def options_of(query):
    try:
        return parse_observe_words(query_words(query))
    except KubemnError as exc:
        raise ApiError(400, str(exc)) from None


def serve_flows(api, query, handler):
    options = options_of(query)
    collector = api.cluster.flow_log()
    if options.filters["pod"]:   # asked about a pod: its loopback too, from now on
        api.cluster.watch_inside_if_a_pod(options.filters["pod"])
    collector.settle()   # what happened before the request is in the answer
    records, index = collector.since(0)
    shown = [r for r in records if matches(r, **options.filters)]
    lost = 0
    handler.start_stream(CONTENT_TYPE)
    try:
        lines = [as_json(r) for r in (shown[-options.last:] if options.last else [])]
        while True:
            if collector.lost > lost:
                lost = collector.lost
                lines.append(json.dumps({"lost_events": lost}))
            handler.send_chunk("".join(line + "\n" for line in lines).encode())
            if not options.follow or api.stopping.is_set() or collector.stopping:
                break
            lines = []
            if collector.wait(index, WAIT_SECONDS):
                records, index = collector.since(index)
                lines = [as_json(r) for r in records if matches(r, **options.filters)]
    except (BrokenPipeError, ConnectionResetError):
        return None, None   # the client went
    handler.end_stream()
    return None, None
