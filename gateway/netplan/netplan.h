/*
 * netplan.h - the host-level primitives that keep a guest reachable: the
 * host's routes and neighbour entries (netlink.c), announcements and probes
 * (announce.c), hooks (hooks.c).  They know nothing of guests or jobs and
 * need no event loop; guest.h builds a guest's plan on them.
 */
#ifndef VMGW_NETPLAN_H
#define VMGW_NETPLAN_H

#include <sys/types.h>

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

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

/* netns.c: probe namespaces, each held by a helper process (vmgwd run
 * as NETNS_HELPER_ARG, the socket on fd NETNS_HELPER_FD).  The parent's
 * side blocks (workers only).  start: the helper in its own user and
 * network namespace, with a veth hostif (a port of bridge) <-> "probe0"
 * inside; call: one JSON request and its JSON answer within timeout_ms;
 * end: the helper killed and reaped, hostif deleted (NULL-safe: after a
 * failed start too).  The helper's side: enter its namespaces, then set
 * up lo and probe0 with address cidr ("A.B.C.D/LEN"). */
#define NETNS_HELPER_ARG	"--netns-helper"
#define NETNS_HELPER_FD		3
#define NETNS_HELPER_START_MS	10000
#define NETNS_HELPER_LINE_MAX	8192
struct netns_helper {
	pid_t	 pid;
	int	 fd;
	char	 hostif[IFNAMSIZ];
};
int	netns_helper_start(const char *bridge, const char *hostif,
	    struct netns_helper *, char *err, size_t errlen);
int	netns_helper_call(struct netns_helper *, json_t *req, json_t **res,
	    int timeout_ms, char *err, size_t errlen);
void	netns_helper_end(struct netns_helper *);
int	netns_helper_enter(char *err, size_t errlen);
int	netns_helper_setup(const char *cidr, char *err, size_t errlen);
int	netns_link_del(const char *dev, char *err, size_t errlen);
/* An IPv4 address of this host in ip's subnet (not ip, not a /32), as
 * "A.B.C.D/LEN": 1 found, 0 none, -1 error. */
int	host_addr4_for(const char *ip, char *cidr, size_t len);

#endif /* VMGW_NETPLAN_H */
