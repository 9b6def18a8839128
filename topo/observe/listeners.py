"""A node's listeners for the flow log: its conntrack's events and its NetworkPolicy
table's drop log, read in its network namespace (by the collector on the head, or
by kubemn's agent on the node's server: remote_flows.py)."""
import os
import socket

from topo.observe import conntrack_messages, nflog_messages
from topo.observe.netlink import NETLINK_NETFILTER, error_of
from topo.policy.nft import DROP_LOG_GROUP
from topo.runtime.netns import network_namespace_of

RECEIVE_BUFFER = 4 << 20


def node_listeners(pid):
    """(ctnetlink socket, NFLOG socket) in the network namespace of process pid (a
    node's), bound to its conntrack's events and its policy table's drop log."""
    with network_namespace_of(pid):   # the sockets stay the node's
        conntrack = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
        nflog = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
        # A connection's packets and bytes, counted from now on (the thread's
        # network namespace is the node's: so are the sysctls it opens).
        with open(conntrack_messages.ACCOUNTING, "w") as sysctl:
            sysctl.write("1")
    try:
        conntrack.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
        conntrack.bind((0, conntrack_messages.GROUPS))
        nflog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
        nflog.bind((0, 0))
        for request in nflog_messages.bind_requests(DROP_LOG_GROUP):
            nflog.send(request)
            failure = error_of(nflog.recv(4096))
            if failure:
                raise OSError(failure, "binding NFLOG group %d: %s"
                              % (DROP_LOG_GROUP, os.strerror(failure)))
    except OSError:
        conntrack.close()
        nflog.close()
        raise
    return conntrack, nflog
