/*
 * metrics.h - Prometheus text exposition on `metrics: HOST:PORT`
 * (metrics.c), and the helpers that write it.
 *
 * The layer that owns some state registers a collector (metrics_register):
 * at every scrape, on the event loop, each collector appends its families
 * to the response, in registration order, so it reads its own state as it
 * is, with no lock and no copy.  The transport adds the tunnels, the job
 * framework the jobs and the histograms of ended jobs; replication adds
 * its per-guest series the same way, from its init function:
 *
 *	static void
 *	dr_metrics(struct gw *gw, struct evbuffer *out)
 *	{
 *		metrics_family(out, "vmgw_dr_lag_seconds", "gauge",
 *		    "Age of the newest snapshot at the backup site.");
 *		metrics_dbl(out, "vmgw_dr_lag_seconds", lag, "guest", name,
 *		    NULL);
 *	}
 *	...	metrics_register(dr_metrics);
 *
 * Names, types and help text follow Prometheus conventions: a vmgw_ prefix,
 * base units (seconds, bytes), _total on counters; every family has its
 * HELP and TYPE lines once, before its samples.
 */
#ifndef VMGW_METRICS_H
#define VMGW_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>

#include "gw.h"

typedef void (*metrics_fn)(struct gw *, struct evbuffer *out);

int	 metrics_register(metrics_fn);	/* -1: table full */
int	 metrics_init(struct gw *);	/* serve conf->metrics, if set */
void	 metrics_free(struct gw *);
/* The whole exposition, as a scrape gets it (tests, and the server). */
void	 metrics_collect(struct gw *, struct evbuffer *out);

/* "# HELP name help" and "# TYPE name type". */
void	 metrics_family(struct evbuffer *, const char *name, const char *type,
	    const char *help);
/*
 * One sample: name{k1="v1",...} value.  After the value, label names and
 * values in pairs, ending with NULL; values are escaped as the format says.
 */
void	 metrics_u64(struct evbuffer *, const char *name, uint64_t v, ...)
	    __attribute__((sentinel));
void	 metrics_dbl(struct evbuffer *, const char *name, double v, ...)
	    __attribute__((sentinel));

/* A histogram with fixed upper bounds (seconds, say), observed on the loop. */
#define METRICS_BUCKETS_MAX	16
struct metrics_hist {
	const double	*bounds;	/* ascending; +Inf is implicit */
	size_t		 nbounds;
	uint64_t	 counts[METRICS_BUCKETS_MAX];	/* not cumulative */
	uint64_t	 count;
	double		 sum;
};
void	 metrics_hist_init(struct metrics_hist *, const double *bounds,
	    size_t n);
void	 metrics_hist_observe(struct metrics_hist *, double v);
/* name_bucket{label..., le="..."}, name_sum, name_count (one label pair). */
void	 metrics_hist_write(struct evbuffer *, const char *name,
	    const struct metrics_hist *, const char *label, const char *value);

#endif /* VMGW_METRICS_H */
