/*
 * report.c - the report of one recovery plan run (rplan_run.h), built from
 * what the run learnt, as JSON: what `vmgw plan run` prints, and what the
 * daemon keeps under state_dir/plans/.  Times are UTC (ISO 8601) and
 * seconds since the plan's start; the RTO is the plan's start until the
 * last guest's check was green.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rplan_run.h"

static const char *
rplan_res_name(enum rplan_res r)
{
	return r == RPLAN_OK ? "ok" : r == RPLAN_FAILED ? "failed" :
	    "not started";
}

void
rplan_iso(int64_t ms, char out[32])
{
	struct tm	 tm;
	time_t		 t = (time_t)(ms / 1000);

	if (gmtime_r(&t, &tm) == NULL) {
		(void)snprintf(out, 32, "?");
		return;
	}
	(void)snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

size_t
rplan_index(const struct rplan *p, size_t group, size_t guest)
{
	size_t	 i, n = 0;

	for (i = 0; i < group && i < p->n_groups; i++)
		n += p->groups[i].n_guests;
	return n + guest;
}

int
rplan_results_init(struct rplan_results *r, const struct rplan *p,
    const char *mode, unsigned parallel)
{
	size_t	 i;

	memset(r, 0, sizeof(*r));
	r->p = p;
	r->mode = mode;
	r->parallel = parallel;
	if ((r->guests = calloc(p->n_guests + 1, sizeof(*r->guests))) ==
	    NULL || (r->groups = calloc(p->n_groups + 1,
	    sizeof(*r->groups))) == NULL) {
		rplan_results_clear(r);
		return -1;
	}
	for (i = 0; i < p->n_guests; i++)
		r->guests[i].rpo_s = -1;
	return 0;
}

void
rplan_results_clear(struct rplan_results *r)
{
	size_t	 i;

	for (i = 0; r->guests != NULL && i < r->p->n_guests; i++) {
		json_decref(r->guests[i].steps);
		json_decref(r->guests[i].check);
	}
	free(r->guests);
	free(r->groups);
	r->guests = NULL;
	r->groups = NULL;
}

/* seconds from the plan's start, or null when it did not happen */
static json_t *
rplan_rel(const struct rplan_results *r, int64_t ms)
{
	return ms != 0 ? json_real((double)(ms - r->start_ms) / 1000.0) :
	    json_null();
}

static json_t *
rplan_when(int64_t ms)
{
	char	 iso[32];

	if (ms == 0)
		return json_null();
	rplan_iso(ms, iso);
	return json_string(iso);
}

/*
 * A group's check as the guest had it: {tcp, timeout_s, ok, ms, address,
 * detail}; ok is null when it did not run (the guest did not get that far,
 * or a --migrate run, which has no check at the destination yet).
 */
static json_t *
rplan_check_json(const struct rplan_results *r, const struct rplan_group *g,
    const struct rplan_guest_res *u)
{
	static const char *const keys[] = { "ok", "ms", "address", "detail" };
	json_t	*o, *v;
	size_t	 i;

	o = json_pack("{s:i, s:i, s:n}", "tcp", (int)g->check.tcp,
	    "timeout_s", (int)g->check.timeout_s, "ok");
	if (o == NULL)
		return NULL;
	if (strcmp(r->mode, "migrate") == 0) {
		json_object_set_new(o, "detail", json_string("not run in "
		    "--migrate mode"));
		return o;
	}
	for (i = 0; u->check != NULL && i < sizeof(keys) / sizeof(keys[0]);
	    i++)
		if ((v = json_object_get(u->check, keys[i])) != NULL)
			json_object_set(o, keys[i], v);
	return o;
}

static json_t *
rplan_guest_json(const struct rplan_results *r, const struct rplan_group *g,
    const struct rplan_guest_res *u, const char *name)
{
	json_t	*o, *chk;

	if (g->check.set)
		chk = rplan_check_json(r, g, u);
	else
		chk = json_string("probe");
	o = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "guest", name, "result", rplan_res_name(u->result),
	    "point", u->point[0] ? json_string(u->point) : json_null(),
	    "rpo_s", u->rpo_s >= 0 ? json_integer(u->rpo_s) : json_null(),
	    "start_s", rplan_rel(r, u->start_ms),
	    "end_s", rplan_rel(r, u->end_ms),
	    "seconds", u->start_ms && u->end_ms ? json_real((double)
	    (u->end_ms - u->start_ms) / 1000.0) : json_null(),
	    "steps", u->steps != NULL ? json_incref(u->steps) : json_array(),
	    "check", chk);
	if (o != NULL && u->error[0] != '\0')
		json_object_set_new(o, "error", json_string(u->error));
	return o;
}

