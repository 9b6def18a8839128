"""What a write through the API stores: one strategy per kind, as the API server has
(topo/api/strategies: defaults, checks naming the field, what an update may change,
the status subresource), whether the write comes from a client, a controller, the
kubelet or kubemn's own apply (apply_objects). Every kind lives in the store alone;
the controllers, the kubelet and the node provisioner watch it. What the cluster's
machine must allow besides (a node it can plan, a last node it keeps) is asked of it
as the API server asks its admission plugins.
"""
import copy
import random
import threading
import time
import uuid

from topo.api import admission, field_manager
from topo.api.resources import (BY_KIND, BY_STORE_KEY, RESOURCES, group_version,
                                kubectl_name, store_key)
from topo.api.schema import unknown_fields
from topo.api.status import ApiError, already_exists, conflict, invalid, not_found
from topo.api.strategies import (config_map, cron_job, daemon_set, deployment, endpoints,
                                  job, lease, limit_range, network_policy, node, pod,
                                  pod_disruption_budget, replica_set, replication_controller,
                                  resource_quota, secret, service_account, stateful_set)
from topo.api.strategies import api_service, controller_revision
from topo.api.strategies import namespace as namespace_strategy
from topo.api.strategies import rbac
from topo.api.strategies.common import check_count, parsed
from topo.api.strategies.kept import KeptAsGiven
from topo.api.strategies.service import ServiceStrategy
from topo.errors import KubemnError
from topo.plan.generated_names import SUFFIX_ALPHABET
from topo.plan.manifest import parse_node
from topo.plan.scheduler import no_such_node

# The kinds the API keeps alone: their strategies say what a write stores.
STRATEGIES = {"Namespace": namespace_strategy, "NetworkPolicy": network_policy,
              "ConfigMap": config_map, "Secret": secret, "Endpoints": endpoints,
              "ServiceAccount": service_account, "DaemonSet": daemon_set,
              "StatefulSet": stateful_set,
              "Deployment": deployment, "ReplicaSet": replica_set, "Job": job,
              "CronJob": cron_job, "Pod": pod, "Node": node, "Lease": lease,
              "ReplicationController": replication_controller,
              "Ingress": KeptAsGiven("Ingress", "networking.k8s.io/v1"),
              "IngressClass": KeptAsGiven("IngressClass", "networking.k8s.io/v1"),
              "PodDisruptionBudget": pod_disruption_budget, "LimitRange": limit_range,
              "ResourceQuota": resource_quota, "APIService": api_service,
              "ControllerRevision": controller_revision,
              **rbac.STRATEGIES}
POLICIES = network_policy.RESOURCE
CONFIG_MAPS = config_map.RESOURCE


def _check_body(resource, namespace, body, name=None):
    """The object of a create or update request, with its namespace and name set."""
    if not isinstance(body, dict):
        raise ApiError(400, "the request body is not a Kubernetes object")
    if body.get("kind") not in (None, resource.kind):
        raise ApiError(400, "the kind %r in the body does not match the resource %s"
                       % (body.get("kind"), resource.plural))
    expected = group_version(resource)
    if body.get("apiVersion") not in (None, expected):
        raise ApiError(400, "the API version %r in the body does not match the expected "
                       "API version %r" % (body.get("apiVersion"), expected))
    obj = copy.deepcopy(body)
    obj["kind"], obj["apiVersion"] = resource.kind, expected
    metadata = obj.setdefault("metadata", {})
    if not isinstance(metadata, dict):
        raise invalid(resource.kind, "", "metadata", "expected a mapping")
    if resource.namespaced:
        if metadata.get("namespace") not in (None, namespace):
            raise ApiError(400, "the namespace of the provided object does not match the "
                           "namespace sent on the request")
        metadata["namespace"] = namespace
    if name is not None and metadata.get("name") not in (None, name):
        raise ApiError(400, "the name of the object (%s) does not match the name on the URL "
                       "(%s)" % (metadata.get("name"), name))
    if name is not None:
        metadata["name"] = name
    if not metadata.get("name") and metadata.get("generateName"):
        metadata["name"] = metadata["generateName"] + "".join(
            random.choice(SUFFIX_ALPHABET) for _ in range(5))
    if not metadata.get("name"):
        raise invalid(resource.kind, "", "metadata.name",
                      "Required value: name or generateName is required")
    for field in ("labels", "annotations"):
        value = metadata.get(field)
        if isinstance(value, dict):   # null is "", as Go decodes it into a string
            value = metadata[field] = {k: "" if v is None else v for k, v in value.items()}
        if value is not None and (not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items())):
            raise invalid(resource.kind, metadata["name"], "metadata." + field,
                          "keys and values must be strings")
    return obj


