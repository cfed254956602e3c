/*
 * cmd-unprotect.c - `vmgw unprotect DOMAIN [--keep-replica]`: stop taking
 * points of DOMAIN; vmgw's checkpoints of it go, and so does its replica at
 * the backup site unless --keep-replica (refused when that site does not
 * answer, or the replica is in use there).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int
unprotect_exec(struct cli *cli, int argc, char **argv)
{
	json_t	*res;
	int	 keep = 0, ret;

	if (argc == 3 && strcmp(argv[2], "--keep-replica") == 0)
		keep = 1;
	else if (argc != 2 || argv[1][0] == '-')
		return cli_usage(&cmd_unprotect);
	if ((ret = cli_call(cli, json_pack("{s:s, s:s, s:b}", "cmd",
	    CTL_UNPROTECT, "domain", argv[1], "keep_replica", keep), &res,
	    NULL, NULL)) != 0)
		return ret;
	if (cli->json)
		cli_print_json(res);
	else if (json_is_true(json_object_get(res, "kept_replica")))
		printf("%s: no longer protected to %s; its replica stays "
		    "there\n", cli_str(res, "domain"), cli_str(res, "to"));
	else
		printf("%s: no longer protected to %s; its replica there is "
		    "removed (%s, %.1f MiB)\n", cli_str(res, "domain"),
		    cli_str(res, "to"), cli_str(res, "dir"), (double)
		    json_integer_value(json_object_get(res, "bytes")) /
		    (1024.0 * 1024));
	if (!cli->json && json_object_get(res, "warning") != NULL)
		fprintf(stderr, "vmgw: warning: %s's checkpoints: %s\n",
		    cli_str(res, "domain"), cli_str(res, "warning"));
	json_decref(res);
	return 0;
}

const struct cli_cmd cmd_unprotect = {
	.name = "unprotect",
	.args = "DOMAIN [--keep-replica]",
	.summary = "stop replicating a guest",
	.help = "  --keep-replica    the replica stays at the backup site "
	    "(without it, the\n                    backup site removes it, and "
	    "must answer: unprotect is\n                    refused when it "
	    "does not, or when the replica is in use\n                    "
	    "there: failed over, or a test failover runs)\n",
	.exec = unprotect_exec,
};
