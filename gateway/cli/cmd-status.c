/*
 * cmd-status.c - `vmgw status`: this gateway (and the configuration it
 * runs: file, hash, when loaded), and per peer whether its
 * tunnel is up, since when, the last handshake, bytes each way, channels.
 */
#include <stdio.h>

#include "cli.h"

static void
status_peer(json_t *p)
{
	char	 since[32], hs[32], in[32], out[32];
	int	 up = json_is_true(json_object_get(p, "connected"));

	fmt_time(since, sizeof(since), (time_t)cli_int(p, "since"));
	fmt_time(hs, sizeof(hs), (time_t)cli_int(p, "last_handshake"));
	fmt_bytes(in, sizeof(in), (uint64_t)cli_int(p,
	    "bytes_in"));
	fmt_bytes(out, sizeof(out), (uint64_t)cli_int(p,
	    "bytes_out"));
	printf("peer %s: %s since %s\n", cli_str(p, "site"),
	    up ? "connected" : "not connected", since);
	if (up)
		printf("  address         %s (%s)\n  suite           %s\n"
		    "  round trip      %.2f ms\n", cli_str(p, "address"),
		    json_is_true(json_object_get(p, "dialled")) ? "dialled" :
		    "accepted", cli_str(p, "suite"),
		    cli_int(p, "rtt_us") / 1000.0);
	else if (*cli_str(p, "last_error"))
		printf("  last error      %s\n", cli_str(p, "last_error"));
	printf("  last handshake  %s (%lld in all)\n  bytes           %s in, "
	    "%s out\n  channels open   %lld\n", hs, cli_int(p, "handshakes"),
	    in, out, cli_int(p, "channels"));
}

static int
status_exec(struct cli *cli, int argc, char **argv)
{
	json_t	*res, *p, *cf;
	size_t	 i;
	int	 ret;
	char	 started[32], loaded[32];

	if (argc != 1)
		return cli_usage(&cmd_status);
	if ((ret = cli_call(cli, json_pack("{s:s}", "cmd", CTL_STATUS), &res,
	    NULL, NULL)) != 0)
		return ret;
	if (cli->json) {
		cli_print_json(res);
		json_decref(res);
		return 0;
	}
	fmt_time(started, sizeof(started), (time_t)cli_int(res, "started"));
	printf("site %s (key %s), listening on %s, vmgwd %s up since %s\n",
	    cli_str(res, "site"), cli_str(res, "fingerprint"),
	    cli_str(res, "listen"), cli_str(res, "version"), started);
	if ((cf = json_object_get(res, "config")) != NULL) {
		fmt_time(loaded, sizeof(loaded), (time_t)cli_int(cf, "loaded"));
		printf("config %s (hash %s), loaded %s, %lld reload%s\n",
		    cli_str(cf, "path"), cli_str(cf, "hash"), loaded,
		    cli_int(cf, "reloads"), cli_int(cf, "reloads") == 1 ? "" :
		    "s");
	}
	json_array_foreach(json_object_get(res, "peers"), i, p)
		status_peer(p);
	json_decref(res);
	return 0;
}

const struct cli_cmd cmd_status = {
	.name = "status",
	.args = "",
	.summary = "show the peers' tunnels",
	.exec = status_exec,
};
