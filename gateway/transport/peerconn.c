/*
 * peerconn.c - a peer's data connections (peers.NAME.connections: N).
 *
 * Connection 0 is the peer's tunnel (peer.c): it carries the gateway
 * messages, every priority channel (libvirt's RPC, the l2 stretch) and bulk
 * channels too.  Connections 1 .. N-1 carry bulk channels only (relays: a
 * job's streams, a replication point, a forward), each over its own TCP
 * connection with its own Noise handshake and keys, driven by a thread of
 * its own (lane.c): so a gateway uses more than one core, and more than
 * one TCP window on a long fat pipe.
 *
 * Who dials: the gateway that dialled the peer's tunnel dials the data
 * connections as well, as many as its own setting says; the other accepts
 * as many as its own setting says and refuses the rest (the smaller
 * setting wins); an index refused is dialled again with a backoff that
 * grows to PC_REFUSED_MAX_S (the other side may be reloaded to take more:
 * the two sides' reloads come in either order).  Each connection comes and
 * goes on its own: its loss fails the channels on it, the others go on,
 * and it is dialled again with its own backoff while the tunnel is up.  A
 * newer connection k replaces an older one (the other side restarted, or
 * redialled).
 *
 * A data connection's handshake runs on the main loop like the tunnel's;
 * once established it moves to its lane (tunnel_rehome) and stays there
 * until it closes.  Its end comes back here through the lane's mailbox.
 *
 * A bulk channel goes on the connection with the fewest bulk channels,
 * data connections first when tied (so the tunnel stays quick for
 * control); a channel stays on its connection, so its order is kept.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transport.h"

#define PC_REFUSED_MAX_S	300	/* backoff cap of a refused index */

static void	pc_retry_cb(evutil_socket_t, short, void *);
static void	pc_dial(struct peer_conn *);

void
peer_conns_init(struct peer *p)
{
	unsigned	 k;

	for (k = 0; k < PEER_CONNECTIONS_MAX; k++) {
		p->conns[k].peer = p;
		p->conns[k].index = k;
	}
}

/* Stop every lane (what they still post runs later, on the main loop). */
void
peer_conns_free(struct peer *p)
{
	struct peer_conn	*pc;
	unsigned		 k;

	for (k = 1; k < PEER_CONNECTIONS_MAX; k++) {
		pc = &p->conns[k];
		lane_free(pc->lane);
		pc->lane = NULL;
		if (pc->retry != NULL)
			event_free(pc->retry);
		pc->retry = NULL;
	}
}

/* Is connection k ours to dial now? */
static int
pc_ours(const struct peer_conn *pc)
{
	const struct peer	*p = pc->peer;

	return p->tunnel != NULL && p->tunnel->initiator &&
	    pc->index < p->conf->connections && p->conf->has_endpoint &&
	    !p->removed && !p->gw->shutting_down;
}

static void
pc_schedule(struct peer_conn *pc)
{
	struct gw	*gw = pc->peer->gw;
	struct timeval	 tv;
	unsigned	 cap = gw->conf->tunnel.reconnect_max;

	if (pc->refused && cap < PC_REFUSED_MAX_S)
		cap = PC_REFUSED_MAX_S;

	if (!pc_ours(pc) || pc->dialing != NULL ||
	    __atomic_load_n(&pc->live, __ATOMIC_RELAXED))
		return;
	if (pc->retry == NULL &&
	    (pc->retry = evtimer_new(gw->base, pc_retry_cb, pc)) == NULL)
		return;
	pc->backoff = pc->backoff == 0 ? 1 : pc->backoff * 2;
	if (pc->backoff > cap)
		pc->backoff = cap;
	tv.tv_sec = pc->backoff;
	tv.tv_usec = (suseconds_t)randombytes_uniform(250000);
	evtimer_add(pc->retry, &tv);
}

static void
pc_dial(struct peer_conn *pc)
{
	struct peer	*p = pc->peer;

	if (!pc_ours(pc) || pc->dialing != NULL ||
	    __atomic_load_n(&pc->live, __ATOMIC_RELAXED))
		return;
	if (pc->retry != NULL)
		evtimer_del(pc->retry);
	pc->dialing = tunnel_connect_data(p->gw, p, pc->index);
	/* a connect can fail inside the call: the tunnel is then dead */
	if (pc->dialing != NULL && pc->dialing->state == TUN_DEAD)
		pc->dialing = NULL;
	if (pc->dialing == NULL && (pc->retry == NULL ||
	    !evtimer_pending(pc->retry, NULL)))
		pc_schedule(pc);
}

