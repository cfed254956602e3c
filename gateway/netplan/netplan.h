/*
 * netplan.h - the host-level primitives that keep a guest reachable: the
 * host's routes and neighbour entries (netlink.c), announcements and probes
 * (announce.c), hooks (hooks.c).  They know nothing of guests or jobs and
 * need no event loop; guest.h builds a guest's plan on them.
 */
#ifndef VMGW_NETPLAN_H
#define VMGW_NETPLAN_H

#include <stddef.h>
#include <stdint.h>

#define RTPROT_VMGW		171	/* vmgw's host routes (unassigned in the kernel and iproute2) */
#define ANNOUNCE_ROUNDS		3	/* at 0, 100, 300 ms after the switch */
#define HOOK_TIMEOUT_S		30
#define HOOK_OUTPUT_MAX		(16 * 1024)

/* netlink.c */
int	nl_host_route(int add, const char *ip, const char *dev, uint32_t table,
	    char *err, size_t errlen);
int	nl_neigh_flush(const char *ip, const char *dev, char *err,
	    size_t errlen);
int	nl_neigh_proxy(int add, const char *ip, const char *dev, char *err,
	    size_t errlen);

/* announce.c */
int	mac_parse(const char *text, uint8_t mac[6]);
/* gratuitous ARP (IPv4) or unsolicited neighbour advertisement (IPv6) on
 * dev: ip is at mac. */
int	announce_address(const char *dev, const char *ip, const char *mac,
	    char *err, size_t errlen);
/* one ICMP echo to ip, waiting up to timeout_ms; 0 when it answered */
int	probe_icmp(const char *ip, unsigned timeout_ms, char *err,
	    size_t errlen);
/* a TCP connection to ip:port within timeout_ms; 0 when it connected */
int	probe_tcp(const char *ip, uint16_t port, unsigned timeout_ms,
	    char *err, size_t errlen);
/*
 * From a host with no address on dev: an ARP probe for IPv4 ip (sender
 * 0.0.0.0, RFC 5227), a neighbour solicitation from :: for IPv6 ip
 * (RFC 4862's DAD); 0 when ip answered within timeout_ms from mac (NULL
 * or "": from any MAC).
 */
int	probe_arp(const char *dev, const char *ip, const char *mac,
	    unsigned timeout_ms, char *err, size_t errlen);
int	probe_ns(const char *dev, const char *ip, const char *mac,
	    unsigned timeout_ms, char *err, size_t errlen);
/* 1 when dev has an address of ip's family to reach ip from (for a
 * global IPv6 ip, not a link-local one), 0 when not, -1 on error */
int	dev_has_addr_for(const char *dev, const char *ip);

/* hooks.c: run every executable in dir for phase (blocking: a worker) */
int	hooks_run(const char *dir, const char *phase, char *const env[],
	    const char *logtag, char *err, size_t errlen);
int	hooks_list(const char *dir, char *out, size_t outlen);
/* One script (a recovery plan's post script): an absolute path to a
 * regular executable that only root (or we) may write, in a directory the
 * same holds for; 0 or -1 with err. */
int	hook_file_ok(const char *path, char *err, size_t errlen);
/* Run it as a hook runs (arg as its first argument, env, output to the
 * log, killed after HOOK_TIMEOUT_S); blocking.  0 or -1 with err. */
int	hook_exec(const char *path, const char *arg, char *const env[],
	    const char *logtag, char *err, size_t errlen);

/* netns.c (blocking: workers): probe namespaces (anonymous, held by one
 * fd: the kernel removes them and their veth when it closes).  make: a
 * veth hostif (a port of bridge) <-> "probe0" in the new namespace with
 * address cidr ("A.B.C.D/LEN"); remove: hostif deleted, fd closed.
 * enter / leave: this thread in the namespace and back (leave is fatal
 * when it fails: the worker would open later sockets in the namespace). */
int	netns_probe_make(const char *bridge, const char *hostif,
	    const char *cidr, int *nsfd, char *err, size_t errlen);
void	netns_probe_remove(const char *hostif, int nsfd);
int	netns_link_del(const char *dev, char *err, size_t errlen);
int	netns_enter(int nsfd, int *saved, char *err, size_t errlen);
void	netns_leave(int saved);
/* An IPv4 address of this host in ip's subnet (not ip, not a /32), as
 * "A.B.C.D/LEN": 1 found, 0 none, -1 error. */
int	host_addr4_for(const char *ip, char *cidr, size_t len);

#endif /* VMGW_NETPLAN_H */
