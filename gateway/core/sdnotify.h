/*
 * sdnotify.h - the daemon's state for systemd (sdnotify.c): ready, alive
 * (watchdog), reloading, stopping.  No-ops outside systemd.
 */
#ifndef VMGW_SDNOTIFY_H
#define VMGW_SDNOTIFY_H

#include "gw.h"

int	 sdn_ready(struct gw *);	/* READY=1, and the watchdog timer */
void	 sdn_stopping(struct gw *);	/* STOPPING=1 */
void	 sdn_reloading(struct gw *);	/* RELOADING=1 (with MONOTONIC_USEC) */
void	 sdn_reloaded(struct gw *);	/* READY=1 again, after a reload */

#endif /* VMGW_SDNOTIFY_H */
