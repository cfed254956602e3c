/*
 * jobreload.c - a reload never pulls a peer from under a running job: a
 * configuration that removes a peer, or changes its key or endpoint (which
 * closes its tunnel), while a job that is not finished runs through it is
 * refused, naming the job.  Wait for the job or cancel it, then reload.
 */
#include <string.h>

#include "job.h"
#include "reload.h"

static int
job_reload_check(struct gw *gw, const struct vmgw_config *next)
{
	const struct vmgw_peer	*np, *cp;
	struct job		*j;
	const char		*why;
	int			 n = 0;

	if (gw->jobs == NULL)
		return 0;
	TAILQ_FOREACH(j, gw->jobs, entry) {
		if (job_terminal(j) || j->peer == NULL)
			continue;
		cp = j->peer->conf;
		np = config_peer_by_name(next, j->peer_name);
		if (np == NULL)
			why = "removed";
		else if (sodium_memcmp(np->public_key, cp->public_key,
		    KEY_LEN) != 0)
			why = "its public_key changed";
		else if (np->has_endpoint != cp->has_endpoint ||
		    (np->has_endpoint && strcmp(np->endpoint.text,
		    cp->endpoint.text) != 0))
			why = "its endpoint changed";
		else
			continue;
		reload_error(next, "peers.%s: %s while job %s (%s %s) runs "
		    "through it: wait for the job or cancel it (vmgw cancel "
		    "%s), then reload", j->peer_name, why, j->id, j->kind->name,
		    j->domain, j->id);
		n++;
	}
	return n;
}

int
job_reload_init(void)
{
	return reload_register(job_reload_check, NULL);
}
