/*
 * worker.h - a blocking call (libvirt, a hook, a probe) on a thread of its
 * own, and its completion back on the event loop (worker.c).
 *
 * work(arg) runs on a new detached thread, then done(arg) on the loop; the
 * two never overlap.  arg is the call's own struct: the worker writes its
 * results there and nowhere else, and done() hands them to whoever needs
 * them, so no field is shared between a thread and the loop.
 */
#ifndef VMGW_WORKER_H
#define VMGW_WORKER_H

#include "gw.h"

int	 worker_run(struct gw *, void (*work)(void *), void (*done)(void *),
	    void *arg);
/* Workers are numbered 1, 2, ... as they start: the oldest one running. */
uint64_t worker_oldest(struct gw *);
/* The number the next worker will get. */
#define worker_next(gw)	((gw)->worker_seq + 1)

#endif /* VMGW_WORKER_H */
