"""The fields the Kubernetes API knows, for fieldValidation=Strict (pure): kubectl
asks for it by default, and a typo in a manifest ("contianers") is then refused
instead of ignored. Maps whose keys are the user's ("labels", "resources",
"securityContext", ...) are open: "*". Every field of these types in Kubernetes
1.37 is listed, so that a valid manifest is never refused."""

OPEN = "*"
META = {f: OPEN for f in (
    "name generateName namespace labels annotations uid resourceVersion generation "
    "creationTimestamp deletionTimestamp deletionGracePeriodSeconds ownerReferences "
    "finalizers managedFields selfLink").split()}
PORT = {f: OPEN for f in "name hostPort containerPort protocol hostIP".split()}
ENV = {f: OPEN for f in "name value valueFrom".split()}
CONTAINER = dict({f: OPEN for f in (
    "name image command args workingDir envFrom resources resizePolicy restartPolicy "
    "restartPolicyRules volumeMounts volumeDevices livenessProbe readinessProbe "
    "startupProbe lifecycle terminationMessagePath terminationMessagePolicy "
    "imagePullPolicy securityContext stdin stdinOnce tty").split()},
    ports=[PORT], env=[ENV])
POD_SPEC = dict({f: OPEN for f in (
    "ephemeralContainers volumes restartPolicy terminationGracePeriodSeconds "
    "activeDeadlineSeconds dnsPolicy dnsConfig nodeSelector serviceAccountName "
    "serviceAccount automountServiceAccountToken nodeName hostNetwork hostPID hostIPC "
    "shareProcessNamespace securityContext imagePullSecrets hostname subdomain affinity "
    "schedulerName tolerations hostAliases priorityClassName priority readinessGates "
    "runtimeClassName enableServiceLinks preemptionPolicy overhead "
    "topologySpreadConstraints setHostnameAsFQDN os hostUsers schedulingGates "
    "resourceClaims resources hostnameOverride").split()},
    containers=[CONTAINER], initContainers=[CONTAINER])
TEMPLATE = {"metadata": META, "spec": POD_SPEC}
SERVICE_PORT = {f: OPEN for f in "name protocol appProtocol port targetPort nodePort".split()}
SERVICE_SPEC = dict({f: OPEN for f in (
    "selector clusterIP clusterIPs type externalIPs sessionAffinity loadBalancerIP "
    "loadBalancerSourceRanges externalName externalTrafficPolicy healthCheckNodePort "
    "publishNotReadyAddresses sessionAffinityConfig ipFamilies ipFamilyPolicy "
    "allocateLoadBalancerNodePorts loadBalancerClass internalTrafficPolicy "
    "trafficDistribution").split()}, ports=[SERVICE_PORT])
DEPLOYMENT_SPEC = dict({f: OPEN for f in (
    "replicas selector strategy minReadySeconds revisionHistoryLimit paused "
    "progressDeadlineSeconds").split()}, template=TEMPLATE)
CONTROLLER_SPEC = dict({f: OPEN for f in "replicas selector minReadySeconds".split()},
                       template=TEMPLATE)
DAEMON_SET_SPEC = dict({f: OPEN for f in (
    "selector updateStrategy minReadySeconds revisionHistoryLimit").split()},
    template=TEMPLATE)
STATEFUL_SET_SPEC = dict({f: OPEN for f in (
    "replicas selector serviceName podManagementPolicy updateStrategy revisionHistoryLimit "
    "minReadySeconds ordinals persistentVolumeClaimRetentionPolicy volumeClaimTemplates"
    ).split()}, template=TEMPLATE)
JOB_SPEC = dict({f: OPEN for f in (
    "parallelism completions activeDeadlineSeconds podFailurePolicy successPolicy "
    "backoffLimit backoffLimitPerIndex maxFailedIndexes selector manualSelector "
    "ttlSecondsAfterFinished completionMode suspend podReplacementPolicy "
    "managedBy").split()}, template=TEMPLATE)
POLICY_SPEC = {f: OPEN for f in "podSelector ingress egress policyTypes".split()}


def _top(spec):
    return {"apiVersion": OPEN, "kind": OPEN, "metadata": META, "spec": spec,
            "status": OPEN}


KINDS = {"Pod": _top(POD_SPEC), "Deployment": _top(DEPLOYMENT_SPEC),
         "Service": _top(SERVICE_SPEC), "Namespace": _top(OPEN), "Node": _top(OPEN),
         "NetworkPolicy": _top(POLICY_SPEC), "ReplicationController": _top(CONTROLLER_SPEC),
         "DaemonSet": _top(DAEMON_SET_SPEC), "StatefulSet": _top(STATEFUL_SET_SPEC),
         "ReplicaSet": _top(CONTROLLER_SPEC),
         "Job": _top(JOB_SPEC), "CronJob": _top(dict({f: OPEN for f in (
             "schedule timeZone startingDeadlineSeconds concurrencyPolicy suspend "
             "successfulJobsHistoryLimit failedJobsHistoryLimit").split()},
             jobTemplate={"metadata": META, "spec": JOB_SPEC})),
         "ConfigMap": {"apiVersion": OPEN, "kind": OPEN, "metadata": META, "data": OPEN,
                       "binaryData": OPEN, "immutable": OPEN},
         **{kind: {"apiVersion": OPEN, "kind": OPEN, "metadata": META, "rules": OPEN,
                   "aggregationRule": OPEN} for kind in ("Role", "ClusterRole")},
         **{kind: {"apiVersion": OPEN, "kind": OPEN, "metadata": META, "roleRef": OPEN,
                   "subjects": OPEN} for kind in ("RoleBinding", "ClusterRoleBinding")},
         "Lease": {"apiVersion": OPEN, "kind": OPEN, "metadata": META, "spec": OPEN},
         "Secret": {"apiVersion": OPEN, "kind": OPEN, "metadata": META, "data": OPEN,
                    "stringData": OPEN, "type": OPEN, "immutable": OPEN},
         "ServiceAccount": {"apiVersion": OPEN, "kind": OPEN, "metadata": META,
                            "secrets": OPEN, "imagePullSecrets": OPEN,
                            "automountServiceAccountToken": OPEN},
         "Endpoints": {"apiVersion": OPEN, "kind": OPEN, "metadata": META,
                       "subsets": [{f: OPEN for f in "addresses notReadyAddresses ports".split()}]}}


def unknown_fields(kind, obj):
    """The paths of obj's fields the API does not know ('spec.contianers')."""
    found = []
    _walk(KINDS.get(kind, OPEN), obj, "", found)
    return found


def _walk(schema, value, path, found):
    if schema == OPEN:
        return
    if isinstance(schema, list):
        if isinstance(value, list):
            for i, item in enumerate(value):
                _walk(schema[0], item, "%s[%d]" % (path, i), found)
        return
    if not isinstance(value, dict):
        return   # a wrong type is the parser's to refuse, with its own message
    for key, item in value.items():
        where = "%s.%s" % (path, key) if path else key
        if key not in schema:
            found.append(where)
        else:
            _walk(schema[key], item, where, found)
