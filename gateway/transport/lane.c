/*
 * lane.c - a thread with an event loop of its own, for one data connection
 * of a peer (peers.NAME.connections > 1), and the mailbox that brings what
 * happens there back to the main loop.
 *
 * The rule: a lane's event base, and the tunnel, channels and relays on it,
 * are touched only by the lane's own thread, or by the main thread while
 * it holds the lane parked (lane_borrow .. lane_release).  A parked lane
 * sits in its wake-up callback, between two events, so its state is
 * consistent; the mutex hands it over both ways (happens-before).  The
 * main thread borrows a lane to open a channel there, to run an accept
 * handler for a channel the peer opened there, to abort a relay, to read
 * a status, and as a barrier around a reload.  A lane never waits for the
 * main thread, so borrowing cannot deadlock.
 *
 * The other way, a lane posts (lane_post_main) what the main thread must
 * run: a relay's end for its owner, a channel the peer opened, the
 * connection's loss.  They run on the main loop in the order posted.
 *
 * libevent runs with evthread_use_pthreads (vmgwd.c), so event_active on
 * another thread's base is safe; bufferevents have no locks of their own,
 * which is why everything else goes through parking.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "transport.h"

struct lane_msg {
	TAILQ_ENTRY(lane_msg)	 entry;
	void			(*fn)(void *);
	void			*arg;
};
TAILQ_HEAD(lane_msgq, lane_msg);

struct lane {
	struct gw		*gw;
	char			 name[80];	/* for logs: "site-b #1" */
	pthread_t		 tid;
	int			 started;
	struct event_base	*base;
	struct evdns_base	*dns;
	struct event		*wake;		/* main -> lane: park, stop */
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	int			 park_req;	/* main wants it parked */
	int			 parked;	/* it is */
	int			 stop;
	unsigned		 borrowed;	/* main: nesting */
};

/* The main loop's mailbox, for every lane. */
static struct {
	pthread_mutex_t		 mu;
	struct lane_msgq	 q;
	struct event		*ev;
	int			 init;
} mailbox = { PTHREAD_MUTEX_INITIALIZER, { NULL, NULL }, NULL, 0 };

static __thread struct lane *lane_self;	/* set in a lane's thread */

struct lane *
lane_current(void)
{
	return lane_self;
}

struct event_base *
lane_base(const struct lane *l)
{
	return l->base;
}

struct evdns_base *
lane_dns(const struct lane *l)
{
	return l->dns;
}

const char *
lane_name(const struct lane *l)
{
	return l->name;
}

/* ------------------------------------------------------------ mailbox */

static void
mailbox_run(evutil_socket_t fd, short ev, void *arg)
{
	struct lane_msgq	 q;
	struct lane_msg		*m;

	TAILQ_INIT(&q);
	pthread_mutex_lock(&mailbox.mu);
	TAILQ_CONCAT(&q, &mailbox.q, entry);
	pthread_mutex_unlock(&mailbox.mu);
	while ((m = TAILQ_FIRST(&q)) != NULL) {
		TAILQ_REMOVE(&q, m, entry);
		m->fn(m->arg);
		free(m);
	}
}

int
lane_mailbox_init(struct gw *gw)
{
	if (mailbox.init)
		return 0;
	TAILQ_INIT(&mailbox.q);
	if ((mailbox.ev = event_new(gw->base, -1, 0, mailbox_run, NULL)) ==
	    NULL)
		return -1;
	mailbox.init = 1;
	return 0;
}

/* What is posted runs now (at exit, once every lane is stopped). */
void
lane_mailbox_drain(void)
{
	if (mailbox.init)
		mailbox_run(-1, 0, NULL);
}

void
lane_mailbox_free(void)
{
	if (!mailbox.init)
		return;
	mailbox_run(-1, 0, NULL);
	event_free(mailbox.ev);
	mailbox.ev = NULL;
	mailbox.init = 0;
}

/*
 * Run fn(arg) on the main loop, after what was posted before.  Called from
 * a lane's thread; -1: out of memory (fn never runs).
 */
