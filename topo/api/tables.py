"""Server-side printing: kubectl's columns for each kind, as the Table kubectl asks
for (pure). Columns of priority 1 show with `-o wide`; kubectl upper-cases the
names and adds NAMESPACE (-A) and LABELS (--show-labels) itself."""
import calendar
import collections
import time

from topo.api.format import NONE, age, endpoints_text
from topo.api.store import controller_of

NAME = ("Name", "string", "name", 0)


def _col(name, kind="string", priority=0, fmt=""):
    return (name, kind, fmt, priority)


def _age(obj, now):
    created = obj["metadata"].get("creationTimestamp")
    if not created:
        return "<unknown>"
    return age(now - calendar.timegm(time.strptime(created, "%Y-%m-%dT%H:%M:%SZ")))


def _selector(pairs):
    return ",".join("%s=%s" % kv for kv in sorted((pairs or {}).items())) or NONE


# --- pods --------------------------------------------------------------------------
def pod_status_reason(pod: dict) -> str:
    """The STATUS column: a waiting or terminated reason wins over the phase."""
    reason = pod["status"].get("phase", "Unknown")
    for status in pod["status"].get("containerStatuses", []):
        state = status.get("state", {})
        if "waiting" in state and state["waiting"].get("reason"):
            return state["waiting"]["reason"]
        if "terminated" in state and state["terminated"].get("reason"):
            reason = state["terminated"]["reason"]
    if pod["metadata"].get("deletionTimestamp"):
        return "Terminating"
    return reason


def _pod_row(pod, now):
    statuses = pod["status"].get("containerStatuses", [])
    ready = sum(1 for s in statuses if s.get("ready"))
    restarts = sum(s.get("restartCount", 0) for s in statuses)
    return [pod["metadata"]["name"], "%d/%d" % (ready, len(pod["spec"]["containers"])),
            pod_status_reason(pod), restarts, _age(pod, now),
            pod["status"].get("podIP") or NONE, pod["spec"].get("nodeName") or NONE,
            NONE, NONE]


# --- services and endpoints --------------------------------------------------------
def service_ports(service: dict) -> str:
    parts = []
    for port in service["spec"].get("ports", []):
        node_port = ":%d" % port["nodePort"] if port.get("nodePort") else ""
        parts.append("%d%s/%s" % (port["port"], node_port, port.get("protocol", "TCP")))
    return ",".join(parts) or NONE


def _external_ip(service):
    if service["spec"]["type"] == "ExternalName":
        return service["spec"]["externalName"]
    ingress = service.get("status", {}).get("loadBalancer", {}).get("ingress") or []
    ips = [i.get("ip") or i.get("hostname") for i in ingress]
    if service["spec"]["type"] == "LoadBalancer" and not ips:
        return "<pending>"
    return ",".join(ips) or NONE


def _service_row(service, now):
    spec = service["spec"]
    return [service["metadata"]["name"], spec["type"], spec.get("clusterIP") or NONE,
            _external_ip(service), service_ports(service), _age(service, now),
            _selector(spec.get("selector"))]


def _endpoints_row(endpoints, now):
    addresses = ["%s:%d" % (a["ip"], p["port"]) for subset in endpoints.get("subsets", [])
                 for p in subset.get("ports", []) for a in subset.get("addresses", [])]
    return [endpoints["metadata"]["name"], endpoints_text(addresses), _age(endpoints, now)]


def _slice_row(piece, now):
    ports = ",".join(str(p["port"]) for p in piece.get("ports") or []) or "<unset>"
    addresses = [a for e in piece.get("endpoints") or [] for a in e["addresses"]]
    return [piece["metadata"]["name"], piece["addressType"], ports,
            endpoints_text(addresses).replace(NONE, "<unset>"), _age(piece, now)]


# --- workloads -----------------------------------------------------------------------
def _containers(template):
    containers = template["spec"]["containers"]
    return ",".join(c["name"] for c in containers), ",".join(c["image"] for c in containers)


