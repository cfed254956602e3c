/*
 * jobdomain.c - the background jobs of a domain (a protection) and the
 * jobs that need the domain to themselves (a migration): the first give
 * way (job_kind.yield) before the second runs, and hear how it ended
 * (resume, or moved).  The job kinds never call each other.
 */
#include <stdlib.h>
#include <string.h>

#include "job.h"

struct job_yield {
	unsigned	 left;		/* yields still to come, + 1 */
	void		(*ready)(void *);
	void		*arg;
};

static void
job_yielded(void *p)
{
	struct job_yield	*y = p;

	if (--y->left > 0)
		return;
	y->ready(y->arg);
	free(y);
}

int
job_yield_domain(struct gw *gw, const char *domain, void (*ready)(void *),
    void *arg)
{
	struct job_yield	*y;
	struct job		*j;

	if ((y = calloc(1, sizeof(*y))) == NULL)
		return 0;
	y->left = 1;
	y->ready = ready;
	y->arg = arg;
	TAILQ_FOREACH(j, gw->jobs, entry) {
		if (!j->kind->background || j->kind->yield == NULL ||
		    job_terminal(j) || strcmp(j->domain, domain) != 0)
			continue;
		y->left++;
		j->kind->yield(j, job_yielded, y);
	}
	if (--y->left == 0) {		/* every one gave way at once */
		free(y);
		return 0;
	}
	return 1;
}

void
job_resume_domain(struct gw *gw, const char *domain)
{
	struct job	*j;

	TAILQ_FOREACH(j, gw->jobs, entry)
		if (j->kind->background && j->kind->resume != NULL &&
		    !job_terminal(j) && strcmp(j->domain, domain) == 0)
			j->kind->resume(j);
}

void
job_moved_domain(struct gw *gw, const char *domain, const char *to)
{
	struct job	*j, *next;

	for (j = TAILQ_FIRST(gw->jobs); j != NULL; j = next) {
		next = TAILQ_NEXT(j, entry);
		if (j->kind->background && j->kind->moved != NULL &&
		    !job_terminal(j) && strcmp(j->domain, domain) == 0)
			j->kind->moved(j, to);
	}
}

int
job_keeps_disks_domain(struct gw *gw, const char *domain, const char *to)
{
	struct job	*j;

	TAILQ_FOREACH(j, gw->jobs, entry)
		if (j->kind->background && j->kind->keeps_disks != NULL &&
		    !job_terminal(j) && strcmp(j->domain, domain) == 0 &&
		    j->kind->keeps_disks(j, to))
			return 1;
	return 0;
}

struct job *
job_replica_domain(struct gw *gw, const char *domain, const char *to,
    char *point, size_t len)
{
	struct job	*j;

	TAILQ_FOREACH(j, gw->jobs, entry)
		if (j->kind->background && j->kind->replica_at != NULL &&
		    j->kind->final_point != NULL && !job_terminal(j) &&
		    strcmp(j->domain, domain) == 0 &&
		    j->kind->replica_at(j, to, point, len) == 1)
			return j;
	return NULL;
}

static const struct job_replica_ops *replica_ops;

void
job_replica_register(const struct job_replica_ops *ops)
{
	replica_ops = ops;
}

const struct job_replica_ops *
job_replica_ops(void)
{
	return replica_ops;
}
