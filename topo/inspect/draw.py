"""A picture of the running cluster: nodes with their cbr0 bridge and pods (veth
pairs), the fabric switches, the internet host, and Services with their virtual IPs
pointing at their endpoints. The pods are the API's (each with an address, on the
node it is bound to); the layout is Graphviz's (`dot`), the description here is
pure."""
import subprocess

from services.endpoints import pod_ready
from topo.errors import KubemnError
from topo.plan.model import ref
from topo.plan.naming import pod_veth_name


def _quote(text):
    return '"%s"' % str(text).replace('"', r'\"')


def _label(*lines):
    return _quote("\\n".join(lines))


def cluster_dot(cluster):
    """The DOT text of the cluster as it is now."""
    out = ["digraph kubemn {", "  rankdir=TB; compound=true; newrank=true;",
           '  node [fontname="Helvetica", fontsize=10]; edge [fontname="Helvetica", '
           'fontsize=9];']
    pods = [p for p in cluster.api.store.list("pods")[1] if (p.get("status") or {}).get("podIP")]
    for index, (name, plan) in enumerate(cluster.node_plans.items()):
        out.append("  subgraph cluster_%d {" % index)
        server = cluster.server_shown(name)
        out.append("    label=%s; style=rounded; color=gray40;"
                   % _label("node %s" % name, "eth0 %s" % plan.ip, "PodCIDR %s" % plan.pod_cidr,
                            *(["on %s (%s)" % server] if server else [])))
        out.append("    %s [label=%s, shape=box, style=filled, fillcolor=lightyellow];"
                   % (_quote("cbr0@" + name), _label("cbr0", plan.bridge_ip)))
        for pod in (p for p in pods if p["spec"].get("nodeName") == name):
            pod_ref = ref(pod["metadata"]["namespace"], pod["metadata"]["name"])
            containers = ",".join(c["name"] for c in pod["spec"]["containers"])
            out.append("    %s [label=%s, shape=component, style=filled, fillcolor=%s];"
                       % (_quote("pod:" + pod_ref),
                          _label(pod_ref, pod["status"]["podIP"], containers),
                          "palegreen" if pod_ready(pod) else "lightpink"))
            out.append("    %s -> %s [dir=none, label=%s];"
                       % (_quote("pod:" + pod_ref), _quote("cbr0@" + name),
                          _quote(pod_veth_name(pod_ref))))
        out.append("  }")
    several = cluster.servers is not None
    for switch, dpid in cluster.fabric.switches:
        out.append("  %s [label=%s, shape=box3d, style=filled, fillcolor=lightblue];"
                   % (_quote(switch), _label(switch, "OVS dpid %#x" % dpid, *(
                       ["on %s" % cluster.fabric.server_of_switch(switch)] if several else []))))
    tunnels = set(cluster.fabric.tunnels())
    for a, b in cluster.fabric.links:
        out.append("  %s -> %s [dir=none, penwidth=2%s];" % (
            _quote(a), _quote(b), ', style=dashed, label="VXLAN"' if (a, b) in tunnels else ""))
    for name, switch in cluster.attachments.items():
        out.append("  %s -> %s [dir=none, ltail=cluster_%d, label=eth0];"
                   % (_quote("cbr0@" + name), _quote(switch),
                      list(cluster.node_plans).index(name)))
    internet = cluster.addresses.internet
    out.append("  internet [label=%s, shape=cloud, style=filled, fillcolor=white];"
               % _label("internet", internet.ip))
    out.append("  internet -> %s [dir=none];" % _quote(cluster.fabric.switches[0][0]))
    for service in cluster.served_services():
        key = service.ref
        ip = service.cluster_ip or "headless"
        ports = ",".join("%d/%s" % (p.port, p.protocol) for p in service.ports)
        out.append("  %s [label=%s, shape=ellipse, style=filled, fillcolor=lavender];"
                   % (_quote("svc:" + key), _label("svc " + key, ip, ports)))
        for endpoint in service.endpoints:
            target = _quote("pod:" + (endpoint.pod if service.namespace == "default"
                                      else "%s/%s" % (service.namespace, endpoint.pod)))
            out.append("  %s -> %s [style=dashed, color=purple];"
                       % (_quote("svc:" + key), target))
    out.append("}")
    return "\n".join(out) + "\n"


def draw(cluster, path):
    """Writes PATH.svg and PATH.png (PATH without extension); returns their names."""
    base = path[:-4] if path.endswith((".svg", ".png")) else path
    dot = cluster_dot(cluster)
    written = []
    for kind in ("svg", "png"):
        target = "%s.%s" % (base, kind)
        try:
            subprocess.run(["dot", "-T" + kind, "-o", target], input=dot.encode(), check=True,
                           capture_output=True, timeout=60)
        except FileNotFoundError:
            raise KubemnError("draw needs Graphviz's dot: apt-get install graphviz") from None
        except subprocess.CalledProcessError as exc:
            said = exc.stderr.decode(errors="replace").strip().splitlines() or ["no message"]
            raise KubemnError("dot failed: %s" % said[-1][:200]) from None  # the error, last
        written.append(target)
    return written
