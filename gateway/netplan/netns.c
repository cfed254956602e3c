/*
 * netns.c - probe namespaces: a failover test's copy answers only on an
 * isolated network, so vmgw asks it from inside that network, never
 * through this host's routes (which may send the guest's address home).
 *
 * A probe namespace is an anonymous network namespace held by one file
 * descriptor, with one veth whose host end is a port of the isolated
 * bridge and whose inner end ("probe0") has one address in the guest's
 * subnet.  Nothing names it in /run/netns: when the descriptor closes (or
 * vmgwd dies) the kernel removes the namespace and both veth ends with it,
 * so a crash leaves nothing behind.  A worker thread runs the probe inside
 * it (setns is per thread) and comes back.  All of it blocks: workers only.
 */
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include <libmnl/libmnl.h>

#include "netplan.h"
#include "log.h"

#define NETNS_SELF	"/proc/thread-self/ns/net"
#define NETNS_INNER	"probe0"

/* One request and its ACK, in the calling thread's namespace. */
static int
ns_talk(struct nlmsghdr *nlh, const char *what, char *err, size_t errlen)
{
	struct mnl_socket	*nl;
	char			 buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned		 portid, seq = (unsigned)time(NULL);
	int			 r, ret = -1;

	nlh->nlmsg_seq = seq;
	nlh->nlmsg_flags |= NLM_F_ACK;
	if ((nl = mnl_socket_open(NETLINK_ROUTE)) == NULL ||
	    mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == -1 ||
	    mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) == -1 ||
	    (r = (int)mnl_socket_recvfrom(nl, buf, sizeof(buf))) == -1 ||
	    mnl_cb_run(buf, (size_t)r, seq, portid = mnl_socket_get_portid(nl),
	    NULL, NULL) == -1) {
		snprintf(err, errlen, "%s: %s", what, strerror(errno));
		goto out;
	}
	ret = 0;
 out:
	if (nl != NULL)
		mnl_socket_close(nl);
	return ret;
}

static int
ns_link_up(const char *dev, char *err, size_t errlen)
{
	char		 buf[MNL_SOCKET_BUFFER_SIZE], what[64];
	struct nlmsghdr	*nlh;
	struct ifinfomsg *ifm;
	unsigned	 idx;

	snprintf(what, sizeof(what), "link %s up", dev);
	if ((idx = if_nametoindex(dev)) == 0) {
		snprintf(err, errlen, "%s: no such interface", what);
		return -1;
	}
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = (int)idx;
	ifm->ifi_flags = IFF_UP;
	ifm->ifi_change = IFF_UP;
	return ns_talk(nlh, what, err, errlen);
}

static int
ns_addr_add(const char *dev, const char *cidr, char *err, size_t errlen)
{
	char		 buf[MNL_SOCKET_BUFFER_SIZE], what[96], ip[INET_ADDRSTRLEN];
	struct nlmsghdr	*nlh;
	struct ifaddrmsg *ifa;
	struct in_addr	 a;
	const char	*slash = strchr(cidr, '/');
	unsigned	 idx;
	int		 plen;

	snprintf(what, sizeof(what), "address %s on %s", cidr, dev);
	if (slash == NULL || (size_t)(slash - cidr) >= sizeof(ip) ||
	    (plen = atoi(slash + 1)) < 1 || plen > 32) {
		snprintf(err, errlen, "%s: not A.B.C.D/LEN", what);
		return -1;
	}
	memcpy(ip, cidr, (size_t)(slash - cidr));
	ip[slash - cidr] = '\0';
	if (inet_pton(AF_INET, ip, &a) != 1 || (idx = if_nametoindex(dev)) ==
	    0) {
		snprintf(err, errlen, "%s: bad address or interface", what);
		return -1;
	}
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)plen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = idx;
	mnl_attr_put(nlh, IFA_LOCAL, 4, &a);
	mnl_attr_put(nlh, IFA_ADDRESS, 4, &a);
	return ns_talk(nlh, what, err, errlen);
}

/* veth hostif (a port of bridge, here) <-> NETNS_INNER (in nsfd) */
static int
ns_veth(const char *hostif, const char *bridge, int nsfd, char *err,
    size_t errlen)
{
	char		 buf[MNL_SOCKET_BUFFER_SIZE], what[96];
	struct nlmsghdr	*nlh;
	struct ifinfomsg *ifm;
	struct nlattr	*info, *data, *peer;
	unsigned	 br;

	snprintf(what, sizeof(what), "veth %s on %s", hostif, bridge);
	if ((br = if_nametoindex(bridge)) == 0) {
		snprintf(err, errlen, "%s: no bridge %s", what, bridge);
		return -1;
	}
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, hostif);
	mnl_attr_put_u32(nlh, IFLA_MASTER, br);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, NETNS_INNER);
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)nsfd);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return ns_talk(nlh, what, err, errlen);
}

