"""Writes topo/api/protobuf_schema.py: the protobuf field numbers of the kinds kubemn
serves, read from the Go types of Kubernetes' own source (the struct tags
`json:"name" protobuf:"bytes,3,opt,name=name"`), so that a body a typed client sends
is read whole, and what it is answered is written whole. A maintainer's tool: run it
after conformance/build.sh has unpacked the source tree.

  python3 scripts/protobuf_schema.py [KUBERNETES_TREE]
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TREE = os.path.join(ROOT, "build", "e2e", "gopath", "src", "k8s.io", "kubernetes")
OUT = os.path.join(ROOT, "topo", "api", "protobuf_schema.py")

# Go package (as types.go files name their imports) -> (folder, schema prefix).
PACKAGES = {
    "core": "vendor/k8s.io/api/core/v1", "apps": "vendor/k8s.io/api/apps/v1",
    "networking": "vendor/k8s.io/api/networking/v1",
    "discovery": "vendor/k8s.io/api/discovery/v1beta1",
    "autoscaling": "vendor/k8s.io/api/autoscaling/v1",
    "policy": "vendor/k8s.io/api/policy/v1beta1",
    "batch": "vendor/k8s.io/api/batch/v1",
    "coordination": "vendor/k8s.io/api/coordination/v1",
    "rbac": "vendor/k8s.io/api/rbac/v1",
    # CronJob is batch/v1 since 1.21; 1.20 has it in v1beta1, with the same numbers.
    "cron": "vendor/k8s.io/api/batch/v1beta1",
    "meta": "vendor/k8s.io/apimachinery/pkg/apis/meta/v1",
    "apiregistration": "vendor/k8s.io/kube-aggregator/pkg/apis/apiregistration/v1",
    "authorization": "vendor/k8s.io/api/authorization/v1",
}
IMPORTS = {"metav1": "meta", "v1": "core", "corev1": "core", "batchv1": "batch"}
# Fields newer than v1.20.2 that kubemn writes or kubectl 1.37 sends: {message: {number:
# (JSON name, kind)}}, as Kubernetes' current types number them.
NEWER = {
    "batch.JobSpec": {9: ("completionMode", "s!"), 10: ("suspend", "b!"),
                      14: ("podReplacementPolicy", "s!"), 15: ("managedBy", "s!")},
    "batch.JobStatus": {7: ("completedIndexes", "s"), 9: ("ready", "i!"),
                        10: ("failedIndexes", "s!"), 11: ("terminating", "i!")},
    "cron.CronJobSpec": {8: ("timeZone", "s!")},
    "cron.CronJobStatus": {5: ("lastSuccessfulTime", "Time!")},
    "apps.StatefulSetSpec": {
        9: ("minReadySeconds", "i"),
        10: ("persistentVolumeClaimRetentionPolicy",
             "apps.StatefulSetPersistentVolumeClaimRetentionPolicy!"),
        11: ("ordinals", "apps.StatefulSetOrdinals!")},
    "apps.StatefulSetStatus": {11: ("availableReplicas", "i")},
    "apps.RollingUpdateStatefulSetStrategy": {2: ("maxUnavailable", "IntOrString!")},
    # PodDisruptionBudget is policy/v1 since 1.21; 1.20's v1beta1 numbers the rest alike.
    "policy.PodDisruptionBudgetSpec": {4: ("unhealthyPodEvictionPolicy", "s!")},
    "policy.PodDisruptionBudgetStatus": {7: ("conditions", "[meta.Condition")},
}
# Messages of Kubernetes v1.20.2 that only NEWER fields name.
ALSO = ["meta.Condition"]
# Messages newer than v1.20.2 that those fields name.
NEWER_MESSAGES = {
    "apps.StatefulSetPersistentVolumeClaimRetentionPolicy": {1: ("whenDeleted", "s"),
                                                             2: ("whenScaled", "s")},
    "apps.StatefulSetOrdinals": {1: ("start", "i")},
}
# Messages the decoder reads by hand: their JSON is a scalar (or raw JSON).
SPECIAL = {"metav1.Time": "Time", "metav1.MicroTime": "MicroTime",
           "metav1.Duration": "Duration", "resource.Quantity": "Quantity",
           "intstr.IntOrString": "IntOrString", "runtime.RawExtension": "RawExtension",
           "Time": "Time", "MicroTime": "MicroTime", "Duration": "Duration", "Strings": "Strings"}
SCALARS = {"string": "s", "bool": "b", "int32": "i", "int64": "i", "int": "i",
           "uint32": "i", "uint64": "i", "float64": "d", "[]byte": "y", "byte": "i",
           "types.UID": "s", "time.Duration": "i"}
# Asked and answered, never stored: no lists of them.
REVIEWS = ("SelfSubjectAccessReview", "SelfSubjectRulesReview", "SubjectAccessReview")
# The kinds read from protobuf bodies: (apiVersion, kind) -> message.
TOP_LEVEL = {
    ("v1", "Pod"): "core.Pod", ("v1", "Service"): "core.Service",
    ("v1", "Endpoints"): "core.Endpoints", ("v1", "Namespace"): "core.Namespace",
    ("v1", "ConfigMap"): "core.ConfigMap", ("v1", "Node"): "core.Node",
    ("v1", "Secret"): "core.Secret",
    ("v1", "ServiceAccount"): "core.ServiceAccount",
    ("v1", "ReplicationController"): "core.ReplicationController",
    ("v1", "Event"): "core.Event", ("v1", "Binding"): "core.Binding",
    ("v1", "DeleteOptions"): "meta.DeleteOptions",
    ("meta.k8s.io/v1", "DeleteOptions"): "meta.DeleteOptions",
    ("apps/v1", "Deployment"): "apps.Deployment", ("apps/v1", "ReplicaSet"): "apps.ReplicaSet",
    ("apps/v1", "DaemonSet"): "apps.DaemonSet", ("apps/v1", "StatefulSet"): "apps.StatefulSet",
    ("networking.k8s.io/v1", "NetworkPolicy"): "networking.NetworkPolicy",
    ("networking.k8s.io/v1", "Ingress"): "networking.Ingress",
    ("networking.k8s.io/v1", "IngressClass"): "networking.IngressClass",
    ("autoscaling/v1", "Scale"): "autoscaling.Scale",
    ("policy/v1beta1", "Eviction"): "policy.Eviction",
    ("batch/v1", "Job"): "batch.Job", ("batch/v1", "CronJob"): "cron.CronJob",
    ("coordination.k8s.io/v1", "Lease"): "coordination.Lease",
    ("v1", "LimitRange"): "core.LimitRange", ("v1", "ResourceQuota"): "core.ResourceQuota",
    ("apps/v1", "ControllerRevision"): "apps.ControllerRevision",
    ("policy/v1", "PodDisruptionBudget"): "policy.PodDisruptionBudget",
    ("apiregistration.k8s.io/v1", "APIService"): "apiregistration.APIService",
    **{("authorization.k8s.io/v1", kind): "authorization." + kind
       for kind in REVIEWS},
    **{("rbac.authorization.k8s.io/v1", kind): "rbac." + kind
       for kind in ("Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding")},
}
# What kubemn answers in protobuf beside those: the lists of the kinds it serves, the
# Status of an error, the watch event and discovery (/api has no apiVersion).
SERVED = [key for key in TOP_LEVEL if key[1] not in (
    "DeleteOptions", "Binding", "Eviction", "Scale") + REVIEWS]
TOP_LEVEL.update({(version, kind + "List"): TOP_LEVEL[(version, kind)] + "List"
                  for version, kind in SERVED})
TOP_LEVEL.update({("v1", "Status"): "meta.Status", ("v1", "WatchEvent"): "meta.WatchEvent",
                  ("", "APIVersions"): "meta.APIVersions", ("v1", "APIGroup"): "meta.APIGroup",
                  ("v1", "APIGroupList"): "meta.APIGroupList",
                  ("v1", "APIResourceList"): "meta.APIResourceList"})

STRUCT = re.compile(r"^type (\w+) struct \{\n(.*?)^\}", re.S | re.M)
ALIAS = re.compile(r"^type (\w+) ([\w.\[\]*]+)\s*$", re.M)
# A list type marked so is a message of its own ({1: items}), its JSON still a list.
WRAPPED_LIST = re.compile(r"^// \+protobuf\.nullable=true\n(?://.*\n)*type (\w+) \[\]string\s*$",
                          re.M)
FIELD = re.compile(r"^\t(?:(\w+)\s+)?([\w.\[\]*]+)\s+`([^`]*)`", re.M)
TAG = re.compile(r'(\w+):"([^"]*)"')


def read_package(folder):
    """{struct: [(go type, json name or '' for inline, number, repeated)]}, {alias: type}."""
    structs, aliases = {}, {}
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".go") or name.endswith("_test.go") or "generated" in name:
            continue
        text = open(os.path.join(folder, name)).read()
        aliases.update(ALIAS.findall(text))
        aliases.update((name, "Strings") for name in WRAPPED_LIST.findall(text))
        for struct, body in STRUCT.findall(text):
            fields = []
            for _, go_type, tag in FIELD.findall(body):
                tags = dict(TAG.findall(tag))
                if "protobuf" not in tags or tags["protobuf"] == "-":
                    continue
                parts = tags["protobuf"].split(",")
                json_name = tags.get("json", "").split(",")[0]
                fields.append((go_type, json_name, int(parts[1]), parts[2] == "rep"))
            structs[struct] = fields
    return structs, aliases


def main(argv):
    tree = argv[1] if len(argv) > 1 else TREE
    packages = {p: read_package(os.path.join(tree, f)) for p, f in PACKAGES.items()}
    schemas, wanted = {}, sorted(set(TOP_LEVEL.values()) | set(ALSO))

    def kind_of(go_type, package):
        go_type = go_type.lstrip("*")
        if go_type.startswith("map["):
            return "{" + kind_of(go_type[go_type.index("]") + 1:], package)
        if go_type.startswith("[]") and go_type != "[]byte":
            return "[" + kind_of(go_type[2:], package)
        if go_type in SPECIAL:
            return SPECIAL[go_type]
        if go_type in SCALARS:
            return SCALARS[go_type]
        if "." in go_type:
            prefix, name = go_type.split(".", 1)
            package = IMPORTS.get(prefix, prefix)
            go_type = name
        structs, aliases = packages[package]
        if go_type in aliases:
            return kind_of(aliases[go_type], package)
        if go_type not in structs:
            raise SystemExit("unknown type %s.%s" % (package, go_type))
        qualified = "%s.%s" % (package, go_type)
        if qualified not in schemas and qualified not in wanted:
            wanted.append(qualified)
        return qualified

    schemas.update(NEWER_MESSAGES)
    while wanted:
        qualified = wanted.pop()
        if qualified in schemas:
            continue
        package, name = qualified.split(".")
        schemas[qualified] = {}   # before its fields: a type may contain itself
        fields = {}
        for go_type, json_name, number, _ in packages[package][0][name]:
            kind = kind_of(go_type, package)
            keep = go_type.startswith("*")   # a pointer: present means set, even if zero
            fields[number] = (json_name, kind + ("!" if keep else ""))
        fields.update(NEWER.get(qualified, {}))
        schemas[qualified] = fields
    with open(OUT, "w") as out:
        out.write('"""Protobuf field numbers of the kinds kubemn reads and writes in protobuf\n'
                  '(pure data), written by scripts/protobuf_schema.py from Kubernetes\n'
                  "v1.20.2's Go types: do not edit by hand.\n\n"
                  "A field is (JSON name, kind); an empty name is an inline struct, whose\n"
                  "fields are its parent's in JSON. Kinds: s string, b bool, i integer,\n"
                  "d double, y bytes, a message's name, Time, MicroTime, Duration, Quantity,\n"
                  "IntOrString, RawExtension, Strings (a list wrapped in a message of its\n"
                  "own: meta's Verbs; read by hand); [ repeated, { a map with string\n"
                  'keys; a trailing ! keeps a zero or an empty message (a pointer field: present\n'
                  'means set)."""\n')
        out.write("SCHEMAS = {\n")
        for qualified in sorted(schemas):
            lines = ["    %r: {" % qualified]
            for number, field in sorted(schemas[qualified].items()):
                item = "%d: %r" % (number, field)
                if len(lines[-1]) + len(item) + 3 > 99:
                    lines.append(" " * 8)
                if len(lines[-1]) + len(item) + 3 > 99:   # too long for a line of its own
                    item = "%d: (%r,\n%s%r)" % (number, field[0], " " * 12, field[1])
                lines[-1] += item + ", "
            out.write("\n".join(line.rstrip() for line in lines)[:-1] + "},\n")
        out.write("}\n")
        out.write("TOP_LEVEL = {\n")
        for key, value in sorted(TOP_LEVEL.items()):
            out.write("    %r: %r,\n" % (key, value))
        out.write("}\n")
    print("wrote %s: %d messages" % (OUT, len(schemas)))


if __name__ == "__main__":
    main(sys.argv)