int
lane_post_main(void (*fn)(void *), void *arg)
{
	struct lane_msg	*m;

	if ((m = malloc(sizeof(*m))) == NULL)
		return -1;
	m->fn = fn;
	m->arg = arg;
	pthread_mutex_lock(&mailbox.mu);
	TAILQ_INSERT_TAIL(&mailbox.q, m, entry);
	pthread_mutex_unlock(&mailbox.mu);
	event_active(mailbox.ev, EV_TIMEOUT, 0);	/* thread safe */
	return 0;
}

/* ------------------------------------------------------------ the thread */

/* The lane's side of parking and stopping. */
static void
lane_wake(evutil_socket_t fd, short ev, void *arg)
{
	struct lane	*l = arg;

	pthread_mutex_lock(&l->mu);
	if (l->park_req) {
		l->parked = 1;
		pthread_cond_broadcast(&l->cv);
		while (l->park_req)
			pthread_cond_wait(&l->cv, &l->mu);
		l->parked = 0;
	}
	if (l->stop)
		event_base_loopbreak(l->base);
	pthread_mutex_unlock(&l->mu);
}

static void *
lane_main(void *arg)
{
	struct lane	*l = arg;
	char		 tn[16];

	lane_self = l;
	/* for ps -L and top -H: "vmgw site-b#1", cut to what fits */
	snprintf(tn, sizeof(tn), "vmgw %s", l->name);
	pthread_setname_np(pthread_self(), tn);
	event_base_loop(l->base, EVLOOP_NO_EXIT_ON_EMPTY);
	/* the deferred closes and frees of what was closed last */
	event_base_loop(l->base, EVLOOP_NONBLOCK);
	event_base_loop(l->base, EVLOOP_NONBLOCK);
	lane_self = NULL;
	return NULL;
}

struct lane *
lane_new(struct gw *gw, const char *name)
{
	struct lane	*l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	l->gw = gw;
	snprintf(l->name, sizeof(l->name), "%s", name);
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	if ((l->base = event_base_new()) == NULL ||
	    (l->wake = event_new(l->base, -1, 0, lane_wake, l)) == NULL)
		goto fail;
	/* forward targets by name; no resolv.conf: numeric ones still work */
	if ((l->dns = evdns_base_new(l->base,
	    EVDNS_BASE_INITIALIZE_NAMESERVERS)) == NULL &&
	    (l->dns = evdns_base_new(l->base, 0)) == NULL)
		goto fail;
	if ((errno = pthread_create(&l->tid, NULL, lane_main, l)) != 0)
		goto fail;
	l->started = 1;
	return l;
 fail:
	lane_free(l);
	return NULL;
}

/*
 * Stop the thread (what it closed last is freed first) and free the lane.
 * Whatever it posted runs at the next turn of the main loop, or in
 * lane_mailbox_free.
 */
void
lane_free(struct lane *l)
{
	if (l == NULL)
		return;
	if (l->started) {
		pthread_mutex_lock(&l->mu);
		l->stop = 1;
		pthread_mutex_unlock(&l->mu);
		event_active(l->wake, EV_TIMEOUT, 0);
		pthread_join(l->tid, NULL);
	}
	if (l->dns != NULL)
		evdns_base_free(l->dns, 0);
	if (l->wake != NULL)
		event_free(l->wake);
	if (l->base != NULL)
		event_base_free(l->base);
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

/* ------------------------------------------------------------ parking */

/*
 * The main thread holds the lane parked until lane_release: everything on
 * it may be used then.  Nests.  Never called from a lane's own thread.
 */
void
lane_borrow(struct lane *l)
{
	if (l->borrowed++ > 0)
		return;
	pthread_mutex_lock(&l->mu);
	l->park_req = 1;
	pthread_mutex_unlock(&l->mu);
	event_active(l->wake, EV_TIMEOUT, 0);
	pthread_mutex_lock(&l->mu);
	while (!l->parked)
		pthread_cond_wait(&l->cv, &l->mu);
	pthread_mutex_unlock(&l->mu);
}

void
lane_release(struct lane *l)
{
	if (--l->borrowed > 0)
		return;
	pthread_mutex_lock(&l->mu);
	l->park_req = 0;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
}
