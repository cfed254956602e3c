/*
 * events.c - libvirt's lifecycle events for this site, delivered on the
 * event loop to whoever subscribed (a migration's destination watches for
 * its guest to resume there: the switchover).
 *
 * The events connection is started on demand (netplan_events_ensure, from
 * a worker: connecting blocks) and kept; libvirt's own thread queues each
 * event here and wakes the loop.  A closed connection is started again on
 * the next demand.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest.h"
#include "worker.h"

#define NP_EVENTS_QUEUE		64
#define NP_SUBSCRIBERS_MAX	8

struct np_event {
	char		 domain[128];
	enum kvm_event	 event;
};

struct netplan_events {
	struct gw		*gw;
	struct kvm_events	*ev;
	pthread_mutex_t		 lock;
	struct np_event		 q[NP_EVENTS_QUEUE];
	size_t			 nq;
	struct event		*wake;
	int			 starting;
};

static struct {
	np_event_fn	 fn;
	void		*arg;
}			 np_subs[NP_SUBSCRIBERS_MAX];
static size_t		 nnp_subs;

int
netplan_events_subscribe(np_event_fn fn, void *arg)
{
	size_t	 i;

	for (i = 0; i < nnp_subs; i++)
		if (np_subs[i].fn == fn && np_subs[i].arg == arg)
			return 0;
	if (nnp_subs == NP_SUBSCRIBERS_MAX)
		return -1;
	np_subs[nnp_subs].fn = fn;
	np_subs[nnp_subs].arg = arg;
	nnp_subs++;
	return 0;
}

/* libvirt's event thread: queue, wake the loop. */
static void
np_event_cb(void *arg, const char *domain, const char *uuid,
    enum kvm_event event)
{
	struct netplan_events	*ne = arg;

	if (domain == NULL)
		return;		/* the connection closed: restarted on demand */
	pthread_mutex_lock(&ne->lock);
	if (ne->nq < NP_EVENTS_QUEUE) {
		snprintf(ne->q[ne->nq].domain, sizeof(ne->q[0].domain), "%s",
		    domain);
		ne->q[ne->nq].event = event;
		ne->nq++;
	}
	pthread_mutex_unlock(&ne->lock);
	event_active(ne->wake, EV_TIMEOUT, 0);
}

static void
np_event_wake(evutil_socket_t fd, short ev, void *arg)
{
	struct netplan_events	*ne = arg;
	struct np_event		 q[NP_EVENTS_QUEUE];
	size_t			 n, i, s;

	pthread_mutex_lock(&ne->lock);
	n = ne->nq;
	memcpy(q, ne->q, n * sizeof(q[0]));
	ne->nq = 0;
	pthread_mutex_unlock(&ne->lock);
	for (i = 0; i < n; i++)
		for (s = 0; s < nnp_subs; s++)
			np_subs[s].fn(ne->gw, q[i].domain, q[i].event,
			    np_subs[s].arg);
}

static void
np_events_work(void *arg)
{
	struct netplan_events	*ne = arg;
	char			 err[256];

	if (kvm_events_start(&ne->ev, ne->gw->conf->libvirt, np_event_cb, ne,
	    err, sizeof(err)) == -1)
		log_warnx("libvirt events: %s (the switchover will be seen "
		    "when the migration returns)", err);
}

static void
np_events_done(void *arg)
{
	struct netplan_events	*ne = arg;

	ne->starting = 0;
	if (ne->ev != NULL)
		log_info("libvirt events: watching %s", ne->gw->conf->libvirt);
}

/* Watch libvirt's lifecycle events from now on. */
void
netplan_events_ensure(struct gw *gw)
{
	struct netplan_events	*ne = gw->npev;

	if (ne == NULL) {
		if ((ne = calloc(1, sizeof(*ne))) == NULL)
			return;
		ne->gw = gw;
		pthread_mutex_init(&ne->lock, NULL);
		if ((ne->wake = event_new(gw->base, -1, 0, np_event_wake,
		    ne)) == NULL) {
			free(ne);
			return;
		}
		gw->npev = ne;
	}
	if (ne->ev != NULL || ne->starting)
		return;
	if (worker_run(gw, np_events_work, np_events_done, ne) == 0)
		ne->starting = 1;
}

void
netplan_events_free(struct gw *gw)
{
	struct netplan_events	*ne = gw->npev;

	if (ne == NULL || ne->starting)
		return;	/* a worker still holds it: we exit anyway */
	kvm_events_stop(ne->ev);
	event_free(ne->wake);
	pthread_mutex_destroy(&ne->lock);
	free(ne);
	gw->npev = NULL;
}
