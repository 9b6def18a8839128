"""The kubemn command with a script on standard input, as labs and users pipe it:
the default cluster, Mininet's verbs, pod commands and kubectl verbs."""
import re
import subprocess
import sys

import pytest

from tests.integration.conftest import ROOT, manifest_path

SCRIPT = """
kubectl get nodes
kubectl get pods -o wide
multi hostname
kubectl exec multi -c shell -- curl -s http://localhost/hostname
client1 ping -c1 -W2 server2
pingall
node1 ip route show default
kubectl apply -f {extra}
kubectl get deployments
dashed-name-pod hostname
kubectl scale deployment hello --replicas=3
kubectl get deployment hello
kubectl get endpoints hello
kubectl delete pod client2
kubectl get pod client2
kubectl logs server2
kubectl get widgets
kubectl get services -o wide
kubectl describe service web-nodeport
kubectl describe pod multi
observe --last 0
client1 curl -s http://web-ip/hostname
sh sleep 0.5
observe --pod client1 --port 80 --last 50
observe --port 70000
internet curl -s http://192.168.0.2:30080/hostname
flows web
kubectl get services -A
kubectl get pods -n kube-system -o wide
client1 curl -s http://web/hostname
kubectl get pods -A -o name
kubectl apply -f {bad}
kubectl scale deployment nothing --replicas=2
kubectl scale deployment hello --replicas=many
kubectl delete pod nothing
kubectl delete service
kubectl get pods -o yaml
kubectl exec client1 -c nope -- true
kubectl logs nothing
kubectl get pods -A -o name
""".replace("{bad}", manifest_path("bad/unknown-node.yaml")).format(
    extra=manifest_path("cli-extra.yaml"))


