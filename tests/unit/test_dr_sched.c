/*
 * test_dr_sched.c - the replication scheduler and the retention plan, both
 * pure: a table of T(...) cases for when the next cycle starts, the RPO
 * state and the slow-cycle warning (thresholds at their boundaries, the
 * floor, a late start, no point yet); the duration history as a ring; and
 * a table of retention cases with pins ('P') among unpinned points ('.').
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "drcore.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

struct sched_case {
	int64_t		 rpo, floor;
	int64_t		 dur[3];	/* oldest first, 0: none */
	int64_t		 newest, last, now;
	int64_t		 next;
	enum drc_rpo_state state;
	int		 warn;
};

#define OK	DRC_RPO_OK
#define WARN	DRC_RPO_WARNING
#define VIOL	DRC_RPO_VIOLATION
#define T(rpo, fl, d1, d2, d3, newest, last, now, next, st, w) \
	{ rpo, fl, { d1, d2, d3 }, newest, last, now, next, st, w }
static const struct sched_case sched_cases[] = {
	/* rpo 3600: margin 900, warning above 3240, violation above 3600 */
	T(3600, 0,    0,   0,   0, 1000, 1000, 1100, 3700, OK,   0),
	T(3600, 0,  600,   0,   0, 1000, 1000, 1100, 3100, OK,   0),
	T(3600, 0,  100, 600, 300, 1000, 1000, 1100, 3100, OK,   0),
	T(3600, 0,  100, 300,1800, 1000, 1000, 1100, 1900, OK,   0),
	T(3600, 0,  100, 300,1801, 1000, 1000, 1100, 1899, OK,   1),
	T(3600, 0, 2000,   0,   0, 1000, 1000, 1100, 1700, OK,   1),
	T(3600, 0,  600,   0,   0, 1000, 1000, 4240, 4240, OK,   0),
	T(3600, 0,  600,   0,   0, 1000, 1000, 4241, 4241, WARN, 0),
	T(3600, 0,  600,   0,   0, 1000, 1000, 4600, 4600, WARN, 0),
	T(3600, 0,  600,   0,   0, 1000, 1000, 4601, 4601, VIOL, 0),
	T(3600, 0,  600,   0,   0, 1000, 1000, 9000, 9000, VIOL, 0),
	/* the deadline passed while waiting: start now */
	T(3600, 0,  600,   0,   0, 1000, 1000, 3101, 3101, OK,   0),
	/* a failed attempt since: the floor counts from it */
	T(3600, 0,  600,   0,   0, 1000, 3090, 3095, 3150, OK,   0),
	T(3600, 0,  600,   0,   0, 1000, 2000, 2010, 3100, OK,   0),
	/* the floor: never more often than every 60 s (or as set) */
	T(  60, 0,    0,   0,   0, 1000, 1000, 1001, 1060, OK,   0),
	T(  60,10,    0,   0,   0, 1000, 1000, 1001, 1045, OK,   0),
	T( 120,90,   50,   0,   0, 1000, 1000, 1001, 1090, OK,   0),
	/* no point yet: start at once (or after the floor), violation */
	T(3600, 0,    0,   0,   0,    0,    0,  500,  500, VIOL, 0),
	T(3600, 0,    0,   0,   0,    0,  480,  500,  540, VIOL, 0),
	/* clock behind the newest point: rpo 0 */
	T(3600, 0,    0,   0,   0, 1000, 1000,  900, 3700, OK,   0),
};
#undef T

static void
test_sched_table(void **state)
{
	struct drc_sched s;
	struct drc_sched_out o;
	size_t i, j;

	(void)state;
	for (i = 0; i < nitems(sched_cases); i++) {
		const struct sched_case *c = &sched_cases[i];

		drc_sched_init(&s, c->rpo, c->floor);
		for (j = 0; j < 3; j++)
			if (c->dur[j] > 0)
				drc_sched_record(&s, c->dur[j]);
		memset(&o, 0xa5, sizeof(o));
		drc_sched_next(&s, c->newest, c->last, c->now, &o);
		if (o.next_start != c->next || o.state != c->state ||
		    o.warn_slow != c->warn)
			fail_msg("case %zu: next %lld state %s warn %d, want "
			    "%lld %s %d", i, (long long)o.next_start,
			    drc_rpo_state_str(o.state), o.warn_slow,
			    (long long)c->next, drc_rpo_state_str(c->state),
			    c->warn);
		if (c->newest == 0)
			assert_int_equal(o.rpo_now, -1);
		else if (c->now >= c->newest)
			assert_int_equal(o.rpo_now, c->now - c->newest);
	}
}

static void
test_sched_history(void **state)
{
	struct drc_sched s;
	int64_t d;

	(void)state;
	drc_sched_init(&s, 3600, 0);
	assert_int_equal(drc_sched_expected(&s), 0);
	drc_sched_record(&s, 1000);	/* the long one goes out ... */
	for (d = 1; d < DRC_SCHED_HISTORY; d++)
		drc_sched_record(&s, d * 10);
	assert_int_equal(drc_sched_expected(&s), 1000);
	drc_sched_record(&s, 5);	/* ... after DRC_SCHED_HISTORY more */
	assert_int_equal(drc_sched_expected(&s), (DRC_SCHED_HISTORY - 1) * 10);
	drc_sched_record(&s, -3);	/* a clock step: counted as 0 */
	assert_int_equal(s.n_dur, DRC_SCHED_HISTORY);
	assert_string_equal(drc_rpo_state_str(DRC_RPO_WARNING), "warning");
}

struct retain_case {
	size_t		 keep;
	const char	*points;	/* oldest first: '.' or 'P' (pinned) */
	size_t		 merge, held_by;
};

#define T(keep, pts, merge, held)	{ keep, pts, merge, held }
static const struct retain_case retain_cases[] = {
	T( 3, "",		0, 0),
	T( 3, "...",		0, 3),
	T( 3, "....",		1, 4),
	T( 3, "......",		3, 6),
	T( 1, "......",		5, 6),
	T( 0, "...",		2, 3),	/* keep 0 is keep 1 */
	T( 3, "P.....",		0, 0),
	T( 3, ".P....",		1, 1),	/* p1 merges under a pinned p2 */
	T( 3, "..P...",		2, 2),
	T( 3, "...P..",		3, 6),	/* the pin is among the kept */
	T( 2, "....P.",		4, 6),
	T( 2, "...P..",		3, 3),
	T( 3, "PPPPPP",		0, 0),
	T(10, "P.",		0, 2),
	T( 1, ".P.P.P.",	1, 1),
};
#undef T

static void
test_retain_table(void **state)
{
	int pinned[16];
	size_t i, j, n, held, got;

	(void)state;
	for (i = 0; i < nitems(retain_cases); i++) {
		const struct retain_case *c = &retain_cases[i];

		n = strlen(c->points);
		for (j = 0; j < n; j++)
			pinned[j] = c->points[j] == 'P';
		held = 99;
		got = drc_retain_plan(pinned, n, c->keep, &held);
		if (got != c->merge || held != c->held_by)
			fail_msg("keep %zu \"%s\": merge %zu held by %zu, want "
			    "%zu %zu", c->keep, c->points, got, held, c->merge,
			    c->held_by);
	}
	assert_int_equal(drc_retain_plan(pinned, 0, 1, NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sched_table),
		cmocka_unit_test(test_sched_history),
		cmocka_unit_test(test_retain_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