/* one line of "failed": what did not come up, and why */
static void
rplan_failed_line(json_t *failed, const struct rplan_group *g,
    const char *guest, const struct rplan_guest_res *u)
{
	char	 line[768], chk[64];

	if (g->check.set)
		(void)snprintf(chk, sizeof(chk), "check tcp %u within %us",
		    g->check.tcp, g->check.timeout_s);
	else
		(void)snprintf(chk, sizeof(chk), "the reachability probe");
	if (u->result == RPLAN_FAILED)
		(void)snprintf(line, sizeof(line), "%s (group %s, %s): %s",
		    guest, g->name, chk, u->error[0] ? u->error : "failed");
	else
		(void)snprintf(line, sizeof(line), "%s (group %s): not started",
		    guest, g->name);
	json_array_append_new(failed, json_string(line));
}

json_t *
rplan_report(const struct rplan_results *r)
{
	const struct rplan		*p = r->p;
	const struct rplan_group	*g;
	const struct rplan_group_res	*gr;
	const struct rplan_guest_res	*u;
	json_t				*groups, *guests, *failed, *o, *post;
	int64_t				 last = 0;
	size_t				 i, k, n = 0;
	int				 all_ok = 1;
	char				 line[768];

	groups = json_array();
	failed = json_array();
	for (i = 0; i < p->n_groups; i++) {
		g = &p->groups[i];
		gr = &r->groups[i];
		guests = json_array();
		for (k = 0; k < g->n_guests; k++, n++) {
			u = &r->guests[n];
			json_array_append_new(guests, rplan_guest_json(r, g, u,
			    g->guests[k]));
			if (u->result != RPLAN_OK) {
				all_ok = 0;
				rplan_failed_line(failed, g, g->guests[k], u);
			} else if (u->end_ms > last)
				last = u->end_ms;
		}
		if (g->post == NULL)
			post = json_null();
		else {
			post = json_pack("{s:s, s:s}", "script", g->post,
			    "result", rplan_res_name(gr->post));
			if (gr->post_error[0] != '\0')
				json_object_set_new(post, "error",
				    json_string(gr->post_error));
			if (gr->post == RPLAN_FAILED) {
				all_ok = 0;
				(void)snprintf(line, sizeof(line), "group %s: "
				    "post %s: %s", g->name, g->post,
				    gr->post_error);
				json_array_append_new(failed,
				    json_string(line));
			}
		}
		o = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o}",
		    "name", g->name, "result", rplan_res_name(gr->result),
		    "started", rplan_when(gr->start_ms),
		    "ended", rplan_when(gr->end_ms),
		    "start_s", rplan_rel(r, gr->start_ms),
		    "end_s", rplan_rel(r, gr->end_ms),
		    "post", post, "guests", guests);
		json_array_append_new(groups, o);
	}
	return json_pack("{s:s, s:s, s:s, s:s, s:i, s:o, s:o, s:o, s:s, "
	    "s:o, s:o, s:o}",
	    "plan", p->name, "mode", r->mode, "from", p->from, "to", p->to,
	    "parallel", (int)r->parallel,
	    "started", rplan_when(r->start_ms),
	    "ended", rplan_when(r->end_ms),
	    "seconds", r->end_ms ? json_real((double)(r->end_ms -
	    r->start_ms) / 1000.0) : json_null(),
	    "result", all_ok ? "ok" : "failed",
	    "rto_s", all_ok && last != 0 ? json_real((double)(last -
	    r->start_ms) / 1000.0) : json_null(),
	    "groups", groups, "failed", failed);
}

json_t *
rplan_json(const struct rplan *p, const char *mode)
{
	json_t		*groups = json_array(), *g, *guests;
	size_t		 i, k;

	for (i = 0; i < p->n_groups; i++) {
		guests = json_array();
		for (k = 0; k < p->groups[i].n_guests; k++)
			json_array_append_new(guests,
			    json_string(p->groups[i].guests[k]));
		g = json_pack("{s:s, s:o}", "name", p->groups[i].name,
		    "guests", guests);
		if (p->groups[i].check.set)
			json_object_set_new(g, "check", json_pack("{s:i, s:i}",
			    "tcp", (int)p->groups[i].check.tcp, "timeout",
			    (int)p->groups[i].check.timeout_s));
		if (p->groups[i].post != NULL)
			json_object_set_new(g, "post",
			    json_string(p->groups[i].post));
		json_array_append_new(groups, g);
	}
	return json_pack("{s:s, s:s, s:s, s:s, s:o}", "name", p->name, "from",
	    p->from, "to", p->to, "mode", mode, "groups", groups);
}
