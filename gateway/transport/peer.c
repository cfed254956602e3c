/*
 * peer.c - the configured peer gateways: one tunnel each, kept up.
 *
 * A peer with an endpoint is dialled at start and redialled with
 * exponential backoff (1 s doubling, capped at tunnel.reconnect_max, with
 * jitter) whenever its tunnel drops; a peer without one is only accepted.
 * Each peer's tunnel is its own: one peer's reconnects never touch another.
 *
 * When both gateways dial at once, two tunnels come up.  Both sides keep
 * the same one: within TUNNEL_FRESH_SECS of each other, the tunnel dialled
 * by the gateway with the smaller public key wins; otherwise the newer
 * tunnel wins (the peer restarted, the old one is dead).
 *
 * A peer with connections: N > 1 has data connections besides its tunnel
 * (peerconn.c); the tunnel is what the layers above see come and go.
 *
 * A reload (peerload.c) adds peers, removes them (peer_remove) and
 * re-points the others at the new configuration.
 *
 * The layers above learn of tunnels going up and down through observers
 * (peer_observe), and add their fields to a peer's status
 * (peer_status_register): this file calls nothing above the transport.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transport.h"

#define PEER_OBSERVERS_MAX	16

static struct {
	peer_up_fn	 up;
	peer_down_fn	 down;
}			 peer_observers[PEER_OBSERVERS_MAX];
static size_t		 npeer_observers;

static struct {
	const char	*key;
	peer_status_fn	 fn;
}			 peer_status_fields[PEER_OBSERVERS_MAX];
static size_t		 npeer_status_fields;

static void	peer_retry_cb(evutil_socket_t, short, void *);
static void	peer_notify_waiters(struct peer *, struct tunnel *,
		    const char *);

int
peer_observe(peer_up_fn up, peer_down_fn down)
{
	size_t	 i;

	for (i = 0; i < npeer_observers; i++)
		if (peer_observers[i].up == up && peer_observers[i].down == down)
			return 0;
	if (npeer_observers == PEER_OBSERVERS_MAX)
		return -1;
	peer_observers[npeer_observers].up = up;
	peer_observers[npeer_observers].down = down;
	npeer_observers++;
	return 0;
}

int
peer_status_register(const char *key, peer_status_fn fn)
{
	size_t	 i;

	for (i = 0; i < npeer_status_fields; i++)
		if (peer_status_fields[i].fn == fn)
			return 0;
	if (npeer_status_fields == PEER_OBSERVERS_MAX)
		return -1;
	peer_status_fields[npeer_status_fields].key = key;
	peer_status_fields[npeer_status_fields].fn = fn;
	npeer_status_fields++;
	return 0;
}

/* A token bucket of bw bytes/s (0: none, NULL), 0 / -1. */
static int
peer_bucket(uint64_t bw, struct ev_token_bucket_cfg **out)
{
	struct timeval	 tick = { 0, 100000 };
	size_t		 rate = bw / 10;

	*out = NULL;
	if (bw == 0)
		return 0;
	if (rate < REC_WIRE_MAX)
		rate = REC_WIRE_MAX;
	*out = ev_token_bucket_cfg_new(EV_RATE_LIMIT_MAX, EV_RATE_LIMIT_MAX,
	    rate, rate, &tick);
	return *out == NULL ? -1 : 0;
}

/*
 * The bandwidth cap of p->conf (none: NULL), for the tunnels from now on:
 * with N connections, each has 1/N of it.
 */
int
peer_set_rate(struct peer *p)
{
	struct ev_token_bucket_cfg	*old = p->rate, *oldc = p->rate_conn;
	struct ev_token_bucket_cfg	*rate, *rc;
	unsigned			 n = p->conf->connections;

	if (peer_bucket(p->conf->bandwidth, &rate) == -1)
		return -1;
	if (peer_bucket(n > 1 ? p->conf->bandwidth / n : 0, &rc) == -1) {
		if (rate != NULL)
			ev_token_bucket_cfg_free(rate);
		return -1;
	}
	p->rate = rate;			/* the whole cap */
	p->rate_conn = n > 1 ? rc : rate;	/* each connection's */
	/* the tunnels stop using the old buckets before they go */
	if (p->tunnel != NULL && p->tunnel->bev != NULL)
		bufferevent_set_rate_limit(p->tunnel->bev, p->rate_conn);
	peer_conns_rate(p);
	if (oldc != NULL && oldc != old)
		ev_token_bucket_cfg_free(oldc);
	if (old != NULL)
		ev_token_bucket_cfg_free(old);
	return 0;
}

