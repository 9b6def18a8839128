"""A container's command and args expanded as Kubernetes expands them."""
from topo.kubelet.expansion import expand, expand_all


def test_a_known_variable_is_replaced_an_unknown_one_stays_and_dollar_dollar_escapes():
    variables = {"PORT": "8080", "WEB_SERVICE_HOST": "10.96.0.2"}
    assert expand("--port=$(PORT)", variables) == "--port=8080"
    assert expand("$(WEB_SERVICE_HOST):$(PORT)/$(NOPE)", variables) == "10.96.0.2:8080/$(NOPE)"
    assert expand('test -n "$$(getent hosts web)"', variables) == 'test -n "$(getent hosts web)"'
    assert expand("$$$(PORT) $ $(unclosed", variables) == "$8080 $ $(unclosed"
    assert expand_all(("echo", "$(PORT)"), variables) == ("echo", "8080")