static void
pc_retry_cb(evutil_socket_t fd, short ev, void *arg)
{
	pc_dial(arg);
}

/* The tunnel is new: dial the data connections that are ours to dial. */
void
peer_conns_dial(struct peer *p)
{
	unsigned	 k;

	for (k = 1; k < PEER_CONNECTIONS_MAX; k++) {
		p->conns[k].backoff = 0;
		pc_dial(&p->conns[k]);
	}
}

/* Close connections from .. (the main loop). */
void
peer_conns_close(struct peer *p, unsigned from, const char *why)
{
	struct peer_conn	*pc;
	unsigned		 k;

	for (k = from < 1 ? 1 : from; k < PEER_CONNECTIONS_MAX; k++) {
		pc = &p->conns[k];
		if (pc->retry != NULL)
			evtimer_del(pc->retry);
		if (pc->dialing != NULL)
			tunnel_close(pc->dialing, "%s", why);
		if (pc->lane == NULL)
			continue;
		lane_borrow(pc->lane);
		if (pc->t != NULL)
			tunnel_close(pc->t, "%s", why);
		lane_release(pc->lane);
	}
}

void
peer_conn_dial_failed(struct peer *p, struct tunnel *t, const char *why)
{
	struct peer_conn	*pc = &p->conns[t->conn];

	if (pc->dialing == t)
		pc->dialing = NULL;
	snprintf(pc->last_error, sizeof(pc->last_error), "%s", why);
	pc_schedule(pc);
}

/* The peer refused index t->conn (it takes fewer): dialled again, slowly. */
void
peer_conn_refused(struct peer *p, struct tunnel *t, const char *why)
{
	p->conns[t->conn].refused = 1;
}

/* ------------------------------------------------------------ up */

/* On the main loop, after the read that established t: to its lane. */
static void
pc_rehome_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct tunnel		*t = arg;
	struct peer		*p = t->peer;
	struct peer_conn	*pc;
	char			 name[80];

	if (t->state != TUN_ESTABLISHED)
		return;		/* closed meanwhile: it said so */
	pc = &p->conns[t->conn];
	if (pc->lane == NULL) {
		snprintf(name, sizeof(name), "%s#%u", p->conf->name, t->conn);
		if ((pc->lane = lane_new(p->gw, name)) == NULL) {
			tunnel_close(t, "cannot start a thread for it");
			return;
		}
	}
	lane_borrow(pc->lane);
	if (pc->t != NULL)
		tunnel_close(pc->t, "replaced by a newer connection");
	if (tunnel_rehome(t, pc->lane) == -1)
		tunnel_close(t, "out of memory");
	else {
		pc->t = t;
		pc->serial = t->serial;
		__atomic_store_n(&pc->live, 1, __ATOMIC_RELAXED);
		if (p->rate_conn != NULL)
			bufferevent_set_rate_limit(t->bev, p->rate_conn);
	}
	lane_release(pc->lane);
}

/* Data connection t->conn is established (on the main loop). */
void
peer_conn_up(struct peer *p, struct tunnel *t)
{
	struct peer_conn	*pc = &p->conns[t->conn];
	struct log_ctx		 lc;

	if (pc->dialing == t)
		pc->dialing = NULL;
	pc->handshakes++;
	pc->backoff = 0;
	pc->refused = 0;
	pc->since_wall = time(NULL);
	pc->last_error[0] = '\0';
	if (pc->retry != NULL)
		evtimer_del(pc->retry);
	peer_log_ctx(p, &lc);
	log_ctx_info(&lc, "%s: connection %u up (%s %s, %s)", p->conf->name,
	    t->conn, t->initiator ? "dialled" : "accepted from", t->addr,
	    tunnel_suite_name(t->suite));
	/* once the read that brought it has returned */
	if (event_base_once(p->gw->base, -1, EV_TIMEOUT, pc_rehome_cb, t,
	    NULL) == -1)
		tunnel_close(t, "out of memory");
}

