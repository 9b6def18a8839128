"""Images answering as the real ones do, called as the Kubernetes e2e suite and docs
call them: agnhost's netexec and serve-hostname (from pods, across nodes and through
a Service, over HTTP and UDP) and its other subcommands, real nginx, redis and
busybox, and the docs' sample images."""
import json
import os
import re
import socket
import subprocess
import sys
import time

import pytest

from tests.integration.conftest import manifest_path
from topo.cli import kubectl
from topo.cluster import Cluster
from topo.runtime.forked import ForkedProcess
from topo.runtime.netns import network_namespace_of


@pytest.fixture(scope="module")
def cluster():
    with Cluster.from_files([manifest_path("images.yaml")]) as running:
        yield running


def http(cluster, pod, url, method="GET"):
    """(status, headers, body) of one request from pod."""
    script = ("import sys, urllib.request, urllib.error, json\n"
              "class Keep(urllib.request.HTTPRedirectHandler):\n"
              "    def redirect_request(self, *a): return None\n"
              "opener = urllib.request.build_opener(Keep)\n"
              "request = urllib.request.Request(sys.argv[1], method=sys.argv[2])\n"
              "try:\n"
              "    answer = opener.open(request, timeout=10)\n"
              "except urllib.error.HTTPError as exc:\n"
              "    answer = exc\n"
              "print(json.dumps([answer.status, dict(answer.headers), "
              "answer.read().decode()]))\n")
    result = cluster.exec(pod, [sys.executable, "-c", script, url, method], timeout=30)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def udp(cluster, pod, address, message):
    with network_namespace_of(cluster.pod(pod).pause.pid):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with sock:
        sock.settimeout(3)
        sock.sendto(message, address)
        return sock.recv(2048).decode()


def base(cluster, pod, port=8083):
    return "http://%s:%d" % (cluster.pod(pod).ip, port)


def test_netexec_endpoints_answer_as_agnhost_does(cluster):
    url = base(cluster, "netexec-1")
    status, _, body = http(cluster, "client", url + "/")
    assert status == 200 and body.startswith("NOW: ") and " +0000 UTC m=+" in body
    assert http(cluster, "client", url + "/hostname")[2] == "netexec-1"
    assert http(cluster, "client", url + "/hostName")[2] == "netexec-1"
    assert http(cluster, "client", url + "/clientip")[2].split(":")[0] == \
        cluster.pod("client").ip
    assert http(cluster, "client", url + "/echo?msg=hi&code=503")[:3:2] == [503, "hi"]
    assert http(cluster, "client", url + "/healthz")[:3:2] == [200, ""]
    status, headers, _ = http(cluster, "client", url + "/redirect?location=/echo%3Fmsg=x")
    assert status == 302 and headers["Location"] == "/echo?msg=x"
    shell = json.loads(http(cluster, "client", url + "/shell?cmd=echo+one;+exit+3")[2])
    assert shell == {"output": "one\n", "error": "exit status 3"}
    status, headers, body = http(cluster, "client", url + "/hostname", "HEAD")
    assert status == 200 and body == "" and headers["Content-Length"] == "9"
    assert http(cluster, "client", url + "/nothing/here")[2].startswith("NOW: ")


def test_dial_between_pods_on_different_nodes_and_through_a_service(cluster):
    """The e2e suite's "Granular Checks": one pod asks netexec to dial another."""
    url = base(cluster, "netexec-1")
    target = cluster.pod("netexec-2").ip
    vip = cluster.served_service("netexec-2").cluster_ip
    for host, http_port, udp_port in ((target, 8083, 8081), (vip, 80, 90)):
        answer = http(cluster, "client", url + "/dial?request=hostname&protocol=http&host="
                      "%s&port=%d&tries=2" % (host, http_port))
        assert answer[:3:2] == [200, '{"responses":["netexec-2","netexec-2"]}']
        answer = http(cluster, "client", url + "/dial?request=hostname&protocol=udp&host="
                      "%s&port=%d&tries=1" % (host, udp_port))
        assert json.loads(answer[2]) == {"responses": ["netexec-2"]}
    refused = json.loads(http(cluster, "client", url + "/dial?request=hostname&host=%s"
                              "&port=9" % target)[2])
    assert list(refused) == ["errors"] and "connection refused" in refused["errors"][0].lower()
    assert http(cluster, "client", url + "/dial?host=x&port=1")[0] == 400
    assert http(cluster, "client", url + "/dial?request=a&protocol=icmp&host=x&port=1")[0] == 400


def test_udp_commands_are_lowercased_and_clientip_is_the_senders(cluster):
    address = (cluster.pod("netexec-2").ip, 8081)
    assert udp(cluster, "client", address, b"HOSTNAME") == "netexec-2"
    assert udp(cluster, "client", address, b"echo Hello") == "hello"
    assert udp(cluster, "client", address, b"clientip").split(":")[0] == \
        cluster.pod("client").ip


