/*
 * plan.h - `vmgw plan` (cmd-plan.c) and its run (plan_run.c).
 */
#ifndef VMGW_CLI_PLAN_H
#define VMGW_CLI_PLAN_H

#include "cli.h"
#include "rplan.h"

struct plan_opts {
	const char	*mode;		/* failover, test, migrate */
	int		 keep_going;	/* --continue */
	unsigned	 parallel;	/* --parallel, 0: the plan's */
};

/* The file, its errors on stderr; 0 or VMGW_EXIT_USAGE. */
int	plan_load(const char *path, struct rplan **);
/* One request on its own connection: 0 and *res, or the exit code and
 * err (nothing printed). */
int	plan_rpc(struct cli *, json_t *req, json_t **res, char *err,
	    size_t errlen);
int	plan_run(struct cli *, const struct rplan *, const struct plan_opts *);

#endif /* VMGW_CLI_PLAN_H */
