/*
 * cmd-set-bandwidth.c - `vmgw set-bandwidth JOB RATE`: change a running
 * job's bandwidth cap (bytes/s with K/M/G; 0 for none).
 */
#include <stdio.h>

#include "cli.h"

static int
setbw_exec(struct cli *cli, int argc, char **argv)
{
	json_t	*res;
	int	 ret;
	char	 b[32];

	if (argc != 3)
		return cli_usage(&cmd_set_bandwidth);
	if ((ret = cli_call(cli, json_pack("{s:s, s:s, s:s}", "cmd",
	    CTL_SET_BANDWIDTH, "job", argv[1], "rate", argv[2]), &res, NULL,
	    NULL)) != 0)
		return ret;
	fmt_bytes(b, sizeof(b), (uint64_t)cli_int(res,
	    "bandwidth"));
	printf("job %s: bandwidth %s/s%s\n", cli_str(res, "job"), b,
	    cli_int(res, "bandwidth") == 0 ? " (no cap)" : "");
	json_decref(res);
	return 0;
}

const struct cli_cmd cmd_set_bandwidth = {
	.name = "set-bandwidth",
	.args = "JOB RATE",
	.summary = "change a running job's bandwidth cap",
	.help = "RATE is bytes/s with K/M/G (e.g. 50M); 0 removes the cap.\n",
	.exec = setbw_exec,
};
