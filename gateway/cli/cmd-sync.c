/*
 * cmd-sync.c - `vmgw sync DOMAIN`: take a point of a protected guest now
 * and wait until it is complete at the backup site; prints its id, its
 * consistency and the bytes shipped.
 */
#include <stdio.h>

#include "cli.h"

static int
sync_exec(struct cli *cli, int argc, char **argv)
{
	json_t	*res;
	int	 ret;
	char	 bytes[32], changed[32];

	if (argc != 2 || argv[1][0] == '-')
		return cli_usage(&cmd_sync);
	if ((ret = cli_call(cli, json_pack("{s:s, s:s}", "cmd", CTL_SYNC,
	    "domain", argv[1]), &res, NULL, NULL)) != 0)
		return ret;
	if (cli->json) {
		cli_print_json(res);
		json_decref(res);
		return 0;
	}
	fmt_bytes(bytes, sizeof(bytes), (uint64_t)cli_int(res, "bytes"));
	fmt_bytes(changed, sizeof(changed), (uint64_t)cli_int(res, "changed"));
	printf("%s: point %s complete, %s-consistent, %s shipped (%s changed) "
	    "in %llds%s%s\n", cli_str(res, "domain"), cli_str(res, "point"),
	    cli_str(res, "consistency"), bytes, changed, cli_int(res,
	    "seconds"), *cli_str(res, "reason") ? "; " : "",
	    cli_str(res, "reason"));
	json_decref(res);
	return 0;
}

const struct cli_cmd cmd_sync = {
	.name = "sync",
	.args = "DOMAIN",
	.summary = "take a point now and wait until the backup site has it",
	.help = "Prints the point's id, whether it is app- or crash-consistent "
	    "(and why),\nthe bytes shipped and the bytes that changed.\n",
	.exec = sync_exec,
};
