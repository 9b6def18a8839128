"""The files a pod's sandbox is made from (topo/kubelet/pod_files.py)."""
from topo.kubelet.pod_files import host_names, pod_files, program_script


def test_a_pod_without_a_subdomain_is_known_by_its_hostname_only():
    assert host_names("web-1", None, "default") == ["web-1"]


def test_a_subdomain_puts_the_fqdn_first_as_the_kubelet_does():
    assert host_names("busybox-1", "busybox-subdomain", "my-ns") == [
        "busybox-1.busybox-subdomain.my-ns.svc.cluster.local", "busybox-1"]


def test_the_files_name_the_pod_and_plug_it_into_its_node():
    files = pod_files("web-1", ["web-1"], "10.244.2.7", "nameserver 10.96.0.10\n",
                      "10.244.2.0/24", "10.244.2.1", "veth1234abcd", 4242)
    assert files["hostname"] == "web-1\n"
    assert files["hosts"].splitlines()[-1] == "10.244.2.7\tweb-1"
    assert "127.0.0.1\tlocalhost" in files["hosts"]
    assert files["resolv.conf"] == "nameserver 10.96.0.10\n"
    assert files["network"].splitlines() == [
        "link add eth0 address 0a:58:0a:f4:02:07 type veth peer name veth1234abcd netns 4242",
        "link set lo up",
        "addr add 10.244.2.7/24 dev eth0",
        "link set eth0 up",
        "route add default via 10.244.2.1 dev eth0"]


def test_every_name_of_the_pod_follows_its_address_in_hosts():
    names = host_names("busybox-1", "sub", "default")
    files = pod_files("busybox-1", names, "10.244.1.9", "", "10.244.1.0/24", "10.244.1.1",
                      "veth0", 1)
    assert files["hosts"].splitlines()[-1] == "10.244.1.9\t" + "\t".join(names)


def test_an_images_program_runs_what_kubemn_runs_for_it_with_its_arguments():
    assert program_script(["/usr/bin/python3", "-m", "services.apps.agnhost"]) == \
        '#!/bin/sh\nexec /usr/bin/python3 -m services.apps.agnhost "$@"\n'
