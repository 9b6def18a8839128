"""Shared pytest set-up: integration tests need root and the real tools."""
import os
import shutil

import pytest

REQUIRED_TOOLS = ("ovs-vsctl", "mnexec", "ip", "nsenter", "unshare", "ethtool", "ping", "curl")


def pytest_collection_modifyitems(config, items):
    missing = [t for t in REQUIRED_TOOLS if shutil.which(t) is None]
    reason = None
    if os.geteuid() != 0:
        reason = "integration tests need root (real namespaces, Open vSwitch, Mininet)"
    elif missing:
        reason = "integration tests need: " + ", ".join(missing) + " (run `make test`)"
    if reason is None:
        return
    for item in items:
        if "integration" in item.nodeid.split("/"):
            item.add_marker(pytest.mark.skip(reason=reason))
