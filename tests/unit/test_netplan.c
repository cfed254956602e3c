/*
 * test_netplan.c - the host side of a network plan against the real kernel,
 * in a private network namespace (root): host routes in a table, proxy and
 * flushed neighbour entries, the announcement frames on the wire, the
 * reachability probes, and the hooks (environment, failure, refusal).  The
 * layer-2 probes (ARP probe, neighbour solicitation from ::) ask a "guest"
 * that is the kernel of a second namespace, behind a bridge that has no
 * address at all.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/if_ether.h>
#include <linux/if_packet.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "netplan.h"
#include "guest.h"
#include "log.h"
#include "tguest.h"

static char	dir[] = "/tmp/vmgw-test-netplan.XXXXXX";

static void
sh(const char *cmd)
{
	if (system(cmd) != 0)
		fail_msg("setup command failed: %s", cmd);
}

/* output of a command, for comparisons */
static void
capture(const char *cmd, char *out, size_t outlen)
{
	FILE	*f = popen(cmd, "r");
	size_t	 n = 0;

	out[0] = '\0';
	if (f == NULL)
		return;
	n = fread(out, 1, outlen - 1, f);
	out[n] = '\0';
	pclose(f);
}

static void
test_host_route(void **state)
{
	char	 err[256], out[1024];

	assert_int_equal(nl_host_route(1, "10.99.1.10", "br0", 100, err,
	    sizeof(err)), 0);
	/* a second add replaces, it does not fail */
	assert_int_equal(nl_host_route(1, "10.99.1.10", "br0", 100, err,
	    sizeof(err)), 0);
	capture("ip route show table 100", out, sizeof(out));
	assert_non_null(strstr(out, "10.99.1.10 dev br0 proto 171 scope link"));
	assert_int_equal(nl_host_route(1, "fd00::10", "br0", 100, err,
	    sizeof(err)), 0);
	capture("ip -6 route show table 100", out, sizeof(out));
	assert_non_null(strstr(out, "fd00::10 dev br0 proto 171"));
	assert_int_equal(nl_host_route(0, "10.99.1.10", "br0", 100, err,
	    sizeof(err)), 0);
	capture("ip route show table 100", out, sizeof(out));
	assert_null(strstr(out, "10.99.1.10"));
	/* deleting what is not there is not an error */
	assert_int_equal(nl_host_route(0, "10.99.1.10", "br0", 100, err,
	    sizeof(err)), 0);
	/* errors name the thing */
	assert_int_equal(nl_host_route(1, "10.99.1.10", "nosuch0", 100, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "add route 10.99.1.10/32 dev nosuch0 table "
	    "100: no interface nosuch0");
	assert_int_equal(nl_host_route(1, "bogus", "br0", 100, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "bogus: not an IP address");
}

static void
test_neighbours(void **state)
{
	char	 err[256], out[1024];

	assert_int_equal(nl_neigh_proxy(1, "10.99.1.10", "br0", err,
	    sizeof(err)), 0);
	capture("ip neigh show proxy", out, sizeof(out));
	assert_non_null(strstr(out, "10.99.1.10 dev br0"));
	assert_int_equal(nl_neigh_proxy(0, "10.99.1.10", "br0", err,
	    sizeof(err)), 0);
	capture("ip neigh show proxy", out, sizeof(out));
	assert_null(strstr(out, "10.99.1.10"));
	sh("ip neigh replace 10.99.1.10 lladdr 52:54:00:00:00:01 dev br0 "
	    "nud stale");
	assert_int_equal(nl_neigh_flush("10.99.1.10", "br0", err,
	    sizeof(err)), 0);
	capture("ip neigh show 10.99.1.10 dev br0", out, sizeof(out));
	assert_string_equal(out, "");
	/* flushing nothing is fine */
	assert_int_equal(nl_neigh_flush("10.99.1.10", "br0", err,
	    sizeof(err)), 0);
}

/* The gratuitous ARP as a neighbour on the bridge receives it. */
static void
test_announce_arp(void **state)
{
	struct sockaddr_ll	 sll;
	struct ether_header	*eh;
	struct ether_arp	*ea;
	uint8_t			 buf[256] __attribute__((aligned(8))), mac[6], brmac[6];
	char			 err[256], out[64];
	int			 fd, n, i;
	struct timeval		 tv = { 2, 0 };

	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ARP));
	assert_true(fd >= 0);
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ARP);
	sll.sll_ifindex = (int)if_nametoindex("nb1");
	assert_int_equal(bind(fd, (struct sockaddr *)&sll, sizeof(sll)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	assert_int_equal(announce_address("br0", "10.99.1.10",
	    "52:54:00:99:01:0a", err, sizeof(err)), 0);
	for (i = 0; i < 10; i++) {
		n = (int)recv(fd, buf, sizeof(buf), 0);
		assert_true(n > 0);
		eh = (struct ether_header *)buf;
		ea = (struct ether_arp *)(eh + 1);
		if (ntohs(ea->arp_op) == ARPOP_REQUEST &&
		    memcmp(ea->arp_spa, "\x0a\x63\x01\x0a", 4) == 0)
			break;
	}
	assert_true(i < 10);
	assert_int_equal(mac_parse("52:54:00:99:01:0a", mac), 0);
	assert_memory_equal(ea->arp_sha, mac, 6);
	assert_memory_equal(ea->arp_tpa, "\x0a\x63\x01\x0a", 4);
	/* the Ethernet source is the bridge's own MAC, not the guest's */
	capture("ip -br link show br0 | awk '{printf \"%s\", $3}'", out, sizeof(out));
	assert_int_equal(mac_parse(out, brmac), 0);
	assert_memory_equal(eh->ether_shost, brmac, 6);
	assert_memory_equal(eh->ether_dhost, "\xff\xff\xff\xff\xff\xff", 6);
	close(fd);
	assert_int_equal(announce_address("br0", "fd00::10",
	    "52:54:00:99:01:0a", err, sizeof(err)), 0);
	assert_int_equal(announce_address("br0", "10.99.1.10", "zz", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "zz: not a MAC address");
}

static void
test_probes(void **state)
{
	char			 err[256];
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof(sin);
	int			 ls;

	assert_int_equal(probe_icmp("127.0.0.1", 1000, err, sizeof(err)), 0);
	assert_int_equal(probe_icmp("10.99.1.99", 300, err, sizeof(err)), -1);
	assert_string_equal(err, "10.99.1.99 did not answer ICMP");
	ls = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(ls, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(ls, 4), 0);
	getsockname(ls, (struct sockaddr *)&sin, &sl);
	assert_int_equal(probe_tcp("127.0.0.1", ntohs(sin.sin_port), 1000, err,
	    sizeof(err)), 0);
	close(ls);
	assert_int_equal(probe_tcp("127.0.0.1", ntohs(sin.sin_port), 500, err,
	    sizeof(err)), -1);
}

/*
 * The guest of tguest.h on br1, a bridge with no address (IPv6 off: not
 * even a link-local one): nb5, in a namespace of its own, has 10.99.2.10
 * and fd00:2::10.
 */
static void
test_probes_l2(void **state)
{
	struct np_probe	 p;
	char		 err[256];

	tguest_start();
	assert_int_equal(dev_has_addr_for("br1", "10.99.2.10"), 0);
	assert_int_equal(dev_has_addr_for("br1", "fd00:2::10"), 0);
	assert_int_equal(dev_has_addr_for("br0", "10.99.2.10"), 1);
	assert_int_equal(dev_has_addr_for("br0", "fd00:2::10"), 0);	/* fe80 */
	/* ARP probe: from 0.0.0.0, answered from the guest's MAC */
	assert_int_equal(probe_arp("br1", "10.99.2.10", tguest_mac, 1000, err,
	    sizeof(err)), 0);
	assert_int_equal(probe_arp("br1", "10.99.2.10", NULL, 1000, err,
	    sizeof(err)), 0);
	/* an answer from another MAC is not the guest's */
	assert_int_equal(probe_arp("br1", "10.99.2.10", "52:54:00:00:00:99",
	    300, err, sizeof(err)), -1);
	assert_string_equal(err, "10.99.2.10 did not answer ARP on br1");
	assert_int_equal(probe_arp("br1", "10.99.2.99", NULL, 300, err,
	    sizeof(err)), -1);
	assert_int_equal(probe_arp("nosuch0", "10.99.2.10", NULL, 300, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "interface nosuch0"));
	assert_int_equal(probe_arp("br1", "fd00:2::10", NULL, 300, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "fd00:2::10: not an IPv4 address");
	/* neighbour solicitation from ::, to the MAC and to the group */
	assert_int_equal(probe_ns("br1", "fd00:2::10", tguest_mac, 1000, err,
	    sizeof(err)), 0);
	assert_int_equal(probe_ns("br1", "fd00:2::10", NULL, 1000, err,
	    sizeof(err)), 0);
	assert_int_equal(probe_ns("br1", "fd00:2::99", NULL, 300, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "fd00:2::99 did not answer neighbour "
	    "solicitation on br1");
	/* the verification picks them on a bridge without an address */
	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "web1");
	snprintf(p.site, sizeof(p.site), "site-b");
	snprintf(p.bridge, sizeof(p.bridge), "br1");
	snprintf(p.mac, sizeof(p.mac), "%s", tguest_mac);
	p.addrs = json_pack("[s, s]", "10.99.2.10", "fd00:2::10");
	p.timeout_ms = 2000;
	p.t0_ns = mono_ns();
	np_probe_run(&p);
	assert_true(json_is_true(json_object_get(p.result, "ok")));
	json_decref(p.result);
	json_decref(p.addrs);
	p.addrs = json_pack("[s]", "10.99.2.99");
	p.timeout_ms = 300;
	p.t0_ns = mono_ns();
	np_probe_run(&p);
	assert_false(json_is_true(json_object_get(p.result, "ok")));
	assert_string_equal(json_string_value(json_object_get(p.result,
	    "detail")), "web1 did not answer at 10.99.2.99 (ARP) from site-b "
	    "within 300 ms: 10.99.2.99 did not answer ARP on br1");
	json_decref(p.result);
	json_decref(p.addrs);
	tguest_stop();
}

static void
write_hook(const char *name, const char *body, mode_t mode)
{
	char	 p[512];
	FILE	*f;

	snprintf(p, sizeof(p), "%s/hooks/%s", dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	chmod(p, mode);
}

static void
test_hooks(void **state)
{
	char	 hd[512], err[512], out[2048], list[256];
	char	*env[] = { "VMGW_GUEST=web1", "VMGW_FROM=site-a",
		    "VMGW_TO=site-b", "VMGW_ADDRESSES=10.99.1.10", NULL };

	snprintf(hd, sizeof(hd), "%s/hooks", dir);
	mkdir(hd, 0755);
	write_hook("10-record", "echo \"$1 $VMGW_HOOK_X$VMGW_GUEST "
	    "$VMGW_FROM->$VMGW_TO $VMGW_ADDRESSES\" >> \"$(dirname $0)/../out\"; "
	    "echo hello from 10", 0755);
	write_hook("20-also", "echo \"20 ran\" >> \"$(dirname $0)/../out\"", 0755);
	write_hook("README", "not a hook", 0644);		/* not executable */
	write_hook("30-x.dpkg-old", "exit 9", 0755);		/* skipped */
	assert_int_equal(hooks_list(hd, list, sizeof(list)), 2);
	assert_string_equal(list, "10-record 20-also");
	assert_int_equal(hooks_run(hd, "pre-move", env, "test", err,
	    sizeof(err)), 0);
	snprintf(list, sizeof(list), "cat %s/out", dir);
	capture(list, out, sizeof(out));
	assert_string_equal(out, "pre-move web1 site-a->site-b 10.99.1.10\n"
	    "20 ran\n");
	/* a failing hook: the reason names it, and the ones after do not run */
	write_hook("15-fail", "echo checking the load balancer; "
	    "echo 'lb refused: drain first' >&2; exit 3", 0755);
	assert_int_equal(hooks_run(hd, "pre-move", env, "test", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "hook pre-move 15-fail exited 3: lb refused: "
	    "drain first");
	capture(list, out, sizeof(out));
	assert_null(strstr(out + strlen("pre-move web1 site-a->site-b "
	    "10.99.1.10\n20 ran\n") + 1, "20 ran"));
	/* hooks others could have written are refused */
	write_hook("15-fail", "exit 0", 0757);
	assert_int_equal(hooks_run(hd, "pre-move", env, "test", err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "15-fail: writable by others: refused"));
	/* no directory: no hooks */
	assert_int_equal(hooks_run("/nonexistent/hooks", "pre-move", env,
	    "test", err, sizeof(err)), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_route),
		cmocka_unit_test(test_neighbours),
		cmocka_unit_test(test_announce_arp),
		cmocka_unit_test(test_probes),
		cmocka_unit_test(test_probes_l2),
		cmocka_unit_test(test_hooks),
	};
	char	 cmd[600];
	int	 r;

	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root (a private network namespace)\n");
		return 77;
	}
	if (unshare(CLONE_NEWNET) == -1 || mkdtemp(dir) == NULL) {
		perror("unshare/mkdtemp");
		return 1;
	}
	log_init(1, 0, "test_netplan");
	if (system("ip link set lo up && ip link add br0 type bridge && "
	    "ip link set br0 up && ip link add nb0 type veth peer name nb1 && "
	    "ip link set nb0 master br0 up && ip link set nb1 up && "
	    "ip addr add 10.99.1.1/24 dev br0") != 0)
		return 1;
	r = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return r;
}
