/*
 * cmd-forward.c - `vmgw forward --to SITE --listen ADDR --connect ADDR`:
 * like `ssh -L`.  Runs until interrupted (Ctrl-C, SIGTERM): closing the
 * control connection stops the forward and aborts its connections.
 * ADDR is HOST:PORT or unix:PATH.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static volatile sig_atomic_t	fwd_stop;

static void
fwd_sig(int sig)
{
	fwd_stop = 1;
}

static void
fwd_print_event(json_t *m)
{
	const char	*ev = cli_str(m, "event"), *st = cli_str(m, "state");
	char		 up[32], down[32];

	if (strcmp(ev, "listening") == 0) {
		printf("forwarding %s -> %s:%s (Ctrl-C to stop)\n",
		    cli_str(m, "listen"), cli_str(m, "site"),
		    cli_str(m, "connect"));
	} else if (strcmp(ev, "conn") == 0 && strcmp(st, "open") == 0) {
		printf("%s: connected\n", cli_str(m, "from"));
	} else if (strcmp(ev, "conn") == 0) {
		fmt_bytes(up, sizeof(up), (uint64_t)cli_int(m,
		    "bytes_up"));
		fmt_bytes(down, sizeof(down), (uint64_t)
		    cli_int(m, "bytes_down"));
		printf("%s: %s (%s sent, %s received)%s%s\n",
		    cli_str(m, "from"), st, up, down,
		    *cli_str(m, "error") ? ": " : "", cli_str(m, "error"));
	}
	fflush(stdout);
}

static int
forward_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "listen", required_argument, NULL, 'l' },
		{ "connect", required_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 }
	};
	const char		*to = NULL, *lis = NULL, *con = NULL;
	struct vmgw_client	 c;
	struct sigaction	 sa;
	json_t			*m;
	char			 err[512];
	int			 ch, r, ret;

	while ((ch = getopt_long(argc, argv, "t:l:C:", opts, NULL)) != -1) {
		switch (ch) {
		case 't': to = optarg; break;
		case 'l': lis = optarg; break;
		case 'C': con = optarg; break;
		default: return cli_usage(&cmd_forward);
		}
	}
	if (optind != argc || to == NULL || lis == NULL || con == NULL)
		return cli_usage(&cmd_forward);
	if ((ret = cli_connect(cli, &c)) != 0)
		return ret;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fwd_sig;	/* no SA_RESTART: poll returns EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (client_send(&c, json_pack("{s:s, s:s, s:s, s:s}", "cmd", CTL_FORWARD,
	    "to", to, "listen", lis, "connect", con)) == -1) {
		client_close(&c);
		return VMGW_EXIT_DAEMON;
	}
	ret = VMGW_EXIT_OK;
	while (!fwd_stop) {
		if ((r = client_recv(&c, &m, -1, err, sizeof(err))) == -2)
			continue;
		if (r <= 0) {
			fprintf(stderr, "vmgw: %s\n", r == 0 ?
			    "vmgwd ended the forward" : err);
			ret = VMGW_EXIT_DAEMON;
			break;
		}
		if (strcmp(cli_str(m, "type"), "result") == 0) {
			if (!json_is_true(json_object_get(m, "ok"))) {
				fprintf(stderr, "vmgw: %s\n",
				    cli_str(m, "error"));
				ret = (int)cli_int(m, "exit");
			}
			json_decref(m);
			break;
		}
		if (cli->json) {
			json_dumpf(m, stdout, JSON_COMPACT);
			putchar('\n');
			fflush(stdout);
		} else
			fwd_print_event(m);
		json_decref(m);
	}
	client_close(&c);
	return ret;
}

const struct cli_cmd cmd_forward = {
	.name = "forward",
	.args = "--to SITE --listen ADDR --connect ADDR",
	.summary = "forward connections to an address at SITE (like ssh -L)",
	.help = "  --to SITE        the gateway that connects (its forward_targets "
	    "must list\n                   ADDR)\n"
	    "  --listen ADDR    where to listen here\n"
	    "  --connect ADDR   what SITE connects to\n"
	    "\nADDR is HOST:PORT or unix:PATH.  Runs until Ctrl-C.\n",
	.exec = forward_exec,
};
