/*
 * cmd-failover.c - `vmgw failover DOMAIN [--point ID|latest|latest-app]
 * [--check-tcp PORT]`, at the backup site: start the guest here from a
 * recovery point when its home site is lost.  Refused while the home site
 * answers and runs it.  With --test: a throwaway copy on an isolated
 * network while the guest keeps running at home; --test --end removes it.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cli.h"
#include "config.h"

static void
failover_event(struct cli *cli, json_t *e, void *arg)
{
	if (!cli->json)
		printf("  %5.1fs  %s\n", json_real_value(json_object_get(e,
		    "elapsed_s")), cli_str(e, "step"));
}

static void
failover_check(json_t *res)
{
	json_t	*ck = json_object_get(res, "check");

	if (!json_is_object(ck))
		return;
	if (json_is_true(json_object_get(ck, "ok")))
		printf("  check tcp %lld: %s accepted a connection in %lld ms\n",
		    cli_int(ck, "tcp"), cli_str(ck, "address"), cli_int(ck,
		    "ms"));
	else
		printf("  check %s\n", cli_str(ck, "detail"));
}

static int
failover_real(json_t *res)
{
	json_t	*r = json_object_get(res, "reach");
	int	 ok;

	ok = r == NULL || json_is_null(r) || json_is_true(json_object_get(r,
	    "ok"));
	printf("%s runs at %s from point %s (%s-consistent)\n"
	    "  achieved RPO %llds (failover start minus the point's start)\n"
	    "  RTO %.1fs (command start until it %s)\n",
	    cli_str(res, "domain"), cli_str(res, "site"), cli_str(res, "point"),
	    cli_str(res, "consistency"), cli_int(res, "rpo_s"),
	    json_real_value(json_object_get(res, "rto_s")),
	    ok ? "answered its probe" : "was started; its probe did not answer");
	failover_check(res);
	if (*cli_str(res, "hooks"))
		printf("  hooks: %s\n", cli_str(res, "hooks"));
	return ok ? 0 : VMGW_EXIT_FAIL;
}

static int
failover_test(json_t *res)
{
	json_t	*net = json_object_get(res, "network");

	printf("%s (test copy of %s) runs at %s from point %s "
	    "(%s-consistent)\n  on the isolated network %s (bridge %s%s)\n"
	    "  achieved RPO %llds (test start minus the point's start)\n"
	    "  RTO %.1fs (command start until it answered its probe from the "
	    "isolated network)\n", cli_str(res, "copy"), cli_str(res,
	    "domain"), cli_str(res, "site"), cli_str(res, "point"),
	    cli_str(res, "consistency"), cli_str(net, "name"), cli_str(net,
	    "bridge"), json_is_true(json_object_get(net, "made")) ?
	    ", made by vmgw" : "", cli_int(res, "achieved_rpo_s"),
	    json_real_value(json_object_get(res, "rto_s")));
	failover_check(res);
	printf("  %s keeps running at home; end the test with: vmgw failover "
	    "%s --test --end\n", cli_str(res, "domain"), cli_str(res,
	    "domain"));
	return 0;
}

static int
failover_end(json_t *res)
{
	json_t	*v;
	size_t	 i;
	char	 when[32];

	fmt_time(when, sizeof(when), (time_t)cli_int(res, "tested_at"));
	printf("%s: failover test ended; point %s tested at %s: %s\n",
	    cli_str(res, "domain"), cli_str(res, "point"), when, cli_str(res,
	    "test_result"));
	json_array_foreach(json_object_get(res, "removed"), i, v)
		printf("  removed %s %s\n", cli_str(v, "what"), cli_str(v,
		    "name"));
	return 0;
}

static int
failover_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "point", required_argument, NULL, 'p' },
		{ "test", no_argument, NULL, 't' },
		{ "end", no_argument, NULL, 'e' },
		{ "check-tcp", required_argument, NULL, 'c' },
		{ "check-timeout", required_argument, NULL, 'T' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	json_t		*req = json_pack("{s:s}", "cmd", CTL_FAILOVER), *res;
	json_t		*check = NULL;
	int		 ch, ret, test = 0, end = 0;
	long		 port = 0;
	uint32_t	 timeout = 0;
	char		*ep;

	while ((ch = getopt_long(argc, argv, "p:j", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			json_object_set_new(req, "point", json_string(optarg));
			break;
		case 't':
			test = 1;
			break;
		case 'e':
			end = 1;
			break;
		case 'c':
			port = strtol(optarg, &ep, 10);
			if (*ep != '\0' || port < 1 || port > 65535) {
				fprintf(stderr, "vmgw failover: --check-tcp %s: "
				    "a TCP port\n", optarg);
				json_decref(req);
				return VMGW_EXIT_USAGE;
			}
			break;
		case 'T':
			if (config_duration_parse(optarg, &timeout) == -1 ||
			    timeout == 0) {
				fprintf(stderr, "vmgw failover: --check-timeout "
				    "%s: a duration (30s, 2m)\n", optarg);
				json_decref(req);
				return VMGW_EXIT_USAGE;
			}
			break;
		case 'j':
			cli->json = 1;
			break;
		default:
			json_decref(req);
			return cli_usage(&cmd_failover);
		}
	}
	if (optind != argc - 1 || (timeout != 0 && port == 0)) {
		json_decref(req);
		return cli_usage(&cmd_failover);
	}
	if (port != 0) {
		check = json_pack("{s:i}", "tcp", (int)port);
		if (timeout != 0)
			json_object_set_new(check, "timeout",
			    json_integer(timeout));
		json_object_set_new(req, "check", check);
	}
	if (test)
		json_object_set_new(req, "test", json_true());
	if (end)
		json_object_set_new(req, "end", json_true());
	json_object_set_new(req, "domain", json_string(argv[optind]));
	if ((ret = cli_call(cli, req, &res, failover_event, NULL)) != 0)
		return ret;
	if (cli->json)
		cli_print_json(res);
	else if (end)
		ret = failover_end(res);
	else if (test)
		ret = failover_test(res);
	else
		ret = failover_real(res);
	json_decref(res);
	return ret;
}

const struct cli_cmd cmd_failover = {
	.name = "failover",
	.args = "DOMAIN [--point ID|latest|latest-app] [--test [--end]] "
	    "[--check-tcp PORT [--check-timeout DUR]] [--json]",
	.summary = "start a protected guest at its backup site (home lost), "
	    "or test that",
	.help = "  --point P          a point id (vmgw points), latest "
	    "(default) or latest-app\n"
	    "  --test             a failover test: a copy DOMAIN-test on an "
	    "isolated network\n"
	    "  --test --end       remove the test's copy, overlays and network; "
	    "the point\n"
	    "                     is marked tested\n"
	    "  --check-tcp PORT   after the probe: the guest accepts TCP on "
	    "PORT\n"
	    "  --check-timeout D  how long the check may take (default 30s)\n"
	    "  --json, -j         the result as JSON\n"
	    "\nRefused while the home site's gateway answers and runs the "
	    "guest (use vmgw\nmigrate), and while a test of it runs.  The chain "
	    "stays untouched: the guest\nruns on a fresh overlay, with a "
	    "checkpoint made before it first runs.  When\nthe home site comes "
	    "back it keeps its old copy off.\n"
	    "\nA test runs while the guest keeps running at home and replication "
	    "goes on:\nthe point is pinned, the copy (new name, new UUID) runs "
	    "on a throwaway overlay\non the networks of the peer's "
	    "test_networks, or on one vmgw makes with no\nforward mode and no "
	    "address; it is probed (and checked) from a namespace on\nthat "
	    "network only.  One test per guest; none after a real failover.\n"
	    "Exit 1 when the probe or the check fails (the test stays until "
	    "--end).\n",
	.exec = failover_exec,
};
