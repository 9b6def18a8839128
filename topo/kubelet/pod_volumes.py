"""A pod's volumes on its node, as the kubelet's volume manager keeps them: each in
the pod's directory (volumes/NAME), an emptyDir empty, a configMap, secret,
downwardAPI or projected one holding its files (atomic_writer), rewritten when what
they come from changes; and the variables its containers take from the same sources.
topo/kubelet/pod_files.mount_plan mounts them in the pod."""
import os
import time

from topo.errors import KubemnError, StartWaits
from topo.kubelet.atomic_writer import write_payload
from topo.kubelet.pod_files import Mount
from topo.kubelet.service_account_token import token
from topo.kubelet.volume_files import (RESOURCES, VolumeUnavailable, container_variables,
                                      volume_files)


FAILED_MOUNT, CONFIG_ERROR = "FailedMount", "CreateContainerConfigError"


class PodVolumes:
    def __init__(self, pod, lookup, allocatable, token_key=b""):
        """pod: the kubelet's Pod (spec, pod_dir, ip, node, stored: the pod as stored,
        machine: its node's server, where the files are);
        lookup(resource, namespace, name): the store's object or None; allocatable:
        the node's {cpu, memory, ephemeral-storage}; token_key: what the service
        account tokens of the run are signed with."""
        self.pod, self.lookup, self.allocatable = pod, lookup, allocatable
        self.token_key = token_key
        self.written = {}   # volume name -> its files, as last written
        self.tokens = {}    # serviceAccountToken source -> (issued at, token)

    @property
    def _volumes(self):
        return {v.name: v for v in self.pod.spec.template.volumes}

    def _directory(self, name):
        return os.path.join(self.pod.pod_dir, "volumes", name)

    def downward(self):
        """The pod as the downward API reads it: as stored, with the addresses it has
        now (its status in the store may not name them yet)."""
        stored = self.pod.stored or {"metadata": {"name": self.pod.name,
                                                  "namespace": self.pod.namespace},
                                     "spec": {}}
        host_ip = self.pod.node.IP()
        status = dict(stored.get("status") or {}, podIP=self.pod.ip, hostIP=host_ip,
                      podIPs=[{"ip": self.pod.ip}], hostIPs=[{"ip": host_ip}])
        return dict(stored, status=status)

    def _token(self, source):
        """The source's token, a new one once 80% of its life has passed (as the
        kubelet rotates it)."""
        issued, current = self.tokens.get(source, (0.0, None))
        now = time.time()
        if current is None or now - issued >= 0.8 * source.expiration:
            current = token(self.token_key, self.downward(), source.audience,
                            source.expiration, now)
            self.tokens[source] = (now, current)
        return current

    def _files(self, volume):
        try:
            return volume_files(volume, self.downward(), self.lookup, self.allocatable,
                                self._token)
        except VolumeUnavailable as exc:
            raise StartWaits('MountVolume.SetUp failed for volume "%s" : %s'
                             % (volume.name, exc), FAILED_MOUNT) from None

    def write(self):
        """Every volume's directory, before the pod's sandbox mounts them; a volume
        whose source is missing raises KubemnError (the pod waits and is tried again)."""
        volumes, machine = self._volumes, self.pod.machine   # the node's server
        for name, volume in volumes.items():
            machine.call(os.makedirs, self._directory(name), exist_ok=True)
            if volume.has_files:
                files = self._files(volume)
                machine.call(write_payload, self._directory(name), files)
                self.written[name] = files
        for container in self.pod.spec.template.containers:
            for mount in container.volume_mounts:
                if mount.sub_path and not volumes[mount.name].has_files:
                    machine.call(os.makedirs, os.path.join(self._directory(mount.name),
                                                           mount.sub_path), exist_ok=True)
                elif mount.sub_path and not machine.call(os.path.exists, os.path.join(
                        self._directory(mount.name), mount.sub_path)):
                    raise KubemnError("pod %s: container %s: subPath %s: no such file in "
                                      "volume %s" % (self.pod.ref, container.name,
                                                     mount.sub_path, mount.name))

    def mounts(self):
        """[Mount] of every container's volumeMounts (a file volume read-only, as the
        kubelet mounts it; a subPath of one a file if the volume has such a file)."""
        out, volumes = [], self._volumes
        for container in self.pod.spec.template.containers:
            for mount in container.volume_mounts:
                volume = volumes[mount.name]
                source = os.path.join(mount.name, mount.sub_path) if mount.sub_path \
                    else mount.name
                is_file = bool(mount.sub_path) and volume.has_files and \
                    mount.sub_path in self.written.get(mount.name, {})
                out.append(Mount(source, mount.mount_path,
                                 mount.read_only or volume.has_files, is_file))
        return out

    def refresh(self):
        """Rewrites the volumes whose sources changed (a ConfigMap, a Secret, the pod's
        labels); True if one did. A source gone since leaves the files as they were,
        as the kubelet leaves them."""
        changed = False
        for name, volume in self._volumes.items():
            if not volume.has_files or name not in self.written:
                continue
            try:
                files = self._files(volume)
            except KubemnError:
                continue
            if files != self.written[name]:
                changed |= self.pod.machine.call(write_payload, self._directory(name), files)
                self.written[name] = files
        return changed

    def variables(self, container, service_variables):
        """[(name, value)] of the container's env and envFrom, now."""
        sourced = container.env_from or any(not isinstance(v, str) for _, v in container.env)
        pod = self.downward() if sourced else {"metadata": {"namespace": self.pod.namespace}}
        try:
            return container_variables(container, pod, self.lookup, self.allocatable,
                                       service_variables)
        except VolumeUnavailable as exc:
            raise StartWaits(str(exc), CONFIG_ERROR) from None

    def sources(self):
        """{(resource, name)} of the ConfigMaps and Secrets its volumes read."""
        return {(RESOURCES[s.kind], s.name) for v in self._volumes.values()
                for s in v.sources if s.kind in RESOURCES}

    @property
    def has_downward(self):
        return any(s.kind == "downwardAPI" for v in self._volumes.values() for s in v.sources)
