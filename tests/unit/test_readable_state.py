"""The pure halves of what kubemn shows and sends: the flows in readable form
(topo/inspect/flowview.py), the Services as the controller is told them
(services/desired.py), and the CLI's kubectl line."""
import pytest

from controllers import tables as t
from controllers.flows import Ct, Learn, flow
from services.desired import service_states
from topo.cli.kubectl import split_command
from topo.errors import KubemnError
from topo.inspect.flowview import describe_flow
from topo.plan.model import Container, ContainerPort, PodTemplate


def test_a_dnat_rule_reads_with_registers_named_and_addresses_shown():
    rule = flow(t.DNAT, 100, {"eth_type": 0x0800, "ip_proto": 6, t.REG_ENDPOINT_IP: 0x0AF40205,
                              t.REG_ENDPOINT_PORT: 8080, t.REG_MASQUERADE: 0},
                [("learn", Learn(t.AFFINITY, 100, 30, 0, 6)),
                 ("ct", Ct(True, t.ZONE_SERVICE, t.SNAT, ("dst", "10.244.2.5", 8080),
                           (t.MARK_SERVICE, 0xFFFFFFFF)))])
    assert describe_flow(rule) == (
        "DNAT      ip_proto=6 endpoint_ip=10.244.2.5 endpoint_port=8080 masquerade=0 -> "
        "learn(affinity for 30s), ct(commit,zone=%d,nat(dst=10.244.2.5:8080),mark=0x2,"
        "then SNAT)" % t.ZONE_SERVICE)


def test_states_marks_rejects_and_empty_matches_read_as_words():
    established = flow(t.SERVICE, 300, {"ct_state": (t.CT_EST | t.CT_TRK, t.CT_EST | t.CT_TRK)},
                       [("goto", t.SNAT)])
    assert describe_flow(established) == "SERVICE   ct_state=+est+trk -> goto SNAT"
    reject = flow(t.SERVICE, 200, {"ct_mark": (2, 2)}, [("output", "CONTROLLER")])
    assert describe_flow(reject) == "SERVICE   ct_mark=0x2/0x2 -> controller (reject)"
    assert describe_flow(flow(t.CLASSIFY, 0, {}, [("goto", t.ROUTE)])) == \
        "CLASSIFY  (any) -> goto ROUTE"


def test_the_closing_copies_read_as_where_they_go():
    closing = flow(t.SERVICE, 310, {"tcp_flags": (t.TCP_FIN, t.TCP_FIN)},
                   [("resubmit", t.CLOSING_SERVICE), ("goto", t.SNAT)])
    assert describe_flow(closing) == \
        "SERVICE   tcp_flags=+fin -> resubmit CLOSING_SERVICE, goto SNAT"
    copy = flow(t.CLOSING_SNAT, 0, {}, [("controller", t.CLOSING_CONTROLLER_ID)])
    assert describe_flow(copy) == "CLOSING_SNAT (any) -> copy to the closing channel"


def test_the_controller_is_told_each_frontend_and_one_endpoint_set_per_selection():
    from services.served import served_services
    from tests.helpers.api_objects import pod, service
    from topo.api.store import Store
    from topo.manager.endpoints import SLICES, EndpointSliceController
    from topo.manager.loop import ControlLoop
    template = PodTemplate((("app", "web"),), (Container("c", "agnhost", ports=(
        ContainerPort(8080, "TCP", "http"),)),))
    store = Store()
    for name, ip, node_port in (("web", "10.96.0.20", 30080), ("twin", "10.96.0.21", 30081)):
        store.put("services", service(
            "metadata: {name: %s}\nspec: {type: NodePort, selector: {app: web}, ports: "
            "[{port: 80, targetPort: http, name: http, nodePort: %d}]}\n" % (name, node_port),
            ip, {(80, "TCP"): node_port}))
    store.put("pods", pod("a", "10.244.1.3", "node1", template))
    store.put("pods", pod("b", "10.244.2.3", "node2", template, ready=False))
    ControlLoop(store, EndpointSliceController(store)).step()
    states, sets = service_states(served_services(store.list("services")[1],
                                                  store.list(SLICES)[1]))
    assert [s["name"] for s in states] == ["default/twin", "default/web"]
    web_state = states[1]
    assert web_state["cluster_ip"] == "10.96.0.20" and web_state["ports"][0]["node_port"] == 30080
    assert states[0]["ports"][0]["endpoint_set"] == web_state["ports"][0]["endpoint_set"]
    assert sets == {web_state["ports"][0]["endpoint_set"]: [
        {"ip": "10.244.1.3", "port": 8080, "node": "node1"}]}, "the pod not ready is left out"


def test_kubectl_lines_split_as_a_shell_would_and_bad_quotes_say_so():
    assert split_command("get pods -l 'app in (web, api)'") == ["get", "pods", "-l",
                                                                "app in (web, api)"]
    with pytest.raises(KubemnError, match="cannot parse the command"):
        split_command("exec web -- sh -c 'echo")


def test_kinds_are_named_as_kubectl_names_them():
    from topo.api.resources import singular_of
    assert [singular_of(n) for n in ("po", "pods", "svc", "deploy", "no", "netpol",
                                     "widget")] == ["pod", "pod", "service", "deployment",
                                                    "node", "networkpolicy", "widget"]