/* A peer for pc, on gw->peers, dialled soon when it has an endpoint. */
struct peer *
peer_new(struct gw *gw, const struct vmgw_peer *pc)
{
	struct peer	*p;
	struct timeval	 tv;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->gw = gw;
	p->conf = pc;
	TAILQ_INIT(&p->waiters);
	peer_conns_init(p);
	if ((p->retry = evtimer_new(gw->base, peer_retry_cb, p)) == NULL ||
	    peer_set_rate(p) == -1) {
		if (p->retry != NULL)
			event_free(p->retry);
		free(p);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&gw->peers, p, entry);
	if (p->conf->has_endpoint) {
		p->want = 1;
		/* a little jitter so that two gateways started
		 * together rarely dial each other at once */
		tv.tv_sec = 0;
		tv.tv_usec = (suseconds_t)randombytes_uniform(500000);
		evtimer_add(p->retry, &tv);
	}
	return p;
}

int
peers_init(struct gw *gw)
{
	size_t		 i;

	for (i = 0; i < gw->conf->n_peers; i++)
		if (peer_new(gw, &gw->conf->peers[i]) == NULL)
			return -1;
	return 0;
}

static void
peer_free(struct peer *p)
{
	struct peer_waiter	*w;

	while ((w = TAILQ_FIRST(&p->waiters)) != NULL)
		peer_wait_cancel(w);
	peer_conns_free(p);
	event_free(p->retry);
	if (p->rate_conn != NULL && p->rate_conn != p->rate)
		ev_token_bucket_cfg_free(p->rate_conn);
	if (p->rate != NULL)
		ev_token_bucket_cfg_free(p->rate);
	free(p);
}

/* Stop every peer's lanes, then run what they posted. */
void
peers_stop_lanes(struct gw *gw)
{
	struct peer		*p;

	TAILQ_FOREACH(p, &gw->peers, entry)
		peer_conns_free(p);
	TAILQ_FOREACH(p, &gw->peers_gone, entry)
		peer_conns_free(p);
	lane_mailbox_drain();
}

void
peers_free(struct gw *gw)
{
	struct peer		*p;

	peers_stop_lanes(gw);
	while ((p = TAILQ_FIRST(&gw->peers)) != NULL) {
		TAILQ_REMOVE(&gw->peers, p, entry);
		peer_free(p);
	}
	while ((p = TAILQ_FIRST(&gw->peers_gone)) != NULL) {
		TAILQ_REMOVE(&gw->peers_gone, p, entry);
		peer_free(p);
	}
}

/*
 * A reload removed p: it leaves gw->peers (no lookup, no handshake finds it
 * again), its tunnels close, its waiters hear why, and it keeps its name
 * and key in gone_conf, for the jobs and forwards that still point at it.
 */
void
peer_remove(struct peer *p)
{
	struct gw	*gw = p->gw;

	snprintf(p->gone_name, sizeof(p->gone_name), "%s", p->conf->name);
	memcpy(p->gone_conf.public_key, p->conf->public_key, KEY_LEN);
	p->gone_conf.name = p->gone_name;
	/* the rest of gone_conf stays zero: no endpoint, no mappings, no plan */
	p->conf = &p->gone_conf;
	p->removed = 1;
	p->want = 0;
	evtimer_del(p->retry);
	TAILQ_REMOVE(&gw->peers, p, entry);
	TAILQ_INSERT_TAIL(&gw->peers_gone, p, entry);
	if (p->tunnel != NULL)
		tunnel_close(p->tunnel, "%s was removed from the configuration",
		    p->conf->name);
	if (p->dialing != NULL)
		tunnel_close(p->dialing, "%s was removed from the "
		    "configuration", p->conf->name);
	peer_conns_close(p, 1, "removed from the configuration");
	snprintf(p->last_error, sizeof(p->last_error), "removed from the "
	    "configuration");
	peer_notify_waiters(p, NULL, "no longer a configured peer");
}

