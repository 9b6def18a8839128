"""A pod's volumes as its containers see them: the mount plan
(topo/kubelet/pod_files.mount_plan) run by kubemn's pod_sandbox in the pod's new
namespaces, and the files (topo/kubelet/atomic_writer) it mounts. The machine's own
file system must gain nothing."""
import os
import shutil
import subprocess

import pytest

from topo.kubelet.atomic_writer import write_payload
from topo.kubelet.pod import POD_SANDBOX
from topo.kubelet.pod_files import POD_ETC_FILES, Mount, MountError, mount_plan

# The sandbox runs the plan, then a fresh process in its mount namespace (as a
# container entering the pod's) runs the check where the pause would run.
IN_POD = [shutil.which("nsenter"), "nsenter", "--mount=/proc/self/ns/mnt", "sh", "-c"]


@pytest.fixture
def pod_dir(tmp_path):
    for name in POD_ETC_FILES:
        (tmp_path / name).write_text("the pod's %s\n" % name)
    (tmp_path / "volumes" / "scratch").mkdir(parents=True)
    write_payload(str(tmp_path / "volumes" / "conf"),
                  {"app.conf": (b"color=blue\n", 0o644), "nested/key": (b"k", 0o600)})
    return tmp_path


def in_pod(pod_dir, mounts, command, programs=()):
    (pod_dir / "sandbox").write_text(mount_plan(str(pod_dir), mounts, programs))
    return subprocess.run([POD_SANDBOX, str(pod_dir / "sandbox")] + IN_POD + [command],
                          capture_output=True, text=True, timeout=20)


def test_a_config_volume_shows_its_keys_read_only_at_a_path_the_machine_lacks(pod_dir):
    assert not os.path.exists("/etc/config")
    done = in_pod(pod_dir, [Mount("conf", "/etc/config", read_only=True)],
                  "cat /etc/config/app.conf /etc/config/nested/key; cat /etc/hosts; "
                  "test -f /etc/passwd; touch /etc/config/x")
    assert done.stdout.splitlines() == ["color=blue", "kthe pod's hosts"]
    assert "Read-only file system" in done.stderr
    assert not os.path.exists("/etc/config")   # made in the pod's overlay of /etc


def test_an_empty_dir_is_shared_writable_and_a_new_top_level_directory(pod_dir):
    done = in_pod(pod_dir, [Mount("scratch", "/results"), Mount("scratch", "/srv")],
                  "echo hi > /results/out; cat /srv/out")
    assert (done.returncode, done.stdout) == (0, "hi\n"), done.stderr
    assert (pod_dir / "volumes" / "scratch" / "out").read_text() == "hi\n"
    assert not os.path.exists("/results")


def test_a_sub_path_mounts_one_file_over_the_machines(pod_dir):
    done = in_pod(pod_dir, [Mount("conf/app.conf", "/etc/hostname.kubemn-test", True, True),
                            Mount("conf/app.conf", "/etc/os-release", True, True)],
                  "cat /etc/hostname.kubemn-test /etc/os-release")
    assert done.stdout == "color=blue\ncolor=blue\n", done.stderr
    assert "color" not in open("/etc/os-release").read()


def test_a_path_through_a_machine_link_is_made_where_it_leads_in_the_pod(pod_dir):
    # /var/run is a link to /run: the service account token's usual home.
    path = "/var/run/secrets/kubemn-test.io/serviceaccount"
    done = in_pod(pod_dir, [Mount("conf", path, read_only=True)],
                  "cat %s/app.conf" % path)
    assert done.stdout == "color=blue\n", done.stderr
    assert not os.path.exists(os.path.realpath("/var/run/secrets/kubemn-test.io"))


def test_a_mount_inside_another_volume_is_made_in_that_volume(pod_dir):
    done = in_pod(pod_dir, [Mount("conf", "/data/config", True), Mount("scratch", "/data")],
                  "cat /data/config/app.conf")
    assert done.stdout == "color=blue\n", done.stderr
    assert (pod_dir / "volumes" / "scratch" / "config").is_dir()


def test_an_images_top_level_program_is_there_in_the_pod_alone(pod_dir):
    (pod_dir / "programs").mkdir()
    (pod_dir / "programs" / "kubemn-test-tool").write_text("#!/bin/sh\necho tool \"$@\"\n")
    os.chmod(pod_dir / "programs" / "kubemn-test-tool", 0o755)
    done = in_pod(pod_dir, [], "/kubemn-test-tool ok", programs=["/kubemn-test-tool"])
    assert done.stdout == "tool ok\n", done.stderr
    assert not os.path.exists("/kubemn-test-tool")


def test_a_directory_where_the_machine_has_a_file_is_refused_in_one_line():
    with pytest.raises(MountError, match="volume mount /etc/passwd: the machine has a file "
                                         "there, the volume a directory"):
        mount_plan("/pod", [Mount("conf", "/etc/passwd")])


def test_a_volume_update_turns_every_file_at_once(pod_dir):
    directory = str(pod_dir / "volumes" / "conf")
    before = os.readlink(os.path.join(directory, "..data"))
    assert not write_payload(directory, {"app.conf": (b"color=blue\n", 0o644),
                                         "nested/key": (b"k", 0o600)})   # unchanged
    assert write_payload(directory, {"app.conf": (b"color=red\n", 0o640)})
    assert os.readlink(os.path.join(directory, "..data")) != before
    assert sorted(os.listdir(directory))[-2:] == ["..data", "app.conf"]
    assert not os.path.exists(os.path.join(directory, before))
    with open(os.path.join(directory, "app.conf")) as handle:
        assert handle.read() == "color=red\n"
    assert os.stat(os.path.join(directory, "app.conf")).st_mode & 0o777 == 0o640
