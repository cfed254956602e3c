/*
 * worker.c - run a blocking function (a libvirt call) on a thread of its
 * own and its completion on the event loop.
 *
 *   worker_run(gw, work, done, arg): work(arg) runs on a new detached
 *   thread; then done(arg) runs on the loop.  The two never overlap, so
 *   arg needs no lock if nothing else touches it meanwhile.
 *
 * libvirt's calls block for as long as a migration lasts, so each runs on
 * its own thread; there are only ever a handful per job.  The running ones
 * are listed, oldest first, because they may read the configuration that
 * was current when they started: a reload keeps it until they are done
 * (reload.c).  Results go in the
 * call's own struct (arg), never in fields the loop reads meanwhile.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "worker.h"
#include "reload.h"

struct work {
	TAILQ_ENTRY(work) entry;	/* gw->workers, oldest first */
	struct gw	*gw;
	uint64_t	 seq;
	struct event	*ev;
	void		(*work)(void *);
	void		(*done)(void *);
	void		*arg;
};

static void
worker_done(evutil_socket_t fd, short what, void *p)
{
	struct work	*w = p;
	struct gw	*gw = w->gw;

	event_free(w->ev);
	TAILQ_REMOVE(&gw->workers, w, entry);
	w->done(w->arg);
	free(w);
	conf_gc(gw);	/* it may have been the last user of a retired config */
}

/* The sequence number of the oldest worker still running (else: the next). */
uint64_t
worker_oldest(struct gw *gw)
{
	if (gw->workers.tqh_last == NULL || TAILQ_EMPTY(&gw->workers))
		return gw->worker_seq + 1;
	return TAILQ_FIRST(&gw->workers)->seq;
}

static void *
worker_main(void *p)
{
	struct work	*w = p;

	w->work(w->arg);
	event_active(w->ev, EV_TIMEOUT, 0);	/* thread safe: evthread_use_pthreads */
	return NULL;
}

int
worker_run(struct gw *gw, void (*work)(void *), void (*done)(void *),
    void *arg)
{
	struct work	*w;
	pthread_t	 th;
	pthread_attr_t	 attr;
	int		 r;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -1;
	w->gw = gw;
	w->work = work;
	w->done = done;
	w->arg = arg;
	if (gw->workers.tqh_last == NULL)	/* a context made without gw_init */
		TAILQ_INIT(&gw->workers);
	if ((w->ev = event_new(gw->base, -1, 0, worker_done, w)) == NULL) {
		free(w);
		return -1;
	}
	w->seq = ++gw->worker_seq;
	TAILQ_INSERT_TAIL(&gw->workers, w, entry);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	r = pthread_create(&th, &attr, worker_main, w);
	pthread_attr_destroy(&attr);
	if (r != 0) {
		TAILQ_REMOVE(&gw->workers, w, entry);
		event_free(w->ev);
		free(w);
		errno = r;
		return -1;
	}
	return 0;
}