def _deployment_row(deployment, now):
    status, spec = deployment.get("status", {}), deployment["spec"]
    names, images = _containers(spec["template"])
    return [deployment["metadata"]["name"],
            "%d/%d" % (status.get("readyReplicas", 0), spec.get("replicas", 1)),
            status.get("updatedReplicas", 0), status.get("availableReplicas", 0),
            _age(deployment, now), names, images, _label_selector(spec["selector"])]


def _replica_set_row(replica_set, now):
    status, spec = replica_set.get("status", {}), replica_set["spec"]
    names, images = _containers(spec["template"])
    return [replica_set["metadata"]["name"], spec.get("replicas", 1),
            status.get("replicas", 0), status.get("readyReplicas", 0),
            _age(replica_set, now), names, images, _label_selector(spec["selector"])]


def _label_selector(selector):
    """A LabelSelector as kubectl prints it: app=web,tier in (a,b),!gone."""
    terms = ["%s=%s" % kv for kv in sorted((selector.get("matchLabels") or {}).items())]
    for expression in selector.get("matchExpressions") or ():
        key, op = expression["key"], expression["operator"]
        values = ",".join(sorted(expression.get("values") or ()))
        terms.append({"In": "%s in (%s)" % (key, values),
                      "NotIn": "%s notin (%s)" % (key, values), "Exists": key,
                      "DoesNotExist": "!" + key}[op])
    return ",".join(terms) or NONE


def _seconds(stamp):
    return calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ"))


def _job_row(job, now):
    status, spec = job.get("status", {}), job["spec"]
    held = {c["type"] for c in status.get("conditions") or () if c["status"] == "True"}
    state = next((s for s in ("Complete", "Failed") if s in held), None) or \
        ("Terminating" if job["metadata"].get("deletionTimestamp") else None) or \
        next((s for s in ("Suspended", "FailureTarget", "SuccessCriteriaMet") if s in held),
             "Running")
    duration = ""
    if status.get("startTime"):
        end = _seconds(status["completionTime"]) if status.get("completionTime") else now
        duration = age(end - _seconds(status["startTime"]))
    names, images = _containers(spec["template"])
    return [job["metadata"]["name"], state,
            "%d/%d" % (status.get("succeeded", 0), spec.get("completions", 1)), duration,
            _age(job, now), names, images, _label_selector(spec.get("selector") or {})]


def _cron_job_row(cron, now):
    status, spec = cron.get("status", {}), cron["spec"]
    last = status.get("lastScheduleTime")
    names, images = _containers(spec["jobTemplate"]["spec"]["template"])
    return [cron["metadata"]["name"], spec["schedule"], spec.get("timeZone") or NONE,
            "True" if spec.get("suspend") else "False", len(status.get("active") or ()),
            age(now - _seconds(last)) if last else NONE, _age(cron, now), names, images,
            _label_selector((spec["jobTemplate"]["spec"].get("selector")) or {})]


def _daemon_set_row(daemon, now):
    status, spec = daemon.get("status", {}), daemon["spec"]
    names, images = _containers(spec["template"])
    return [daemon["metadata"]["name"], status.get("desiredNumberScheduled", 0),
            status.get("currentNumberScheduled", 0), status.get("numberReady", 0),
            status.get("updatedNumberScheduled", 0), status.get("numberAvailable", 0),
            _selector((spec["template"].get("spec") or {}).get("nodeSelector")),
            _age(daemon, now), names, images, _label_selector(spec["selector"])]


def _stateful_set_row(stateful_set, now):
    status, spec = stateful_set.get("status", {}), stateful_set["spec"]
    names, images = _containers(spec["template"])
    return [stateful_set["metadata"]["name"], "%d/%d" % (status.get("readyReplicas", 0),
                                                         spec["replicas"]),
            _age(stateful_set, now), names, images]


def _replication_controller_row(controller, now):
    status, spec = controller.get("status", {}), controller["spec"]
    names, images = _containers(spec["template"])
    return [controller["metadata"]["name"], spec.get("replicas", 1),
            status.get("replicas", 0), status.get("readyReplicas", 0),
            _age(controller, now), names, images, _selector(spec.get("selector"))]


