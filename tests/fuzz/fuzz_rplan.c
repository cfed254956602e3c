/*
 * fuzz_rplan.c - recovery plan files (config/rplan.c): the input is a whole
 * plan YAML, loaded with rplan_load_string() as "plan.yaml".
 *
 * Checks: a load succeeds with a plan and no message, or fails with none
 * and at least one message; every message names the file ("plan.yaml:");
 * a loaded plan keeps its bounds (groups, guests per group and in all,
 * parallel, check timeouts, absolute post scripts), every guest is in one
 * group only (rplan_group_of finds the group that lists it).
 */
#include <string.h>

#include "config.h"
#include "rplan.h"
#include "fuzz.h"

struct msgs {
	size_t	 n;
};

static void
collect(void *arg, const char *line)
{
	struct msgs	*m = arg;

	FUZZ_CHECK(line != NULL && strncmp(line, "plan.yaml", 9) == 0);
	m->n++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rplan		*p = NULL;
	struct msgs		 m = { 0 };
	size_t			 i, k, n = 0;
	int			 r;

	r = rplan_load_string("plan.yaml", (const char *)data, size, &p,
	    collect, &m);
	if (r == -1) {
		FUZZ_CHECK(p == NULL && m.n > 0);
		return 0;
	}
	FUZZ_CHECK(r == 0 && p != NULL);
	FUZZ_CHECK(p->name != NULL && p->from != NULL && p->to != NULL);
	FUZZ_CHECK(p->n_groups >= 1 && p->n_groups <= RPLAN_GROUPS_MAX);
	FUZZ_CHECK(p->parallel >= 1 && p->parallel <= RPLAN_PARALLEL_MAX);
	for (i = 0; i < p->n_groups; i++) {
		const struct rplan_group *g = &p->groups[i];

		FUZZ_CHECK(g->name != NULL);
		FUZZ_CHECK(g->n_guests >= 1 &&
		    g->n_guests <= RPLAN_GROUP_GUESTS_MAX);
		FUZZ_CHECK(!g->check.set || (g->check.tcp >= 1 &&
		    g->check.timeout_s >= 1 &&
		    g->check.timeout_s <= RPLAN_TIMEOUT_MAX));
		FUZZ_CHECK(g->post == NULL || (g->post[0] == '/' &&
		    strlen(g->post) < RPLAN_PATH_MAX));
		for (k = 0; k < g->n_guests; k++) {
			FUZZ_CHECK(g->guests[k] != NULL);
			FUZZ_CHECK(rplan_group_of(p, g->guests[k]) == g);
			n++;
		}
	}
	FUZZ_CHECK(n == p->n_guests && n <= RPLAN_GUESTS_MAX);
	rplan_free(p);
	return 0;
}
