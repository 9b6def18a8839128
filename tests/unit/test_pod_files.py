"""The files a pod's sandbox is made from (topo/kubelet/pod_files.py)."""
import pytest

from topo.kubelet.pod_files import (Mount, MountError, host_names, mount_plan, pod_files,
                                    program_script, sandbox_plan)


def test_a_pod_without_a_subdomain_is_known_by_its_hostname_only():
    assert host_names("web-1", None, "default") == ["web-1"]


def test_a_subdomain_puts_the_fqdn_first_as_the_kubelet_does():
    assert host_names("busybox-1", "busybox-subdomain", "my-ns") == [
        "busybox-1.busybox-subdomain.my-ns.svc.cluster.local", "busybox-1"]


def test_the_files_name_the_pod():
    files = pod_files("web-1", ["web-1"], "10.244.2.7", "nameserver 10.96.0.10\n")
    assert files["hostname"] == "web-1\n"
    assert files["hosts"].splitlines()[-1] == "10.244.2.7\tweb-1"
    assert "127.0.0.1\tlocalhost" in files["hosts"]
    assert files["resolv.conf"] == "nameserver 10.96.0.10\n"


def test_the_sandbox_is_named_given_its_file_system_then_plugged_into_its_node():
    plan = sandbox_plan("web-1", "bind\t/pods/web-1/hosts\t/etc/hosts\n", "10.244.2.7",
                        "10.244.2.0/24", "cbr0", "10.244.2.1", "veth1234abcd", 4242)
    assert [line.split("\t") for line in plan.splitlines()] == [
        ["hostname", "web-1"],
        ["bind", "/pods/web-1/hosts", "/etc/hosts"],
        ["veth", "eth0", "0a:58:0a:f4:02:07", "veth1234abcd", "4242"],
        ["plug", "veth1234abcd", "cbr0", "4242"],
        ["up", "lo"],
        ["addr", "eth0", "10.244.2.7/24"],
        ["up", "eth0"],
        ["route", "10.244.2.1", "eth0"],
        ["no-tx-checksum", "eth0"]]


def test_every_name_of_the_pod_follows_its_address_in_hosts():
    names = host_names("busybox-1", "sub", "default")
    files = pod_files("busybox-1", names, "10.244.1.9", "")
    assert files["hosts"].splitlines()[-1] == "10.244.1.9\t" + "\t".join(names)


def test_an_images_program_runs_what_kubemn_runs_for_it_with_its_arguments():
    assert program_script(["/usr/bin/python3", "-m", "services.apps.agnhost"]) == \
        '#!/bin/sh\nexec /usr/bin/python3 -m services.apps.agnhost "$@"\n'


MACHINE = {"/etc": "dir", "/etc/passwd": "file", "/usr": "dir"}
TOP_LEVEL = [("bin", "link", "usr/bin"), ("etc", "dir", None), ("usr", "dir", None),
             (".dockerenv", "file", None)]


def plan(mounts=(), programs=()):
    return [tuple(line.split("\t")) for line in mount_plan(
        "/pod", mounts, programs, kind_of=MACHINE.get, realpath=lambda p: p,
        top_level=TOP_LEVEL).splitlines()]


ETC = [("bind", "/pod/hostname", "/etc/hostname"), ("bind", "/pod/hosts", "/etc/hosts"),
       ("bind", "/pod/resolv.conf", "/etc/resolv.conf")]


def test_a_volume_at_a_path_the_machine_has_is_bound_there_with_no_root_of_the_pods_own():
    assert plan([Mount("conf", "/etc", read_only=True)]) == ETC + [
        ("bind", "/pod/volumes/conf", "/etc"), ("ro", "/etc")]


def test_an_images_program_gets_a_root_of_the_pods_own_holding_the_machines_entries():
    assert plan(programs=["/agnhost"]) == ETC + [
        ("dir", "/pod/root"), ("tmpfs", "/pod/root"),
        ("link", "usr/bin", "/pod/root/bin"),
        ("dir", "/pod/root/etc"), ("rbind", "/etc", "/pod/root/etc"),
        ("dir", "/pod/root/usr"), ("rbind", "/usr", "/pod/root/usr"),
        ("file", "/pod/root/.dockerenv"), ("bind", "/.dockerenv", "/pod/root/.dockerenv"),
        ("file", "/pod/root/agnhost"), ("bind", "/pod/programs/agnhost", "/pod/root/agnhost"),
        ("rbind", "/pod/root", "/")]


def test_a_new_directory_below_etc_is_made_in_an_overlay_that_keeps_the_pods_etc_files():
    steps = plan([Mount("conf", "/etc/config")])
    assert ("overlay", "/etc", "/pod/overlays/0/upper", "/pod/overlays/0/work",
            "/pod/root/etc") in steps
    made = steps.index(("dir", "/pod/root/etc/config"))
    assert steps[made + 1] == ("bind", "/pod/volumes/conf", "/pod/root/etc/config")
    assert steps[-4:-1] == [(op, source, "/pod/root" + path) for op, source, path in ETC]


def test_a_path_with_a_tab_is_refused_in_one_line():
    with pytest.raises(MountError, match="a path with a tab or a line break"):
        plan([Mount("conf", "/etc/a\tb")])
