/*
 * cmd-points.c - `vmgw points DOMAIN`: the recovery points of a guest,
 * asked of its backup site (at the home site) or read here (at the backup
 * site), each with id, time, crash- or app-consistent, and bytes; with
 * -j, each disk's overlay file too.
 */
#include <stdio.h>
#include <time.h>

#include "cli.h"

static int
points_exec(struct cli *cli, int argc, char **argv)
{
	json_t	*res, *p;
	size_t	 i;
	int	 ret;
	char	 when[32], bytes[32], tested[32];

	if (argc != 2 || argv[1][0] == '-')
		return cli_usage(&cmd_points);
	if ((ret = cli_call(cli, json_pack("{s:s, s:s}", "cmd", CTL_POINTS,
	    "domain", argv[1]), &res, NULL, NULL)) != 0)
		return ret;
	if (cli->json) {
		cli_print_json(res);
		json_decref(res);
		return 0;
	}
	printf("%s: %zu point(s) in %s\n", argv[1], json_array_size(
	    json_object_get(res, "points")), cli_str(res, "dir"));
	printf("%-9s %-19s %-6s %10s  %s\n", "POINT", "TAKEN", "KIND", "BYTES",
	    "NOTE");
	json_array_foreach(json_object_get(res, "points"), i, p) {
		fmt_time(when, sizeof(when), (time_t)cli_int(p, "start"));
		fmt_bytes(bytes, sizeof(bytes), (uint64_t)cli_int(p, "bytes"));
		printf("%-9s %-19s %-6s %10s  %s%s", cli_str(p, "id"), when,
		    cli_str(p, "consistency"), bytes, cli_str(p, "reason"),
		    json_is_true(json_object_get(p, "pinned")) ? " (pinned)" :
		    "");
		if (cli_int(p, "tested_at") > 0) {
			fmt_time(tested, sizeof(tested),
			    (time_t)cli_int(p, "tested_at"));
			printf(" (tested at %s: %s)", tested, cli_str(p,
			    "test_result"));
		}
		printf("\n");
	}
	json_decref(res);
	return 0;
}

const struct cli_cmd cmd_points = {
	.name = "points",
	.args = "DOMAIN",
	.summary = "list a guest's recovery points",
	.help = "At the home site the list comes from the backup site; at the "
	    "backup site\nfrom its own chain.  -j: with every disk's overlay "
	    "file.\n",
	.exec = points_exec,
};
