"""Where kubemn's runs keep their files: the file system a path is on, read from
/proc/mounts (topo/runtime/run_root.py)."""
from topo.runtime.run_root import file_system_type

MOUNTS = """/dev/vda / ext4 rw,relatime 0 0
proc /proc proc rw,nosuid 0 0
tmpfs /run tmpfs rw,nosuid,nodev,size=2400000k,mode=755 0 0
kubemn-run /run/kubemn tmpfs rw,relatime,size=2400000k,mode=755 0 0
/dev/vdb /srv/my\\040disk ext4 rw 0 0
"""


def test_a_path_is_on_its_longest_mount_point():
    assert file_system_type("/run/kubemn", MOUNTS) == "tmpfs"
    assert file_system_type("/run/kubemnx", MOUNTS) == "tmpfs"   # /run's, not ours
    assert file_system_type("/var/lib", MOUNTS) == "ext4"
    assert file_system_type("/srv/my disk/x", MOUNTS) == "ext4"


def test_a_run_directory_on_a_disk_root_is_not_in_memory():
    assert file_system_type("/run/kubemn", "/dev/vda / ext4 rw 0 0\n") == "ext4"
