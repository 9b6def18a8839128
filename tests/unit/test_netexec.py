"""agnhost netexec's answers that need no network: the time as Go prints it, Go
durations, the UDP commands (lowercased, as agnhost reads them), /dial's JSON."""
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