# --- cluster -------------------------------------------------------------------------
def _node_status(node):
    """As kubectl's printer says it: Ready, NotReady or Unknown (its kubelet has said
    nothing yet), then SchedulingDisabled for a cordoned node."""
    said = [c["status"] for c in node["status"].get("conditions", ()) if c["type"] == "Ready"]
    words = ["Ready" if said == ["True"] else "NotReady" if said else "Unknown"]
    if node["spec"].get("unschedulable"):
        words.append("SchedulingDisabled")
    return ",".join(words)


def _node_row(node, now):
    status = node["status"]
    roles = sorted(k.split("/", 1)[1] for k in node["metadata"].get("labels", {})
                   if k.startswith("node-role.kubernetes.io/"))
    addresses = status.get("addresses", ())
    internal = [a["address"] for a in addresses if a["type"] == "InternalIP"]
    external = [a["address"] for a in addresses if a["type"] == "ExternalIP"]
    info = collections.defaultdict(str, status.get("nodeInfo", {}))
    return [node["metadata"]["name"], _node_status(node),
            ",".join(roles) or NONE, _age(node, now), info["kubeletVersion"],
            ",".join(internal) or NONE, ",".join(external) or NONE, info["osImage"],
            info["kernelVersion"], info["containerRuntimeVersion"]]


def _namespace_row(namespace, now):
    return [namespace["metadata"]["name"], namespace["status"]["phase"], _age(namespace, now)]


def _policy_row(policy, now):
    return [policy["metadata"]["name"],
            label_selector_text(policy["spec"].get("podSelector")), _age(policy, now)]


def _config_map_row(config_map, now):
    return [config_map["metadata"]["name"],
            len(config_map.get("data") or {}) + len(config_map.get("binaryData") or {}),
            _age(config_map, now)]


def _role_row(role, now):
    return [role["metadata"]["name"], role["metadata"]["creationTimestamp"]]


def _binding_row(binding, now):
    subjects = binding.get("subjects") or ()

    def named(kind, namespaced=False):
        return ", ".join(("%s/%s" % (s.get("namespace", ""), s["name"]) if namespaced
                          else s["name"]) for s in subjects if s["kind"] == kind)
    return [binding["metadata"]["name"], "%s/%s" % (binding["roleRef"]["kind"],
                                                    binding["roleRef"]["name"]),
            _age(binding, now), named("User"), named("Group"),
            named("ServiceAccount", namespaced=True)]


def _budget_row(budget, now):
    spec = budget.get("spec") or {}
    return [budget["metadata"]["name"], str(spec.get("minAvailable", "N/A")),
            str(spec.get("maxUnavailable", "N/A")),
            (budget.get("status") or {}).get("disruptionsAllowed", 0), _age(budget, now)]


def _quota_row(quota, now):
    status = quota.get("status") or {}
    hard, used = status.get("hard") or {}, status.get("used") or {}

    def listed(names):
        return ", ".join("%s: %s/%s" % (n, used.get(n, "0"), hard[n]) for n in names)
    return [quota["metadata"]["name"], _age(quota, now),
            listed(sorted(n for n in hard if not n.startswith("limits."))),
            listed(sorted(n for n in hard if n.startswith("limits.")))]


def _api_service_row(service, now):
    reference = (service.get("spec") or {}).get("service")
    available = next((c for c in (service.get("status") or {}).get("conditions") or ()
                      if c["type"] == "Available"), {"status": "Unknown"})
    shown = available["status"] if available["status"] == "True" else "%s (%s)" % (
        available["status"], available.get("reason", ""))
    return [service["metadata"]["name"], "%s/%s" % (reference["namespace"], reference["name"])
            if reference else "Local", shown, _age(service, now)]


def _revision_row(revision, now):
    owner = controller_of(revision)
    return [revision["metadata"]["name"], "%s.%s/%s" % (
        owner["kind"].lower(), owner["apiVersion"].split("/")[0], owner["name"])
        if owner else NONE, revision["revision"], _age(revision, now)]


def _lease_row(lease, now):
    return [lease["metadata"]["name"], (lease.get("spec") or {}).get("holderIdentity", ""),
            _age(lease, now)]


def _secret_row(secret, now):
    return [secret["metadata"]["name"], secret["type"], len(secret.get("data") or {}),
            _age(secret, now)]


