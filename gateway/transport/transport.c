/*
 * transport.c - start and stop the transport layer: the peer-message table,
 * the configured peers (dialled from now on), the listener for peers, and
 * the transport's own commands and channel kinds.
 */
#include <stdio.h>

#include "transport.h"

static void
transport_peer_accept(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int socklen, void *arg)
{
	tunnel_accept(arg, fd, sa, socklen);
}

int
transport_init(struct gw *gw)
{
	char	 err[512];

	forward_init();
	bench_init();
	if (peers_reload_init() == -1 || peer_metrics_init() == -1)
		return -1;
	if (ctl_register(CTL_CHECK, ctl_check) == -1 ||
	    ctl_register(CTL_STATUS, ctl_status) == -1 ||
	    ctl_register(CTL_FORWARD, ctl_forward) == -1 ||
	    ctl_register(CTL_BENCH, ctl_bench) == -1)
		return -1;
	if (pmsg_init(gw) == -1 || lane_mailbox_init(gw) == -1)
		return -1;
	if ((gw->listener = listen_tcp(gw->base, &gw->conf->listen,
	    transport_peer_accept, gw, 64, err, sizeof(err))) == NULL) {
		log_warnx("%s: %s", gw->conf->path, err);
		return -1;
	}
	return peers_init(gw);
}

/*
 * Close every tunnel; their frees run on the next turns of the loop.  The
 * data connections' lanes stop, once they have closed theirs, and what
 * they posted (their relays' ends) runs now.
 */
void
transport_close(struct gw *gw)
{
	struct peer	*p;
	struct tunnel	*t;

	TAILQ_FOREACH(p, &gw->peers, entry) {
		if (p->tunnel != NULL)
			tunnel_close(p->tunnel, "gateway shutting down");
		if (p->dialing != NULL)
			tunnel_close(p->dialing, "gateway shutting down");
		peer_conns_close(p, 1, "gateway shutting down");
	}
	TAILQ_FOREACH(p, &gw->peers_gone, entry)
		peer_conns_close(p, 1, "gateway shutting down");
	while ((t = TAILQ_FIRST(&gw->pending)) != NULL)
		tunnel_close(t, "gateway shutting down");
	peers_stop_lanes(gw);
}

void
transport_free(struct gw *gw)
{
	peers_free(gw);
	lane_mailbox_free();
	pmsg_free(gw);
	if (gw->listener != NULL)
		evconnlistener_free(gw->listener);
	gw->listener = NULL;
}
