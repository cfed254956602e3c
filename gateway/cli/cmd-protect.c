/*
 * cmd-protect.c - `vmgw protect DOMAIN --to SITE [--rpo DUR] [--keep N]
 * [--quiesce] [--bandwidth RATE]`: keep points of DOMAIN at SITE, the
 * backup site, from now on (the daemon checks and records it: a restart
 * keeps it).  Run again with other settings to change them.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

/*
 * The settings protect and reprotect share: --rpo, --keep, --quiesce,
 * --bandwidth, --json (ch as getopt_long gave it) into req.  1: taken,
 * 0: not one of them, -1: a bad value (said on stderr).
 */
int
cli_protect_opt(struct cli *cli, json_t *req, int ch, const char *arg)
{
	char	*end;
	long	 n;

	switch (ch) {
	case 'r':
		json_object_set_new(req, "rpo", json_string(arg));
		return 1;
	case 'b':
		json_object_set_new(req, "bandwidth", json_string(arg));
		return 1;
	case 'q':
		json_object_set_new(req, "quiesce", json_true());
		return 1;
	case 'j':
		cli->json = 1;
		return 1;
	case 'k':
		n = strtol(arg, &end, 10);
		if (*arg == '\0' || *end != '\0') {
			fprintf(stderr, "vmgw: --keep %s: not a number\n", arg);
			return -1;
		}
		json_object_set_new(req, "keep", json_integer(n));
		return 1;
	}
	return 0;
}

static int
protect_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "rpo", required_argument, NULL, 'r' },
		{ "keep", required_argument, NULL, 'k' },
		{ "quiesce", no_argument, NULL, 'q' },
		{ "bandwidth", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	json_t	*req = json_pack("{s:s}", "cmd", CTL_PROTECT), *res;
	int	 ch, r, ret;

	while ((ch = getopt_long(argc, argv, "t:r:k:qb:j", opts, NULL)) != -1) {
		if (ch == 't') {
			json_object_set_new(req, "to", json_string(optarg));
			continue;
		}
		if ((r = cli_protect_opt(cli, req, ch, optarg)) == 1)
			continue;
		json_decref(req);
		return r == -1 ? VMGW_EXIT_USAGE : cli_usage(&cmd_protect);
	}
	if (optind != argc - 1 || json_object_get(req, "to") == NULL) {
		json_decref(req);
		return cli_usage(&cmd_protect);
	}
	json_object_set_new(req, "domain", json_string(argv[optind]));
	if ((ret = cli_call(cli, req, &res, NULL, NULL)) != 0)
		return ret;
	if (cli->json)
		cli_print_json(res);
	else
		printf("%s: protected to %s (rpo %llds, keep %lld points%s); "
		    "the first point is on its way\n", cli_str(res, "domain"),
		    cli_str(res, "to"), cli_int(res, "rpo_s"),
		    cli_int(res, "keep"), json_is_true(json_object_get(res,
		    "quiesce")) ? ", quiesced" : "");
	json_decref(res);
	return 0;
}

const struct cli_cmd cmd_protect = {
	.name = "protect",
	.args = "DOMAIN --to SITE [--rpo DUR] [--keep N] [--quiesce] "
	    "[--bandwidth RATE] [--json]",
	.summary = "replicate a guest's disks to a backup site",
	.help = "  --to SITE         the backup site (required)\n"
	    "  --rpo DUR         the target recovery point objective: 60s "
	    "(default), 5m, 1h\n"
	    "  --keep N          points kept at the backup site (default 24); "
	    "older ones\n                    merge into its base\n"
	    "  --quiesce         freeze the guest's filesystems (guest agent) "
	    "for\n                    app-consistent points\n"
	    "  --bandwidth RATE  cap the replication's bytes/s (K/M/G)\n"
	    "  --json, -j        the result as JSON\n"
	    "\nThe setting is durable: a restarted vmgwd protects the guest "
	    "from its newest\npoint on.  Run it again to change the settings.\n",
	.exec = protect_exec,
};