def _service_account_row(account, now):
    return [account["metadata"]["name"], len(account.get("secrets") or ()),
            _age(account, now)]


def _ingress_row(ingress, now):
    spec = ingress.get("spec") or {}
    hosts = [r["host"] for r in spec.get("rules") or () if r.get("host")]
    balancer = ((ingress.get("status") or {}).get("loadBalancer") or {}).get("ingress") or ()
    addresses = [a.get("ip") or a.get("hostname", "") for a in balancer]
    return [ingress["metadata"]["name"], spec.get("ingressClassName") or NONE,
            ",".join(hosts) or "*", ",".join(addresses), "443" if spec.get("tls") else "80",
            _age(ingress, now)]


def _ingress_class_row(ingress_class, now):
    spec = ingress_class.get("spec") or {}
    parameters = spec.get("parameters") or {}
    return [ingress_class["metadata"]["name"], spec.get("controller", ""),
            "%s/%s" % (parameters.get("kind", ""), parameters.get("name", ""))
            if parameters else NONE, _age(ingress_class, now)]


def label_selector_text(selector: dict | None) -> str:
    """A LabelSelector as kubectl prints it; empty: '<none>'."""
    selector = selector or {}
    parts = ["%s=%s" % kv for kv in sorted((selector.get("matchLabels") or {}).items())]
    for expression in selector.get("matchExpressions") or []:
        op, key = expression["operator"], expression["key"]
        if op in ("In", "NotIn"):
            parts.append("%s %s (%s)" % (key, op.lower(), ",".join(expression["values"])))
        else:
            parts.append(key if op == "Exists" else "!" + key)
    return ",".join(parts) or NONE


def _event_row(event, now):
    involved = event.get("involvedObject", {})
    when = event.get("lastTimestamp") or event["metadata"].get("creationTimestamp")
    seen = _age({"metadata": {"creationTimestamp": when}}, now)
    return [seen, event.get("type", ""), event.get("reason", ""),
            "%s/%s" % (involved.get("kind", "").lower(), involved.get("name", "")),
            event.get("message", "")]


