/*
 * sdnotify.h - the daemon's state for systemd (sdnotify.c): ready, alive
 * (watchdog), stopping.  No-ops outside systemd.
 */
#ifndef VMGW_SDNOTIFY_H
#define VMGW_SDNOTIFY_H

#include "gw.h"

int	 sdn_ready(struct gw *);	/* READY=1, and the watchdog timer */
void	 sdn_stopping(struct gw *);	/* STOPPING=1 */

#endif /* VMGW_SDNOTIFY_H */
