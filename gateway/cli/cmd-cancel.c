/*
 * cmd-cancel.c - `vmgw cancel JOB`: abort a migration; the guest stays
 * running where it was and the destination removes what the job made.
 */
#include <stdio.h>

#include "cli.h"

static int
cancel_exec(struct cli *cli, int argc, char **argv)
{
	json_t	*res;
	int	 ret;

	if (argc != 2)
		return cli_usage(&cmd_cancel);
	if ((ret = cli_call(cli, json_pack("{s:s, s:s}", "cmd", CTL_CANCEL,
	    "job", argv[1]), &res, NULL, NULL)) != 0)
		return ret;
	printf("job %s: cancelling\n", cli_str(res, "job"));
	json_decref(res);
	return 0;
}

const struct cli_cmd cmd_cancel = {
	.name = "cancel",
	.args = "JOB",
	.summary = "cancel a running migration job",
	.help = "JOB is the id `vmgw migrate` and `vmgw jobs` print.  The guest "
	    "stays where\nit was; the destination removes what the job made.\n",
	.exec = cancel_exec,
};
