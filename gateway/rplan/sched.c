/*
 * sched.c - the order in which a recovery plan starts its guests
 * (rplan_run.h): a window of `parallel` guests within a group, groups one
 * after another, stopping new starts at the first failure unless asked to
 * go on.  A state machine the caller advances with what finished.
 */
#include <string.h>

#include "rplan_run.h"

void
rplan_sched_init(struct rplan_sched *s, const struct rplan *p,
    unsigned parallel, int keep_going)
{
	memset(s, 0, sizeof(*s));
	s->p = p;
	s->parallel = parallel > 0 ? parallel : 1;
	s->keep_going = keep_going;
}

enum rplan_step
rplan_sched_next(struct rplan_sched *s, size_t *group, size_t *guest)
{
	const struct rplan_group	*g;

	*group = s->group;
	*guest = 0;
	if (s->stopped || s->group >= s->p->n_groups)
		return s->running > 0 ? RPLAN_WAIT : RPLAN_END;
	g = &s->p->groups[s->group];
	if (s->next < g->n_guests && s->running < s->parallel) {
		*guest = s->next++;
		s->running++;
		return RPLAN_START;
	}
	if (s->running > 0)
		return RPLAN_WAIT;
	return RPLAN_GROUP_END;
}

void
rplan_sched_finished(struct rplan_sched *s, int ok)
{
	if (s->running > 0)
		s->running--;
	if (ok)
		return;
	s->group_failed = 1;
	s->failed = 1;
	if (!s->keep_going)
		s->stopped = 1;
}

void
rplan_sched_group_done(struct rplan_sched *s, int ok)
{
	if (!ok) {
		s->failed = 1;
		if (!s->keep_going)
			s->stopped = 1;
	}
	s->group++;
	s->next = 0;
	s->group_failed = 0;
}