struct peer *
peer_find(struct gw *gw, const char *name)
{
	struct peer	*p;

	TAILQ_FOREACH(p, &gw->peers, entry)
		if (strcmp(p->conf->name, name) == 0)
			return p;
	return NULL;
}

struct peer *
peer_by_key(struct gw *gw, const uint8_t key[KEY_LEN])
{
	struct peer	*p;

	TAILQ_FOREACH(p, &gw->peers, entry)
		if (sodium_memcmp(p->conf->public_key, key, KEY_LEN) == 0)
			return p;
	return NULL;
}

static void
peer_schedule(struct peer *p)
{
	struct timeval	 tv;
	unsigned	 cap = p->gw->conf->tunnel.reconnect_max;

	if (!p->want || p->gw->shutting_down || p->removed)
		return;
	p->backoff = p->backoff == 0 ? 1 : p->backoff * 2;
	if (p->backoff > cap)
		p->backoff = cap;
	tv.tv_sec = p->backoff;
	tv.tv_usec = (suseconds_t)randombytes_uniform(250000);
	evtimer_add(p->retry, &tv);
	log_debug("%s: next dial in %us", p->conf->name, p->backoff);
}

void
peer_dial_now(struct peer *p)
{
	if (!p->conf->has_endpoint || p->tunnel != NULL ||
	    p->dialing != NULL || p->gw->shutting_down || p->removed)
		return;
	evtimer_del(p->retry);
	p->dialing = tunnel_connect(p->gw, p);
	/* a connect can fail inside the call: the tunnel is then dead */
	if (p->dialing != NULL && p->dialing->state == TUN_DEAD)
		p->dialing = NULL;
	if (p->dialing == NULL && p->tunnel == NULL &&
	    !evtimer_pending(p->retry, NULL))
		peer_schedule(p);
}

static void
peer_retry_cb(evutil_socket_t fd, short ev, void *arg)
{
	peer_dial_now(arg);
}

void
peer_dial_failed(struct peer *p, const char *why)
{
	p->dialing = NULL;
	snprintf(p->last_error, sizeof(p->last_error), "%s", why);
	if (p->tunnel == NULL)
		peer_schedule(p);
}

/* The dial that stays when two tunnels to one peer come up together. */
static int
peer_prefer(struct peer *p, struct tunnel *a, struct tunnel *b)
{
	int	 we_smaller = memcmp(p->gw->conf->key.pub, p->conf->public_key,
		    KEY_LEN) < 0;

	if (a->initiator == b->initiator)
		return 1;		/* same dialer: the newer (b) */
	/* keep the tunnel dialled by the smaller key */
	return b->initiator == we_smaller;
}

void
peer_tunnel_up(struct peer *p, struct tunnel *t)
{
	struct tunnel	*old = p->tunnel;
	struct log_ctx	 lc;
	size_t		 i;

	if (p->dialing == t)
		p->dialing = NULL;
	if (old != NULL && old != t) {
		if (mono_now() - old->established < TUNNEL_FRESH_SECS &&
		    !peer_prefer(p, old, t)) {
			tunnel_close(t, "crossed dials: keeping the tunnel "
			    "%s by %s", old->initiator ? "dialled" : "accepted",
			    old->initiator ? "us" : p->conf->name);
			return;
		}
		p->tunnel = NULL;
		tunnel_close(old, "replaced by a newer tunnel");
	}
	p->tunnel = t;
	p->backoff = 0;
	p->since_wall = p->last_handshake_wall = time(NULL);
	p->handshakes++;
	p->last_error[0] = '\0';
	evtimer_del(p->retry);
	if (p->rate_conn != NULL)
		bufferevent_set_rate_limit(t->bev, p->rate_conn);
	peer_log_ctx(p, &lc);
	log_ctx_info(&lc, "%s: tunnel up (%s %s, %s)", p->conf->name,
	    t->initiator ? "dialled" : "accepted from", t->addr,
	    tunnel_suite_name(t->suite));
	for (i = 0; i < npeer_observers; i++)
		if (peer_observers[i].up != NULL)
			peer_observers[i].up(p, t);
	peer_notify_waiters(p, t, NULL);
	peer_conns_dial(p);
}

