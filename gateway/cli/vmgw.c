/*
 * vmgw.c - the operator's command line.  Only a table of commands and the
 * shared plumbing; each command is in its own cmd-*.c file.
 *
 *   vmgw [-j] [-c FILE] [-s SOCKET] COMMAND [ARGS...]
 *   vmgw COMMAND --help      the command's usage and options (exit 0)
 *   vmgw --help | --version
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "config.h"

static const struct cli_cmd *const cli_cmds[] = {
	&cmd_migrate, &cmd_jobs, &cmd_cancel, &cmd_set_bandwidth,
	&cmd_protect, &cmd_unprotect, &cmd_replication, &cmd_sync, &cmd_points,
	&cmd_failover, &cmd_reprotect, &cmd_plan, &cmd_clone,
	&cmd_check, &cmd_status, &cmd_forward, &cmd_bench,
	&cmd_keygen, &cmd_pubkey,
};
#define NCMDS (sizeof(cli_cmds) / sizeof(cli_cmds[0]))

/* the usage on stderr (exit 2), or with --help on stdout (exit 0) */
static int
usage(FILE *f, int ret)
{
	size_t	 i;

	fprintf(f, "usage: vmgw [-j] [-c FILE] [-s SOCKET] COMMAND "
	    "[ARGS...]\n       vmgw COMMAND --help\n       vmgw --help | "
	    "--version\n\ncommands:\n");
	for (i = 0; i < NCMDS; i++)
		fprintf(f, "  %-14s %s\n", cli_cmds[i]->name,
		    cli_cmds[i]->summary);
	fprintf(f, "\n  -c FILE       configuration (default %s)\n"
	    "  -s SOCKET     control socket (default: the config's control)\n"
	    "  -j            print results as JSON\n"
	    "  -h, --help    this help (vmgw COMMAND --help: a command's own)\n"
	    "  -V, --version the version\n"
	    "\nexit status: 0 done, 1 failed, 2 usage or configuration, "
	    "3 no vmgwd,\n4 peer unreachable or not authenticated, "
	    "5 cancelled, 6 refused before anything moved\n",
	    CONFIG_DEFAULT_PATH);
	return ret;
}

int
cli_usage(const struct cli_cmd *c)
{
	fprintf(stderr, "usage: vmgw %s%s%s\n(vmgw %s --help: the options)\n",
	    c->name, *c->args ? " " : "", c->args, c->name);
	return VMGW_EXIT_USAGE;
}

int
cli_help(const struct cli_cmd *c)
{
	printf("usage: vmgw %s%s%s\n\n%s\n", c->name, *c->args ? " " : "",
	    c->args, c->summary);
	if (c->help != NULL)
		printf("\n%s", c->help);
	printf("\nglobal options (before COMMAND): -c FILE, -s SOCKET, -j; "
	    "see vmgw --help\n");
	return 0;
}

/* `vmgw COMMAND ... --help ...` (before any "--"), or `vmgw COMMAND -h` */
static int
wants_help(int argc, char **argv)
{
	int	 i;

	if (argc > 1 && strcmp(argv[1], "-h") == 0)
		return 1;
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0)
			return 1;
	return 0;
}

int
cli_connect(struct cli *cli, struct vmgw_client *c)
{
	char	 path[256], err[512];

	if (cli->socket != NULL)
		snprintf(path, sizeof(path), "%s", cli->socket);
	else {
		if (config_peek(cli->config, "control", path, sizeof(path),
		    err, sizeof(err)) == -1) {
			fprintf(stderr, "vmgw: %s\n", err);
			return VMGW_EXIT_USAGE;
		}
		if (path[0] == '\0')
			snprintf(path, sizeof(path), "%s",
			    CONFIG_DEFAULT_CONTROL);
	}
	if (client_connect(c, path, err, sizeof(err)) == -1) {
		fprintf(stderr, "vmgw: %s\n", err);
		return VMGW_EXIT_DAEMON;
	}
	return 0;
}

int
cli_call(struct cli *cli, json_t *req, json_t **result,
    void (*on_event)(struct cli *, json_t *, void *), void *arg)
{
	struct vmgw_client	 c;
	json_t			*m;
	char			 err[512];
	int			 r, ret;
	const char		*type;

	if (result != NULL)
		*result = NULL;
	if ((ret = cli_connect(cli, &c)) != 0) {
		json_decref(req);
		return ret;
	}
	if (client_send(&c, req) == -1) {
		fprintf(stderr, "vmgw: cannot send the request: %s\n",
		    strerror(errno));
		client_close(&c);
		return VMGW_EXIT_DAEMON;
	}
	for (;;) {
		r = client_recv(&c, &m, -1, err, sizeof(err));
		if (r == -2)
			continue;
		if (r <= 0) {
			fprintf(stderr, "vmgw: %s\n", r == 0 ? "vmgwd closed "
			    "the connection without an answer" : err);
			client_close(&c);
			return VMGW_EXIT_DAEMON;
		}
		type = cli_str(m, "type");
		if (strcmp(type, "event") == 0) {
			if (on_event != NULL)
				on_event(cli, m, arg);
			json_decref(m);
			continue;
		}
		break;
	}
	client_close(&c);
	if (!json_is_true(json_object_get(m, "ok"))) {
		ret = (int)cli_int(m, "exit");
		if (cli->json)
			cli_print_json(m);
		else
			fprintf(stderr, "vmgw: %s\n", cli_str(m, "error"));
		json_decref(m);
		return ret > 0 ? ret : VMGW_EXIT_FAIL;
	}
	if (result != NULL)
		*result = m;
	else
		json_decref(m);
	return 0;
}

void
cli_print_json(json_t *m)
{
	json_object_del(m, "type");
	json_dumpf(m, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	putchar('\n');
}

const char *
cli_str(json_t *o, const char *key)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

long long
cli_int(json_t *o, const char *key)
{
	json_t	*v = json_object_get(o, key);

	if (json_is_integer(v))
		return (long long)json_integer_value(v);
	if (json_is_real(v))
		return (long long)json_real_value(v);
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct cli	 cli = { CONFIG_DEFAULT_PATH, NULL, 0 };
	int		 ch;
	size_t		 i;

	while ((ch = getopt_long(argc, argv, "+c:s:jhV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cli.config = optarg;
			break;
		case 's':
			cli.socket = optarg;
			break;
		case 'j':
			cli.json = 1;
			break;
		case 'h':
			return usage(stdout, 0);
		case 'V':
			printf("vmgw %s\n", VMGW_VERSION);
			return 0;
		default:
			return usage(stderr, VMGW_EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return usage(stderr, VMGW_EXIT_USAGE);
	for (i = 0; i < NCMDS; i++)
		if (strcmp(cli_cmds[i]->name, argv[0]) == 0)
			break;
	if (i == NCMDS) {
		fprintf(stderr, "vmgw: unknown command '%s'\n", argv[0]);
		return usage(stderr, VMGW_EXIT_USAGE);
	}
	if (wants_help(argc, argv))
		return cli_help(cli_cmds[i]);
	if (sodium_init() < 0) {
		fprintf(stderr, "vmgw: libsodium initialisation failed\n");
		return VMGW_EXIT_FAIL;
	}
	optind = 0;	/* reinitialise getopt for the command */
	return cli_cmds[i]->exec(&cli, argc, argv);
}