int
netns_enter(int nsfd, int *saved, char *err, size_t errlen)
{
	if ((*saved = open(NETNS_SELF, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", NETNS_SELF, strerror(errno));
		return -1;
	}
	if (setns(nsfd, CLONE_NEWNET) == -1) {
		snprintf(err, errlen, "entering the probe namespace: %s",
		    strerror(errno));
		close(*saved);
		*saved = -1;
		return -1;
	}
	return 0;
}

void
netns_leave(int saved)
{
	/* a worker left in another namespace would open every later socket
	 * there: that is not an error to carry on from */
	if (setns(saved, CLONE_NEWNET) == -1)
		fatal("%s: back to the host's network namespace", __func__);
	close(saved);
}

int
netns_probe_make(const char *bridge, const char *hostif, const char *cidr,
    int *nsfd, char *err, size_t errlen)
{
	int	 saved = -1, fd = -1;

	*nsfd = -1;
	if ((saved = open(NETNS_SELF, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", NETNS_SELF, strerror(errno));
		return -1;
	}
	if (unshare(CLONE_NEWNET) == -1) {
		snprintf(err, errlen, "a probe namespace: %s", strerror(errno));
		close(saved);
		return -1;
	}
	fd = open(NETNS_SELF, O_RDONLY | O_CLOEXEC);
	netns_leave(saved);
	if (fd == -1) {
		snprintf(err, errlen, "the probe namespace: %s",
		    strerror(errno));
		return -1;
	}
	if (ns_veth(hostif, bridge, fd, err, errlen) == -1 ||
	    ns_link_up(hostif, err, errlen) == -1)
		goto fail;
	if (netns_enter(fd, &saved, err, errlen) == -1)
		goto fail;
	if (ns_link_up("lo", err, errlen) == -1 ||
	    ns_link_up(NETNS_INNER, err, errlen) == -1 ||
	    ns_addr_add(NETNS_INNER, cidr, err, errlen) == -1) {
		netns_leave(saved);
		goto fail;
	}
	netns_leave(saved);
	*nsfd = fd;
	return 0;
 fail:
	netns_probe_remove(hostif, fd);
	return -1;
}

int
netns_link_del(const char *dev, char *err, size_t errlen)
{
	char		 buf[MNL_SOCKET_BUFFER_SIZE], what[64];
	struct nlmsghdr	*nlh;
	struct ifinfomsg *ifm;
	unsigned	 idx;

	if ((idx = if_nametoindex(dev)) == 0)
		return 0;		/* gone already */
	snprintf(what, sizeof(what), "delete link %s", dev);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_DELLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = (int)idx;
	if (ns_talk(nlh, what, err, errlen) == -1 && errno != ENODEV)
		return -1;
	return 0;
}

void
netns_probe_remove(const char *hostif, int nsfd)
{
	char	 err[160];

	/* deleting the host end takes the inner one; the namespace goes with
	 * its last descriptor */
	if (hostif != NULL && netns_link_del(hostif, err, sizeof(err)) == -1)
		log_warnx("%s", err);
	if (nsfd != -1)
		close(nsfd);
}

int
host_addr4_for(const char *ip, char *cidr, size_t len)
{
	struct ifaddrs	*ifs, *i;
	struct in_addr	 a;
	uint32_t	 g, h, m;
	int		 plen, found = 0;
	char		 s[INET_ADDRSTRLEN];

	if (inet_pton(AF_INET, ip, &a) != 1 || getifaddrs(&ifs) == -1)
		return -1;
	g = ntohl(a.s_addr);
	for (i = ifs; i != NULL && !found; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_netmask == NULL ||
		    i->ifa_addr->sa_family != AF_INET)
			continue;
		h = ntohl(((struct sockaddr_in *)(void *)i->ifa_addr)->
		    sin_addr.s_addr);
		m = ntohl(((struct sockaddr_in *)(void *)i->ifa_netmask)->
		    sin_addr.s_addr);
		if (m == 0xffffffffu || h == g || (h & m) != (g & m) ||
		    (h >> 24) == 127)
			continue;
		for (plen = 0; plen < 32 && (m & (0x80000000u >> plen)); plen++)
			;
		inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)i->
		    ifa_addr)->sin_addr, s, sizeof(s));
		snprintf(cidr, len, "%s/%d", s, plen);
		found = 1;
	}
	freeifaddrs(ifs);
	return found;
}
