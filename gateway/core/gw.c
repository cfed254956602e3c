/*
 * gw.c - the daemon's context (gw.h): made empty for a config, before any
 * layer starts.
 */
#include <string.h>

#include "gw.h"

void
gw_init(struct gw *gw, struct vmgw_config *conf)
{
	struct vmgw_config	*c = conf;

	memset(gw, 0, sizeof(*gw));
	gw->conf = c;
	TAILQ_INIT(&gw->peers);
	TAILQ_INIT(&gw->peers_gone);
	TAILQ_INIT(&gw->workers);
	TAILQ_INIT(&gw->pending);
	TAILQ_INIT(&gw->ctls);
	gw->started_wall = gw->conf_loaded_wall = time(NULL);
	gw->qemu_uid = -1;
}
