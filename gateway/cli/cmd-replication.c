/*
 * cmd-replication.c - `vmgw replication [DOMAIN]`: per protected guest,
 * the backup site, the state, the current RPO (now minus the start of the
 * newest complete point) against the target, the last cycle's bytes and
 * time, the throughput and the points kept.  With DOMAIN the exit status
 * is 1 when its RPO is violated or replication is in error.
 */
#include <stdio.h>

#include "cli.h"

static void
fmt_secs(char *out, size_t len, long long s)
{
	if (s < 0)
		snprintf(out, len, "-");
	else if (s < 120)
		snprintf(out, len, "%llds", s);
	else if (s < 7200)
		snprintf(out, len, "%lldm%02llds", s / 60, s % 60);
	else
		snprintf(out, len, "%lldh%02lldm", s / 3600, s % 3600 / 60);
}

static int
replication_exec(struct cli *cli, int argc, char **argv)
{
	json_t	*req, *res, *g;
	size_t	 i;
	int	 ret;
	char	 rpo[16], target[16], bytes[32], dur[16], rate[32];

	if (argc > 2 || (argc == 2 && argv[1][0] == '-'))
		return cli_usage(&cmd_replication);
	req = json_pack("{s:s}", "cmd", CTL_REPLICATION);
	if (argc == 2)
		json_object_set_new(req, "domain", json_string(argv[1]));
	if ((ret = cli_call(cli, req, &res, NULL, NULL)) != 0)
		return ret;
	ret = json_is_true(json_object_get(res, "violated")) ?
	    VMGW_EXIT_FAIL : 0;
	if (cli->json) {
		cli_print_json(res);
		json_decref(res);
		return ret;
	}
	printf("%-14s %-8s %-10s %7s %7s %10s %7s %11s %6s %5s  %s\n",
	    "GUEST", "TO", "STATE", "RPO", "TARGET", "LAST", "TOOK", "RATE",
	    "POINTS", "DEPTH", "NEWEST / REASON");
	json_array_foreach(json_object_get(res, "guests"), i, g) {
		fmt_secs(rpo, sizeof(rpo), cli_int(g, "rpo_s"));
		fmt_secs(target, sizeof(target), cli_int(g, "target_rpo_s"));
		fmt_secs(dur, sizeof(dur), cli_int(g, "last_duration_s"));
		fmt_bytes(bytes, sizeof(bytes), (uint64_t)cli_int(g,
		    "last_bytes"));
		fmt_bytes(rate, sizeof(rate), (uint64_t)json_real_value(
		    json_object_get(g, "throughput_bps")));
		printf("%-14s %-8s %-10s %7s %7s %10s %7s %9s/s %6lld %5lld  "
		    "%s%s%s\n",
		    cli_str(g, "domain"), cli_str(g, "to"), cli_str(g, "state"),
		    rpo, target, bytes, dur, rate, cli_int(g, "points_kept"),
		    cli_int(g, "chain_depth") ? cli_int(g, "chain_depth") : 1,
		    *cli_str(g, "newest_point") ? cli_str(g, "newest_point") :
		    "-", *cli_str(g, "reason") ? ": " : "",
		    cli_str(g, "reason"));
	}
	json_decref(res);
	return ret;
}

const struct cli_cmd cmd_replication = {
	.name = "replication",
	.args = "[DOMAIN]",
	.summary = "protected guests: state, RPO, last cycle, points",
	.help = "RPO: now minus the start of the newest complete point; TARGET: "
	    "--rpo.\nDEPTH: the images under the guest's disks here (1: its "
	    "own; after a move\nover the replica or a failover it runs on its "
	    "chain, merged down to 3).\nSTATE: seeding, ok, warning (above 90% of the target), "
	    "violation, resync,\nerror (with the reason).  With DOMAIN the "
	    "exit status is 1 when its RPO is\nviolated or it is in error.  "
	    "-j: JSON.\n",
	.exec = replication_exec,
};
