/*
 * tguest.h - a "guest" for the unit tests that probe one (test_netplan,
 * test_probe_ns): a process in a network namespace of its own, with
 * 10.99.2.10/24 and fd00:2::10/64 on nb5, whose peer nb4 is a port of the
 * bridge br1.  br1 has no address (IPv6 off: not even a link-local one), so
 * only a layer-2 probe on br1, or a probe from a namespace behind it,
 * reaches the guest.  It listens on TCP port TGUEST_PORT.  tguest_mac is
 * nb5's MAC.  Needs root, in the test's own network namespace; included by
 * each test that uses it (the functions are static).
 */
#ifndef VMGW_TGUEST_H
#define VMGW_TGUEST_H

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define TGUEST_PORT	8080

static pid_t	 tguest_pid = -1;
static int	 tguest_hold = -1;
static char	 tguest_mac[32];

static void
tguest_sh(const char *cmd)
{
	if (system(cmd) != 0)
		fail_msg("guest setup failed: %s", cmd);
}

/* the guest's side: its namespace, then (addresses up) its listener, then
 * hold until the test closes the pipe */
static void
tguest_child(int ready, int hold)
{
	struct sockaddr_in	 sin = { .sin_family = AF_INET };
	int			 s, one = 1;
	char			 c = 'r';

	if (unshare(CLONE_NEWNET) == -1 || write(ready, &c, 1) != 1 ||
	    read(hold, &c, 1) != 1)
		_exit(1);
	sin.sin_port = htons(TGUEST_PORT);
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(s, 16) == -1 || write(ready, &c, 1) != 1)
		_exit(1);
	while (read(hold, &c, 1) > 0)	/* until the test ends */
		;
	_exit(0);
}

static void
tguest_start(void)
{
	int	 ready[2], hold[2];
	char	 c, cmd[512];
	FILE	*f;
	size_t	 n;

	tguest_sh("ip link add br1 type bridge && "
	    "sysctl -qw net.ipv6.conf.br1.disable_ipv6=1 && "
	    "ip link set br1 up && ip link add nb4 type veth peer name nb5 && "
	    "ip link set nb4 master br1 up");
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(hold), 0);
	if ((tguest_pid = fork()) == 0) {
		close(ready[0]);
		close(hold[1]);
		tguest_child(ready[1], hold[0]);
	}
	assert_int_not_equal(tguest_pid, -1);
	close(ready[1]);
	close(hold[0]);
	tguest_hold = hold[1];
	assert_int_equal(read(ready[0], &c, 1), 1);
	snprintf(cmd, sizeof(cmd), "ip link set nb5 netns %d && nsenter -t %d "
	    "-n sh -c 'ip link set lo up && ip link set nb5 up && "
	    "ip addr add 10.99.2.10/24 dev nb5 && "
	    "ip addr add fd00:2::10/64 dev nb5 nodad'", (int)tguest_pid,
	    (int)tguest_pid);
	tguest_sh(cmd);
	assert_int_equal(write(tguest_hold, "g", 1), 1);
	assert_int_equal(read(ready[0], &c, 1), 1);	/* it listens */
	close(ready[0]);
	snprintf(cmd, sizeof(cmd), "nsenter -t %d -n ip -br link show nb5 | "
	    "awk '{printf \"%%s\", $3}'", (int)tguest_pid);
	assert_non_null(f = popen(cmd, "r"));
	n = fread(tguest_mac, 1, sizeof(tguest_mac) - 1, f);
	tguest_mac[n] = '\0';
	pclose(f);
	assert_int_equal(strlen(tguest_mac), 17);
}

static void
tguest_stop(void)
{
	close(tguest_hold);
	waitpid(tguest_pid, NULL, 0);
	tguest_pid = -1;
	/* nb4 goes with the guest's namespace (nb5 was in it), whenever the
	 * kernel gets to it: it may be there still, or not */
	tguest_sh("ip link del nb4 2>/dev/null; ip link del br1");
}

#endif
