"""kubemn's conntrack zones in Open vSwitch: their numbers and their timeouts.

A closed connection stays in conntrack for 30 s by default. A client that opens
thousands of connections a second to a backend, directly and through a Service,
then finds the reply tuple a new Service connection needs held by a closed direct
one, and the userspace datapath searches for another source port, and sometimes
gives up and leaves the SYN un-NATed (it is dropped). A zone timeout policy (a
Datapath record "netdev" with CT_Zone rows, as `ovs-vsctl add-zone-tp` makes)
shortens the closing states in kubemn's zones to 1 s; established connections keep
their default. The datapath reads the policies when they change, not when it is
created: they are installed once the first bridge exists. They live as long as
the run; the Datapath record is removed only if kubemn made it
(external_ids:kubemn).

Standard library only: `make clean` uses it before the virtual environment exists.
"""
import subprocess

# As controllers/tables.py (ZONE_SERVICE, ZONE_SNAT); repeated so that this module
# needs nothing beyond the standard library.
ZONES = (0x4B01, 0x4B02)
DATAPATH = "netdev"
CLOSING_TIMEOUTS = ("tcp_fin_wait=1", "tcp_close_wait=1", "tcp_last_ack=1",
                    "tcp_time_wait=1", "tcp_close=1")


def _vsctl(*args):
    return subprocess.run(["ovs-vsctl", "--timeout=5"] + list(args), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=15)


def _datapath_record():
    """The uuid of the Datapath record for DATAPATH, or None."""
    answer = _vsctl("get", "Open_vSwitch", ".", "datapaths:%s" % DATAPATH)
    return answer.stdout.strip() if answer.returncode == 0 and answer.stdout.strip() else None


def policies():
    """kubemn's zones that have a timeout policy now."""
    listed = _vsctl("list-zone-tp", DATAPATH).stdout
    return [zone for zone in ZONES if "Zone:%d," % zone in listed]


def install():
    if _datapath_record() is None:
        _vsctl("--", "--id=@dp", "create", "Datapath", "datapath_version=0",
               "external_ids:kubemn=yes", "--", "set", "Open_vSwitch", ".",
               "datapaths:%s=@dp" % DATAPATH)
    for zone in ZONES:
        _vsctl("--may-exist", "add-zone-tp", DATAPATH, "zone=%d" % zone, *CLOSING_TIMEOUTS)


def remove():
    """Removes kubemn's policies, and the Datapath record if kubemn made it and no
    other zone is left in it."""
    for zone in policies():
        _vsctl("del-zone-tp", DATAPATH, "zone=%d" % zone)
    record = _datapath_record()
    if record is None:
        return
    ours = "kubemn" in _vsctl("get", "Datapath", record, "external_ids").stdout
    if ours and not _vsctl("list-zone-tp", DATAPATH).stdout.strip():
        _vsctl("remove", "Open_vSwitch", ".", "datapaths", DATAPATH)


def flush():
    """Removes every conntrack entry of kubemn's zones."""
    for zone in ZONES:
        subprocess.run(["ovs-appctl", "dpctl/flush-conntrack", "zone=%d" % zone],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=10)