def check_fields(obj, validation):
    """fieldValidation=Strict (kubectl's default): unknown fields are refused, as the
    API server's strict decoding refuses them; Ignore and Warn let them pass."""
    if validation != "Strict":
        return
    unknown = unknown_fields(obj.get("kind"), obj)
    if unknown:
        raise ApiError(400, '%s in version "%s" cannot be handled as a %s: strict decoding '
                       'error: %s' % (obj["kind"], obj["apiVersion"].rsplit("/", 1)[-1],
                                      obj["kind"], ", ".join('unknown field "%s"' % f
                                                             for f in unknown)))


def _check_version(obj, current, key, patched):
    """A PUT naming a resourceVersion that is not the stored one conflicts (a PATCH
    applies to what is stored now)."""
    version = obj["metadata"].get("resourceVersion")
    if version and version != current["metadata"]["resourceVersion"] and not patched:
        raise conflict(key, obj["metadata"]["name"])


def _check_node(store, kind, name, field, node):
    """A pod bound to a node must be bound to one there is (kubemn refuses it at once:
    no kubelet would ever start it)."""
    if isinstance(node, str) and node and store.get("nodes", "", node) is None:
        raise invalid(kind, name, field, str(no_such_node(
            node, [n["metadata"]["name"] for n in store.list("nodes")[1]])))


def _check_still_stored(store, owner):
    """Refuses a controller's write for an owner that has gone (or come back anew)."""
    metadata = owner["metadata"]
    stored = store.get(store_key(BY_KIND[owner["kind"]]), metadata.get("namespace", ""),
                       metadata["name"])
    if stored is None or stored["metadata"]["uid"] != metadata["uid"]:
        raise ApiError(409, "%s %s has just been deleted" % (owner["kind"], metadata["name"]))



