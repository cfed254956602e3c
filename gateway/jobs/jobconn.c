/*
 * jobconn.c - the relays a job owns: each one's bytes count toward the
 * job's, the first one to break names the job's failure, and a job that
 * ends aborts those left.
 */
#include <stdio.h>
#include <stdlib.h>

#include "job.h"

struct job_conn {
	TAILQ_ENTRY(job_conn)	 entry;
	struct job		*job;
	struct relay		*relay;
	char			 what[64];
};

static void
job_conn_done(struct relay *r, const char *reason, void *arg)
{
	struct job_conn	*jc = arg;
	uint64_t	 up, down;

	relay_counts(r, &up, &down);
	jc->job->tunnel_bytes += up + down;
	if (reason != NULL) {
		log_debug("job %s: %s: %s", jc->job->id, jc->what, reason);
		if (jc->job->conn_err[0] == '\0' && !job_terminal(jc->job)) {
			snprintf(jc->job->conn_err, sizeof(jc->job->conn_err),
			    "%s", reason);
			snprintf(jc->job->conn_err_phase,
			    sizeof(jc->job->conn_err_phase), "%s",
			    jc->job->phase);
		}
	}
	TAILQ_REMOVE(&jc->job->conns, jc, entry);
	free(jc);
}

void
job_conn_add(struct job *j, struct relay *r, const char *what)
{
	struct job_conn	*jc;

	if ((jc = calloc(1, sizeof(*jc))) == NULL) {
		relay_abort(r, "out of memory");
		return;
	}
	jc->job = j;
	jc->relay = r;
	snprintf(jc->what, sizeof(jc->what), "%s", what);
	TAILQ_INSERT_TAIL(&j->conns, jc, entry);
	relay_set_done(r, job_conn_done, jc);
}

void
job_conns_abort(struct job *j, const char *why)
{
	struct job_conn	*jc;

	while ((jc = TAILQ_FIRST(&j->conns)) != NULL)
		relay_abort(jc->relay, why);	/* job_conn_done frees jc */
}

uint64_t
job_bytes(const struct job *j)
{
	const struct job_conn	*jc;
	uint64_t		 n = j->tunnel_bytes, up, down;

	TAILQ_FOREACH(jc, &j->conns, entry) {
		relay_counts(jc->relay, &up, &down);
		n += up + down;
	}
	return n;
}