/* ------------------------------------------------------------ down */

struct pc_down {
	struct peer	*peer;
	unsigned	 index;
	uint64_t	 bytes_in, bytes_out, rekeys;
	uint64_t	 z_tx_in, z_tx_out, z_rx_in, z_rx_out;
	char		 why[256];
};

/* The main loop's part of a connection's end. */
static void
pc_down_main(void *arg)
{
	struct pc_down		*d = arg;
	struct peer_conn	*pc = &d->peer->conns[d->index];

	pc->bytes_in += d->bytes_in;
	pc->bytes_out += d->bytes_out;
	pc->rekeys += d->rekeys;
	pc->z_tx_in += d->z_tx_in;
	pc->z_tx_out += d->z_tx_out;
	pc->z_rx_in += d->z_rx_in;
	pc->z_rx_out += d->z_rx_out;
	pc->since_wall = time(NULL);
	snprintf(pc->last_error, sizeof(pc->last_error), "%s", d->why);
	pc->backoff = 0;
	pc_schedule(pc);
	free(d);
}

/* Established data connection t closed (on its lane, or the main loop). */
void
peer_conn_down(struct peer *p, struct tunnel *t, const char *why)
{
	struct peer_conn	*pc = &p->conns[t->conn];
	struct pc_down		*d;

	if (pc->t == t) {
		pc->t = NULL;
		__atomic_store_n(&pc->live, 0, __ATOMIC_RELAXED);
	}
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return;
	d->peer = p;
	d->index = t->conn;
	d->bytes_in = t->bytes_in;
	d->bytes_out = t->bytes_out;
	d->rekeys = t->tx.rekeys + t->rx.rekeys;
	d->z_tx_in = t->z_tx_in;
	d->z_tx_out = t->z_tx_out;
	d->z_rx_in = t->z_rx_in;
	d->z_rx_out = t->z_rx_out;
	snprintf(d->why, sizeof(d->why), "%s", why);
	if (lane_current() == NULL)
		pc_down_main(d);
	else if (lane_post_main(pc_down_main, d) == -1)
		free(d);
}

/* ------------------------------------------------------------ channels */

/*
 * The connection a new channel goes on: the tunnel when tunnel (a priority
 * channel), else the one with the fewest bulk channels (ties: data
 * connections first).  A data connection's lane comes back borrowed in
 * *lp (the caller releases it) so the tunnel stays valid.  NULL: no
 * tunnel.
 */
struct tunnel *
peer_conn_pick(struct peer *p, int tunnel, struct lane **lp)
{
	struct peer_conn	*pc, *best = NULL;
	struct tunnel		*t = p->tunnel;
	int			 n, bestn = INT_MAX;
	unsigned		 k;

	*lp = NULL;
	if (t != NULL && t->state != TUN_ESTABLISHED)
		t = NULL;
	if (tunnel)
		return t;
	for (k = 1; k < PEER_CONNECTIONS_MAX; k++) {
		pc = &p->conns[k];
		if (pc->lane == NULL ||
		    !__atomic_load_n(&pc->live, __ATOMIC_RELAXED))
			continue;
		n = __atomic_load_n(&pc->nbulk, __ATOMIC_RELAXED);
		if (n < bestn) {
			best = pc;
			bestn = n;
		}
	}
	if (best == NULL || (t != NULL &&
	    __atomic_load_n(&t->nbulk, __ATOMIC_RELAXED) < bestn))
		return t;
	lane_borrow(best->lane);
	if (best->t != NULL && best->t->state == TUN_ESTABLISHED) {
		*lp = best->lane;
		return best->t;
	}
	lane_release(best->lane);	/* it went meanwhile */
	return t;
}

/* ------------------------------------------------------------ status */

static json_t *
pc_tunnel_json(const struct tunnel *t, unsigned index)
{
	return json_pack("{s:i, s:b, s:s, s:b, s:I, s:I, s:I, s:I, s:i}",
	    "index", (int)index, "connected", 1, "address", t->addr,
	    "dialled", t->initiator, "rtt_us", (json_int_t)t->rtt_us,
	    "rekeys", (json_int_t)(t->tx.rekeys + t->rx.rekeys),
	    "bytes_in", (json_int_t)t->bytes_in,
	    "bytes_out", (json_int_t)t->bytes_out,
	    "channels", (int)chan_count(t));
}

