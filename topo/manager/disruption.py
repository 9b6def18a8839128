"""The disruption controller, as Kubernetes' keeps a PodDisruptionBudget's status:
the pods its selector matches (expectedPods), the healthy ones among them (Ready,
not terminating), how many must stay healthy (desiredHealthy: minAvailable, or the
expected less maxUnavailable; a percentage of the expected rounded up), and how many
may be disrupted now (disruptionsAllowed), with its DisruptionAllowed condition.
budget_status() is pure."""
import math

from topo.api.render import timestamp
from topo.api.strategies import pod_disruption_budget as strategy
from topo.manager.loop import Again, name_key
from topo.policy.spec import parse_selector

PODS = "pods"


def _amount(value, expected):
    if isinstance(value, str):
        return math.ceil(int(value[:-1]) * expected / 100)
    return value


def _healthy(pod):
    return not pod["metadata"].get("deletionTimestamp") and any(
        c["type"] == "Ready" and c["status"] == "True"
        for c in (pod.get("status") or {}).get("conditions") or ())


def selected(budget, pods):
    """The pods of budget's namespace its selector matches (none without one)."""
    selector = budget["spec"].get("selector")
    if selector is None:
        return []
    matches = parse_selector(selector, "spec.selector").matches
    return [p for p in pods if p["metadata"]["namespace"] == budget["metadata"]["namespace"]
            and matches(p["metadata"].get("labels") or {})]


def budget_status(budget, pods, now, previous=None):
    """The status of budget over the pods it selects."""
    spec = budget["spec"]
    expected = len(pods)
    healthy = sum(1 for p in pods if _healthy(p))
    if spec.get("maxUnavailable") is not None:
        desired = max(0, expected - _amount(spec["maxUnavailable"], expected))
    else:
        desired = _amount(spec.get("minAvailable", 1), expected)
    allowed = max(0, healthy - desired)
    state = ("True", "SufficientPods") if allowed > 0 else ("False", "InsufficientPods")
    old = next((c for c in (previous or {}).get("conditions") or ()
                if c["type"] == "DisruptionAllowed"), None)
    since = old["lastTransitionTime"] if old and old["status"] == state[0] else timestamp(now)
    return {"observedGeneration": budget["metadata"].get("generation", 1),
            "disruptionsAllowed": allowed, "currentHealthy": healthy,
            "desiredHealthy": desired, "expectedPods": expected,
            "conditions": [{"type": "DisruptionAllowed", "status": state[0],
                            "reason": state[1], "message": "",
                            "observedGeneration": budget["metadata"].get("generation", 1),
                            "lastTransitionTime": since}]}


class DisruptionController:
    watches = (strategy.RESOURCE, PODS)

    def __init__(self, store, clock):
        self.store, self.clock = store, clock

    def keys(self, resource, obj):
        if resource == strategy.RESOURCE:
            return [name_key(obj)]
        namespace = obj["metadata"]["namespace"]
        return [name_key(b) for b in self.store.list(strategy.RESOURCE, namespace)[1]]

    def all_keys(self):
        return [name_key(b) for b in self.store.list(strategy.RESOURCE)[1]]

    def reconcile(self, key):
        namespace, name = key.split("/", 1)
        budget = self.store.get(strategy.RESOURCE, namespace, name)
        if budget is None:
            return
        pods = selected(budget, self.store.list(PODS, namespace)[1])
        status = budget_status(budget, pods, self.clock(), budget.get("status"))
        if status != budget.get("status") and \
                not self.store.put_status(strategy.RESOURCE, budget, status):
            raise Again   # changed meanwhile: read it again
