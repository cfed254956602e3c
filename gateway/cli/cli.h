/*
 * cli.h - the `vmgw` command line: a table of commands, one file each
 * (cmd-*.c).  The CLI packs arguments into a request and prints what the
 * daemon answers; the daemon validates.
 */
#ifndef VMGW_CLI_H
#define VMGW_CLI_H

#include <jansson.h>

#include "client.h"
#include "ctlproto.h"
#include "util.h"

struct cli {
	const char	*config;	/* -c */
	const char	*socket;	/* -s, overrides the config's control */
	int		 json;		/* -j: print results as JSON */
};

struct cli_cmd {
	const char	*name;
	const char	*args;		/* usage after the name */
	const char	*summary;
	const char	*help;		/* `vmgw NAME --help`: the options, one
					 * per line, and what else to know */
	int		(*exec)(struct cli *, int argc, char **argv);
};

extern const struct cli_cmd cmd_keygen, cmd_pubkey, cmd_check, cmd_status,
    cmd_forward, cmd_bench, cmd_migrate, cmd_jobs, cmd_cancel,
    cmd_set_bandwidth, cmd_protect, cmd_unprotect, cmd_replication, cmd_sync,
    cmd_points, cmd_failover, cmd_reprotect, cmd_plan, cmd_clone;

/* vmgw.c */
int	cli_usage(const struct cli_cmd *);	/* stderr, VMGW_EXIT_USAGE */
/* protect's and reprotect's settings options (cmd-protect.c) */
int	cli_protect_opt(struct cli *, json_t *req, int ch, const char *arg);
int	cli_help(const struct cli_cmd *);	/* stdout, 0 */
int	cli_connect(struct cli *, struct vmgw_client *);
/*
 * Send req (stolen) and wait for the result, calling on_event for events.
 * Prints the error and returns its exit code on failure; on success returns
 * 0 and *result (caller frees) unless result is NULL.
 */
int	cli_call(struct cli *, json_t *req, json_t **result,
	    void (*on_event)(struct cli *, json_t *, void *), void *arg);
void	cli_print_json(json_t *);
const char *cli_str(json_t *, const char *key);
long long cli_int(json_t *, const char *key);

#endif /* VMGW_CLI_H */
