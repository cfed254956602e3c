/*
 * cmd-check.c - `vmgw check SITE`: open a tunnel to SITE now and say who
 * answered: site name, key fingerprint, suite, round trip.  Exit 0 only
 * when SITE authenticated with its pinned key.
 */
#include <stdio.h>

#include "cli.h"

static int
check_exec(struct cli *cli, int argc, char **argv)
{
	json_t	*res;
	int	 ret;

	if (argc != 2)
		return cli_usage(&cmd_check);
	ret = cli_call(cli, json_pack("{s:s, s:s}", "cmd", CTL_CHECK, "site",
	    argv[1]), &res, NULL, NULL);
	if (ret != 0)
		return ret;
	if (cli->json)
		cli_print_json(res);
	else
		printf("%s: authenticated\n"
		    "  address      %s\n"
		    "  key          %s (%s)\n"
		    "  suite        %s\n"
		    "  round trip   %.2f ms (handshake %.2f ms)\n",
		    cli_str(res, "site"), cli_str(res, "address"),
		    cli_str(res, "fingerprint"), cli_str(res, "public_key"),
		    cli_str(res, "suite"), cli_int(res, "rtt_us") / 1000.0,
		    cli_int(res, "handshake_rtt_us") / 1000.0);
	json_decref(res);
	return 0;
}

const struct cli_cmd cmd_check = {
	.name = "check",
	.args = "SITE",
	.summary = "open a tunnel to SITE now and show who answered",
	.help = "A fresh handshake to SITE: its name, key fingerprint, suite and "
	    "round trip.\nExit 0 only when SITE authenticated with its pinned "
	    "key, 4 when not.\n",
	.exec = check_exec,
};
