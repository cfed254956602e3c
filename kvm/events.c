/*
 * events.c - domain lifecycle events.  Each kvm_events has its own
 * connection and registration; all of them share one thread that runs
 * libvirt's default event loop (libvirt has one per process).  The thread
 * starts with the first kvm_events and ends with the last.
 *
 * Stopping is synchronous: when kvm_events_stop returns, the callback is
 * not running and will not run again, so its argument may be freed.  libvirt
 * tells us when it has let go of a registration through the free callback
 * given at registration; stop waits for it while the loop still runs.
 * The callback runs in the loop thread and must not call kvm_events_stop.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kvm_int.h"

#define EV_RELEASE_WAIT_S	10	/* how long stop waits for libvirt */

struct kvm_events {
	virConnectPtr	 conn;
	char		*uri;
	int		 cb_id;
	int		 close_cb;
	kvm_event_cb	 cb;
	void		*arg;
	int		 released;	/* libvirt dropped the registration */
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
};

static pthread_once_t	 ev_once = PTHREAD_ONCE_INIT;
static int		 ev_impl_ok;
static pthread_mutex_t	 ev_lock = PTHREAD_MUTEX_INITIALIZER;
static int		 ev_users;	/* live kvm_events */
static int		 ev_thread_up;
static pthread_t	 ev_thread;
static _Atomic int	 ev_quit;

static void
ev_register(void)
{
	ev_impl_ok = virEventRegisterDefaultImpl() == 0;
}

static void *
ev_loop(void *arg)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };

	(void)arg;
	while (!ev_quit)
		if (virEventRunDefaultImpl() < 0)
			nanosleep(&ts, NULL);	/* do not spin on errors */
	return NULL;
}

static void
ev_wake(int timer, void *arg)
{
	(void)timer;
	(void)arg;
}

/* With ev_lock held. */
static int
ev_thread_start(void)
{
	if (ev_thread_up)
		return 0;
	ev_quit = 0;
	if (pthread_create(&ev_thread, NULL, ev_loop, NULL) != 0)
		return -1;
	ev_thread_up = 1;
	return 0;
}

/* With ev_lock held. */
static void
ev_thread_stop(void)
{
	int timer;

	if (!ev_thread_up)
		return;
	ev_quit = 1;
	/* a timer that fires at once wakes the loop out of its poll */
	timer = virEventAddTimeout(0, ev_wake, NULL, NULL);
	pthread_join(ev_thread, NULL);
	if (timer >= 0)
		virEventRemoveTimeout(timer);
	ev_thread_up = 0;
}

/* libvirt's event and detail, in vmgw's words */
static enum kvm_event
ev_translate(int event, int detail)
{
	switch (event) {
	case VIR_DOMAIN_EVENT_DEFINED:		return KVM_EV_DEFINED;
	case VIR_DOMAIN_EVENT_UNDEFINED:	return KVM_EV_UNDEFINED;
	case VIR_DOMAIN_EVENT_STARTED:		return KVM_EV_STARTED;
	case VIR_DOMAIN_EVENT_SUSPENDED:	return KVM_EV_SUSPENDED;
	case VIR_DOMAIN_EVENT_RESUMED:
		if (detail == VIR_DOMAIN_EVENT_RESUMED_MIGRATED)
			return KVM_EV_RESUMED_MIGRATED;
		if (detail == VIR_DOMAIN_EVENT_RESUMED_POSTCOPY)
			return KVM_EV_RESUMED_POSTCOPY;
		return KVM_EV_RESUMED;
	case VIR_DOMAIN_EVENT_STOPPED:		return KVM_EV_STOPPED;
	case VIR_DOMAIN_EVENT_SHUTDOWN:		return KVM_EV_SHUTDOWN;
	case VIR_DOMAIN_EVENT_CRASHED:		return KVM_EV_CRASHED;
	default:				return KVM_EV_OTHER;
	}
}

static int
lifecycle_cb(virConnectPtr conn, virDomainPtr dom, int event, int detail,
    void *arg)
{
	struct kvm_events *ev = arg;
	char uuid[VIR_UUID_STRING_BUFLEN];

	(void)conn;
	if (virDomainGetUUIDString(dom, uuid) < 0)
		uuid[0] = '\0';
	ev->cb(ev->arg, virDomainGetName(dom), uuid, ev_translate(event,
	    detail));
	return 0;
}

