/*
 * jobctl.c - the control commands on jobs of any kind: `vmgw jobs` (every
 * record, oldest first), `vmgw cancel JOB` and `vmgw set-bandwidth JOB
 * RATE` (passed to the job's kind).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"

static int
job_cmp_created(const void *a, const void *b)
{
	const struct job	*x = *(struct job *const *)a;
	const struct job	*y = *(struct job *const *)b;

	return (x->created > y->created) - (x->created < y->created);
}

/* Oldest first, so that the newest is at the bottom of `vmgw jobs`. */
static void
ctl_jobs(struct ctl_conn *c, json_t *req)
{
	json_t		*a = json_array();
	struct job	*j, **v;
	size_t		 n = 0, i;

	TAILQ_FOREACH(j, c->gw->jobs, entry)
		n++;
	if ((v = calloc(n + 1, sizeof(*v))) == NULL) {
		json_decref(a);
		ctl_error(c, VMGW_EXIT_FAIL, "out of memory");
		return;
	}
	n = 0;
	TAILQ_FOREACH(j, c->gw->jobs, entry)
		v[n++] = j;
	qsort(v, n, sizeof(*v), job_cmp_created);
	for (i = 0; i < n; i++)
		json_array_append_new(a, job_json(v[i]));
	free(v);
	ctl_ok(c, json_pack("{s:o}", "jobs", a));
}

static void
ctl_cancel(struct ctl_conn *c, json_t *req)
{
	const char	*id = json_string_value(json_object_get(req, "job"));
	struct job	*j;
	char		 err[512];

	if (id == NULL || (j = job_find(c->gw, id)) == NULL ||
	    j->role != JOB_SOURCE || j->kind->cancel == NULL) {
		ctl_error(c, VMGW_EXIT_USAGE, "%s: no such job at %s (see vmgw "
		    "jobs)", id ? id : "(none)", c->gw->conf->site);
		return;
	}
	if (job_terminal(j)) {
		ctl_error(c, VMGW_EXIT_FAIL, "job %s is already %s", j->id,
		    job_state_name(j->state));
		return;
	}
	if (j->kind->cancel(j, err, sizeof(err)) == -1) {
		ctl_error(c, VMGW_EXIT_REFUSED, "job %s: %s", j->id, err);
		return;
	}
	ctl_ok(c, json_pack("{s:s, s:s}", "job", j->id, "state",
	    "cancelling"));
}

static void
ctl_set_bandwidth(struct ctl_conn *c, json_t *req)
{
	const char	*id = json_string_value(json_object_get(req, "job"));
	const char	*rate = json_string_value(json_object_get(req, "rate"));
	struct job	*j;
	uint64_t	 bw;

	if (id == NULL || (j = job_find(c->gw, id)) == NULL ||
	    j->role != JOB_SOURCE || job_terminal(j) ||
	    j->kind->set_bandwidth == NULL) {
		ctl_error(c, VMGW_EXIT_USAGE, "%s: no running job of that id "
		    "at %s", id ? id : "(none)", c->gw->conf->site);
		return;
	}
	if (rate == NULL || size_parse(&bw, rate) == -1) {
		ctl_error(c, VMGW_EXIT_USAGE, "%s: not a rate (bytes/s with "
		    "K/M/G, 0 for none)", rate ? rate : "(none)");
		return;
	}
	j->kind->set_bandwidth(j, bw);
	ctl_ok(c, json_pack("{s:s, s:I}", "job", j->id, "bandwidth",
	    (json_int_t)bw));
}

int
jobctl_init(void)
{
	if (ctl_register(CTL_JOBS, ctl_jobs) == -1 ||
	    ctl_register(CTL_CANCEL, ctl_cancel) == -1 ||
	    ctl_register(CTL_SET_BANDWIDTH, ctl_set_bandwidth) == -1)
		return -1;
	return 0;
}
