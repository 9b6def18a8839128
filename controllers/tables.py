"""The OpenFlow pipeline of every fabric switch: tables, conntrack zones, registers,
marks and cookies, in one place.

  0  CLASSIFY   ARP and gateway pings -> controller; the internet host's packets to
                pod or Service addresses -> controller, which drops them and tells
                the flow log (outside, only NodePorts and LoadBalancer addresses
                are reachable); IPv4 from a node or the
                internet host (an edge port) -> UNSNAT; from another switch -> ROUTE
  5  UNSNAT     replies to the masquerade address or to a node's address:
                ct(zone SNAT, nat) -> CONNTRACK
 10  CONNTRACK  ct(zone SERVICE, nat): established Service traffic is (un)DNATed;
                a masqueraded connection's FIN or RST from the endpoint is also
                sent to CLOSING_SNAT (Open vSwitch 3.1.0 only, as below)
 20  SERVICE    new connections to a Service frontend (ClusterIP, NodePort,
                LoadBalancer IP): pick an endpoint (select group, or affinity);
                no endpoints: controller rejects; a FIN or RST from an endpoint is
                also sent to CLOSING_SERVICE (as below); other new connections are committed
                (with the null binding, ct(commit, nat(src)), where the switches'
                conntrack NATs as Linux's does: a reply tuple that a Service
                connection holds gets the new one another source port); everything
                else -> SNAT
 23  AFFINITY   learned flows: client, frontend -> endpoint, for sessionAffinity
 22  DNAT       per endpoint: ct(commit, zone SERVICE, nat(dst=endpoint)) -> SNAT
 24  CLOSING_SERVICE, 26 CLOSING_SNAT
                only where the switches' conntrack does not NAT as Linux's does
                (Open vSwitch 3.1.0, the system's fallback): a copy of a Service
                connection's FIN or RST from the endpoint's side to the closing
                channel, which flushes the connection from that zone a moment later
                (controllers/closing.py says why)
 25  SNAT       ct(commit, zone SNAT, nat(src)) -> ROUTE for the connections whose
                source kube-proxy rewrites: a pod reaching itself through its
                Service gets the masquerade address; external traffic to a
                Cluster-policy NodePort gets the address of the node it entered, to a
                Cluster-policy LoadBalancer or external IP the address of the
                endpoint's node. Every other Service connection keeps its source.
 30  ROUTE      by MAC to a node, or by PodCIDR: dec TTL, MACs rewritten, out
"""
CLASSIFY, UNSNAT, CONNTRACK, SERVICE, DNAT, AFFINITY, SNAT, ROUTE = 0, 5, 10, 20, 22, 23, 25, 30
CLOSING_SERVICE, CLOSING_SNAT = 24, 26

# kubemn's conntrack zones carry its mark ("K" = 0x4B) so that cleaning them up never
# touches another user of Open vSwitch's conntrack on the machine.
ZONE_SERVICE = 0x4B01
ZONE_SNAT = 0x4B02
ZONE_OF_CLOSING_TABLE = {CLOSING_SERVICE: ZONE_SERVICE, CLOSING_SNAT: ZONE_SNAT}
# The OpenFlow controller id of the closing channel's connections: what a switch sends
# with controller(id=CLOSING_CONTROLLER_ID) reaches them, and not Ryu (id 0).
CLOSING_CONTROLLER_ID = 0x4B

# ct_mark bits of connections committed in ZONE_SERVICE
MARK_SERVICE = 0x2      # a Service connection (DNATed)
MARK_MASQUERADE = 0x1   # its source becomes a node's address (external, Cluster policy)

# Registers
REG_ENDPOINT_IP = "reg0"
REG_ENDPOINT_PORT = "reg1"
REG_SERVICE_PORT = "reg2"   # the service port id: which frontend chose
REG_MASQUERADE = "reg3"     # 1: the frontend wants the source masqueraded
REG_VARIANT = "reg4"        # which group of the service port (0: all endpoints)
REG_ENTRY_NODE = "reg5"     # a NodePort's node address, its masquerade source (0: the
                            # endpoint's node, for LoadBalancer and external IPs)

# ct_state bits (Nicira)
CT_NEW, CT_EST, CT_REL, CT_RPL, CT_INV, CT_TRK = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20

# TCP flags that end a connection
TCP_FIN, TCP_RST = 0x01, 0x04

# Cookies: the top byte says whose flow it is. kubemn's own flows carry a hash of the
# flow below it (reconciling compares cookies only); flows that the switch learned
# for session affinity carry LEARNED_TAG and are left alone by reconciling.
COOKIE_TAG = 0x4B << 56
LEARNED_TAG = 0x4C << 56
TAG_MASK = 0xFF << 56

