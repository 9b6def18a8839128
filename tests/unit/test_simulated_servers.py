"""The simulated servers' plan: names, addresses, and the texts sshd and ssh read."""
import pytest

from topo.plan import simulated_servers as plan


def test_count_includes_the_head():
    lan = plan.plan_lan(3)
    assert lan.names == ("head", "server2", "server3")
    assert lan.head_address == "198.18.0.1"
    assert [s.address for s in lan.servers] == ["198.18.0.2", "198.18.0.3"]
    assert all(s.link.startswith(plan.SERVERS_PREFIX) for s in lan.servers)
    assert lan.head_link.startswith(plan.SERVERS_PREFIX)


@pytest.mark.parametrize("count", [1, 0, plan.MOST + 1])
def test_count_is_bounded(count):
    with pytest.raises(ValueError, match="expected 2-"):
        plan.plan_lan(count)


def test_a_route_into_the_lan_is_a_clash_and_others_are_not():
    routes = ("default via 192.0.2.1 dev eth0\n"
              "192.0.2.0/24 dev eth0 proto kernel scope link src 192.0.2.2\n"
              "198.18.0.0/15 dev tun0 scope link\n")
    assert plan.overlapping_routes("198.18.0.0/24", routes) == [
        "198.18.0.0/15 dev tun0 scope link"]
    assert plan.overlapping_routes("198.18.0.0/24", routes.splitlines()[1]) == []


def test_the_machine_prefix_is_not_the_clusters():
    # cleanup tells the servers from a cluster run's leftovers by it
    from topo.plan.naming import PREFIX
    assert not plan.SERVERS_PREFIX.startswith(PREFIX)
    assert not PREFIX.startswith(plan.SERVERS_PREFIX)


def test_start_script_hides_tmp_and_run_and_carries_over_what_servers_need():
    script = plan.start_script("server2", "/run/kubemn-servers/server2", "/tmp/ci")
    lines = script.splitlines()
    order = [lines.index(line) for line in (
        "mount --bind /run/kubemn-servers/server2 /run/kubemn-servers/server2",
        "mount --bind /tmp/ci /run/kubemn-servers/server2/kubemn",
        "mount -t tmpfs -o mode=1777 kubemn-server /tmp",
        "mount --move /run/kubemn-servers/server2 /tmp/kubemn-stash",
        "mount -t tmpfs -o mode=755 kubemn-server /run",
        "mount --move /tmp/kubemn-stash %s" % plan.SERVER_MOUNT,
        "mount --move %s/kubemn /tmp/ci" % plan.SERVER_MOUNT,
        "mount -t proc proc /proc")]
    assert order == sorted(order)
    assert lines[-1].startswith("exec /usr/sbin/sshd -D") and "hostname server2" in lines
    seen_as_it_is = plan.start_script("server2", "/run/x", "/work/main")
    assert "/work/main" not in seen_as_it_is
    assert plan.hidden("/tmp/ci") and plan.hidden("/run") and not plan.hidden("/tmpfoo")


def test_ssh_config_names_each_server_by_name_and_address():
    lan = plan.plan_lan(3)
    text = plan.ssh_config(lan, "/k", "/known", "/control")
    assert "Host server2 198.18.0.2\n    HostName 198.18.0.2" in text
    assert "StrictHostKeyChecking yes" in text and "IdentityFile /k" in text
    known = plan.known_hosts(lan, {"server2": "ssh-ed25519 AAAA server2\n",
                                   "server3": "ssh-ed25519 BBBB server3\n"})
    assert known == ("server2,198.18.0.2 ssh-ed25519 AAAA\n"
                     "server3,198.18.0.3 ssh-ed25519 BBBB\n")