/* Every connection of p, the tunnel first: what `vmgw status` shows. */
json_t *
peer_conns_status(struct peer *p)
{
	struct peer_conn	*pc;
	json_t			*a, *o;
	unsigned		 k, n = p->conf->connections;

	if ((a = json_array()) == NULL)
		return NULL;
	if (p->tunnel != NULL)
		o = pc_tunnel_json(p->tunnel, 0);
	else
		o = json_pack("{s:i, s:b}", "index", 0, "connected", 0);
	json_array_append_new(a, o);
	for (k = 1; k < PEER_CONNECTIONS_MAX; k++) {
		pc = &p->conns[k];
		if (k >= n && pc->handshakes == 0)
			continue;
		o = NULL;
		if (pc->lane != NULL) {
			lane_borrow(pc->lane);
			if (pc->t != NULL)
				o = pc_tunnel_json(pc->t, k);
			lane_release(pc->lane);
		}
		if (o == NULL)
			o = json_pack("{s:i, s:b}", "index", (int)k,
			    "connected", 0);
		if (o == NULL)
			continue;
		json_object_set_new(o, "handshakes", json_integer(
		    pc->handshakes));
		json_object_set_new(o, "since", json_integer(
		    (json_int_t)pc->since_wall));
		if (pc->refused)
			json_object_set_new(o, "refused", json_true());
		if (pc->last_error[0] != '\0')
			json_object_set_new(o, "last_error",
			    json_string(pc->last_error));
		json_array_append_new(a, o);
	}
	return a;
}

/*
 * What the data connections moved (closed ones and the live ones): bytes
 * each way, rekeys, and channel data before and after compression.
 */
void
peer_conns_totals(struct peer *p, struct peer_totals *sum)
{
	struct peer_conn	*pc;
	const struct tunnel	*t;
	unsigned		 k;

	memset(sum, 0, sizeof(*sum));
	for (k = 1; k < PEER_CONNECTIONS_MAX; k++) {
		pc = &p->conns[k];
		sum->bytes_in += pc->bytes_in;
		sum->bytes_out += pc->bytes_out;
		sum->rekeys += pc->rekeys;
		sum->z_tx_in += pc->z_tx_in;
		sum->z_tx_out += pc->z_tx_out;
		sum->z_rx_in += pc->z_rx_in;
		sum->z_rx_out += pc->z_rx_out;
		if (pc->lane == NULL)
			continue;
		lane_borrow(pc->lane);
		if ((t = pc->t) != NULL) {
			sum->bytes_in += t->bytes_in;
			sum->bytes_out += t->bytes_out;
			sum->rekeys += t->tx.rekeys + t->rx.rekeys;
			sum->z_tx_in += t->z_tx_in;
			sum->z_tx_out += t->z_tx_out;
			sum->z_rx_in += t->z_rx_in;
			sum->z_rx_out += t->z_rx_out;
			sum->channels += chan_count(t);
			sum->up++;
		}
		lane_release(pc->lane);
	}
}

/* The bandwidth cap changed: each data connection gets its share. */
void
peer_conns_rate(struct peer *p)
{
	struct peer_conn	*pc;
	unsigned		 k;

	for (k = 1; k < PEER_CONNECTIONS_MAX; k++) {
		pc = &p->conns[k];
		if (pc->lane == NULL)
			continue;
		lane_borrow(pc->lane);
		if (pc->t != NULL && pc->t->bev != NULL)
			bufferevent_set_rate_limit(pc->t->bev, p->rate_conn);
		lane_release(pc->lane);
	}
}

/* park: every lane of every peer parked (a barrier); else released. */
void
peers_park(struct gw *gw, int park)
{
	struct peer_list	*lists[2] = { &gw->peers, &gw->peers_gone };
	struct peer		*p;
	unsigned		 i, k;

	for (i = 0; i < 2; i++)
		TAILQ_FOREACH(p, lists[i], entry)
			for (k = 1; k < PEER_CONNECTIONS_MAX; k++) {
				if (p->conns[k].lane == NULL)
					continue;
				if (park)
					lane_borrow(p->conns[k].lane);
				else
					lane_release(p->conns[k].lane);
			}
}
