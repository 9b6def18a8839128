"""Which Open vSwitch may take the null binding, and the environment that points
ovs-* commands at a run's own instance (topo/runtime/vswitch.py)."""
import os

import pytest

from topo.errors import KubemnError
from topo.runtime import vswitch


@pytest.mark.parametrize("version, safe", [
    ((3, 1, 0), False), ((3, 1, 2), False), ((3, 1, 3), True), ((3, 2, 0), False),
    ((3, 2, 2), False), ((3, 2, 3), True), ((3, 3, 0), True), ((3, 5, 0), True),
    ((2, 17, 9), False)])
def test_linux_nat_only_where_conntrack_has_the_fix(version, safe):
    assert vswitch.nats_as_linux(version) is safe


def test_the_version_is_read_from_what_ovs_vswitchd_prints():
    assert vswitch.parse_version("ovs-vswitchd (Open vSwitch) 3.5.0\nDPDK 24.11\n") == (3, 5, 0)
    with pytest.raises(KubemnError, match="version"):
        vswitch.parse_version("ovs-vswitchd: command not found")


def test_every_directory_variable_names_the_instance(monkeypatch):
    monkeypatch.setenv(vswitch.CHOICE_VARIABLE, "system")
    found = vswitch.environment("/run/kubemn/abc/ovs", path="/usr/bin")
    assert {found[name] for name in vswitch.DIRECTORY_VARIABLES} == {"/run/kubemn/abc/ovs"}
    assert found["PATH"] == "/usr/bin"   # the system's binaries: the PATH as it was
    assert vswitch.environment("/d", path=vswitch.BUILD_BIN + ":/usr/bin")["PATH"] == \
        "/usr/bin"   # without the build's commands, even where a shell had put them


def test_the_builds_commands_come_first_on_the_path_once(monkeypatch):
    monkeypatch.delenv(vswitch.CHOICE_VARIABLE, raising=False)
    monkeypatch.setattr(vswitch, "build_present", lambda: True)
    path = vswitch.environment("/d", path="/usr/bin")["PATH"]
    assert path.split(os.pathsep) == [vswitch.BUILD_BIN, "/usr/bin"]
    assert vswitch.environment("/d", path=path)["PATH"] == path


def test_a_shell_gets_the_instance_and_the_builds_commands_first():
    exports = vswitch.shell_exports("/run/kubemn/abc/ovs", own=True).splitlines()
    assert "export OVS_RUNDIR=/run/kubemn/abc/ovs" in exports
    assert exports[-1] == 'export PATH=%s:"$PATH"' % vswitch.BUILD_BIN
    assert not any(line.startswith("export PATH=")
                   for line in vswitch.shell_exports("/d", own=False).splitlines())