void
peer_tunnel_down(struct peer *p, struct tunnel *t, const char *why)
{
	size_t	 i;

	if (p->tunnel != t)
		return;
	p->tunnel = NULL;
	p->bytes_in += t->bytes_in;
	p->bytes_out += t->bytes_out;
	p->z_tx_in += t->z_tx_in;
	p->z_tx_out += t->z_tx_out;
	p->z_rx_in += t->z_rx_in;
	p->z_rx_out += t->z_rx_out;
	p->rekeys += t->tx.rekeys + t->rx.rekeys;
	p->since_wall = time(NULL);
	snprintf(p->last_error, sizeof(p->last_error), "%s", why);
	if (!p->gw->shutting_down)
		for (i = 0; i < npeer_observers; i++)
			if (peer_observers[i].down != NULL)
				peer_observers[i].down(p, t, why);
	if (p->want && p->dialing == NULL) {
		p->backoff = 0;
		peer_schedule(p);
	}
}

/* ------------------------------------------------------------ waiters */

static void
peer_waiter_free(struct peer_waiter *w)
{
	TAILQ_REMOVE(&w->peer->waiters, w, entry);
	event_free(w->timeout);
	free(w);
}

static void
peer_waiter_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct peer_waiter	*w = arg;
	struct peer		*p = w->peer;
	void			(*cb)(struct peer *, struct tunnel *,
				    const char *, void *) = w->cb;
	void			*cbarg = w->arg;
	char			 err[400];

	peer_waiter_free(w);
	if (p->tunnel != NULL && p->tunnel->state == TUN_ESTABLISHED) {
		cb(p, p->tunnel, NULL, cbarg);
		return;
	}
	if (p->removed)
		snprintf(err, sizeof(err), "no tunnel to %s: no longer a "
		    "configured peer", p->conf->name);
	else if (!p->conf->has_endpoint && p->last_error[0] == '\0')
		snprintf(err, sizeof(err), "no tunnel to %s (it has no "
		    "endpoint here: it must dial us)", p->conf->name);
	else
		snprintf(err, sizeof(err), "no tunnel to %s%s%s",
		    p->conf->name, p->last_error[0] ? ": " : "",
		    p->last_error);
	cb(p, NULL, err, cbarg);
}

static void
peer_notify_waiters(struct peer *p, struct tunnel *t, const char *err)
{
	struct peer_waiter	*w;
	void			(*cb)(struct peer *, struct tunnel *,
				    const char *, void *);
	void			*arg;

	while ((w = TAILQ_FIRST(&p->waiters)) != NULL) {
		cb = w->cb;
		arg = w->arg;
		peer_waiter_free(w);
		cb(p, t, err, arg);
	}
}

/*
 * Call cb from the event loop once the peer's tunnel is up (at the next
 * turn of the loop if it is up already), or with an error after timeout_s.
 * Never calls cb before returning.  NULL: out of memory, cb never called.
 */
struct peer_waiter *
peer_wait(struct peer *p, unsigned timeout_s,
    void (*cb)(struct peer *, struct tunnel *, const char *, void *),
    void *arg)
{
	struct peer_waiter	*w;
	struct timeval		 tv = { (time_t)timeout_s, 0 };
	int			 up;

	up = p->tunnel != NULL && p->tunnel->state == TUN_ESTABLISHED;
	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->timeout = evtimer_new(p->gw->base, peer_waiter_timeout, w)) ==
	    NULL) {
		free(w);
		return NULL;
	}
	w->peer = p;
	w->cb = cb;
	w->arg = arg;
	TAILQ_INSERT_TAIL(&p->waiters, w, entry);
	if (up)
		tv.tv_sec = 0;
	evtimer_add(w->timeout, &tv);
	/* dial now rather than after the backoff */
	if (!up && p->dialing == NULL) {
		p->backoff = 0;
		peer_dial_now(p);
	}
	return w;
}

