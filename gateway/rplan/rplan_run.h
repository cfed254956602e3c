/*
 * rplan_run.h - running a recovery plan (config/rplan.h), the parts that
 * decide and compute without doing anything: which guest starts next
 * (sched.c) and the report of a run (report.c).  The CLI's `vmgw plan
 * run` drives them; the tests call them directly.  No libevent, no I/O.
 */
#ifndef VMGW_RPLAN_RUN_H
#define VMGW_RPLAN_RUN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "rplan.h"

/*
 * The order: group after group; within a group at most `parallel` guests
 * at once, the next one started as soon as one finishes (a window, not
 * waves); a group is over when all its guests finished, then its post
 * script runs (the caller's), then the next group starts.  A failure stops
 * new starts (those running still finish and are reported), unless
 * keep_going (--continue).
 */
enum rplan_step {
	RPLAN_START,		/* start guest (*group, *guest) now */
	RPLAN_WAIT,		/* wait for a running guest to finish */
	RPLAN_GROUP_END,	/* group *group is over: post, group_done */
	RPLAN_END		/* nothing more to do */
};

struct rplan_sched {
	const struct rplan	*p;
	unsigned		 parallel;
	int			 keep_going;
	size_t			 group;		/* the current group */
	size_t			 next;		/* its next guest to start */
	unsigned		 running;
	int			 group_failed;	/* a guest of it failed */
	int			 failed;	/* anything failed */
	int			 stopped;	/* no more starts */
};

void	rplan_sched_init(struct rplan_sched *, const struct rplan *,
	    unsigned parallel, int keep_going);
enum rplan_step rplan_sched_next(struct rplan_sched *, size_t *group,
	    size_t *guest);
void	rplan_sched_finished(struct rplan_sched *, int ok);
/* after RPLAN_GROUP_END: the group with its post script (ok 1 if none) */
void	rplan_sched_group_done(struct rplan_sched *, int ok);

/* What a run learnt of one guest (times: ms since the epoch, 0: none). */
enum rplan_res { RPLAN_NOT_STARTED = 0, RPLAN_OK, RPLAN_FAILED };
struct rplan_guest_res {
	enum rplan_res	 result;
	int64_t		 start_ms, end_ms;
	char		 point[64];
	int64_t		 rpo_s;		/* -1: unknown */
	char		 error[512];
	json_t		*steps;		/* [{step, at_s}], owned */
	json_t		*check;		/* the check's result {ok, ms, address,
					 * detail}, owned; NULL: not run */
};
struct rplan_group_res {
	enum rplan_res	 result;
	int64_t		 start_ms, end_ms;
	enum rplan_res	 post;		/* NOT_STARTED: none or not run */
	char		 post_error[512];
};
/* Per guest, in the plan's order (group 0's first), and per group. */
struct rplan_results {
	const struct rplan	*p;
	const char		*mode;		/* failover, test, migrate */
	unsigned		 parallel;
	int64_t			 start_ms, end_ms;
	struct rplan_guest_res	*guests;	/* p->n_guests */
	struct rplan_group_res	*groups;	/* p->n_groups */
};

int	rplan_results_init(struct rplan_results *, const struct rplan *,
	    const char *mode, unsigned parallel);
void	rplan_results_clear(struct rplan_results *);
/* index of (group, guest) in results->guests */
size_t	rplan_index(const struct rplan *, size_t group, size_t guest);
/*
 * The report (README, "the report"): the plan's result, its RTO (start
 * until the last guest's check was green; null unless every guest came
 * up), per group its times and post script, per guest its point, RPO,
 * steps, check (with its result) and result, and "failed": one line per
 * thing that did not come up.
 */
json_t	*rplan_report(const struct rplan_results *);
/* The plan as the daemon's plan-check takes it (ctlproto.h). */
json_t	*rplan_json(const struct rplan *, const char *mode);
/* "2024-05-01T12:00:00.250Z" */
void	rplan_iso(int64_t ms, char out[32]);

#endif /* VMGW_RPLAN_RUN_H */