static void
released_cb(void *arg)
{
	struct kvm_events *ev = arg;

	pthread_mutex_lock(&ev->lock);
	ev->released = 1;
	pthread_cond_broadcast(&ev->cond);
	pthread_mutex_unlock(&ev->lock);
}

static void
close_cb(virConnectPtr conn, int reason, void *arg)
{
	struct kvm_events *ev = arg;

	(void)conn;
	(void)reason;
	ev->cb(ev->arg, NULL, NULL, KVM_EV_CLOSED);
}

int
kvm_events_start(struct kvm_events **out, const char *uri, kvm_event_cb cb,
    void *arg, char *err, size_t errlen)
{
	struct kvm_events *ev;
	const char *u = uri ? uri : "default URI";

	*out = NULL;
	if (cb == NULL) {
		kvm_err(err, errlen, "%s: events: no callback", u);
		return -1;
	}
	if (kvm_lib_init(err, errlen) < 0)
		return -1;
	pthread_once(&ev_once, ev_register);
	if (!ev_impl_ok) {
		kvm_lverr(err, errlen, "%s: events: register the event loop", u);
		return -1;
	}
	if ((ev = calloc(1, sizeof(*ev))) == NULL ||
	    (ev->uri = strdup(u)) == NULL) {
		free(ev);
		kvm_err(err, errlen, "%s: events: out of memory", u);
		return -1;
	}
	ev->cb = cb;
	ev->arg = arg;
	ev->cb_id = -1;
	pthread_mutex_init(&ev->lock, NULL);
	pthread_cond_init(&ev->cond, NULL);

	pthread_mutex_lock(&ev_lock);
	ev_users++;
	if (ev_thread_start() < 0) {
		kvm_err(err, errlen, "%s: events: thread: %s", u,
		    strerror(errno));
		goto fail;
	}
	if ((ev->conn = virConnectOpen(uri)) == NULL) {
		kvm_lverr(err, errlen, "%s: events: connect", u);
		goto fail;
	}
	virConnSetErrorFunc(ev->conn, NULL, kvm_silent_error);
	/* notice a dead daemon within ~15 s (remote drivers only) */
	if (virConnectSetKeepAlive(ev->conn, 5, 3) < 0)
		virResetLastError();
	ev->cb_id = virConnectDomainEventRegisterAny(ev->conn, NULL,
	    VIR_DOMAIN_EVENT_ID_LIFECYCLE, VIR_DOMAIN_EVENT_CALLBACK(lifecycle_cb),
	    ev, released_cb);
	if (ev->cb_id < 0) {
		kvm_lverr(err, errlen, "%s: events: register", u);
		goto fail;
	}
	if (virConnectRegisterCloseCallback(ev->conn, close_cb, ev, NULL) == 0)
		ev->close_cb = 1;
	else
		virResetLastError();
	pthread_mutex_unlock(&ev_lock);
	*out = ev;
	return 0;
 fail:
	pthread_mutex_unlock(&ev_lock);
	kvm_events_stop(ev);
	return -1;
}

void
kvm_events_stop(struct kvm_events *ev)
{
	struct timespec until;
	int released = 1;

	if (ev == NULL)
		return;
	pthread_mutex_lock(&ev_lock);
	if (ev->conn != NULL) {
		if (ev->close_cb)
			virConnectUnregisterCloseCallback(ev->conn, close_cb);
		if (ev->cb_id >= 0) {
			released = 0;
			if (virConnectDomainEventDeregisterAny(ev->conn,
			    ev->cb_id) < 0)
				virResetLastError();
		}
		virConnectClose(ev->conn);
	}
	/* the loop still runs: a dispatch in progress ends and frees */
	if (!released) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += EV_RELEASE_WAIT_S;
		pthread_mutex_lock(&ev->lock);
		while (!ev->released)
			if (pthread_cond_timedwait(&ev->cond, &ev->lock,
			    &until) == ETIMEDOUT)
				break;
		released = ev->released;
		pthread_mutex_unlock(&ev->lock);
	}
	if (--ev_users == 0)
		ev_thread_stop();
	pthread_mutex_unlock(&ev_lock);
	if (!released)
		return;		/* libvirt may still call us: leak, not crash */
	pthread_cond_destroy(&ev->cond);
	pthread_mutex_destroy(&ev->lock);
	free(ev->uri);
	free(ev);
}
