"""The apps that stand in for images, in their parts that need no network: agnhost
netexec's time as Go prints it, Go durations, its UDP commands (lowercased, as
agnhost reads them), /dial's JSON; echoserver's echo; the docs' sample servers."""
import datetime
import json

from services.apps.netexec import dial_output, go_duration, go_now, parse_args, udp_answer


def test_the_root_answers_the_time_as_go_prints_it():
    now = datetime.datetime(2026, 11, 27, 10, 45, 1, 123456, tzinfo=datetime.timezone.utc)
    assert go_now(now, 3.5) == "2026-11-27 10:45:01.123456000 +0000 UTC m=+3.500000000"


def test_go_durations():
    assert go_duration("") == 0 and go_duration("0") == 0
    assert go_duration("1s") == 1 and go_duration("500ms") == 0.5
    assert go_duration("1m30s") == 90
    assert go_duration("soon") is None and go_duration("5") is None


def test_udp_commands_are_read_lowercased_and_unknown_ones_get_no_answer():
    client = ("10.244.1.4", 40000)
    assert udp_answer(b"HOSTNAME\n", client, "b") == "b"
    assert udp_answer(b"echo Hello", client, "b") == "hello"
    assert udp_answer(b"clientip", client, "b") == "10.244.1.4:40000"
    assert udp_answer(b"what", client, "b") is None


def test_dial_reports_responses_only_when_the_last_try_answered():
    assert json.loads(dial_output(["b", "b"], [], "b")) == {"responses": ["b", "b"]}
    assert json.loads(dial_output(["b"], ["timeout"], "")) == {"errors": ["timeout"]}


def test_agnhost_defaults_and_a_disabled_udp_server():
    args = parse_args([])
    assert (args.http_port, args.udp_port) == ([8080], [8081])
    args = parse_args(["--http-port=80", "--udp-port=-1", "--sctp-port=-1"])
    assert (args.http_port, args.udp_port) == ([80], [])


def test_echoserver_echoes_the_request_in_its_tags_format():
    from services.apps.echoserver import echo_text
    headers = [("Host", "10.96.0.5"), ("User-Agent", "Wget"), ("Accept", "*/*")]
    new = echo_text("1.10", "source-ip-app-x", "10.244.1.4", "GET", "/path?a=1", "1.1",
                    headers, "")
    assert "\n\nHostname: source-ip-app-x\n" in new
    assert "\tclient_address=10.244.1.4\n\tmethod=GET\n\treal path=/path\n\tquery=a=1\n" in new
    assert "\trequest_uri=http://10.96.0.5:8080/path?a=1\n" in new
    assert "Request Body:\n\t-no body in request-" in new
    old = echo_text("1.4", "x", "10.244.1.4", "GET", "/", "1.1", headers, "")
    assert old.startswith("CLIENT VALUES:\nclient_address=10.244.1.4\ncommand=GET\n")
    assert "query=nil\n" in old and old.endswith("BODY:\n-no body in request-")



def test_the_sample_images_answers():
    from services.apps.samples import hello_app, nginx_hello, whoami
    assert hello_app("2.0.0", "web") == "Hello, world!\nVersion: 2.0.0\nHostname: web\n"
    text = whoami("w", ["127.0.0.1", "10.244.1.5"], ("10.244.2.3", 5000), "GET", "/",
                  "HTTP/1.1", [("Host", "x")])
    assert text == ("Hostname: w\r\nIP: 127.0.0.1\r\nIP: 10.244.1.5\r\n"
                    "RemoteAddr: 10.244.2.3:5000\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
    plain = nginx_hello("10.244.1.5:80", "h", "27/Nov/2026:10:00:00 +0000", "/", "ab", True)
    assert plain.splitlines()[:2] == ["Server address: 10.244.1.5:80", "Server name: h"]


def test_agnhost_reads_the_resolver_files_as_the_e2e_suite_asks(tmp_path, monkeypatch, capsys):
    from services.apps import agnhost, resolver_files
    conf = tmp_path / "resolv.conf"
    conf.write_text("nameserver 1.1.1.1\nsearch resolv.conf.local ns.svc.cluster.local\n"
                    "options ndots:5\n")
    monkeypatch.setattr(resolver_files, "RESOLV_CONF", str(conf))
    assert agnhost.main(["dns-suffix"]) == 0
    assert agnhost.main(["dns-server-list"]) == 0
    assert capsys.readouterr().out == "resolv.conf.local,ns.svc.cluster.local\n1.1.1.1\n"


def test_porter_serves_each_kind_of_port_and_sniffs_html_as_go_does():
    from services.apps.porter import body, served_ports
    assert served_ports({"SERVE_PORT_80": "a", "SERVE_TLS_PORT_443": "b",
                         "SERVE_UDP_PORT_9": "c", "SERVE_SCTP_PORT_1": "d"}) == \
        ([(80, "a")], [(443, "b")], [(9, "c")], ["SERVE_SCTP_PORT_1"])
    assert body('<a href="/rewriteme">test</a>', "GET", False)[0] == \
        "text/html; charset=utf-8"
    assert body("tls baz", "GET", False)[0] == "text/plain; charset=utf-8"
    assert body("<abbr>", "GET", False)[0] == "text/plain; charset=utf-8"


def test_agnhost_connect_says_connected_refused_or_bad_argument_as_agnhost_does(capsys):
    import socket
    from services.apps import agnhost
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    assert agnhost.main(["connect", "--timeout=1s", "127.0.0.1:%d" % port]) == 0
    listener.close()
    assert agnhost.main(["connect", "--protocol", "tcp", "--timeout", "1s",
                         "127.0.0.1:%d" % port]) == 1
    assert agnhost.main(["connect", "127.0.0.1"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "REFUSED", "UNKNOWN: address 127.0.0.1: missing port in address"]
