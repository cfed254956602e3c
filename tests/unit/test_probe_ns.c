/*
 * test_probe_ns.c - a failover test's probe from a probe helper's
 * namespace (gateway/dr/dr_probe_ns.c, gateway/netplan/netns.c), for real:
 * in a private network namespace (root), a bridge br1 with a "guest" (a
 * process in its own network namespace at 10.99.2.10, a TCP listener on
 * port 8080) on it, and no address of the host's on br1, so only a probe
 * from inside reaches it.  This binary is its own helper: run as
 * NETNS_HELPER_ARG it is dr_probe_ns_helper(), as vmgwd is.
 *
 * Probed as root, then as an unprivileged user with only CAP_NET_ADMIN and
 * CAP_NET_RAW (vmgwd's set, without CAP_SYS_ADMIN): an answer, a TCP check,
 * an address that does not answer, a bridge that does not exist; after
 * each, the host end of the veth is gone and no helper is left.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <grp.h>
#include <linux/capability.h>

#include <cmocka.h>

#include "dr.h"
#include "guest.h"
#include "log.h"
#include "tguest.h"

#define HOSTIF	"vmgwpt0"

struct run {
	const char	*bridge;
	const char	*addr;
	unsigned	 timeout_ms;
	unsigned	 tcp;
	int		 ret;
	int		 ok;
	int		 check_ok;	/* -1: no check */
	uint64_t	 t0, answered;
	char		 detail[512];
	char		 err[512];
};

static void
probe(struct run *r)
{
	struct np_probe		 p;
	struct dr_tcp_check	 ck = { r->tcp, 3 };
	json_t			*check = NULL;

	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "web1-test");
	snprintf(p.site, sizeof(p.site), "site-b");
	p.addrs = json_pack("[s]", r->addr);
	p.timeout_ms = r->timeout_ms;
	r->err[0] = r->detail[0] = '\0';
	r->ret = dr_probe_ns_run(r->bridge, HOSTIF, "10.99.2.50/24", &p, &ck,
	    &r->answered, &check, r->err, sizeof(r->err));
	if (r->ret == -1)
		print_message("probe of %s on %s: %s\n", r->addr, r->bridge,
		    r->err);
	r->t0 = p.t0_ns;
	r->ok = json_is_true(json_object_get(p.result, "ok"));
	snprintf(r->detail, sizeof(r->detail), "%s", json_string_value(
	    json_object_get(p.result, "detail")) ? json_string_value(
	    json_object_get(p.result, "detail")) : "");
	r->check_ok = check == NULL ? -1 : json_is_true(json_object_get(check,
	    "ok"));
	json_decref(check);
	json_decref(p.result);
	json_decref(p.addrs);
}

/* nothing of a probe outlives it: the host end, a helper */
static void
assert_gone(void)
{
	int	 st;
	pid_t	 w;

	assert_int_equal(if_nametoindex(HOSTIF), 0);
	/* no helper to reap: only the guest is left (as root), or no child
	 * at all (the unprivileged process) */
	w = waitpid(-1, &st, WNOHANG);
	assert_true(w == 0 || (w == -1 && errno == ECHILD));
}

static void
probes(void)
{
	struct run	 r;

	memset(&r, 0, sizeof(r));
	r.bridge = "br1";
	r.addr = "10.99.2.10";
	r.timeout_ms = 5000;
	probe(&r);
	assert_int_equal(r.ret, 0);
	assert_true(r.ok);
	assert_int_equal(r.check_ok, -1);
	assert_true(r.answered >= r.t0);
	assert_gone();

	r.tcp = TGUEST_PORT;
	probe(&r);
	assert_int_equal(r.ret, 0);
	assert_true(r.ok);
	assert_int_equal(r.check_ok, 1);
	assert_gone();

	r.tcp = TGUEST_PORT + 1;		/* nothing listens: refused until the timeout */
	probe(&r);
	assert_int_equal(r.ret, 0);
	assert_true(r.ok);
	assert_int_equal(r.check_ok, 0);
	assert_gone();

	r.tcp = 0;
	r.addr = "10.99.2.99";
	r.timeout_ms = 400;
	probe(&r);
	assert_int_equal(r.ret, 0);
	assert_false(r.ok);
	assert_non_null(strstr(r.detail, "web1-test did not answer at "
	    "10.99.2.99 (ICMP) from site-b within 400 ms"));
	assert_gone();

	r.bridge = "nosuch0";
	probe(&r);
	assert_int_equal(r.ret, -1);
	assert_non_null(strstr(r.err, "no bridge nosuch0"));
	assert_gone();
}

static void
test_as_root(void **state)
{
	(void)state;
	tguest_start();
	probes();
	tguest_stop();
}

/* uid 65534 with CAP_NET_ADMIN and CAP_NET_RAW only, as vmgwd runs */
static int
drop_to_nobody(void)
{
	struct __user_cap_header_struct	 h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct	 d[2];
	uint32_t			 set = (1u << CAP_NET_ADMIN) |
					    (1u << CAP_NET_RAW);

	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == -1 ||
	    setresgid(65534, 65534, 65534) == -1 ||
	    setgroups(0, NULL) == -1 ||
	    setresuid(65534, 65534, 65534) == -1)
		return -1;
	memset(d, 0, sizeof(d));
	d[0].effective = d[0].permitted = set;
	return (int)syscall(SYS_capset, &h, d);
}

static void
test_unprivileged(void **state)
{
	pid_t	 pid;
	int	 st;

	(void)state;
	tguest_start();
	if ((pid = fork()) == 0) {
		if (drop_to_nobody() == -1) {
			perror("drop_to_nobody");
			_exit(2);
		}
		/* not root, and no CAP_SYS_ADMIN: a bare network namespace
		 * is out of reach */
		if (getuid() == 0 || unshare(CLONE_NEWNET) != -1)
			_exit(3);
		/* the helper is this binary: a build tree that uid 65534
		 * cannot reach cannot show this (the lab's gateways, as
		 * vmgw, show it too) */
		if (access("/proc/self/exe", X_OK) == -1) {
			perror("uid 65534 cannot run this binary");
			_exit(77);
		}
		/* cmocka's assertions end this process: exit 0 only here */
		probes();
		_exit(0);
	}
	assert_int_not_equal(pid, -1);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	tguest_stop();
	if (WEXITSTATUS(st) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(st), 0);
}

int
main(int argc, char *argv[])
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_as_root),
		cmocka_unit_test(test_unprivileged),
	};

	if (argc == 2 && strcmp(argv[1], NETNS_HELPER_ARG) == 0)
		return dr_probe_ns_helper();
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root (a private network namespace)\n");
		return 77;
	}
	if (unshare(CLONE_NEWNET) == -1) {
		perror("unshare");
		return 1;
	}
	log_init(1, 0, "test_probe_ns");
	tguest_sh("ip link set lo up");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