def test_netexec_without_flags_serves_8080_and_8081_and_health_needs_udp(cluster):
    assert http(cluster, "client", base(cluster, "plain", 8080) + "/hostname")[2] == "plain"
    assert udp(cluster, "client", (cluster.pod("plain").ip, 8081), b"hostname") == "plain"
    assert http(cluster, "client", base(cluster, "no-udp", 8080) + "/healthz")[0] == 412


def test_serve_hostname_answers_on_9376(cluster):
    assert http(cluster, "client", base(cluster, "hostnames", 9376) + "/")[2] == "hostnames"


def test_nginx_is_real_nginx_with_the_images_page_config_and_access_log(cluster):
    status, headers, body = http(cluster, "client", base(cluster, "nginx", 80) + "/")
    with open("/usr/share/nginx/html/index.html") as page:
        assert status == 200 and body == page.read()
    assert headers["Server"].startswith("nginx/") and headers["Content-Type"] == "text/html"
    assert http(cluster, "client", base(cluster, "nginx", 80) + "/nothing")[0] == 404
    config = cluster.exec("nginx", ["cat", "/etc/nginx/conf.d/default.conf"]).stdout
    assert "root   /usr/share/nginx/html;" in config
    log = kubectl.run(cluster, ["logs", "nginx"]).stdout
    assert '%s - - [' % cluster.pod("client").ip in log and '"GET /nothing HTTP/1.1" 404' in log
    # The image's files are the pod's alone, and nginx listens in the pod only.
    assert not os.path.exists("/etc/nginx/conf.d/default.conf")
    assert ":80 " not in subprocess.run(["ss", "-ltnH"], capture_output=True, text=True).stdout


def test_busybox_runs_its_own_applets(cluster):
    wget = cluster.exec("client", ["wget", "-S", "-qO-", base(cluster, "hello", 8080)])
    assert wget.stdout.startswith("Hello, world!") and "  HTTP/1.1 200 OK" in wget.stderr
    redis = cluster.exec("client", ["sh", "-c", "printf 'PING\\r\\n' | nc -w 2 %s 6379"
                                    % cluster.pod("redis").ip])
    assert redis.stdout == "+PONG\n"   # text mode reads the \r\n as \n
    found = cluster.exec("client", ["nslookup", "hello.default.svc.cluster.local"]).stdout
    assert found.startswith("Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n"
                            "Name:\thello.default.svc.cluster.local\nAddress: %s\n"
                            % cluster.served_service("hello").cluster_ip)
    # Busybox's own nslookup (1.35) asks each search domain in turn and prints each
    # answer, NXDOMAINs included, as the real busybox:latest does.
    short = cluster.exec("client", ["nslookup", "hello"]).stdout
    assert "Name:\thello.default.svc.cluster.local\nAddress: %s\n" % \
        cluster.served_service("hello").cluster_ip in short
    assert "** server can't find hello.cluster.local: NXDOMAIN" in short


def test_busybox_1_28_looks_names_up_as_the_docs_show(cluster):
    """"Debug Services": `nslookup hostnames` from busybox:1.28 (search domains, and
    each address with its name)."""
    found = cluster.exec("busybox-128", ["nslookup", "hello"])
    assert found.stdout == (
        "Server:    10.96.0.10\nAddress 1: 10.96.0.10 kube-dns.kube-system.svc.cluster.local\n"
        "\nName:      hello\nAddress 1: %s hello.default.svc.cluster.local\n\n"
        % cluster.served_service("hello").cluster_ip), found.stderr
    missing = cluster.exec("busybox-128", ["nslookup", "nothing-here"])
    assert missing.returncode == 1 and missing.stderr == \
        "nslookup: can't resolve 'nothing-here'\n"


def test_agnhost_liveness_porter_and_test_webserver(cluster):
    status, _, body = http(cluster, "client", base(cluster, "liveness", 8080) + "/healthz")
    assert (status, body) == (200, "ok")
    assert http(cluster, "client", base(cluster, "liveness", 8080) + "/started")[0] == 200
    assert http(cluster, "client", base(cluster, "porter", 9001) + "/any")[2] == "foo"
    assert udp(cluster, "client", (cluster.pod("porter").ip, 9002), b"x") == "bar"
    # Over TLS, through the API server's proxy, which rewrites the HTML's links.
    proxied = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "kubectl"), "get", "--raw",
         "/api/v1/namespaces/default/pods/https:porter:9003/proxy/"], capture_output=True,
        text=True, timeout=30, env=dict(os.environ, KUBECONFIG=cluster.kubeconfig))
    assert proxied.stdout == '<a href="/api/v1/namespaces/default/pods/https:porter:9003/' \
        'proxy/rewriteme">tls</a>', proxied.stderr
    status, headers, body = http(cluster, "client", base(cluster, "files", 8000) +
                                 "/etc/hostname")
    assert (status, body, headers["Cache-Control"]) == (200, "files\n", "private")


