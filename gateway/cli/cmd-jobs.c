/*
 * cmd-jobs.c - `vmgw jobs`: running and recent migration jobs, both the
 * ones this gateway sends and the ones it receives.
 */
#include <stdio.h>

#include "cli.h"

static int
jobs_exec(struct cli *cli, int argc, char **argv)
{
	json_t	*res, *j;
	size_t	 i;
	int	 ret;
	char	 when[32];

	if (argc != 1)
		return cli_usage(&cmd_jobs);
	if ((ret = cli_call(cli, json_pack("{s:s}", "cmd", CTL_JOBS), &res, NULL,
	    NULL)) != 0)
		return ret;
	if (cli->json) {
		cli_print_json(res);
		json_decref(res);
		return 0;
	}
	printf("%-12s %-11s %-14s %-8s %-10s %-19s %6s  %s\n", "JOB", "ROLE",
	    "GUEST", "PEER", "STATE", "STARTED", "SECS", "PHASE / ERROR");
	json_array_foreach(json_object_get(res, "jobs"), i, j) {
		fmt_time(when, sizeof(when), (time_t)cli_int(j, "created"));
		printf("%-12s %-11s %-14s %-8s %-10s %-19s %6lld  %s\n",
		    cli_str(j, "id"), cli_str(j, "role"), cli_str(j, "domain"),
		    cli_str(j, "peer"), cli_str(j, "state"), when,
		    cli_int(j, "seconds"), *cli_str(j, "error") ?
		    cli_str(j, "error") : cli_str(j, "phase"));
	}
	json_decref(res);
	return 0;
}

const struct cli_cmd cmd_jobs = {
	.name = "jobs",
	.args = "",
	.summary = "list running and recent migration jobs",
	.help = "Running and recent jobs, as source and as destination (-j: JSON).\n",
	.exec = jobs_exec,
};
