/*
 * job.c - migration jobs (see the migration issue); the daemon's hooks.
 */
#include "vmgwd.h"

int
jobs_init(struct gw *gw)
{
	return 0;
}

void
jobs_free(struct gw *gw)
{
}
