"""The flow log inside one pod: the connections its containers make to each other
over its loopback never leave its network namespace, so no node sees them. A pod's
namespace tracks connections only once a rule there asks for it: watching inside a
pod loads a table of kubemn's into it (one rule that asks for new connections'
events, as a node's table does; it accepts everything and goes with the namespace)
and listens to that namespace's ctnetlink. Only its own connections to itself are
logged from there (those through eth0 its node logs)."""
import socket
import subprocess

from topo.errors import KubemnError
from topo.observe import conntrack_messages
from topo.observe.netlink import NETLINK_NETFILTER
from topo.plan.node_datapath import CONNTRACK_EVENTS
from topo.runtime.netns import network_namespace_of

TABLE = """table inet kubemn-observe {
    chain output {
        type filter hook output priority filter; policy accept;
        ct state new ct event set %s
    }
}
""" % CONNTRACK_EVENTS
RECEIVE_BUFFER = 1 << 20


def to_itself(event, pod_ip):
    """Whether the connection stays inside the pod (pure): to its loopback, or from
    its address to its address."""
    original = event.original
    return original.dst.startswith("127.") or original.src == original.dst == pod_ip


def listen_inside(pid):
    """A ctnetlink socket of the pod's network namespace, where connections are now
    tracked (pid: its pause process)."""
    with network_namespace_of(pid):   # the socket, the sysctl and nft's child: the pod's
        sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
        try:
            with open(conntrack_messages.ACCOUNTING, "w") as sysctl:
                sysctl.write("1")
            loaded = subprocess.run(["nft", "-f", "-"], input=TABLE, text=True,
                                    capture_output=True, timeout=10)
            if loaded.returncode != 0:
                raise KubemnError("watching inside the pod: nft: %s"
                                  % loaded.stderr.strip().splitlines()[-1:])
        except (OSError, KubemnError):
            sock.close()
            raise
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
    sock.bind((0, conntrack_messages.GROUPS))
    sock.setblocking(False)
    return sock