def test_agnhost_connect_probes_readiness_and_runs_by_its_path_from_a_shell(cluster):
    """The NetworkPolicy e2e tests' probes: an exec readinessProbe runs the image's own
    /agnhost, and so does a shell in the container, as in the real image."""
    _wait_for(lambda: cluster.pod("porter").is_ready, "porter's exec probe to pass")
    target = "%s:9001" % cluster.pod("porter").ip
    connected = cluster.exec("porter", "/agnhost connect --timeout 2s " + target)
    assert connected.returncode == 0, connected.stderr
    refused = cluster.exec("porter", "/agnhost connect --timeout=2s 127.0.0.1:9")
    assert (refused.returncode, refused.stderr) == (1, "REFUSED\n")


def test_the_other_catalogue_images_run_what_their_entries_say(cluster):
    status, _, body = http(cluster, "client", base(cluster, "httpd", 80) + "/")
    assert (status, body) == (200, "<html><body><h1>It works!</h1></body></html>\n")
    assert http(cluster, "client", base(cluster, "serve-hostname", 9376) + "/")[2] == \
        "serve-hostname"
    assert cluster.exec("alpine", "echo $((6 * 7))").stdout == "42\n"
    assert cluster.exec("netshoot", "dig +short kubernetes.default.svc.cluster.local"
                        ).stdout == "10.96.0.1\n"
    assert cluster.pod("paused").running()
    _wait_for(lambda: cluster.pod("bare-busybox").status() == "Completed",
              "busybox's sh to end")


def test_the_pause_image_runs_kubemns_native_pause_which_prints_nothing(cluster):
    pause = cluster.pod("paused").containers["pause"]
    assert os.path.realpath("/proc/%d/exe" % pause.pid).endswith("/build/native/pause")
    assert kubectl.run(cluster, ["logs", "paused"]).stdout == ""


def test_a_python_stand_in_forks_from_the_fork_server_as_a_container_of_its_own(cluster):
    """`ps` in the pod shows the stand-in's argv; the pod's namespaces are its own."""
    pod = cluster.pod("plain")
    process = pod.containers["agnhost"]
    assert isinstance(process, ForkedProcess)
    assert os.getppid() != _parent(process.pid) == cluster.fork_server.process.pid
    shown = cluster.exec("plain", "ps -ww -o args= -p %d" % process.pid).stdout.strip()
    assert shown == " ".join(process.args)
    assert os.readlink("/proc/%d/ns/net" % process.pid) == \
        os.readlink("/proc/%d/ns/net" % pod.sandbox_pid)


def _parent(pid):
    with open("/proc/%d/stat" % pid) as handle:
        return int(handle.read().rsplit(")", 1)[1].split()[1])


def test_a_frontend_reaches_its_backend_by_service_name(cluster):
    """"Connect a Frontend to a Backend Using Services": hello-frontend's nginx proxies
    to the Service hello (hello-go); curlimages/curl runs curl with its args."""
    _wait_for(lambda: http(cluster, "client", base(cluster, "frontend", 80) + "/")[2] ==
              '{"message":"Hello"}', "the frontend to answer through hello")
    _wait_for(lambda: '{"message":"Hello"}' in kubectl.run(cluster, ["logs", "curl"]).stdout,
              "curl's output")


def _wait_for(predicate, what, timeout=30):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting for " + what
        time.sleep(0.5)


def test_the_docs_sample_images_answer_as_the_real_ones(cluster):
    status, _, body = http(cluster, "client", base(cluster, "hello", 8080) + "/")
    assert status == 200 and body == "Hello, world!\nVersion: 2.0.0\nHostname: hello\n"
    status, headers, body = http(cluster, "client", base(cluster, "apple", 5678) + "/any")
    assert (status, body, headers["X-App-Name"]) == (200, "apple\n", "http-echo")
    body = http(cluster, "client", base(cluster, "whoami", 80) + "/who")[2]
    client = cluster.pod("client").ip
    assert body.startswith("Hostname: whoami\r\nIP: 127.0.0.1\r\nIP: %s\r\n"
                           % cluster.pod("whoami").ip)
    assert "\r\nRemoteAddr: %s:" % client in body and "\r\nGET /who HTTP/1.1\r\n" in body
    body = http(cluster, "client", base(cluster, "nginx-hello", 80) + "/x")[2]
    assert body.startswith("Server address: %s:80\nServer name: nginx-hello\nDate: "
                           % cluster.pod("nginx-hello").ip)
    assert "\nURI: /x\nRequest ID: " in body
    body = http(cluster, "client", base(cluster, "echoserver", 8080) + "/")[2]
    assert body.startswith("CLIENT VALUES:\nclient_address=%s\ncommand=GET\n" % client)


def test_an_unknown_image_runs_a_stand_in_and_says_so(cluster):
    assert http(cluster, "client", base(cluster, "mystery", 5000) + "/hostname")[2] == \
        "mystery"
    described = kubectl.run(cluster, ["describe", "pod", "mystery"]).stdout
    assert re.search(r"Warning\s+StandIn\s+.*kubemn does not know image "
                     r"\"example.com/team/app:1.0\": container app runs netexec", described), \
        described