void
peer_wait_cancel(struct peer_waiter *w)
{
	if (w != NULL)
		peer_waiter_free(w);
}

json_t *
peer_status_json(struct peer *p)
{
	struct tunnel		*t = p->tunnel;
	struct peer_totals	 d;
	json_t			*o, *v;
	size_t			 i;

	peer_conns_totals(p, &d);
	o = json_pack("{s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:i}",
	    "site", p->conf->name,
	    "endpoint", p->conf->has_endpoint ? p->conf->endpoint.text : "",
	    "connected", t != NULL,
	    "since", (json_int_t)p->since_wall,
	    "last_handshake", (json_int_t)p->last_handshake_wall,
	    "bytes_in", (json_int_t)(p->bytes_in + d.bytes_in +
	    (t ? t->bytes_in : 0)),
	    "bytes_out", (json_int_t)(p->bytes_out + d.bytes_out +
	    (t ? t->bytes_out : 0)),
	    "channels", (int)(d.channels + (t != NULL ? chan_count(t) : 0)));
	if (o == NULL)
		return NULL;
	if (t != NULL) {
		json_object_set_new(o, "address", json_string(t->addr));
		json_object_set_new(o, "suite",
		    json_string(tunnel_suite_name(t->suite)));
		json_object_set_new(o, "dialled", json_boolean(t->initiator));
		json_object_set_new(o, "rtt_us", json_integer(
		    (json_int_t)t->rtt_us));
		json_object_set_new(o, "rekeys", json_integer(
		    (json_int_t)(t->tx.rekeys + t->rx.rekeys)));
	}
	/* one entry per connection, the tunnel first */
	json_object_set_new(o, "connections", peer_conns_status(p));
	/* channel data before and after compression, both ways */
	json_object_set_new(o, "compress", json_pack("{s:s, s:I, s:I, s:I, "
	    "s:I}", "mode", compress_mode_name(p->conf->compress),
	    "sent_data", (json_int_t)(p->z_tx_in + d.z_tx_in +
	    (t ? t->z_tx_in : 0)),
	    "sent_compressed", (json_int_t)(p->z_tx_out + d.z_tx_out +
	    (t ? t->z_tx_out : 0)),
	    "received_compressed", (json_int_t)(p->z_rx_in + d.z_rx_in +
	    (t ? t->z_rx_in : 0)),
	    "received_data", (json_int_t)(p->z_rx_out + d.z_rx_out +
	    (t ? t->z_rx_out : 0))));
	if (p->last_error[0] != '\0')
		json_object_set_new(o, "last_error",
		    json_string(p->last_error));
	json_object_set_new(o, "handshakes", json_integer(p->handshakes));
	for (i = 0; i < npeer_status_fields; i++)
		if ((v = peer_status_fields[i].fn(p)) != NULL)
			json_object_set_new(o, peer_status_fields[i].key, v);
	return o;
}

/* From any thread (a data connection's lane too). */
void
peer_count_drop(struct peer *p, enum peer_drop why)
{
	if (p != NULL && (unsigned)why < PEER_DROPS)
		__atomic_add_fetch(&p->drops[why], 1, __ATOMIC_RELAXED);
}

void
peer_log_ctx(const struct peer *p, struct log_ctx *lc)
{
	memset(lc, 0, sizeof(*lc));
	lc->peer = p->conf->name;
}

uint64_t
peer_rekeys(struct peer *p)
{
	const struct tunnel	*t = p->tunnel;
	struct peer_totals	 d;

	peer_conns_totals(p, &d);
	return p->rekeys + d.rekeys + (t != NULL ? t->tx.rekeys +
	    t->rx.rekeys : 0);
}
