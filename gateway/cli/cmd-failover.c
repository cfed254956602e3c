/*
 * cmd-failover.c - `vmgw failover DOMAIN [--point ID|latest|latest-app]`,
 * at the backup site: start the guest here from a recovery point when its
 * home site is lost.  Refused while the home site answers and runs it.
 */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"

static void
failover_event(struct cli *cli, json_t *e, void *arg)
{
	if (!cli->json)
		printf("  %5.1fs  %s\n", json_real_value(json_object_get(e,
		    "elapsed_s")), cli_str(e, "step"));
}

static int
failover_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "point", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	json_t	*req = json_pack("{s:s}", "cmd", CTL_FAILOVER), *res, *r;
	int	 ch, ret, ok;

	while ((ch = getopt_long(argc, argv, "p:j", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			json_object_set_new(req, "point", json_string(optarg));
			break;
		case 'j':
			cli->json = 1;
			break;
		default:
			json_decref(req);
			return cli_usage(&cmd_failover);
		}
	}
	if (optind != argc - 1) {
		json_decref(req);
		return cli_usage(&cmd_failover);
	}
	json_object_set_new(req, "domain", json_string(argv[optind]));
	if ((ret = cli_call(cli, req, &res, failover_event, NULL)) != 0)
		return ret;
	if (cli->json) {
		cli_print_json(res);
		json_decref(res);
		return 0;
	}
	r = json_object_get(res, "reach");
	ok = r == NULL || json_is_null(r) || json_is_true(json_object_get(r,
	    "ok"));
	printf("%s runs at %s from point %s (%s-consistent)\n"
	    "  achieved RPO %llds (failover start minus the point's start)\n"
	    "  RTO %.1fs (command start until it %s)\n",
	    cli_str(res, "domain"), cli_str(res, "site"), cli_str(res, "point"),
	    cli_str(res, "consistency"), cli_int(res, "rpo_s"),
	    json_real_value(json_object_get(res, "rto_s")),
	    ok ? "answered its probe" : "was started; its probe did not answer");
	if (*cli_str(res, "hooks"))
		printf("  hooks: %s\n", cli_str(res, "hooks"));
	json_decref(res);
	return ok ? 0 : VMGW_EXIT_FAIL;
}

const struct cli_cmd cmd_failover = {
	.name = "failover",
	.args = "DOMAIN [--point ID|latest|latest-app] [--json]",
	.summary = "start a protected guest at its backup site (home lost)",
	.help = "  --point P   a point id (vmgw points), latest (default) or "
	    "latest-app\n  --json, -j  the result as JSON\n"
	    "\nRefused while the home site's gateway answers and runs the "
	    "guest (use vmgw\nmigrate).  The chain stays untouched: the guest "
	    "runs on a fresh overlay,\nwith a checkpoint made before it first "
	    "runs.  When the home site comes back\nit keeps its old copy off.\n",
	.exec = failover_exec,
};
