/*
 * worker.c - run a blocking function (a libvirt call) on a thread of its
 * own and its completion on the event loop.
 *
 *   worker_run(gw, work, done, arg): work(arg) runs on a new detached
 *   thread; then done(arg) runs on the loop.  The two never overlap, so
 *   arg needs no lock if nothing else touches it meanwhile.
 *
 * libvirt's calls block for as long as a migration lasts, so each runs on
 * its own thread; there are only ever a handful per job.  Results go in the
 * call's own struct (arg), never in fields the loop reads meanwhile.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "worker.h"

struct work {
	struct event	*ev;
	void		(*work)(void *);
	void		(*done)(void *);
	void		*arg;
};

static void
worker_done(evutil_socket_t fd, short what, void *p)
{
	struct work	*w = p;

	event_free(w->ev);
	w->done(w->arg);
	free(w);
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
	w->work = work;
	w->done = done;
	w->arg = arg;
	if ((w->ev = event_new(gw->base, -1, 0, worker_done, w)) == NULL) {
		free(w);
		return -1;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	r = pthread_create(&th, &attr, worker_main, w);
	pthread_attr_destroy(&attr);
	if (r != 0) {
		event_free(w->ev);
		free(w);
		errno = r;
		return -1;
	}
	return 0;
}
