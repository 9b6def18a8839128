"""`kubemn observe` in a shell beside the run: the flow log read from the run's API
(GET /kubemn/v1/flows, with the run's kubeconfig: its server, CA and token), printed
as the CLI's observe prints it."""
import base64
import http.client
import json
import ssl
import urllib.parse

import yaml

from topo.api.flows import PATH
from topo.errors import KubemnError
from topo.observe.flow_log import FORMS
from topo.observe.observe_command import query_of

TIMEOUT = 10.0   # for the answer's start; a followed stream may then be quiet for long


def _endpoint(kubeconfig_path):
    with open(kubeconfig_path) as handle:
        config = yaml.safe_load(handle)
    cluster = config["clusters"][0]["cluster"]
    token = config["users"][0]["user"]["token"]
    ca = base64.b64decode(cluster["certificate-authority-data"]).decode()
    return urllib.parse.urlsplit(cluster["server"]), ca, token


def observe_remote(kubeconfig_path, options, write, warn):
    """Prints the records the run's API sends (write(line)), the kernel's drops said
    (warn(line)); KubemnError in one line for what the API refused."""
    server, ca, token = _endpoint(kubeconfig_path)
    connection = http.client.HTTPSConnection(
        server.hostname, server.port, timeout=TIMEOUT,
        context=ssl.create_default_context(cadata=ca))
    try:
        connection.request("GET", PATH + "?" + urllib.parse.urlencode(query_of(options)),
                           headers={"Authorization": "Bearer " + token})
        response = connection.getresponse()
        if response.status != 200:
            body = response.read()
            try:
                message = json.loads(body)["message"]
            except (ValueError, KeyError, TypeError):
                message = body.decode(errors="replace").strip() or response.reason
            raise KubemnError("%s (HTTP %d)" % (message, response.status))
        connection.sock.settimeout(None)
        show, header = FORMS[options.output]
        if header:
            write(header)
        while True:
            line = response.readline()
            if not line:
                return
            record = json.loads(line)
            if "lost_events" in record:
                warn("observe: the kernel dropped messages for the flow log %d times: it "
                     "misses connections" % record["lost_events"])
            else:
                write(show(record))
    except OSError as exc:
        raise KubemnError("the run's API at %s did not answer: %s" % (server.netloc, exc)) \
            from None
    finally:
        connection.close()
