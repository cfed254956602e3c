/*
 * cmd-status.c - `vmgw status`: this gateway (and the configuration it
 * runs: file, hash, when loaded), and per peer whether its
 * tunnel is up, since when, the last handshake, bytes each way, channels,
 * and with more than one connection to it, each connection.
 */
#include <stdio.h>

#include "cli.h"

/* channel data before and after compression, each way */
static void
status_compress(json_t *z)
{
	char	 sd[32], sc[32], rc[32], rd[32];

	if (!json_is_object(z))
		return;
	fmt_bytes(sd, sizeof(sd), (uint64_t)cli_int(z, "sent_data"));
	fmt_bytes(sc, sizeof(sc), (uint64_t)cli_int(z, "sent_compressed"));
	fmt_bytes(rc, sizeof(rc), (uint64_t)cli_int(z, "received_compressed"));
	fmt_bytes(rd, sizeof(rd), (uint64_t)cli_int(z, "received_data"));
	printf("  compress        %s: sent %s as %s, received %s as %s\n",
	    cli_str(z, "mode"), sd, sc, rd, rc);
}

/* A peer with data connections: one line each, the tunnel (#0) first. */
static void
status_conns(json_t *a)
{
	json_t	*c;
	size_t	 i;
	char	 in[32], out[32];

	if (json_array_size(a) < 2)
		return;
	json_array_foreach(a, i, c) {
		if (!json_is_true(json_object_get(c, "connected"))) {
			printf("  connection #%lld down%s%s%s\n",
			    cli_int(c, "index"),
			    json_is_true(json_object_get(c, "refused")) ?
			    " (refused by the peer)" : "",
			    *cli_str(c, "last_error") ? ": " : "",
			    cli_str(c, "last_error"));
			continue;
		}
		fmt_bytes(in, sizeof(in), (uint64_t)cli_int(c, "bytes_in"));
		fmt_bytes(out, sizeof(out), (uint64_t)cli_int(c, "bytes_out"));
		printf("  connection #%lld %s (%s), %s in, %s out, %lld "
		    "channel%s, %lld rekey%s", cli_int(c, "index"),
		    cli_str(c, "address"), json_is_true(json_object_get(c,
		    "dialled")) ? "dialled" : "accepted", in, out,
		    cli_int(c, "channels"), cli_int(c, "channels") == 1 ? "" :
		    "s", cli_int(c, "rekeys"), cli_int(c, "rekeys") == 1 ? "" :
		    "s");
		if (cli_int(c, "index") > 0)
			printf(", %lld handshake%s", cli_int(c, "handshakes"),
			    cli_int(c, "handshakes") == 1 ? "" : "s");
		printf("\n");
	}
}

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
	status_compress(json_object_get(p, "compress"));
	status_conns(json_object_get(p, "connections"));
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
	.help = "Per peer: connected since, last handshake, bytes each way, "
	    "channels open,\nthe last error, and each connection when "
	    "peers.NAME.connections > 1\n(-j: JSON).\n",
	.exec = status_exec,
};
