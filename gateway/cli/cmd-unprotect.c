/*
 * cmd-unprotect.c - `vmgw unprotect DOMAIN [--keep-replica]`: stop taking
 * points of DOMAIN.  The replica at the backup site stays (a later version
 * removes it unless --keep-replica).
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
	else
		printf("%s: no longer protected to %s; its replica stays "
		    "there\n", cli_str(res, "domain"), cli_str(res, "to"));
	json_decref(res);
	return 0;
}

const struct cli_cmd cmd_unprotect = {
	.name = "unprotect",
	.args = "DOMAIN [--keep-replica]",
	.summary = "stop replicating a guest",
	.help = "  --keep-replica    the replica stays at the backup site (it "
	    "does, for now,\n                    in any case)\n",
	.exec = unprotect_exec,
};
