"""Label and field selectors as the API server reads them (pure).

    matcher = label_selector("app=web,tier in (front,back),!canary")
    matcher({"app": "web", "tier": "front"})  -> True

A selector that does not parse raises SelectorError with the API server's wording.
"""
import re

KEY = re.compile(r"^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?/)?"
                 r"[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$")
VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
FIELDS = {"metadata.name": ("metadata", "name"), "metadata.namespace": ("metadata", "namespace"),
          "spec.nodeName": ("spec", "nodeName"), "status.phase": ("status", "phase"),
          "spec.type": ("spec", "type"), "type": ("type",), "reason": ("reason",),
          "involvedObject.name": ("involvedObject", "name"),
          "involvedObject.kind": ("involvedObject", "kind"),
          "involvedObject.namespace": ("involvedObject", "namespace"),
          "involvedObject.uid": ("involvedObject", "uid"),
          "involvedObject.apiVersion": ("involvedObject", "apiVersion"),
          "involvedObject.resourceVersion": ("involvedObject", "resourceVersion"),
          "involvedObject.fieldPath": ("involvedObject", "fieldPath"),
          "reportingComponent": ("reportingComponent",),
          # An event's source is its reporting component, as the API server selects it
          # (the e2e framework asks a node's events with source=kubelet).
          "source": lambda obj: (obj.get("source") or {}).get("component", ""),
          "status.podIP": ("status", "podIP"), "spec.restartPolicy": ("spec", "restartPolicy"),
          # A node is schedulable unless it says otherwise; the API server compares
          # the boolean's text, "false" when the field is absent.
          "spec.unschedulable": lambda obj: "true" if (obj.get("spec") or {}).get(
              "unschedulable") else "false"}


class SelectorError(ValueError):
    pass


def _split_terms(text):
    """Commas separate terms, except inside the parentheses of a set."""
    terms, depth, current = [], 0, ""
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            terms.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip() or terms:
        terms.append(current.strip())
    return terms


def _key(key, text):
    if not KEY.match(key) or len(key.rsplit("/", 1)[-1]) > 63:
        raise SelectorError("unable to parse requirement: invalid label key \"%s\": in "
                            "selector %r" % (key, text))
    return key


def _value(value, text):
    if len(value) > 63 or not VALUE.match(value):
        raise SelectorError("unable to parse requirement: invalid label value: \"%s\": in "
                            "selector %r" % (value, text))
    return value


SET_TERM = re.compile(r"^(?P<key>\S+)\s+(?P<op>in|notin)\s*\((?P<values>[^()]*)\)$")


def _requirement(term, text):
    """One term as a predicate over a label dict."""
    found = SET_TERM.match(term)
    if found:
        key = _key(found.group("key"), text)
        values = {_value(v.strip(), text) for v in found.group("values").split(",")}
        if found.group("op") == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    for op in ("==", "!=", "="):
        if op in term:
            key, value = (part.strip() for part in term.split(op, 1))
            key, value = _key(key, text), _value(value, text)
            if op == "!=":
                return lambda labels: labels.get(key) != value
            return lambda labels: labels.get(key) == value
    if term.startswith("!"):
        key = _key(term[1:].strip(), text)
        return lambda labels: key not in labels
    key = _key(term, text)
    return lambda labels: key in labels


def label_selector(text):
    """A predicate over labels; an empty selector matches everything."""
    requirements = [_requirement(term, text) for term in _split_terms(text or "")]
    return lambda labels: all(r(labels or {}) for r in requirements)


def match_labels_selector(selector):
    """A LabelSelector object ({matchLabels, matchExpressions}) as a predicate; an
    empty one matches everything, as Kubernetes defines it."""
    selector = selector or {}
    tests = [lambda labels, k=k, v=v: labels.get(k) == v
             for k, v in (selector.get("matchLabels") or {}).items()]
    for expression in selector.get("matchExpressions") or []:
        key, op = expression.get("key"), expression.get("operator")
        values = set(expression.get("values") or [])
        tests.append({"In": lambda labels, k=key, v=values: labels.get(k) in v,
                      "NotIn": lambda labels, k=key, v=values: labels.get(k) not in v,
                      "Exists": lambda labels, k=key: k in labels,
                      "DoesNotExist": lambda labels, k=key: k not in labels}[op])
    return lambda labels: all(t(labels or {}) for t in tests)


def _field_value(obj, path):
    if callable(path):
        return path(obj)
    for part in path:
        obj = obj.get(part) if isinstance(obj, dict) else None
    return "" if obj is None else str(obj)


def field_selector(text, kind="objects"):
    """A predicate over whole objects, for the fields kubectl users select on."""
    tests = []
    for term in _split_terms(text or ""):
        for op in ("==", "!=", "="):
            if op in term:
                field, value = (part.strip() for part in term.split(op, 1))
                break
        else:
            raise SelectorError("invalid selector: '%s'; can't understand '%s'" % (text, term))
        if field not in FIELDS:
            raise SelectorError('field label not supported: %s' % field)
        path = FIELDS[field]
        if op == "!=":
            tests.append(lambda obj, p=path, v=value: _field_value(obj, p) != v)
        else:
            tests.append(lambda obj, p=path, v=value: _field_value(obj, p) == v)
    return lambda obj: all(t(obj) for t in tests)
