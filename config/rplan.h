/*
 * rplan.h - recovery plans (relocation runs): a YAML file that orders a
 * site's protected guests in groups, each with an optional check and post
 * script, for `vmgw plan check|run|end` (README, "Recovery plans"):
 *
 *   plan: shop                 # a name: 1..63 of a-z 0-9 . _ -
 *   from: site-a               # the guests' home site
 *   to: site-b                 # where they are started (the backup site)
 *   parallel: 4                # guests started at once within a group
 *   groups:                    # run in this order, one after the other
 *     - name: data
 *       guests: [db1]
 *       check: { tcp: 5432, timeout: 120s }
 *       post: /etc/vmgw/plans/shop-front.sh
 *
 * rplan_load() reads and validates the whole file the way config_load()
 * does (config.h): every error one "FILE:LINE:COL: key.path: what" line,
 * nothing returned unless all passed.  Pure: no libevent, no daemon.
 */
#ifndef VMGW_RPLAN_H
#define VMGW_RPLAN_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define RPLAN_FILE_MAX		(256 * 1024)	/* bytes of a plan file */
#define RPLAN_GROUPS_MAX	32	/* groups in a plan */
#define RPLAN_GROUP_GUESTS_MAX	64	/* guests in a group */
#define RPLAN_GUESTS_MAX	256	/* guests in a plan */
#define RPLAN_PARALLEL_DEFAULT	4
#define RPLAN_PARALLEL_MAX	32
#define RPLAN_TIMEOUT_DEFAULT	60	/* seconds of a check without one */
#define RPLAN_TIMEOUT_MAX	3600	/* seconds */
#define RPLAN_PATH_MAX		1024	/* bytes of a post script's path */

/* A group's check: the guest's TCP port answers within timeout_s. */
struct rplan_check {
	int		 set;		/* 0: no check (the reachability probe) */
	uint16_t	 tcp;
	uint32_t	 timeout_s;
};

struct rplan_group {
	char		 *name;
	char		**guests;
	size_t		  n_guests;
	struct rplan_check check;
	char		 *post;		/* absolute path, or NULL */
};

struct rplan {
	char			*path;	/* the file, for messages */
	char			*name;
	char			*from;
	char			*to;
	unsigned		 parallel;
	struct rplan_group	*groups;
	size_t			 n_groups;
	size_t			 n_guests;	/* over all groups */
};

/* Load and validate; 0 and *out, or -1 (every error handed to fn). */
int	rplan_load(const char *path, struct rplan **out, config_error_fn *fn,
	    void *arg);
int	rplan_load_string(const char *name, const char *yaml, size_t len,
	    struct rplan **out, config_error_fn *fn, void *arg);
void	rplan_free(struct rplan *);	/* accepts NULL */
/* The group a guest is in, or NULL. */
const struct rplan_group *rplan_group_of(const struct rplan *,
	    const char *guest);

#endif /* VMGW_RPLAN_H */
