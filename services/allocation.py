"""ClusterIPs and NodePorts (pure): honoured when a manifest gives them, otherwise
allocated, as the API server does. What is taken is read from the Services stored
(from_services), so the allocation is repaired from the store by construction.

The Service CIDR's first host (10.96.0.1, Kubernetes' own `kubernetes` Service) and
the cluster DNS address (10.96.0.10) are never handed out automatically.
"""
import ipaddress

from topo.plan.model import ref


def _number(dotted):
    a, b, c, d = (int(part) for part in dotted.split("."))
    return a << 24 | b << 16 | c << 8 | d


def _dotted(number):
    return "%d.%d.%d.%d" % (number >> 24, (number >> 16) & 255, (number >> 8) & 255,
                            number & 255)


class AllocationError(Exception):
    """A Service's addresses or ports cannot be had (kubemn reports it as its own
    one-line error: topo/objects.py)."""


NODE_PORT_RANGE = range(30000, 32768)
DNS_HOST_INDEX = 10


class ServiceAllocator:
    def __init__(self, service_cidr, load_balancer_cidr="198.51.100.0/24"):
        self.network = ipaddress.IPv4Network(service_cidr)
        self.lb_network = ipaddress.IPv4Network(load_balancer_cidr)
        self.lb_ips = {}        # service name -> LoadBalancer address
        hosts = self.network.hosts()
        self.reserved = {str(next(hosts)), str(self.network.network_address + DNS_HOST_INDEX)}
        self.cluster_ips = {}   # service name -> ip
        self.ip_owners = {}     # ip -> service name: cluster_ips the other way round
        self.taken = {_number(a) for a in self.reserved}   # as numbers, the reserved too
        self.node_ports = {}    # service name -> {(port, protocol): node port}
        self.cursor = 0

    @classmethod
    def from_services(cls, service_cidr, load_balancer_cidr, services):
        """An allocator that knows what the stored Services (API objects) hold."""
        allocator = cls(service_cidr, load_balancer_cidr)
        for obj in services:
            allocator.record(obj)
        return allocator

    def copy(self):
        """An allocator that holds what this one does, to allocate from without
        changing this one."""
        twin = ServiceAllocator.__new__(ServiceAllocator)
        twin.__dict__.update(self.__dict__)
        twin.cluster_ips, twin.lb_ips = dict(self.cluster_ips), dict(self.lb_ips)
        twin.ip_owners, twin.taken = dict(self.ip_owners), set(self.taken)
        twin.node_ports = dict(self.node_ports)
        return twin

    def record(self, obj):
        """What a stored Service (an API object) holds is taken."""
        metadata, spec = obj["metadata"], obj["spec"]
        key = ref(metadata["namespace"], metadata["name"])
        ip = spec.get("clusterIP")
        self._set_ip(key, ip if ip not in (None, "", "None") else None)
        self.node_ports[key] = {(p["port"], p.get("protocol", "TCP")): p["nodePort"]
                                for p in spec.get("ports", ()) if p.get("nodePort")}
        ingress = obj.get("status", {}).get("loadBalancer", {}).get("ingress") or ()
        if ingress and spec.get("type") == "LoadBalancer":
            self.lb_ips[key] = ingress[0]["ip"]
        else:
            self.lb_ips.pop(key, None)

    def check(self, service):
        """Raises AllocationError if the Service's requested addresses cannot be had."""
        requested = service.cluster_ip
        if requested not in (None, "None"):
            if ipaddress.IPv4Address(requested) not in self.network:
                raise AllocationError("service %s: clusterIP %s is outside the service CIDR %s"
                                  % (service.ref, requested, self.network))
            owner = self._owner_of_ip(requested)
            if owner not in (None, service.ref):
                raise AllocationError("service %s: clusterIP %s is already allocated to %s"
                                  % (service.ref, requested, owner))
            if owner is None and requested == str(self.network.network_address):
                raise AllocationError("service %s: clusterIP %s is the network address"
                                  % (service.ref, requested))
        if service.load_balancer_ip is not None:
            if ipaddress.IPv4Address(service.load_balancer_ip) not in self.lb_network:
                raise AllocationError("service %s: loadBalancerIP %s is outside the load balancer "
                                  "CIDR %s" % (service.ref, service.load_balancer_ip,
                                               self.lb_network))
            owner = next((n for n, a in self.lb_ips.items() if a == service.load_balancer_ip),
                         None)
            if owner not in (None, service.ref):
                raise AllocationError("service %s: loadBalancerIP %s is already allocated to %s"
                                  % (service.ref, service.load_balancer_ip, owner))
        for port in service.ports:
            if port.node_port is not None:
                owner = self._owner_of_node_port(port.node_port, port.protocol)
                if owner not in (None, service.ref):
                    raise AllocationError("service %s: nodePort %d/%s is already allocated to %s"
                                      % (service.ref, port.node_port, port.protocol, owner))

    def allocate(self, service):
        """(cluster IP or None for headless, {(port, protocol): node port})."""
        self.check(service)
        if service.cluster_ip == "None" or service.type == "ExternalName":
            ip = None
        elif service.cluster_ip is not None:
            ip = service.cluster_ip
        elif service.ref in self.cluster_ips and self.cluster_ips[service.ref]:
            ip = self.cluster_ips[service.ref]
        else:
            ip = self._next_ip()
        self._set_ip(service.ref, ip)
        old = self.node_ports.get(service.ref, {})
        ports = {}
        if service.type in ("NodePort", "LoadBalancer"):
            for port in service.ports:
                key = (port.port, port.protocol)
                ports[key] = port.node_port or old.get(key) or self._next_node_port(
                    port.protocol, ports)
        self.node_ports[service.ref] = ports
        if service.type == "LoadBalancer":
            self.lb_ips[service.ref] = (service.load_balancer_ip or self.lb_ips.get(service.ref)
                                         or self._next_lb_ip())
        else:
            self.lb_ips.pop(service.ref, None)
        return ip, ports

    def release(self, name):
        self._set_ip(name, None)
        del self.cluster_ips[name]
        self.node_ports.pop(name, None)
        self.lb_ips.pop(name, None)

    def _next_lb_ip(self):
        used = set(self.lb_ips.values())
        for address in self.lb_network.hosts():
            if str(address) not in used:
                return str(address)
        raise AllocationError("the load balancer CIDR %s is full" % self.lb_network)

    def _owner_of_ip(self, ip):
        return self.ip_owners.get(ip)

    def _set_ip(self, name, ip):
        old = self.cluster_ips.get(name)
        if old is not None and self.ip_owners.get(old) == name:
            del self.ip_owners[old]
            if old not in self.reserved:
                self.taken.discard(_number(old))
        self.cluster_ips[name] = ip
        if ip is not None:
            self.ip_owners[ip] = name
            self.taken.add(_number(ip))

    def _owner_of_node_port(self, number, protocol):
        return next((n for n, ports in self.node_ports.items()
                     for (_, proto), p in ports.items() if p == number and proto == protocol),
                    None)

    def _next_ip(self):
        size = self.network.num_addresses - 2
        first = int(self.network.network_address) + 1
        for step in range(size):
            candidate = first + (self.cursor + step) % size
            if candidate not in self.taken:
                self.cursor = (self.cursor + step + 1) % size
                return _dotted(candidate)
        raise AllocationError("the service CIDR %s is full" % self.network)

    def _next_node_port(self, protocol, pending):
        taken = {p for ports in self.node_ports.values() for (_, proto), p in ports.items()
                 if proto == protocol}
        taken |= {p for (_, proto), p in pending.items() if proto == protocol}
        for number in NODE_PORT_RANGE:
            if number not in taken:
                return number
        raise AllocationError("no free NodePort left in %d-%d"
                          % (NODE_PORT_RANGE.start, NODE_PORT_RANGE.stop - 1))