@pytest.fixture(scope="module")
def transcript():
    # The default cluster's first Service gets the first free ClusterIP.
    script = SCRIPT.replace("web-ip", "10.96.0.2")
    result = subprocess.run([sys.executable, "-m", "topo.main", "run"], input=script,
                            capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout, result.stderr


def test_the_default_cluster_serves_web_to_pods_and_the_internet(transcript):
    services = section(transcript, "kubectl get services -o wide").splitlines()
    rows = {line.split()[0]: line.split() for line in services[1:]}
    assert rows["web"][1:5] == ["ClusterIP", "10.96.0.2", "<none>", "80/TCP,8081/UDP"]
    assert rows["web-nodeport"][1] == "NodePort" and rows["web-nodeport"][4] == "80:30080/TCP"
    described = section(transcript, "kubectl describe service web-nodeport")
    assert re.search(r"^NodePort:\s+<unset>  30080/TCP$", described, re.M)
    assert len(re.findall(r"10\.244\.\d+\.\d+:8080", described)) == 3
    pod = section(transcript, "kubectl describe pod multi")
    assert re.search(r"^Node:\s+node1/192\.168\.0\.1$", pod, re.M), pod
    assert re.search(r"^Status:\s+Running$", pod, re.M)
    assert re.search(r"^  web:\n(    .*\n)*?    Image:\s+registry\.k8s\.io/e2e-test-images/"
                     r"agnhost:2\.39\n(    .*\n)*?    Port:\s+80/TCP",
                     pod, re.M), pod
    assert len(re.findall(r"^    Restart Count:\s+0$", pod, re.M)) == 2
    assert section(transcript, "client1 curl -s http://10.96.0.2/hostname").startswith("web-")
    assert section(transcript, "internet curl -s http://192.168.0.2:30080/hostname"
                   ).startswith("web-")
    flows = section(transcript, "flows web")
    assert "ipv4_dst=10.96.0.2 tcp_dst=80" in flows and "group" in flows
    assert "nat(dst=10.244." in flows


def test_namespaces_and_cluster_dns(transcript):
    services = section(transcript, "kubectl get services -A").splitlines()
    assert services[0].split()[:2] == ["NAMESPACE", "NAME"]
    assert ["kube-system", "kube-dns", "ClusterIP", "10.96.0.10"] in [
        line.split()[:4] for line in services]
    system_pods = section(transcript, "kubectl get pods -n kube-system -o wide").splitlines()
    assert len(system_pods) == 3 and all(line.split()[0].startswith("coredns-")
                                         for line in system_pods[1:])
    assert section(transcript, "client1 curl -s http://web/hostname").startswith("web-")


def test_kubectl_errors_are_one_line_and_change_nothing(transcript):
    text, errors = transcript
    snapshots = text.split("kubemn> kubectl get pods -A -o name\n")
    before = snapshots[1].split("kubemn> ")[0]
    after = snapshots[2].split("kubemn> ")[0]
    assert before == after and "pod/client1" in before
    messages = ('Error from server (NotFound): deployments.apps "nothing" not found',
                'error: invalid argument "many" for "--replicas" flag',
                'Error from server (NotFound): pods "nothing" not found',
                "error: resource(s) were provided, but no name was specified",
                "container nope is not valid for pod client1",
                "nodeName 'node9': no such node")
    for message in messages:
        lines = [line for line in errors.splitlines() if message in line]
        assert len(lines) == 1, (message, errors)
    # Every line of the errors is one of them (or of the earlier steps, or kubectl's
    # own usage hint after a bad flag): an error of more lines would leave one over.
    earlier = ('pods "client2" not found', 'resource type "widgets"',
               'pods "nothing" not found in namespace', "See 'kubectl scale --help' for usage.",
               "Error: observe: --port 70000 is out of range (1-65535)")
    for line in errors.splitlines():
        assert line.startswith("kubemn: ") or any(m in line for m in messages + earlier), \
            (line, errors)
    assert "kind: List" in section(transcript, "kubectl get pods -o yaml")


def section(transcript, command):
    """The output printed for one command of the script."""
    text = transcript[0]
    start = text.index("kubemn> %s\n" % command) + len("kubemn> %s\n" % command)
    end = text.find("kubemn> ", start)
    return text[start:end if end >= 0 else len(text)]


def test_kubectl_get_nodes_prints_kubectls_table(transcript):
    lines = section(transcript, "kubectl get nodes").splitlines()
    assert re.match(r"^NAME\s{4}STATUS\s{3}ROLES\s{4}AGE\s+VERSION$", lines[0])
    assert [line.split()[:2] for line in lines[1:]] == [["node1", "Ready"], ["node2", "Ready"]]


def test_default_cluster_has_two_pods_per_node_and_a_deployment(transcript):
    lines = section(transcript, "kubectl get pods -o wide").splitlines()
    assert lines[0].split()[:7] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    named = {name: row[6] for name, row in rows.items() if not name.startswith("web-")}
    assert named == {"multi": "node1", "client1": "node1", "server2": "node2",
                     "client2": "node2"}
    web = [row for name, row in rows.items() if name.startswith("web-")]
    assert len(web) == 3 and all(row[1] == "1/1" for row in web)
    assert rows["multi"][1] == "2/2" and rows["multi"][2] == "Running"


def test_observe_prints_the_connection_to_a_service_as_it_began_and_bad_options_in_a_line(
        transcript):
    lines = section(transcript, "observe --pod client1 --port 80 --last 50").splitlines()
    assert any(re.search(r" node1 BEGAN +default/client1 \(10\.244\.1\.\d+:\d+\) -> "
                         r"svc:default/web \(10\.96\.0\.2:80\) TCP$", line)
               for line in lines), lines
    assert "Error: observe: --port 70000 is out of range (1-65535)" in transcript[1]


def test_pod_commands_run_inside_the_pod(transcript):
    assert section(transcript, "multi hostname").strip() == "multi"
    curl = "kubectl exec multi -c shell -- curl -s http://localhost/hostname"
    assert section(transcript, curl).strip() == "multi"
    assert "1 received" in section(transcript, "client1 ping -c1 -W2 server2")


def test_mininet_verbs_still_work(transcript):
    assert "0% dropped" in section(transcript, "pingall")
    assert "default via 192.168.0.254 dev eth0" in section(transcript,
                                                           "node1 ip route show default")


def test_apply_scale_and_delete(transcript):
    applied = section(transcript, "kubectl apply -f " + manifest_path("cli-extra.yaml"))
    assert applied.split("\n")[:3] == ["deployment.apps/hello created", "service/hello created",
                                         "pod/dashed-name-pod created"]
    assert section(transcript, "dashed-name-pod hostname").strip() == "dashed-name-pod"
    scaled = section(transcript, "kubectl scale deployment hello --replicas=3")
    assert scaled.strip() == "deployment.apps/hello scaled"
    row = section(transcript, "kubectl get deployment hello").splitlines()[1].split()
    assert row[:4] == ["hello", "3/3", "3", "3"]
    endpoints = section(transcript, "kubectl get endpoints hello").splitlines()[1]
    assert len(re.findall(r"10\.244\.\d+\.\d+:8080", endpoints)) == 3
    assert section(transcript, "kubectl delete pod client2").strip() == \
        'pod "client2" deleted from default namespace'
    assert 'pods "client2" not found' in transcript[1]


def test_logs_and_errors(transcript):
    # agnhost netexec's own start-up lines, as `kubectl logs` shows them.
    assert re.search(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d Started HTTP server on port 8080$",
                     section(transcript, "kubectl logs server2"), re.M)
    assert 'error: the server doesn\'t have a resource type "widgets"' in transcript[1]
