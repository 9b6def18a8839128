/* The pod sandbox's network operations (pod_sandbox.c), each on its plan line's fields
 * (field[0] is the operation's name): 0, or -1 with errno. They speak rtnetlink to
 * the kernel, as `ip` does, in the network namespace of the process (the pod's, once
 * it has unshared it; plug's in the node's): a process and a netlink socket a pod
 * where `ip -batch` and `ethtool` cost two programs' start. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* A request: its header, its family's message and its attributes. */
struct request {
    struct nlmsghdr header;
    char body[1024];
};

static struct request *begin(struct request *request, int type, int flags)
{
    memset(request, 0, sizeof *request);
    request->header.nlmsg_len = NLMSG_LENGTH(0);
    request->header.nlmsg_type = type;
    request->header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    return request;
}

/* Appends length bytes of data, aligned; NULL (errno EMSGSIZE) when they do not fit. */
static void *append(struct request *request, const void *data, size_t length)
{
    size_t at = NLMSG_ALIGN(request->header.nlmsg_len);
    if (at + NLMSG_ALIGN(length) > sizeof *request) {
        errno = EMSGSIZE;
        return NULL;
    }
    char *place = (char *) request + at;
    memcpy(place, data, length);
    request->header.nlmsg_len = at + NLMSG_ALIGN(length);
    return place;
}

/* An attribute; with no data (length 0), a nest to close with end_nest. */
static struct rtattr *attribute(struct request *request, int type, const void *data,
                                size_t length)
{
    struct rtattr head = { .rta_len = RTA_LENGTH(length), .rta_type = type };
    struct rtattr *placed = append(request, &head, sizeof head);
    if (placed && length && !append(request, data, length))
        return NULL;
    return placed;
}

static int string_attribute(struct request *request, int type, const char *text)
{
    return attribute(request, type, text, strlen(text) + 1) ? 0 : -1;
}

static void end_nest(struct request *request, struct rtattr *nest)
{
    nest->rta_len = (char *) request + request->header.nlmsg_len - (char *) nest;
}

static int netlink_channel(void)
{
    return socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
}

/* Sends the request over the channel (a netlink socket, of the network namespace it
 * was opened in) and reads the kernel's answer to it: 0, or -1 with its errno. */
static int talk_over(int channel, struct request *request)
{
    static unsigned sequence;
    request->header.nlmsg_seq = ++sequence;
    struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
    if (sendto(channel, request, request->header.nlmsg_len, 0,
               (struct sockaddr *) &kernel, sizeof kernel) < 0)
        return -1;
    for (;;) {
        char answer[8192];
        ssize_t length = recv(channel, answer, sizeof answer, 0);
        if (length < 0 && errno == EINTR)
            continue;
        if (length < 0)
            return -1;
        for (struct nlmsghdr *message = (struct nlmsghdr *) answer; NLMSG_OK(message, length);
             message = NLMSG_NEXT(message, length)) {
            if (message->nlmsg_seq != sequence || message->nlmsg_type != NLMSG_ERROR)
                continue;
            int error = ((struct nlmsgerr *) NLMSG_DATA(message))->error;
            errno = -error;
            return error ? -1 : 0;
        }
    }
}

/* talk_over the process's own network namespace's channel (opened once) */
static int talk(struct request *request)
{
    static int channel = -1;
    if (channel < 0 && (channel = netlink_channel()) < 0)
        return -1;
    return talk_over(channel, request);
}

static int device_index(const char *name)
{
    unsigned index = if_nametoindex(name);
    return index ? (int) index : -1;
}