COLUMNS = {
    "pods": ([NAME, _col("Ready"), _col("Status"), _col("Restarts", "string"), _col("Age"),
              _col("IP", priority=1), _col("Node", priority=1),
              _col("Nominated Node", priority=1), _col("Readiness Gates", priority=1)],
             _pod_row),
    "services": ([NAME, _col("Type"), _col("Cluster-IP"), _col("External-IP"),
                  _col("Port(s)"), _col("Age"), _col("Selector", priority=1)], _service_row),
    "endpoints": ([NAME, _col("Endpoints"), _col("Age")], _endpoints_row),
    "endpointslices.discovery.k8s.io": (
        [NAME, _col("AddressType"), _col("Ports"), _col("Endpoints"), _col("Age")],
        _slice_row),
    "deployments.apps": ([NAME, _col("Ready"), _col("Up-to-date", "integer"),
                          _col("Available", "integer"), _col("Age"),
                          _col("Containers", priority=1), _col("Images", priority=1),
                          _col("Selector", priority=1)], _deployment_row),
    "replicasets.apps": ([NAME, _col("Desired", "integer"), _col("Current", "integer"),
                          _col("Ready", "integer"), _col("Age"),
                          _col("Containers", priority=1), _col("Images", priority=1),
                          _col("Selector", priority=1)], _replica_set_row),
    "replicationcontrollers": ([NAME, _col("Desired", "integer"), _col("Current", "integer"),
                                _col("Ready", "integer"), _col("Age"),
                                _col("Containers", priority=1), _col("Images", priority=1),
                                _col("Selector", priority=1)], _replication_controller_row),
    "daemonsets.apps": ([NAME, _col("Desired", "integer"), _col("Current", "integer"),
                         _col("Ready", "integer"), _col("Up-to-date", "integer"),
                         _col("Available", "integer"), _col("Node Selector"), _col("Age"),
                         _col("Containers", priority=1), _col("Images", priority=1),
                         _col("Selector", priority=1)], _daemon_set_row),
    "statefulsets.apps": ([NAME, _col("Ready"), _col("Age"), _col("Containers", priority=1),
                           _col("Images", priority=1)], _stateful_set_row),
    "jobs.batch": ([NAME, _col("Status"), _col("Completions"), _col("Duration"), _col("Age"),
                    _col("Containers", priority=1), _col("Images", priority=1),
                    _col("Selector", priority=1)], _job_row),
    "cronjobs.batch": ([NAME, _col("Schedule"), _col("Timezone"), _col("Suspend"),
                        _col("Active", "integer"), _col("Last Schedule"), _col("Age"),
                        _col("Containers", priority=1), _col("Images", priority=1),
                        _col("Selector", priority=1)], _cron_job_row),
    "nodes": ([NAME, _col("Status"), _col("Roles"), _col("Age"), _col("Version"),
               _col("Internal-IP", priority=1), _col("External-IP", priority=1),
               _col("OS-Image", priority=1), _col("Kernel-Version", priority=1),
               _col("Container-Runtime", priority=1)], _node_row),
    "namespaces": ([NAME, _col("Status"), _col("Age")], _namespace_row),
    "networkpolicies.networking.k8s.io": ([NAME, _col("Pod-Selector"), _col("Age")],
                                          _policy_row),
    "configmaps": ([NAME, _col("Data", "integer"), _col("Age")], _config_map_row),
    "secrets": ([NAME, _col("Type"), _col("Data", "integer"), _col("Age")], _secret_row),
    "leases.coordination.k8s.io": ([NAME, _col("Holder"), _col("Age")], _lease_row),
    "poddisruptionbudgets.policy": ([NAME, _col("Min Available"), _col("Max Unavailable"),
                                     _col("Allowed Disruptions", "integer"), _col("Age")],
                                    _budget_row),
    "limitranges": ([NAME, _col("Created At", "date")], _role_row),
    "controllerrevisions.apps": ([NAME, _col("Controller"), _col("Revision", "integer"),
                                  _col("Age")], _revision_row),
    "resourcequotas": ([NAME, _col("Age"), _col("Request"), _col("Limit")], _quota_row),
    "apiservices.apiregistration.k8s.io": ([NAME, _col("Service"), _col("Available"),
                                            _col("Age")], _api_service_row),
    **{plural + ".rbac.authorization.k8s.io": ([NAME, _col("Created At", "date")],
                                               _role_row)
       for plural in ("roles", "clusterroles")},
    **{plural + ".rbac.authorization.k8s.io": (
        [NAME, _col("Role"), _col("Age"), _col("Users", priority=1),
         _col("Groups", priority=1), _col("ServiceAccounts", priority=1)], _binding_row)
       for plural in ("rolebindings", "clusterrolebindings")},
    "serviceaccounts": ([NAME, _col("Secrets", "integer"), _col("Age")],
                        _service_account_row),
    "ingresses.networking.k8s.io": ([NAME, _col("Class"), _col("Hosts"), _col("Address"),
                                     _col("Ports"), _col("Age")], _ingress_row),
    "ingressclasses.networking.k8s.io": ([NAME, _col("Controller"), _col("Parameters"),
                                          _col("Age")], _ingress_class_row),
    "events": ([_col("Last Seen"), _col("Type"), _col("Reason"), _col("Object"),
                _col("Message")], _event_row),
}


def _partial(obj):
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
            "metadata": obj["metadata"]}


def table(resource: str, objects: list[dict], resource_version: str, now: float,
          include: str = "PartialObjectMetadata") -> dict:
    """The meta.k8s.io/v1 Table of objects of resource (a store key)."""
    columns, row = COLUMNS[resource]
    definitions = [{"name": name, "type": kind, "format": fmt, "description": "",
                    "priority": priority} for name, kind, fmt, priority in columns]
    rows = []
    for obj in objects:
        cells = row(obj, now)
        entry = {"cells": cells}
        if include == "Object":
            entry["object"] = obj
        elif include != "None":
            entry["object"] = _partial(obj)
        rows.append(entry)
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1",
            "metadata": {"resourceVersion": resource_version},
            "columnDefinitions": definitions, "rows": rows}
