/*
 * netlink.c - the host's routing state that follows a moved guest, through
 * rtnetlink (libmnl): /32 (/128) host routes in the plan's table, proxy
 * neighbour entries, and flushing stale neighbour entries.
 *
 * Host routes carry protocol RTPROT_VMGW so that a routing daemon (BIRD,
 * FRR) can pick exactly these for export, and so that vmgw never removes a
 * route it did not make.  Every call is one request and its ACK on a fresh
 * socket: microseconds, fine on the event loop.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include <libmnl/libmnl.h>

#include "netplan.h"

static int
nl_parse_ip(const char *ip, int *family, uint8_t addr[16], char *err,
    size_t errlen)
{
	if (inet_pton(AF_INET, ip, addr) == 1)
		*family = AF_INET;
	else if (inet_pton(AF_INET6, ip, addr) == 1)
		*family = AF_INET6;
	else {
		snprintf(err, errlen, "%s: not an IP address", ip);
		return -1;
	}
	return 0;
}

/* Send one request and wait for its ACK; 0, or -1 with errno and err. */
static int
nl_talk(struct nlmsghdr *nlh, const char *what, int ok_errno, char *err,
    size_t errlen)
{
	struct mnl_socket	*nl;
	char			 buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned		 portid, seq = (unsigned)time(NULL);
	int			 r, ret = -1;

	nlh->nlmsg_seq = seq;
	nlh->nlmsg_flags |= NLM_F_ACK;
	if ((nl = mnl_socket_open(NETLINK_ROUTE)) == NULL ||
	    mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == -1) {
		snprintf(err, errlen, "%s: netlink: %s", what, strerror(errno));
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) == -1) {
		snprintf(err, errlen, "%s: netlink: %s", what, strerror(errno));
		goto out;
	}
	if ((r = (int)mnl_socket_recvfrom(nl, buf, sizeof(buf))) == -1 ||
	    mnl_cb_run(buf, (size_t)r, seq, portid, NULL, NULL) == -1) {
		if (errno == ok_errno && ok_errno != 0)
			ret = 0;
		else
			snprintf(err, errlen, "%s: %s", what, strerror(errno));
		goto out;
	}
	ret = 0;
 out:
	if (nl != NULL)
		mnl_socket_close(nl);
	return ret;
}

int
nl_host_route(int add, const char *ip, const char *dev, uint32_t table,
    char *err, size_t errlen)
{
	char		 buf[MNL_SOCKET_BUFFER_SIZE], what[160];
	struct nlmsghdr	*nlh;
	struct rtmsg	*rtm;
	uint8_t		 addr[16];
	unsigned	 ifindex;
	int		 family;

	if (nl_parse_ip(ip, &family, addr, err, errlen) == -1)
		return -1;
	snprintf(what, sizeof(what), "%s route %s/%d dev %s table %u",
	    add ? "add" : "delete", ip, family == AF_INET ? 32 : 128, dev,
	    table);
	if ((ifindex = if_nametoindex(dev)) == 0) {
		snprintf(err, errlen, "%s: no interface %s", what, dev);
		return -1;
	}
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | (add ? NLM_F_CREATE |
	    NLM_F_REPLACE : 0);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (unsigned char)family;
	rtm->rtm_dst_len = family == AF_INET ? 32 : 128;
	rtm->rtm_table = RT_TABLE_UNSPEC;
	rtm->rtm_protocol = RTPROT_VMGW;
	rtm->rtm_scope = RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_DST, family == AF_INET ? 4 : 16, addr);
	mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
	mnl_attr_put_u32(nlh, RTA_TABLE, table);
	/* deleting a route that is not there is success */
	return nl_talk(nlh, what, add ? 0 : ESRCH, err, errlen);
}

static int
nl_neigh(int type, int flags, uint8_t ntf, const char *ip, const char *dev,
    const char *what, int ok_errno, char *err, size_t errlen)
{
	char		 buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr	*nlh;
	struct ndmsg	*ndm;
	uint8_t		 addr[16];
	unsigned	 ifindex;
	int		 family;

	if (nl_parse_ip(ip, &family, addr, err, errlen) == -1)
		return -1;
	if ((ifindex = if_nametoindex(dev)) == 0) {
		snprintf(err, errlen, "%s: no interface %s", what, dev);
		return -1;
	}
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (uint16_t)type;
	nlh->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = (uint8_t)family;
	ndm->ndm_ifindex = (int)ifindex;
	ndm->ndm_state = NUD_PERMANENT;
	ndm->ndm_flags = ntf;
	mnl_attr_put(nlh, NDA_DST, family == AF_INET ? 4 : 16, addr);
	return nl_talk(nlh, what, ok_errno, err, errlen);
}

/* Forget what this host believed about ip on dev (a stale MAC, FAILED). */
int
nl_neigh_flush(const char *ip, const char *dev, char *err, size_t errlen)
{
	char	 what[160];

	snprintf(what, sizeof(what), "flush neighbour %s dev %s", ip, dev);
	return nl_neigh(RTM_DELNEIGH, 0, 0, ip, dev, what, ENOENT, err,
	    errlen);
}

/* Answer ARP / NS for ip on dev (proxy), or stop. */
int
nl_neigh_proxy(int add, const char *ip, const char *dev, char *err,
    size_t errlen)
{
	char	 what[160];

	snprintf(what, sizeof(what), "%s proxy neighbour %s dev %s",
	    add ? "add" : "delete", ip, dev);
	return nl_neigh(add ? RTM_NEWNEIGH : RTM_DELNEIGH, add ?
	    NLM_F_CREATE | NLM_F_REPLACE : 0, NTF_PROXY, ip, dev, what,
	    add ? 0 : ENOENT, err, errlen);
}