static int parse_mac(const char *text, unsigned char mac[6])
{
    char end;
    if (sscanf(text, "%2hhx:%2hhx:%2hhx:%2hhx:%2hhx:%2hhx%c", &mac[0], &mac[1], &mac[2],
               &mac[3], &mac[4], &mac[5], &end) != 6) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

/* veth NAME MAC PEER PID: a veth pair, NAME here with address MAC, PEER in the network
 * namespace of process PID (the node's) */
static int make_veth(char **field)
{
    struct request request;
    struct ifinfomsg link = { .ifi_family = AF_UNSPEC };
    unsigned char mac[6];
    char *end;
    unsigned long pid = strtoul(field[4], &end, 10);
    if (parse_mac(field[2], mac))
        return -1;
    if (*end || !*field[4]) {
        errno = EINVAL;
        return -1;
    }
    uint32_t peer_pid = pid;
    begin(&request, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    struct rtattr *info, *data, *peer;
    if (!append(&request, &link, sizeof link)
        || string_attribute(&request, IFLA_IFNAME, field[1])
        || !attribute(&request, IFLA_ADDRESS, mac, sizeof mac)
        || !(info = attribute(&request, IFLA_LINKINFO, NULL, 0))
        || string_attribute(&request, IFLA_INFO_KIND, "veth")
        || !(data = attribute(&request, IFLA_INFO_DATA, NULL, 0))
        || !(peer = attribute(&request, VETH_INFO_PEER, NULL, 0))
        || !append(&request, &link, sizeof link)
        || string_attribute(&request, IFLA_IFNAME, field[3])
        || !attribute(&request, IFLA_NET_NS_PID, &peer_pid, sizeof peer_pid))
        return -1;
    end_nest(&request, peer);
    end_nest(&request, data);
    end_nest(&request, info);
    return talk(&request);
}

/* What plug asks of the node's namespace: the two devices' indexes there and a
 * netlink channel of it, from a moment in it (setns), then back in the pod's. */
struct node_side {
    int device, bridge, channel;
};

static int visit_node(unsigned long pid, const char *device, const char *bridge,
                      struct node_side *node)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%lu/ns/net", pid);
    int there = open(path, O_RDONLY | O_CLOEXEC);
    int here = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    int done = -1, error = 0;
    if (there >= 0 && here >= 0 && !setns(there, CLONE_NEWNET)) {
        node->device = device_index(device);
        error = errno;
        if (node->device >= 0 && (node->bridge = device_index(bridge)) < 0)
            error = errno;
        if (node->device >= 0 && node->bridge >= 0) {
            node->channel = netlink_channel();
            error = errno;
            done = node->channel < 0 ? -1 : 0;
        }
        if (setns(here, CLONE_NEWNET)) {   /* the plan's next steps are the pod's */
            perror("pod sandbox: back from the node's network namespace");
            _exit(1);
        }
    } else {
        error = errno;
    }
    if (there >= 0)
        close(there);
    if (here >= 0)
        close(here);
    errno = error;
    return done;
}

/* plug DEVICE BRIDGE PID: DEVICE, in the network namespace of process PID (the
 * node's, where veth put the pair's other end), a port of BRIDGE there, up (`ip link
 * set DEVICE master BRIDGE up` in the node) */
static int plug(char **field)
{
    char *end;
    unsigned long pid = strtoul(field[3], &end, 10);
    if (*end || !*field[3]) {
        errno = EINVAL;
        return -1;
    }
    struct node_side node;
    if (visit_node(pid, field[1], field[2], &node))
        return -1;
    struct request request;
    struct ifinfomsg link = { .ifi_family = AF_UNSPEC, .ifi_index = node.device,
                              .ifi_flags = IFF_UP, .ifi_change = IFF_UP };
    uint32_t master = node.bridge;
    begin(&request, RTM_NEWLINK, 0);
    int done = append(&request, &link, sizeof link)
        && attribute(&request, IFLA_MASTER, &master, sizeof master)
        ? talk_over(node.channel, &request) : -1;
    int error = errno;
    close(node.channel);
    errno = error;
    return done;
}

/* up DEVICE: the device up */
static int set_up(char **field)
{
    struct request request;
    struct ifinfomsg link = { .ifi_family = AF_UNSPEC, .ifi_flags = IFF_UP,
                              .ifi_change = IFF_UP };
    if ((link.ifi_index = device_index(field[1])) < 0)
        return -1;
    begin(&request, RTM_NEWLINK, 0);
    return append(&request, &link, sizeof link) ? talk(&request) : -1;
}

static int parse_ipv4(const char *text, struct in_addr *address)
{
    if (inet_pton(AF_INET, text, address) != 1) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

/* addr DEVICE ADDRESS/PREFIX: an IPv4 address on the device */
static int add_address(char **field)
{
    struct request request;
    struct ifaddrmsg address = { .ifa_family = AF_INET, .ifa_scope = RT_SCOPE_UNIVERSE };
    struct in_addr ip;
    char *slash = strchr(field[2], '/'), *end;
    if (!slash) {
        errno = EINVAL;
        return -1;
    }
    *slash = '\0';
    unsigned long prefix = strtoul(slash + 1, &end, 10);
    int parsed = parse_ipv4(field[2], &ip);
    *slash = '/';
    if (parsed)
        return -1;
    if (*end || end == slash + 1 || prefix > 32) {
        errno = EINVAL;
        return -1;
    }
    int index = device_index(field[1]);
    if (index < 0)
        return -1;
    address.ifa_prefixlen = prefix;
    address.ifa_index = index;
    begin(&request, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
    if (!append(&request, &address, sizeof address)
        || !attribute(&request, IFA_LOCAL, &ip, sizeof ip)
        || !attribute(&request, IFA_ADDRESS, &ip, sizeof ip))
        return -1;
    return talk(&request);
}

/* route GATEWAY DEVICE: the default route, via GATEWAY on the device */
static int add_default_route(char **field)
{
    struct request request;
    struct rtmsg route = { .rtm_family = AF_INET, .rtm_table = RT_TABLE_MAIN,
                           .rtm_protocol = RTPROT_BOOT, .rtm_scope = RT_SCOPE_UNIVERSE,
                           .rtm_type = RTN_UNICAST };
    struct in_addr gateway;
    if (parse_ipv4(field[1], &gateway))
        return -1;
    int index = device_index(field[2]);
    if (index < 0)
        return -1;
    uint32_t device = index;
    begin(&request, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
    if (!append(&request, &route, sizeof route)
        || !attribute(&request, RTA_GATEWAY, &gateway, sizeof gateway)
        || !attribute(&request, RTA_OIF, &device, sizeof device))
        return -1;
    return talk(&request);
}

/* no-tx-checksum DEVICE: the device sends packets with their checksums filled in (as
 * `ethtool -K DEVICE tx off`), so that captures in the pod show them right */
static int no_tx_checksum(char **field)
{
    struct ethtool_value value = { .cmd = ETHTOOL_STXCSUM, .data = 0 };
    struct ifreq device;
    memset(&device, 0, sizeof device);
    if (strlen(field[1]) >= sizeof device.ifr_name) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(device.ifr_name, field[1]);
    device.ifr_data = (void *) &value;
    int channel = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (channel < 0)
        return -1;
    int done = ioctl(channel, SIOCETHTOOL, &device);
    int error = errno;
    close(channel);
    errno = error;
    return done;
}
