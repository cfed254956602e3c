/*
 * jobconn.c - the relays a job owns: each one's bytes count toward the
 * job's, and toward its kind's ("what" it was added with: a migration's
 * libvirt RPC, memory stream, NBD disk mirror, an offline disk), the first
 * one to break names the job's failure, and a job that ends aborts those
 * left.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"

struct job_conn {
	TAILQ_ENTRY(job_conn)	 entry;
	struct job		*job;
	struct relay		*relay;
	char			 what[64];
};

/* what's slot in tab (JOB_STREAMS): its own, a free one, else "other" */
static struct job_stream *
stream_slot(struct job_stream *tab, const char *what)
{
	size_t	 i;

	for (i = 0; i < JOB_STREAMS - 1; i++) {
		if (tab[i].what[0] == '\0')
			snprintf(tab[i].what, sizeof(tab[i].what), "%s", what);
		if (strcmp(tab[i].what, what) == 0)
			return &tab[i];
	}
	if (strcmp(tab[i].what, what) != 0)
		snprintf(tab[i].what, sizeof(tab[i].what), "%s",
		    tab[i].what[0] == '\0' ? what : "other");
	return &tab[i];
}

static void
job_conn_done(struct relay *r, const char *reason, void *arg)
{
	struct job_conn	*jc = arg;
	uint64_t	 up, down;

	relay_counts(r, &up, &down);
	jc->job->tunnel_bytes += up + down;
	stream_slot(jc->job->streams, jc->what)->bytes += up + down;
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

json_t *
job_streams(const struct job *j)
{
	struct job_stream	 tab[JOB_STREAMS];
	const struct job_conn	*jc;
	json_t			*o;
	uint64_t		 up, down;
	size_t			 i;

	memcpy(tab, j->streams, sizeof(tab));
	TAILQ_FOREACH(jc, &j->conns, entry) {
		relay_counts(jc->relay, &up, &down);
		stream_slot(tab, jc->what)->bytes += up + down;
	}
	if ((o = json_object()) == NULL)
		return NULL;
	for (i = 0; i < JOB_STREAMS && tab[i].what[0] != '\0'; i++)
		json_object_set_new(o, tab[i].what, json_integer(
		    (json_int_t)tab[i].bytes));
	return o;
}
