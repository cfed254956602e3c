/*
 * cmd-reprotect.c - `vmgw reprotect DOMAIN [--rpo DUR] [--keep N]
 * [--quiesce] [--bandwidth RATE]`: at the site a guest failed over to,
 * once its old home is back, protect it from here to there without a full
 * copy: the old home's copy becomes the base of the replica and the first
 * point ships only the blocks that differ (what the guest wrote here since
 * the failover, and what the old home wrote after that point and never
 * shipped).  Waits until that first point is complete.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void
reprotect_event(struct cli *cli, json_t *ev, void *arg)
{
	(void)arg;
	if (cli->json)
		return;
	if (strcmp(cli_str(ev, "event"), "reprotect") == 0)
		printf("%s: %s took its old copy over (%s); protected to %s "
		    "from now on (rpo %llds, keep %lld); the first point "
		    "compares the disks\n", cli_str(ev, "domain"),
		    cli_str(ev, "to"), cli_str(ev, "dir"), cli_str(ev, "to"),
		    cli_int(ev, "rpo_s"), cli_int(ev, "keep"));
	fflush(stdout);
}

static int
reprotect_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rpo", required_argument, NULL, 'r' },
		{ "keep", required_argument, NULL, 'k' },
		{ "quiesce", no_argument, NULL, 'q' },
		{ "bandwidth", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	json_t	*req = json_pack("{s:s}", "cmd", CTL_REPROTECT), *res;
	char	 bytes[32], changed[32];
	int	 ch, r, ret;

	while ((ch = getopt_long(argc, argv, "r:k:qb:j", opts, NULL)) != -1) {
		if ((r = cli_protect_opt(cli, req, ch, optarg)) == 1)
			continue;
		json_decref(req);
		return r == -1 ? VMGW_EXIT_USAGE : cli_usage(&cmd_reprotect);
	}
	if (optind != argc - 1 || argv[optind][0] == '-') {
		json_decref(req);
		return cli_usage(&cmd_reprotect);
	}
	json_object_set_new(req, "domain", json_string(argv[optind]));
	if ((ret = cli_call(cli, req, &res, reprotect_event, NULL)) != 0)
		return ret;
	if (cli->json) {
		cli_print_json(res);
		json_decref(res);
		return 0;
	}
	fmt_bytes(bytes, sizeof(bytes), (uint64_t)cli_int(res, "bytes"));
	fmt_bytes(changed, sizeof(changed), (uint64_t)cli_int(res, "changed"));
	printf("%s: first point %s complete, %s shipped (%s compared "
	    "different) in %llds\n", cli_str(res, "domain"), cli_str(res,
	    "point"), bytes, changed, cli_int(res, "seconds"));
	json_decref(res);
	return 0;
}

const struct cli_cmd cmd_reprotect = {
	.name = "reprotect",
	.args = "DOMAIN [--rpo DUR] [--keep N] [--quiesce] [--bandwidth RATE] "
	    "[--json]",
	.summary = "after a failover: protect the guest back to its old home",
	.help = "Run at the site the guest failed over to, once its old home "
	    "answers again.\nThe old home's copy (kept off since the failover) "
	    "becomes the base of the\nreplica there, and the first point ships "
	    "only the blocks that differ: what\nthe guest wrote here since the "
	    "failover, and what the old home wrote after\nthat point and never "
	    "shipped (both disks are hashed in 1 MiB blocks).\nIt waits until "
	    "that point is complete.  The settings are the old home's\n"
	    "protection's unless given:\n"
	    "  --rpo DUR         the target RPO (60s, 5m, 1h)\n"
	    "  --keep N          points kept at the old home\n"
	    "  --quiesce         freeze the guest's filesystems (guest agent)\n"
	    "  --bandwidth RATE  cap the replication's bytes/s (K/M/G)\n"
	    "  --json, -j        the result as JSON\n"
	    "\nFailback is then an ordinary move: vmgw migrate DOMAIN --to "
	    "OLD-HOME.\n",
	.exec = reprotect_exec,
};
