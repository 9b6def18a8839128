"""The cluster as the browser view draws it (pure), from the API's objects: nodes
with their addresses, pods with their node, address, readiness and the policies that
isolate them, Services with their addresses and ready endpoints (from their
EndpointSlices), NetworkPolicies with the pods they select, the internet host."""
from topo.policy.clauses import isolating, selects
from topo.policy.view import cluster_view

SERVICE_NAME_LABEL = "kubernetes.io/service-name"


def _ready(pod):
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or [])


def _node(obj):
    addresses = (obj.get("status") or {}).get("addresses") or []
    ready = any(c.get("type") == "Ready" and c.get("status") == "True"
                for c in (obj.get("status") or {}).get("conditions") or [])
    return {"name": obj["metadata"]["name"], "podCIDR": (obj.get("spec") or {}).get("podCIDR"),
            "ip": next((a["address"] for a in addresses if a.get("type") == "InternalIP"), None),
            "ready": ready}


def _endpoints(slices):
    """{service ref: [ready endpoint pod refs]}."""
    found = {}
    for obj in slices:
        metadata = obj["metadata"]
        service = (metadata.get("labels") or {}).get(SERVICE_NAME_LABEL)
        if not service:
            continue
        pods = found.setdefault("%s/%s" % (metadata.get("namespace", "default"), service), [])
        for endpoint in obj.get("endpoints") or []:
            target = endpoint.get("targetRef") or {}
            if (endpoint.get("conditions") or {}).get("ready") is not False and \
                    target.get("kind") == "Pod":
                pods.append("%s/%s" % (target.get("namespace", metadata.get("namespace")),
                                       target["name"]))
    return found


def _service(obj, endpoints):
    spec, status = obj["spec"], obj.get("status") or {}
    ref = "%s/%s" % (obj["metadata"]["namespace"], obj["metadata"]["name"])
    ports = spec.get("ports") or []
    return {"ref": ref, "type": spec.get("type", "ClusterIP"),
            "clusterIP": spec.get("clusterIP"),
            "ports": ["%s/%s" % (p.get("port"), p.get("protocol", "TCP")) for p in ports],
            "nodePorts": [p["nodePort"] for p in ports if p.get("nodePort")],
            "externalIPs": list(spec.get("externalIPs") or []) + [
                i["ip"] for i in (status.get("loadBalancer") or {}).get("ingress") or []
                if i.get("ip")],
            "endpoints": sorted(set(endpoints.get(ref, [])))}


def cluster_map(pods, services, slices, nodes, policies, namespaces, internet_ip):
    """The view's model: a dict of lists, JSON as it stands (API objects in)."""
    infos, _, parsed = cluster_view(pods, namespaces, policies)
    info_of = {info.ref: info for info in infos}
    endpoints = _endpoints(slices)
    drawn_pods = []
    for obj in pods:
        metadata, status = obj["metadata"], obj.get("status") or {}
        ref = "%s/%s" % (metadata.get("namespace", "default"), metadata["name"])
        info = info_of.get(ref)
        drawn_pods.append({
            "ref": ref, "ip": status.get("podIP"), "node": (obj.get("spec") or {}).get("nodeName"),
            "phase": status.get("phase", "Pending"), "ready": _ready(obj),
            "labels": metadata.get("labels") or {},
            "isolated": {direction.lower(): [p.ref for p in isolating(parsed, info, direction)]
                         if info else [] for direction in ("Ingress", "Egress")}})
    return {
        "nodes": [_node(obj) for obj in nodes],
        "pods": drawn_pods,
        "services": [_service(obj, endpoints) for obj in services],
        "policies": [{"ref": p.ref, "types": list(p.types),
                      "selects": [i.ref for i in infos if selects(p, i)]} for p in parsed],
        "internet": internet_ip}
