"""kubemn's pod sandbox (topo/runtime/native/pod_sandbox.c) making a pod from its plan
(topo/kubelet/pod_files.sandbox_plan) in new namespaces of its own: its hostname, its
eth0 paired with a veth on its node's bridge, addressed and routed, real
packets between the two; then it becomes the program it was given. A node here is a
process in a network namespace of its own (as Mininet's host is)."""
import shutil
import subprocess

import pytest

from topo.kubelet.pod import POD_SANDBOX
from topo.kubelet.pod_files import POD_ETC_FILES, mount_plan, sandbox_plan
from topo.runtime.processes import wait_until

NODE_VETH = "kmtest0veth"
NODE_BRIDGE = "kmtest0br"
SHELL = shutil.which("sh")


@pytest.fixture
def node():
    """A node's network namespace with its bridge, 10.244.9.1/24, up."""
    holder = subprocess.Popen(["unshare", "--net", "--", "sh", "-c",
                               "ip link add {0} type bridge && ip addr add 10.244.9.1/24 "
                               "dev {0} && ip link set {0} up && exec sleep 60"
                               .format(NODE_BRIDGE)])
    # Until its bridge is up, the holder is not yet the node.
    assert wait_until(lambda: open("/proc/%d/cmdline" % holder.pid).read().startswith(
        "sleep"), 5)
    yield holder.pid
    holder.kill()
    holder.wait()


@pytest.fixture
def pod_dir(tmp_path):
    for name in POD_ETC_FILES:
        (tmp_path / name).write_text("web-1\n" if name == "hostname" else "")
    return tmp_path


def run_sandbox(pod_dir, plan, script, name="kubemn-pause web-1"):
    """Runs the sandbox on plan; in it, `sh -c script` under name."""
    (pod_dir / "sandbox").write_text(plan)
    return subprocess.run([POD_SANDBOX, str(pod_dir / "sandbox"), SHELL, name, "-c", script],
                          capture_output=True, text=True, timeout=20)


def web_plan(pod_dir, node_pid):
    return sandbox_plan("web-1", mount_plan(str(pod_dir)), "10.244.9.7", "10.244.9.0/24",
                        NODE_BRIDGE, "10.244.9.1", NODE_VETH, node_pid)


def test_a_sandbox_is_named_plugged_into_its_nodes_bridge_and_reaches_its_node(pod_dir,
                                                                              node):
    in_node = "nsenter -t %d -n ip" % node
    done = run_sandbox(pod_dir, web_plan(pod_dir, node), """
        hostname; cat /etc/hostname; tr '\\0' '\\n' < /proc/$$/cmdline | head -n 1
        ip -o -4 addr show dev eth0 | awk '{{print $4}}'
        ip -br link show dev eth0 | awk '{{print $3}}'
        {in_node} -o link show master {bridge} up | awk '{{print $2}}'
        ip route show default
        ping -c 1 -W 5 10.244.9.1 > /dev/null && echo pinged
        """.format(in_node=in_node, bridge=NODE_BRIDGE))
    assert done.stdout.splitlines() == [
        "web-1", "web-1", "kubemn-pause web-1", "10.244.9.7/24",
        "0a:58:0a:f4:09:07", NODE_VETH + "@if2:", "default via 10.244.9.1 dev eth0 ",
        "pinged"], done.stderr


def test_a_sandbox_sends_its_checksums_filled_in(pod_dir, node):
    done = run_sandbox(pod_dir, web_plan(pod_dir, node),
                       "ethtool -k eth0 | grep '^tx-checksumming'")
    assert done.stdout == "tx-checksumming: off\n", done.stderr


@pytest.mark.parametrize("line, error", [
    ("veth\teth0\t0a:58:0a:f4:09:07\t%s\t999999999" % NODE_VETH,
     "pod sandbox: veth 999999999: No such process"),
    ("plug\t%s\tcbr0\t999999999" % NODE_VETH,
     "pod sandbox: plug 999999999: No such file or directory"),
    ("route\t10.244.9.1\teth7", "pod sandbox: route eth7: No such device"),
    ("addr\teth0\t10.244.9.7/33", "pod sandbox: addr 10.244.9.7/33: Invalid argument"),
    ("mount\t/tmp", "pod sandbox: mount /tmp: Invalid argument"),
])
def test_a_failing_step_ends_the_sandbox_in_one_line_before_its_program(pod_dir, line, error):
    done = run_sandbox(pod_dir, "hostname\tweb-1\n%s\nup\tlo\n" % line, "echo ran")
    assert (done.returncode, done.stdout, done.stderr) == (1, "", error + "\n")


def test_the_machine_keeps_its_own_hostname(pod_dir, node):
    run_sandbox(pod_dir, web_plan(pod_dir, node), "true")
    assert subprocess.run(["hostname"], capture_output=True, text=True).stdout != "web-1\n"
