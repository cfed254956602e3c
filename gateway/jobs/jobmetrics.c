/*
 * jobmetrics.c - the jobs on the metrics endpoint (core/metrics.c): how
 * many jobs of each kind are in each state (every kind and state, zeros
 * included, so the series exist before the first job), and, for each
 * kind, histograms of the jobs this gateway started that ended done: their
 * duration (vmgw_<kind>_duration_seconds) and, for a kind whose record
 * reports one (reports_downtime), the guest's downtime from the record's
 * "result" (vmgw_<kind>_downtime_seconds).  A job ending is observed with
 * job_observe_end, so the kinds themselves know nothing of metrics.
 */
#include <stdio.h>
#include <string.h>

#include "job.h"
#include "metrics.h"

#define JOB_STATES	(JOB_PLANNED + 1)

static const double duration_bounds[] = {
	1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600
};
static const double downtime_bounds[] = {
	0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
};

static struct job_hists {
	const struct job_kind	*kind;
	struct metrics_hist	 duration;
	struct metrics_hist	 downtime;
}			 job_hists[8];

static struct job_hists *
job_hists_of(const struct job_kind *k)
{
	size_t	 i;

	for (i = 0; i < sizeof(job_hists) / sizeof(job_hists[0]); i++) {
		if (job_hists[i].kind == k)
			return &job_hists[i];
		if (job_hists[i].kind == NULL) {
			job_hists[i].kind = k;
			metrics_hist_init(&job_hists[i].duration,
			    duration_bounds, sizeof(duration_bounds) /
			    sizeof(duration_bounds[0]));
			metrics_hist_init(&job_hists[i].downtime,
			    downtime_bounds, sizeof(downtime_bounds) /
			    sizeof(downtime_bounds[0]));
			return &job_hists[i];
		}
	}
	return NULL;
}

static void
job_metrics_ended(struct job *j)
{
	struct job_hists	*h;
	json_t			*rec, *dt;
	double			 secs;

	if (j->role != JOB_SOURCE || j->state != JOB_DONE ||
	    (h = job_hists_of(j->kind)) == NULL)
		return;
	/* a job read back from its record started before this vmgwd */
	if (j->created >= j->gw->started_wall)
		secs = (double)(mono_ns() - j->t0_ns) / 1e9;
	else
		secs = (double)(j->finished - j->created);
	metrics_hist_observe(&h->duration, secs);
	if (!j->kind->reports_downtime || (rec = job_json(j)) == NULL)
		return;
	dt = json_object_get(json_object_get(rec, "result"), "downtime_ms");
	if (json_is_integer(dt))
		metrics_hist_observe(&h->downtime,
		    (double)json_integer_value(dt) / 1000.0);
	json_decref(rec);
}

static void
job_metrics(struct gw *gw, struct evbuffer *out)
{
	const struct job_kind	*k;
	struct job_hists	*h;
	struct job		*j;
	uint64_t		 n[JOB_STATES];
	char			 name[96], help[160];
	size_t			 i;
	int			 s;

	metrics_family(out, "vmgw_jobs", "gauge",
	    "Jobs in the table (running and recent) by kind and state.");
	for (i = 0; (k = job_kind_at(i)) != NULL; i++) {
		memset(n, 0, sizeof(n));
		if (gw->jobs != NULL)
			TAILQ_FOREACH(j, gw->jobs, entry)
				if (j->kind == k && (int)j->state < JOB_STATES)
					n[j->state]++;
		for (s = JOB_CHECKING; s < JOB_STATES; s++)
			metrics_u64(out, "vmgw_jobs", n[s], "kind", k->name,
			    "state", job_state_name((enum job_state)s), NULL);
	}
	for (i = 0; (k = job_kind_at(i)) != NULL; i++) {
		if ((h = job_hists_of(k)) == NULL)
			continue;
		snprintf(name, sizeof(name), "vmgw_%s_duration_seconds",
		    k->name);
		snprintf(help, sizeof(help), "Duration of the %ss this "
		    "gateway started that ended done.", k->name);
		metrics_family(out, name, "histogram", help);
		metrics_hist_write(out, name, &h->duration, NULL, NULL);
		if (!k->reports_downtime)
			continue;
		snprintf(name, sizeof(name), "vmgw_%s_downtime_seconds",
		    k->name);
		snprintf(help, sizeof(help), "Guest downtime of the %ss this "
		    "gateway started that ended done.", k->name);
		metrics_family(out, name, "histogram", help);
		metrics_hist_write(out, name, &h->downtime, NULL, NULL);
	}
}

int
job_metrics_init(void)
{
	if (job_observe_end(job_metrics_ended) == -1)
		return -1;
	return metrics_register(job_metrics);
}
