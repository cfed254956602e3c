/*
 * peerload.c - what a reload does to the peers.  The configuration was
 * validated and swapped in (core/reload.c); here every struct peer is
 * re-pointed at its entry in the new one, and:
 *
 *   - a peer no longer listed is removed (peer_remove): its tunnel closes
 *     and it is never dialled or accepted again;
 *   - a peer whose public key or endpoint changed re-handshakes: its tunnel
 *     closes and it is dialled at once (if it has an endpoint), so the old
 *     key is never trusted a moment longer than the file says;
 *   - a new bandwidth applies to the running tunnel;
 *   - fewer connections close the data connections above the new count
 *     (their channels fail), more are dialled (if ours to dial);
 *   - a new peer is added and dialled;
 *   - every other tunnel is left alone: not closed, not re-keyed, its
 *     counters and channels as they were.
 *
 * The data connections' lanes are parked while the configuration is
 * swapped and this runs (reload_quiesce_register): a barrier, so that no
 * lane still holds a pointer into the old configuration (or a peer's old
 * entry) when it is retired and later freed.
 *
 * tunnel.* settings are read where they are used, so they apply to every
 * tunnel at its next tick (rekey, keepalive, timeout) or handshake (suite).
 * A plan's l2 port (its bridge, its MTU) is made at start only.
 */
#include <stdio.h>
#include <string.h>

#include "transport.h"
#include "reload.h"

static int
peer_endpoint_changed(const struct vmgw_peer *a, const struct vmgw_peer *b)
{
	if (a->has_endpoint != b->has_endpoint)
		return 1;
	return a->has_endpoint && strcmp(a->endpoint.text,
	    b->endpoint.text) != 0;
}

/* p's key or endpoint changed: close its tunnels and handshake again. */
static void
peer_rehandshake(struct peer *p, const char *what)
{
	struct log_ctx	 lc;

	peer_log_ctx(p, &lc);
	log_ctx_info(&lc, "%s: %s changed in the configuration: new "
	    "handshake", p->conf->name, what);
	if (p->tunnel != NULL)
		tunnel_close(p->tunnel, "peers.%s: %s changed in the "
		    "configuration", p->conf->name, what);
	if (p->dialing != NULL)
		tunnel_close(p->dialing, "peers.%s: %s changed in the "
		    "configuration", p->conf->name, what);
	peer_conns_close(p, 1, "the peer's key or endpoint changed");
	evtimer_del(p->retry);
	p->backoff = 0;
	if (p->want)
		peer_dial_now(p);
}

static void
peers_reload_apply(struct gw *gw, const struct vmgw_config *old)
{
	const struct vmgw_peer	*np;
	struct peer		*p, *next;
	struct log_ctx		 lc;
	int			 key, ep, bw, nconn;
	unsigned		 nc;
	size_t			 i;

	for (p = TAILQ_FIRST(&gw->peers); p != NULL; p = next) {
		next = TAILQ_NEXT(p, entry);
		peer_log_ctx(p, &lc);
		if ((np = config_peer_by_name(gw->conf, p->conf->name)) ==
		    NULL) {
			log_ctx_info(&lc, "%s: removed from the configuration",
			    p->conf->name);
			peer_remove(p);
			continue;
		}
		key = sodium_memcmp(np->public_key, p->conf->public_key,
		    KEY_LEN) != 0;
		ep = peer_endpoint_changed(p->conf, np);
		bw = np->bandwidth != p->conf->bandwidth;
		nconn = np->connections != p->conf->connections;
		nc = p->conf->connections;
		p->conf = np;
		p->want = np->has_endpoint;
		if ((bw || nconn) && peer_set_rate(p) == 0 && bw)
			log_ctx_info(&lc, "%s: bandwidth now %llu bytes/s%s",
			    np->name, (unsigned long long)np->bandwidth,
			    np->bandwidth == 0 ? " (no cap)" : "");
		if (key || ep)
			peer_rehandshake(p, key && ep ? "public_key and "
			    "endpoint" : key ? "public_key" : "endpoint");
		else if (np->connections != nc) {
			log_ctx_info(&lc, "%s: %u connection%s now", np->name,
			    np->connections, np->connections == 1 ? "" : "s");
			if (np->connections < nc)
				peer_conns_close(p, np->connections,
				    "peers.connections lowered");
			peer_conns_dial(p);
		}
	}
	for (i = 0; i < gw->conf->n_peers; i++) {
		np = &gw->conf->peers[i];
		if (peer_find(gw, np->name) != NULL)
			continue;
		if ((p = peer_new(gw, np)) == NULL) {
			log_warn("%s: cannot add the peer", np->name);
			continue;
		}
		peer_log_ctx(p, &lc);
		log_ctx_info(&lc, "%s: added%s", np->name, np->has_endpoint ?
		    "" : " (no endpoint: it dials us)");
	}
}

int
peers_reload_init(void)
{
	if (reload_quiesce_register(peers_park) == -1)
		return -1;
	return reload_register(NULL, peers_reload_apply);
}
