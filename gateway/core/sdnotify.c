/*
 * sdnotify.c - telling systemd how the daemon is (sd_notify(3)): READY=1
 * once every layer started and the sockets listen, WATCHDOG=1 from a timer
 * on the event loop (so a stuck loop is caught) at half the unit's
 * WatchdogSec, RELOADING=1 and READY=1 around a reload (SIGHUP),
 * STOPPING=1 when a shutdown begins.  Outside systemd
 * (NOTIFY_SOCKET unset) every call does nothing.
 */
#include <time.h>

#include <systemd/sd-daemon.h>

#include "sdnotify.h"

static void
sdn_watchdog(evutil_socket_t fd, short ev, void *arg)
{
	sd_notify(0, "WATCHDOG=1");
}

int
sdn_ready(struct gw *gw)
{
	uint64_t	 usec = 0;
	struct timeval	 tv;

	sd_notifyf(0, "READY=1\nSTATUS=site %s: listening on %s",
	    gw->conf->site, gw->conf->listen.text);
	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return 0;
	if ((gw->watchdog = event_new(gw->base, -1, EV_PERSIST, sdn_watchdog,
	    gw)) == NULL)
		return -1;
	tv.tv_sec = (time_t)(usec / 2 / 1000000);
	tv.tv_usec = (suseconds_t)(usec / 2 % 1000000);
	return event_add(gw->watchdog, &tv);
}

void
sdn_stopping(struct gw *gw)
{
	sd_notify(0, "STOPPING=1");
	if (gw->watchdog != NULL)
		event_free(gw->watchdog);
	gw->watchdog = NULL;
}

void
sdn_reloading(struct gw *gw)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	sd_notifyf(0, "RELOADING=1\nSTATUS=site %s: reloading %s\n"
	    "MONOTONIC_USEC=%llu", gw->conf->site, gw->conf->path,
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000);
}

void
sdn_reloaded(struct gw *gw)
{
	sd_notifyf(0, "READY=1\nSTATUS=site %s: listening on %s",
	    gw->conf->site, gw->conf->listen.text);
}
