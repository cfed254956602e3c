/*
 * sched.c - when the next replication cycle of a guest must start so that
 * its RPO holds, and how the RPO stands now.  Pure: times come in as
 * arguments (unix seconds), nothing is read from a clock.
 *
 * The RPO at time t is t - the start of the newest complete point: what a
 * failover at t would lose.  A cycle started at S and lasting d brings it
 * back to d at S + d, so the next one has to start by newest + rpo - d.
 * We plan with d = the longest of the last DRC_SCHED_HISTORY cycles and a
 * margin of DRC_SCHED_MARGIN_PCT of the RPO: in steady state the RPO then
 * peaks at about 75% of the target, below the warning threshold (90%), and
 * one cycle may overrun by a quarter of the RPO before it is violated.
 */
#include "drcore_int.h"

void
drc_sched_init(struct drc_sched *s, int64_t rpo, int64_t floor)
{
	*s = (struct drc_sched){ .rpo = rpo > 0 ? rpo : 1,
	    .floor = floor > 0 ? floor : DRC_SCHED_FLOOR_S };
}

void
drc_sched_record(struct drc_sched *s, int64_t duration)
{
	s->dur[s->next_dur] = duration > 0 ? duration : 0;
	s->next_dur = (s->next_dur + 1) % DRC_SCHED_HISTORY;
	if (s->n_dur < DRC_SCHED_HISTORY)
		s->n_dur++;
}

int64_t
drc_sched_expected(const struct drc_sched *s)
{
	int64_t max = 0;
	size_t i;

	for (i = 0; i < s->n_dur; i++)
		if (s->dur[i] > max)
			max = s->dur[i];
	return max;
}

static int64_t
last_duration(const struct drc_sched *s)
{
	if (s->n_dur == 0)
		return 0;
	return s->dur[(s->next_dur + DRC_SCHED_HISTORY - 1) %
	    DRC_SCHED_HISTORY];
}

void
drc_sched_next(const struct drc_sched *s, int64_t newest_start,
    int64_t last_start, int64_t now, struct drc_sched_out *o)
{
	int64_t margin = s->rpo * DRC_SCHED_MARGIN_PCT / 100, next = now;

	o->warn_slow = last_duration(s) * 2 > s->rpo;
	if (newest_start > 0) {
		o->rpo_now = now > newest_start ? now - newest_start : 0;
		next = newest_start + s->rpo - drc_sched_expected(s) - margin;
		if (o->rpo_now > s->rpo)
			o->state = DRC_RPO_VIOLATION;
		else if (o->rpo_now * 100 > s->rpo * DRC_SCHED_WARN_PCT)
			o->state = DRC_RPO_WARNING;
		else
			o->state = DRC_RPO_OK;
	} else {
		o->rpo_now = -1;	/* not protected yet: start at once */
		o->state = DRC_RPO_VIOLATION;
	}
	if (last_start > 0 && next < last_start + s->floor)
		next = last_start + s->floor;
	if (next < now)
		next = now;
	o->next_start = next;
}

const char *
drc_rpo_state_str(enum drc_rpo_state st)
{
	switch (st) {
	case DRC_RPO_OK:
		return "ok";
	case DRC_RPO_WARNING:
		return "warning";
	case DRC_RPO_VIOLATION:
		return "violation";
	}
	return "unknown";
}