class Registry:
    def __init__(self, cluster, store):
        self.cluster, self.store = cluster, store
        # A write's read, check and store are one step, as etcd's transaction makes
        # them (two Services never take one address). Nobody holding it waits for the
        # cluster's lock: a client's write never waits for pods being started.
        self.lock = threading.RLock()
        self.strategies = dict(STRATEGIES, Service=ServiceStrategy(
            store, cluster.spec.service_cidr, cluster.spec.load_balancer_cidr))

    # --- create and update ------------------------------------------------------
    def apply_objects(self, objects, dry_run=False):
        """Objects of kubemn's own apply (manifest files, the add-ons, the Python API)
        of the kinds the store keeps alone: created, or updated when they exist, in a
        namespace made for them if there is none (a file's pod in namespace team needs
        no Namespace document); kubectl's lines. dry_run: only checked, as the write
        would check them."""
        with self.lock:
            return self._apply_objects(objects, dry_run)

    def _apply_objects(self, objects, dry_run):
        lines, done = [], []   # done: (store key, namespace, name, object before)
        if not dry_run:
            self._implicit_namespaces({o["metadata"]["namespace"] for o in objects
                                       if o["metadata"].get("namespace")})
        try:
            for obj in objects:
                resource = next(r for r in RESOURCES if r.kind == obj["kind"])
                namespace = obj["metadata"].get("namespace") if resource.namespaced else None
                name, key = obj["metadata"]["name"], store_key(resource)
                current = self.store.get(key, namespace or "", name)
                if dry_run:
                    self._stored_form(resource, _check_body(resource, namespace, obj, name),
                                      current)
                    continue
                done.append((key, namespace or "", name, current))
                if current is not None:
                    self.update(resource, namespace, name, obj, patched=True)
                else:
                    self.create(resource, namespace, obj)
                after = self.store.get(key, namespace or "", name)
                verb = "created" if current is None else "unchanged" \
                    if after["metadata"]["resourceVersion"] == \
                    current["metadata"]["resourceVersion"] else "configured"
                lines.append("%s/%s %s" % (kubectl_name(resource), name, verb))
        except ApiError as exc:
            self._undo(done)
            raise KubemnError(exc.message) from None
        except BaseException:
            self._undo(done)
            raise
        return lines

    def _implicit_namespaces(self, used):
        """Objects that did not come through the API (`kubemn run -f`, the Python API)
        may name a namespace nobody created: it is created for them, as if kubectl had."""
        for name in used:
            if self.store.get(namespace_strategy.RESOURCE, "", name) is None:
                self.store.put(namespace_strategy.RESOURCE, namespace_strategy.for_create(
                    {"metadata": {"name": name}}, self.cluster.created))

    def _undo(self, done):
        """Puts back what an apply_objects changed before it failed."""
        for key, namespace, name, before in reversed(done):
            if before is None:
                self.store.remove(key, namespace, name)
            else:
                self.store.put(key, before)

    def create(self, resource, namespace, body, validation=None, manager=None,
               applied=None, dry_run=False):
        """manager: the client's field manager (None: a controller of kubemn's, whose
        fields are not tracked); applied: the managedFields of a server-side apply;
        dry_run: everything but the store's write (dryRun=All): what it would store."""
        obj = _check_body(resource, namespace, body)
        check_fields(obj, validation)
        key, name = store_key(resource), obj["metadata"]["name"]
        if self.store.get(key, namespace or "", name) is not None:
            raise already_exists(key, name)
        stored = self._write(resource, namespace, obj, None, manager, applied, dry_run)
        if dry_run:
            return dict(stored, metadata=dict(stored["metadata"], uid=str(uuid.uuid4())))
        return self.store.get(key, namespace or "", name)

    def update(self, resource, namespace, name, body, patched=False, validation=None,
               manager=None, applied=None, dry_run=False):
        """PUT (body is the whole object) or PATCH (body: the patched object)."""
        key = store_key(resource)
        current = self.store.get(key, namespace or "", name)
        if current is None:
            raise not_found(key, name)
        obj = _check_body(resource, namespace, body, name)
        check_fields(obj, validation)
        _check_version(obj, current, key, patched)
        stored = self._write(resource, namespace, obj, current, manager, applied, dry_run)
        if dry_run:
            return dict(stored, metadata=dict(stored["metadata"], **{
                k: current["metadata"][k] for k in ("uid", "resourceVersion", "generation")
                if k in current["metadata"]}))
        return self.store.get(key, namespace or "", name)

    def update_status(self, resource, namespace, name, body, patched=False):
        """PUT or PATCH of the status subresource: what the kind's strategy takes from
        it (for kinds whose status is kubemn's own, nothing: the object as it is)."""
        key = store_key(resource)
        current = self.store.get(key, namespace or "", name)
        if current is None:
            raise not_found(key, name)
        strategy = self.strategies.get(resource.kind)
        if not hasattr(strategy, "for_status"):
            return current
        obj = _check_body(resource, namespace, body, name)
        _check_version(obj, current, key, patched)
        self.store.put(key, strategy.for_status(obj, current, time.time()))
        return self.store.get(key, namespace or "", name)

    def _write(self, resource, namespace, obj, current, manager=None, applied=None,
               dry_run=False):
        """Stores obj as its kind's strategy has it, with who owns its fields (a dry
        run: only returns it)."""
        name = obj["metadata"]["name"]
        if resource.kind in self.strategies:
            if resource.kind == pod.KIND and current is None:
                _check_node(self.store, pod.KIND, name, "spec.nodeName",
                            (obj.get("spec") or {}).get("nodeName"))
            stored = self._stored_form(resource, obj, current)
            if current is None and namespace:
                stored = self._admitted_create(resource, namespace, stored)
            managed = applied if applied is not None else field_manager.update(
                current, stored, manager, group_version(resource), time.time()) \
                if manager else (current or {}).get("metadata", {}).get("managedFields")
            if managed:
                stored["metadata"] = dict(stored["metadata"], managedFields=managed)
            if resource.kind == node.KIND and current is None:
                self._admitted(obj, lambda: self.cluster.admit_node(parsed(parse_node, obj)))
            if not dry_run:
                self.store.put(store_key(resource), stored)
            return stored
        else:
            raise ApiError(405, "%s cannot be written: kubemn's controllers make them"
                           % resource.plural, reason="MethodNotAllowed")

    def _admitted_create(self, resource, namespace, stored):
        """What the LimitRanger and ResourceQuota admission plugins make of a create
        in namespace (topo/api/admission.py): a pod with its defaults; 403 beyond a
        quota."""
        if resource.kind == pod.KIND:
            stored = admission.limit_ranger(stored, self.store.list(
                limit_range.RESOURCE, namespace)[1])
        quotas = self.store.list(resource_quota.RESOURCE, namespace)[1]
        if quotas:
            admission.check_quotas(store_key(resource), stored, quotas,
                                   self.namespace_objects(namespace, quotas))
        return stored

    def namespace_objects(self, namespace, quotas):
        """{store key: [objects of namespace]} of what the quotas count."""
        keys = {"pods", "services"} | {admission.counted_key(r) for q in quotas
                                       for r in q["spec"].get("hard") or {}}
        return {key: self.store.list(key, namespace)[1] for key in keys if key}

    def _stored_form(self, resource, obj, current):
        """What the kind's strategy stores for obj (raises what it refuses)."""
        strategy, now = self.strategies[resource.kind], time.time()
        return strategy.for_update(obj, current, now) if current else \
            strategy.for_create(obj, now)

    @staticmethod
    def _admitted(obj, admit):
        """admit(): the cluster's admission of obj; what it refuses is the API server's
        422 for obj."""
        try:
            admit()
        except KubemnError as exc:
            raise invalid(obj["kind"], obj["metadata"]["name"], "spec", str(exc)) from None

    def bind(self, namespace, name, node):
        """pods/NAME/binding: the pod is on node from now on (a node there is). The
        scheduler's too, inside its step's hold on the store (nothing else writes the
        pod meanwhile), not under the registry's lock: a thousand bindings wake the
        other controllers once."""
        current = self.store.get(pod.RESOURCE, namespace, name)
        if current is None:
            raise not_found(pod.RESOURCE, name)
        _check_node(self.store, "Binding", name, "target.name", node)
        self.store.put(pod.RESOURCE, pod.for_binding(current, node, time.time()))


    # --- delete and scale ----------------------------------------------------------
    def delete(self, resource, namespace, name, propagation=None, grace=None):
        """propagation: the DeleteOptions' propagationPolicy. Orphan: what the object
        owns loses its reference and stays; otherwise (Background, and Foreground,
        which kubemn does not wait for) the garbage collector deletes it. grace: its
        gracePeriodSeconds (a pod's; 0: gone at once)."""
        key = store_key(resource)
        current = self.store.get(key, namespace or "", name)
        if current is None:
            raise not_found(key, name)
        if propagation not in (None, "Orphan", "Background", "Foreground"):
            raise invalid("DeleteOptions", "", "propagationPolicy", "Unsupported value: %r: "
                          "supported values: \"Foreground\", \"Background\", \"Orphan\""
                          % propagation)
        if propagation == "Orphan":   # stored before the owner goes: nothing collected
            self._orphan(current)
        if resource.kind in self.strategies:
            if resource.kind == node.KIND:
                self._admitted(current, lambda: self.cluster.admit_node_removal(
                    name, self.store.list(node.RESOURCE)[1]))
            strategy = self.strategies[resource.kind]
            kept = strategy.for_delete(current, time.time(), grace) \
                if resource.kind == pod.KIND else strategy.for_delete(current, time.time())
            if kept is None:
                self.store.remove(key, namespace or "", name)
            elif kept is not current:   # finalizers to run first (a namespace's), or
                current = kept          # a kubelet's stop (a pod's)
                self.store.put(key, current)
        else:
            raise ApiError(405, "%s cannot be deleted: kubemn's controllers make them"
                           % resource.plural, reason="MethodNotAllowed")
        return current

    def _orphan(self, owner):
        """What owner owns loses its reference to it."""
        uid, namespace = owner["metadata"]["uid"], owner["metadata"].get("namespace", "")
        for resource in (pod.RESOURCE, replica_set.RESOURCE, job.RESOURCE):
            for dependent in self.store.list(resource, namespace)[1]:
                refs = dependent["metadata"].get("ownerReferences") or ()
                if any(r.get("uid") == uid for r in refs):
                    self.store.put(resource, dict(dependent, metadata=dict(
                        dependent["metadata"],
                        ownerReferences=[r for r in refs if r.get("uid") != uid])))

    # Owners first: a Deployment goes before the pods it would replace.
    NAMESPACE_CONTENT = (deployment.RESOURCE, replica_set.RESOURCE,
                         replication_controller.RESOURCE, cron_job.RESOURCE, job.RESOURCE,
                         daemon_set.RESOURCE, stateful_set.RESOURCE, "services",
                         "pods", "endpoints", CONFIG_MAPS, secret.RESOURCE, POLICIES,
                         "ingresses.networking.k8s.io", service_account.RESOURCE,
                         lease.RESOURCE, rbac.ROLE_BINDING.resource, rbac.ROLE.resource,
                         pod_disruption_budget.RESOURCE, limit_range.RESOURCE,
                         resource_quota.RESOURCE, controller_revision.RESOURCE, "events")

    def create_content(self, key, namespace, body):
        """A controller's create (the deployment controller's ReplicaSets)."""
        return self._as_controller(self.create, BY_STORE_KEY[key], namespace, body)

    def create_contents(self, key, namespace, bodies):
        """A controller's creates of many (a replica manager's pods), in order, seen by
        the watchers at once; raises at the first the API refuses."""
        def create_all():
            with self.store.batch():
                for body in bodies:
                    self.create(BY_STORE_KEY[key], namespace, body)
        self._as_controller(create_all)

    def update_content(self, key, namespace, body, owner=None):
        """A controller's update (an adoption's ownerReference); owner: the controller
        that writes it, which must still be stored (not deleted meanwhile, as a delete
        with --cascade=orphan may have been, its orphans then adopted again)."""
        return self._as_controller(self.update, BY_STORE_KEY[key], namespace,
                                   body["metadata"]["name"], body, patched=True,
                                   owner=owner)

    def _as_controller(self, write, *args, owner=None, **kwargs):
        """A controller's write, as a request's: under the registry's lock; what the API
        refuses raises its message."""
        try:
            with self.lock:
                if owner is not None:
                    _check_still_stored(self.store, owner)
                return write(*args, **kwargs)
        except ApiError as exc:
            raise KubemnError(exc.message) from None

    def delete_content(self, key, namespace, name, grace=None):
        """A controller's delete (the namespace controller's, the garbage collector's,
        a replica manager's; the kubelet's of a pod it has stopped, grace 0): through
        the kind's own rules (events, which no client deletes, from the store); one
        already gone is no error."""
        if key == "events":
            self.store.remove(key, namespace, name)
            return
        try:
            with self.lock:   # as a request's write holds it
                self.delete(BY_STORE_KEY[key], namespace, name, grace=grace)
        except ApiError as exc:
            if exc.code != 404:
                raise

    def scale(self, resource, namespace, name, replicas=None, manager=None):
        """The autoscaling/v1 Scale of a Deployment, ReplicaSet or ReplicationController;
        replicas given: scaled first (by manager, who then owns spec.replicas)."""
        key = store_key(resource)
        current = self.store.get(key, namespace, name)
        if current is None:
            raise not_found(key, name)
        if replicas is not None:
            check_count("Scale", name, "spec.replicas", replicas)
            self.update(resource, namespace, name, dict(
                current, spec=dict(current["spec"], replicas=replicas)), patched=True,
                manager=manager)
        scaled = self.store.get(key, namespace, name)
        selector = scaled["spec"]["selector"]
        selector = selector.get("matchLabels", {}) if resource.group == "apps" else selector
        return {"kind": "Scale", "apiVersion": "autoscaling/v1",
                "metadata": {k: scaled["metadata"][k] for k in
                             ("name", "namespace", "uid", "resourceVersion",
                              "creationTimestamp")},
                "spec": {"replicas": scaled["spec"]["replicas"]},
                "status": {"replicas": scaled.get("status", {}).get("replicas", 0),
                           "selector": ",".join("%s=%s" % kv for kv in
                                                sorted(selector.items()))}}
