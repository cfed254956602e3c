/*
 * netns.c - probe namespaces: a failover test's copy answers only on an
 * isolated network, so vmgw asks it from inside that network, never
 * through this host's routes (which may send the guest's address home).
 *
 * The namespace belongs to a helper process, vmgwd itself re-executed as
 * "vmgwd --netns-helper" without capabilities, which makes its own user
 * and network namespace (unshare(2) needs no privilege for that, where a
 * bare network namespace needs CAP_SYS_ADMIN).  vmgwd then gives it one
 * veth: the host end a port of the isolated bridge (vmgwd's CAP_NET_ADMIN
 * reaches into a namespace owned by a user namespace its user made), the
 * inner end "probe0", on which the helper puts one address in the guest's
 * subnet and runs the probe.  The helper has every capability inside its
 * namespaces and none outside them.
 *
 * Nothing names the namespace in /run/netns: when the helper exits (or is
 * killed, or vmgwd dies and its socket closes) the kernel removes the
 * namespace and both veth ends with it, so a crash leaves nothing behind.
 * The parent's side blocks: workers only.  The protocol on the socket is
 * one line each way: "ready" (or "error: ...") when the helper has its
 * namespaces, then a JSON request and a JSON answer.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <ifaddrs.h>
#include <sched.h>
#include <signal.h>
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
#include "util.h"

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

/* ---------------------------------------------------- the parent's side */

/* "ready\n" or "error: TEXT\n" from the helper, within timeout_ms */
static int
nsh_read_line(int fd, char *line, size_t len, int timeout_ms)
{
	struct pollfd	 pfd = { fd, POLLIN, 0 };
	uint64_t	 end = mono_ns() + (uint64_t)timeout_ms * 1000000ull;
	size_t		 o = 0;
	ssize_t		 r;
	char		*nl;

	while (o + 1 < len) {
		uint64_t now = mono_ns();

		if (now >= end) {
			errno = ETIMEDOUT;
			return -1;
		}
		if ((r = poll(&pfd, 1, (int)((end - now) / 1000000) + 1)) ==
		    -1 && errno != EINTR)
			return -1;
		if (r <= 0)
			continue;
		if ((r = read(fd, line + o, len - 1 - o)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0) {
			errno = EPIPE;
			return -1;
		}
		o += (size_t)r;
		line[o] = '\0';
		if ((nl = strchr(line, '\n')) != NULL) {
			*nl = '\0';
			return 0;
		}
	}
	errno = EMSGSIZE;
	return -1;
}

int
netns_helper_start(const char *bridge, const char *hostif,
    struct netns_helper *h, char *err, size_t errlen)
{
	char *const	 argv[] = { (char *)"vmgwd", (char *)NETNS_HELPER_ARG,
			    NULL };
	char		 line[512], path[64];
	int		 sv[2], nsfd = -1;

	memset(h, 0, sizeof(*h));
	h->pid = -1;
	h->fd = -1;
	snprintf(h->hostif, sizeof(h->hostif), "%s", hostif);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		snprintf(err, errlen, "the probe helper's socket: %s",
		    strerror(errno));
		return -1;
	}
	if ((h->pid = fork()) == -1) {
		snprintf(err, errlen, "the probe helper: fork: %s",
		    strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (h->pid == 0) {
		/* only system calls from here to exec (other threads may
		 * hold locks): no capability outlives the exec, the socket
		 * is fd NETNS_HELPER_FD and nothing else stays open */
		(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
		if (dup2(sv[1], NETNS_HELPER_FD) == -1)
			_exit(127);
		(void)close_range(NETNS_HELPER_FD + 1, ~0u, 0);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	close(sv[1]);
	h->fd = sv[0];
	if (nsh_read_line(h->fd, line, sizeof(line), NETNS_HELPER_START_MS) ==
	    -1) {
		snprintf(err, errlen, "the probe helper (pid %d) did not "
		    "start: %s", (int)h->pid, strerror(errno));
		goto fail;
	}
	if (strcmp(line, "ready") != 0) {
		snprintf(err, errlen, "the probe helper (pid %d): %s",
		    (int)h->pid, line);
		goto fail;
	}
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)h->pid);
	if ((nsfd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (ns_veth(hostif, bridge, nsfd, err, errlen) == -1 ||
	    ns_link_up(hostif, err, errlen) == -1)
		goto fail;
	close(nsfd);
	return 0;
 fail:
	if (nsfd != -1)
		close(nsfd);
	netns_helper_end(h);
	return -1;
}

int
netns_helper_call(struct netns_helper *h, json_t *req, json_t **res,
    int timeout_ms, char *err, size_t errlen)
{
	char		*text, line[NETNS_HELPER_LINE_MAX];
	json_error_t	 je;
	size_t		 len, o = 0;
	ssize_t		 r;

	*res = NULL;
	if ((text = json_dumps(req, JSON_COMPACT)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	len = strlen(text);
	text[len++] = '\n';	/* json_dumps' NUL: the line's end */
	while (o < len) {
		if ((r = write(h->fd, text + o, len - o)) == -1 &&
		    errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(err, errlen, "to the probe helper (pid %d): "
			    "%s", (int)h->pid, strerror(errno));
			free(text);
			return -1;
		}
		o += (size_t)r;
	}
	free(text);
	if (nsh_read_line(h->fd, line, sizeof(line), timeout_ms) == -1) {
		snprintf(err, errlen, "the probe helper (pid %d) did not "
		    "answer: %s", (int)h->pid, errno == ETIMEDOUT ?
		    "timed out" : errno == EPIPE ? "it exited" :
		    strerror(errno));
		return -1;
	}
	if ((*res = json_loads(line, 0, &je)) == NULL ||
	    !json_is_object(*res)) {
		snprintf(err, errlen, "the probe helper (pid %d): not a JSON "
		    "object: %s", (int)h->pid, line);
		json_decref(*res);
		*res = NULL;
		return -1;
	}
	return 0;
}

void
netns_helper_end(struct netns_helper *h)
{
	char	 err[160];
	int	 st;

	if (h->fd != -1)
		close(h->fd);	/* it exits on EOF */
	h->fd = -1;
	if (h->pid > 0) {
		kill(h->pid, SIGKILL);
		while (waitpid(h->pid, &st, 0) == -1 && errno == EINTR)
			;
	}
	h->pid = -1;
	/* its namespace went with it, and the inner veth end with that;
	 * the host end goes when the kernel has done so, or here */
	if (h->hostif[0] != '\0' && netns_link_del(h->hostif, err,
	    sizeof(err)) == -1)
		log_warnx("%s", err);
	h->hostif[0] = '\0';
}

/* ----------------------------------------------------- the helper's side */

int
netns_helper_enter(char *err, size_t errlen)
{
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET) == -1) {
		snprintf(err, errlen, "a user and network namespace: %s%s",
		    strerror(errno), errno == EPERM || errno == ENOSPC ?
		    " (user.max_user_namespaces, or the unit's "
		    "RestrictNamespaces=)" : "");
		return -1;
	}
	return 0;
}

int
netns_helper_setup(const char *cidr, char *err, size_t errlen)
{
	if (ns_link_up("lo", err, errlen) == -1 ||
	    ns_link_up(NETNS_INNER, err, errlen) == -1 ||
	    ns_addr_add(NETNS_INNER, cidr, err, errlen) == -1)
		return -1;
	return 0;
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
