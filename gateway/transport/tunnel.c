/*
 * tunnel.c - one TCP connection to a peer gateway.
 *
 * Life of a tunnel: TCP connect (initiator) or accept (responder); the
 * Noise_IK handshake in two clear frames (handshake.c frames them, noise.c
 * does the cryptography); then records only (crypto/record.c), dispatched to
 * the channel layer (channel.c), the gateway messages (peermsg.c) and the
 * tunnel's own keepalive and rekey.  A record that fails to open ends the
 * connection at once: nothing of it is delivered.
 *
 * Nothing is sent in clear but the two handshake frames (and HS_REJECT, for
 * a version or suite this side cannot speak).
 *
 * Output: records wait unsealed in two queues, control first (q_ctl) and
 * bulk DATA (q_bulk), and are sealed as they go to the wire, so the nonces
 * follow the wire's order whatever jumps the queue.  The wire (the
 * bufferevent's output, which refers to the sealed slots without a copy)
 * takes bulk only up to about 2 ms of the measured rate, the kernel holds
 * at most TCP_NOTSENT_LOWAT unsent, and the bulk a tunnel holds in all is
 * bounded to TUNNEL_BULK_MS of its rate (tunnel_has_room), so control
 * records wait behind little, and what a local socket wrote is either on
 * the wire or still in that socket, where its writer sees it.
 *
 * Input: one linear buffer (rbuf) read with one read(2) of up to 1 MiB;
 * records are opened in place there and delivered from there.
 *
 * A data connection (t->conn > 0, peerconn.c) does its handshake here on
 * the main loop like any tunnel, stops reading once it is established,
 * and is then moved to its lane (tunnel_rehome): a new bufferevent and
 * events on the lane's base, the same socket, keys and unread bytes.
 * From then on everything here runs on that lane's thread for it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include "transport.h"
#include "keys.h"

#define TUNNEL_IO_MAX	(256 * 1024)	/* largest single write */
#define TUNNEL_READ_MAX	(1024 * 1024)	/* largest single read */
#define TUNNEL_RBUF	(2 * TUNNEL_READ_MAX + REC_WIRE_MAX)	/* input buffer */
#define RATE_SAMPLE_NS	(20 * 1000000ull)

static uint64_t	tunnel_serials;		/* atomic */

static void	tunnel_read_ev(evutil_socket_t, short, void *);
static void	tunnel_read_records(struct tunnel *);
static void	tunnel_writecb(struct bufferevent *, void *);
static void	tunnel_eventcb(struct bufferevent *, short, void *);
static void	tunnel_tick(evutil_socket_t, short, void *);
static void	tunnel_send_init(struct tunnel *);
static void	tunnel_queues_free(struct tunnel *);

static const char *
tunnel_name(const struct tunnel *t)
{
	return t->peer != NULL ? t->peer->conf->name : t->addr;
}

static struct tunnel *
tunnel_new(struct gw *gw, struct bufferevent *bev, int initiator)
{
	struct tunnel	*t;
	struct timeval	 tick = { 1, 0 };
	size_t		 i;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->gw = gw;
	t->base = gw->base;
	t->serial = __atomic_add_fetch(&tunnel_serials, 1, __ATOMIC_RELAXED);
	t->bev = bev;
	t->initiator = initiator;
	t->next_chan = initiator ? 1 : 2;
	t->last_rx = t->last_tx = mono_now();
	t->started = mono_now();
	for (i = 0; i < TUNNEL_CHAN_BUCKETS; i++)
		TAILQ_INIT(&t->chans[i]);
	TAILQ_INIT(&t->blocked);
	TAILQ_INIT(&t->flushq);
	TAILQ_INIT(&t->q_ctl);
	TAILQ_INIT(&t->q_bulk);
	if ((t->timer = event_new(t->base, -1, EV_PERSIST, tunnel_tick,
	    t)) == NULL || event_add(t->timer, &tick) == -1) {
		if (t->timer != NULL)
			event_free(t->timer);
		free(t);
		return NULL;
	}
	bufferevent_setcb(bev, NULL, tunnel_writecb, tunnel_eventcb, t);
	bufferevent_set_max_single_read(bev, TUNNEL_IO_MAX);
	bufferevent_set_max_single_write(bev, TUNNEL_IO_MAX);
	/* the write callback refills the wire once it is this low */
	bufferevent_setwatermark(bev, EV_WRITE, REC_WIRE_MAX, 0);
	return t;
}

/* Reads go into rbuf on an event of our own (see tunnel_read_ev). */
static int
tunnel_start_io(struct tunnel *t)
{
	evutil_socket_t	 fd = bufferevent_getfd(t->bev);

	bufferevent_disable(t->bev, EV_READ);
	bufferevent_enable(t->bev, EV_WRITE);
	if ((t->rbuf = malloc(TUNNEL_RBUF)) == NULL ||
	    (t->rev = event_new(t->base, fd, EV_READ | EV_PERSIST,
	    tunnel_read_ev, t)) == NULL || event_add(t->rev, NULL) == -1)
		return -1;
	return 0;
}

/* Slots of closed channels are gone already (chan_tunnel_gone). */
static void
tunnel_queues_free(struct tunnel *t)
{
	struct rec_slot	*s;

	while ((s = TAILQ_FIRST(&t->q_ctl)) != NULL) {
		TAILQ_REMOVE(&t->q_ctl, s, entry);
		rec_slot_free(s);
	}
	while ((s = TAILQ_FIRST(&t->q_bulk)) != NULL) {
		TAILQ_REMOVE(&t->q_bulk, s, entry);
		rec_slot_free(s);
	}
	t->q_bulk_bytes = 0;
}

static void
tunnel_free_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct tunnel	*t = arg;

	sodium_memzero(t, sizeof(*t));
	free(t);
}

void
tunnel_close(struct tunnel *t, const char *fmt, ...)
{
	char	 reason[512];
	va_list	 ap;
	int	 was_established = t->state == TUN_ESTABLISHED;

	if (t->state == TUN_DEAD)
		return;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	t->state = TUN_DEAD;

	if (t->peer != NULL) {
		struct log_ctx	 lc;

		peer_log_ctx(t->peer, &lc);
		if (t->conn > 0)
			log_ctx_warnx(&lc, "%s: connection %u %s %s closed: %s",
			    t->peer->conf->name, t->conn, t->initiator ? "to" :
			    "from", t->addr, reason);
		else
			log_ctx_warnx(&lc, "%s: tunnel %s %s closed: %s",
			    t->peer->conf->name, t->initiator ? "to" : "from",
			    t->addr, reason);
	} else
		log_warnx("%s: connection dropped: %s", t->addr, reason);

	if (t->pending) {
		TAILQ_REMOVE(&t->gw->pending, t, entry);
		t->gw->npending--;
		t->pending = 0;
	}
	chan_tunnel_gone(t, reason);
	if (t->conn == 0)
		pmsg_tunnel_gone(t);
	if (t->on_up != NULL) {
		void (*cb)(struct tunnel *, const char *, void *) = t->on_up;

		t->on_up = NULL;
		cb(t, reason, t->on_up_arg);
	}
	if (t->peer != NULL && !t->probe && t->conn > 0) {
		if (was_established)
			peer_conn_down(t->peer, t, reason);
		else if (t->peer->conns[t->conn].dialing == t)
			peer_conn_dial_failed(t->peer, t, reason);
	} else if (t->peer != NULL && !t->probe) {
		if (was_established)
			peer_tunnel_down(t->peer, t, reason);
		else if (t->peer->dialing == t)
			peer_dial_failed(t->peer, reason);
	}
	if (t->rev != NULL)
		event_free(t->rev);
	t->rev = NULL;
	if (t->rbuf != NULL) {
		sodium_memzero(t->rbuf, TUNNEL_RBUF);
		free(t->rbuf);
	}
	t->rbuf = NULL;
	tunnel_queues_free(t);
	free(t->zbuf);
	t->zbuf = NULL;
	if (t->bev != NULL)
		bufferevent_free(t->bev);
	t->bev = NULL;
	if (t->timer != NULL)
		event_free(t->timer);
	t->timer = NULL;
	noise_handshake_free(t->hs);
	t->hs = NULL;
	rec_dir_wipe(&t->tx);
	rec_dir_wipe(&t->rx);
	/* callers up the stack may still look at t->state */
	event_base_once(t->base, -1, EV_TIMEOUT, tunnel_free_cb, t, NULL);
}

/* ------------------------------------------------------------ set up */

static void
tunnel_socket_opts(evutil_socket_t fd)
{
	int	 one = 1, lowat = TUNNEL_NOTSENT_LOWAT;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	/* unsent bytes in the kernel are as invisible to a writer as ours */
	setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof(lowat));
}

/*
 * Dial peer p: its tunnel, or (probe) a `vmgw check` handshake whose
 * outcome goes to cb.  NULL when the connection could not even start.
 */
static struct tunnel *
tunnel_dial(struct gw *gw, struct peer *p, int probe, unsigned conn,
    void (*cb)(struct tunnel *, const char *, void *), void *arg)
{
	struct bufferevent	*bev;
	struct tunnel		*t;
	const struct vmgw_addr	*a = &p->conf->endpoint;

	if ((bev = bufferevent_socket_new(gw->base, -1,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		return NULL;
	if ((t = tunnel_new(gw, bev, 1)) == NULL) {
		bufferevent_free(bev);
		return NULL;
	}
	t->peer = p;
	t->probe = probe;
	t->conn = conn;
	t->pc = conn > 0 ? &p->conns[conn] : NULL;
	t->state = TUN_CONNECTING;
	t->on_up = cb;
	t->on_up_arg = arg;
	snprintf(t->addr, sizeof(t->addr), "%s", a->text);
	log_debug("%s: %s %s%s", p->conf->name, probe ? "probing" :
	    "connecting to", a->text, conn > 0 ? " (data connection)" : "");
	/* -1: the resolver did not start, and the callback did not run */
	if (bufferevent_socket_connect_hostname(bev, gw->dns, AF_UNSPEC,
	    a->host, a->port) == -1) {
		tunnel_close(t, "connect %s: %s", a->text,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		return NULL;
	}
	return t;
}

struct tunnel *
tunnel_connect(struct gw *gw, struct peer *p)
{
	return tunnel_dial(gw, p, 0, 0, NULL, NULL);
}

/* Data connection conn (1 .. connections - 1) to p. */
struct tunnel *
tunnel_connect_data(struct gw *gw, struct peer *p, unsigned conn)
{
	return tunnel_dial(gw, p, 0, conn, NULL, NULL);
}

/* `vmgw check`: a probe handshake that proves both keys now. */
struct tunnel *
tunnel_probe(struct gw *gw, struct peer *p,
    void (*cb)(struct tunnel *, const char *, void *), void *arg)
{
	return tunnel_dial(gw, p, 1, 0, cb, arg);
}

void
tunnel_accept(struct gw *gw, int fd, const struct sockaddr *sa, int socklen)
{
	struct bufferevent	*bev;
	struct tunnel		*t;
	char			 ip[INET6_ADDRSTRLEN] = "?";
	int			 port = 0;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		port = ntohs(s4->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		port = ntohs(s6->sin6_port);
	}
	if (gw->npending >= TUNNEL_PENDING_MAX) {
		log_warnx("%s:%d: connection refused: %d handshakes already "
		    "pending", ip, port, TUNNEL_PENDING_MAX);
		evutil_closesocket(fd);
		return;
	}
	tunnel_socket_opts(fd);
	if ((bev = bufferevent_socket_new(gw->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		evutil_closesocket(fd);
		return;
	}
	if ((t = tunnel_new(gw, bev, 0)) == NULL) {
		bufferevent_free(bev);
		return;
	}
	snprintf(t->addr, sizeof(t->addr), sa->sa_family == AF_INET6 ?
	    "[%s]:%d" : "%s:%d", ip, port);
	t->state = TUN_HANDSHAKE;
	t->pending = 1;
	TAILQ_INSERT_TAIL(&gw->pending, t, entry);
	gw->npending++;
	if (tunnel_start_io(t) == -1) {
		tunnel_close(t, "out of memory");
		return;
	}
	log_debug("%s: connection accepted", t->addr);
}

/*
 * A tunnel over a socket that is already connected (unit tests run two
 * gateways in one process over a socketpair).  dial: the peer we initiate
 * to, or NULL to be the responder.
 */
struct tunnel *
tunnel_attach(struct gw *gw, evutil_socket_t fd, struct peer *dial)
{
	struct bufferevent	*bev;
	struct tunnel		*t;

	if (evutil_make_socket_nonblocking(fd) == -1 ||
	    (bev = bufferevent_socket_new(gw->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		return NULL;
	if ((t = tunnel_new(gw, bev, dial != NULL)) == NULL) {
		bufferevent_free(bev);
		return NULL;
	}
	snprintf(t->addr, sizeof(t->addr), "fd %d", (int)fd);
	if (tunnel_start_io(t) == -1) {
		tunnel_close(t, "out of memory");
		return NULL;
	}
	if (dial != NULL) {
		t->peer = dial;
		dial->dialing = t;
		tunnel_send_init(t);
	} else {
		t->state = TUN_HANDSHAKE;
		t->pending = 1;
		TAILQ_INSERT_TAIL(&gw->pending, t, entry);
		gw->npending++;
	}
	return t;
}

/* On the lane: the records that came with the handshake's last read. */
static void
tunnel_resume_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct tunnel	*t = arg;

	if (t->state == TUN_ESTABLISHED)
		tunnel_read_records(t);
}

/*
 * Move an established data connection to lane l, which the caller holds
 * borrowed: the socket, keys and unread bytes stay, the bufferevent and
 * events are made anew on the lane's base (with what was still to be
 * written).  -1: out of memory, t unchanged.
 */
int
tunnel_rehome(struct tunnel *t, struct lane *l)
{
	struct event_base	*base = lane_base(l);
	evutil_socket_t		 fd = bufferevent_getfd(t->bev);
	struct bufferevent	*nb;
	struct event		*rev = NULL, *timer = NULL;
	struct evbuffer		*old = bufferevent_get_output(t->bev);
	struct timeval		 tick = { 1, 0 };
	size_t			 n = evbuffer_get_length(old);

	if ((nb = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE)) ==
	    NULL)
		return -1;
	if ((rev = event_new(base, fd, EV_READ | EV_PERSIST, tunnel_read_ev,
	    t)) == NULL || (timer = event_new(base, -1, EV_PERSIST,
	    tunnel_tick, t)) == NULL || (n > 0 && evbuffer_add(
	    bufferevent_get_output(nb), evbuffer_pullup(old, -1), n) == -1)) {
		if (rev != NULL)
			event_free(rev);
		if (timer != NULL)
			event_free(timer);
		bufferevent_setfd(nb, -1);
		bufferevent_free(nb);
		return -1;
	}
	event_free(t->rev);
	event_free(t->timer);
	bufferevent_setfd(t->bev, -1);	/* the socket goes on in nb */
	bufferevent_free(t->bev);
	t->bev = nb;
	t->rev = rev;
	t->timer = timer;
	t->base = base;
	t->lane = l;
	bufferevent_setcb(nb, NULL, tunnel_writecb, tunnel_eventcb, t);
	bufferevent_set_max_single_read(nb, TUNNEL_IO_MAX);
	bufferevent_set_max_single_write(nb, TUNNEL_IO_MAX);
	bufferevent_setwatermark(nb, EV_WRITE, REC_WIRE_MAX, 0);
	bufferevent_disable(nb, EV_READ);
	bufferevent_enable(nb, EV_WRITE);
	event_add(t->rev, NULL);
	event_add(t->timer, &tick);
	if (t->rend > t->rstart)
		event_base_once(base, -1, EV_TIMEOUT, tunnel_resume_cb, t, NULL);
	return 0;
}

/* ------------------------------------------------------------ handshake */

static void
tunnel_reject(struct tunnel *t, enum hs_suite suite, const char *why)
{
	uint8_t	 hdr[HS_HDR_LEN];
	size_t	 n = strlen(why);

	if (n > 200)
		n = 200;
	hs_frame_header(hdr, HS_REJECT, suite, n);
	bufferevent_write(t->bev, hdr, sizeof(hdr));
	bufferevent_write(t->bev, why, n);
	t->close_after_flush = 1;
	event_del(t->rev);
	snprintf(t->close_reason, sizeof(t->close_reason), "refused: %s", why);
}

static void
tunnel_send_init(struct tunnel *t)
{
	const struct vmgw_config *conf = t->gw->conf;
	uint8_t		 msg[HS_HDR_LEN + HS_MSG_MAX];
	uint8_t		 payload[HS_INIT_PAYLOAD_MIN + HS_NAME_MAX];
	size_t		 plen, mlen, nlen = strlen(conf->site);

	if (hs_suite_choose(conf->tunnel.suite, &t->suite) == -1) {
		tunnel_close(t, "tunnel.suite aesgcm: this CPU has no AES-NI");
		return;
	}
	if ((t->hs = hs_new(conf, t->suite, 1, t->peer->conf->public_key)) ==
	    NULL) {
		tunnel_close(t, "cannot start the handshake: %s",
		    strerror(errno));
		return;
	}
	payload[0] = t->probe ? HS_FLAG_PROBE : 0;
	hs_tai64n_now(payload + 1);
	payload[1 + HS_TAI64N_LEN] = (uint8_t)t->conn;
	payload[2 + HS_TAI64N_LEN] = (uint8_t)nlen;
	memcpy(payload + 3 + HS_TAI64N_LEN, conf->site, nlen);
	plen = 3 + HS_TAI64N_LEN + nlen;
	if (noise_write_message(t->hs, msg + HS_HDR_LEN, HS_MSG_MAX, &mlen,
	    payload, plen) == -1) {
		tunnel_close(t, "cannot write the first handshake message");
		return;
	}
	hs_frame_header(msg, HS_INIT, t->suite, mlen);
	t->hs_sent_ns = mono_ns();
	bufferevent_write(t->bev, msg, HS_HDR_LEN + mlen);
	t->state = TUN_HANDSHAKE;
}

static int
tunnel_split(struct tunnel *t)
{
	struct noise_cipherstate	 c1, c2;
	int				 ret = -1;

	/* a direction started before a failure is wiped by tunnel_close */
	if (noise_split(t->hs, &c1, &c2) == -1 ||
	    rec_dir_init(&t->tx, t->initiator ? &c1 : &c2, mono_now()) == -1 ||
	    rec_dir_init(&t->rx, t->initiator ? &c2 : &c1, mono_now()) == -1)
		goto out;
	ret = 0;
 out:
	noise_cipher_wipe(&c1);
	noise_cipher_wipe(&c2);
	noise_handshake_free(t->hs);
	t->hs = NULL;
	return ret;
}

static void
tunnel_established(struct tunnel *t)
{
	t->state = TUN_ESTABLISHED;
	t->established = t->last_rx = t->last_tx = mono_now();
	t->established_wall = time(NULL);
	if (t->pending) {
		TAILQ_REMOVE(&t->gw->pending, t, entry);
		t->gw->npending--;
		t->pending = 0;
	}
	if (t->probe) {
		log_info("%s: probe handshake %s %s authenticated (%s)",
		    t->peer->conf->name, t->initiator ? "to" : "from",
		    t->addr, tunnel_suite_name(t->suite));
		return;
	}
	if (t->conn > 0) {
		/* nothing more is read here: the lane reads the rest */
		event_del(t->rev);
		peer_conn_up(t->peer, t);
		return;
	}
	peer_tunnel_up(t->peer, t);
}

/* Responder: HS_INIT arrived. */
static void
tunnel_on_init(struct tunnel *t, enum hs_suite suite, const uint8_t *msg,
    size_t mlen)
{
	const struct vmgw_config *conf = t->gw->conf;
	uint8_t		 payload[HS_MSG_MAX], rs[KEY_LEN];
	uint8_t		 out[HS_HDR_LEN + HS_MSG_MAX];
	uint8_t		 rp[1 + HS_NAME_MAX];
	char		 b64[KEY_B64_LEN + 1], fpr[KEY_FPR_LEN + 4], why[200];
	size_t		 plen, olen, nlen;
	struct peer	*p;
	const uint8_t	*ts;
	unsigned	 conn;

	if (!hs_suite_acceptable(conf->tunnel.suite, suite)) {
		tunnel_reject(t, suite, suite == HS_SUITE_AESGCM ?
		    "suite AESGCM not accepted here; use ChaChaPoly" :
		    "suite not accepted here; use AESGCM");
		return;
	}
	t->suite = suite;
	if ((t->hs = hs_new(conf, suite, 0, NULL)) == NULL) {
		tunnel_close(t, "cannot start the handshake: %s",
		    strerror(errno));
		return;
	}
	if (noise_read_message(t->hs, payload, sizeof(payload), &plen, msg,
	    mlen) == -1) {
		tunnel_close(t, "handshake: first message does not "
		    "authenticate (the initiator does not have this gateway's "
		    "public key, or the message was altered)");
		return;
	}
	if (noise_remote_static(t->hs, rs) == -1 ||
	    (p = peer_by_key(t->gw, rs)) == NULL) {
		key_to_base64(b64, rs);
		key_fingerprint(fpr, rs);
		tunnel_close(t, "handshake from unknown key %s (%s): not a "
		    "configured peer", fpr, b64);
		return;
	}
	nlen = plen > HS_INIT_PAYLOAD_MIN - 1 ? payload[2 + HS_TAI64N_LEN] : 0;
	conn = plen > HS_INIT_PAYLOAD_MIN - 1 ? payload[1 + HS_TAI64N_LEN] : 0;
	if (plen < HS_INIT_PAYLOAD_MIN || plen != 3 + HS_TAI64N_LEN + nlen ||
	    conn >= PEER_CONNECTIONS_MAX ||
	    (conn > 0 && (payload[0] & HS_FLAG_PROBE))) {
		tunnel_close(t, "handshake: %s sent a malformed first payload",
		    p->conf->name);
		return;
	}
	if (nlen != strlen(p->conf->name) || memcmp(payload + 3 +
	    HS_TAI64N_LEN, p->conf->name, nlen) != 0) {
		tunnel_close(t, "handshake: the key of peer %s presents itself "
		    "as '%.*s'", p->conf->name, (int)nlen,
		    payload + 3 + HS_TAI64N_LEN);
		return;
	}
	ts = payload + 1;
	if (hs_replay_check(p, conn, ts) == -1) {
		tunnel_close(t, "handshake: %s: replayed first message "
		    "(timestamp not newer than the last one accepted)",
		    p->conf->name);
		return;
	}
	if (conn >= p->conf->connections) {
		snprintf(why, sizeof(why), "%s takes %u connection%s from %s "
		    "(its peers.%s.connections)", conf->site,
		    p->conf->connections, p->conf->connections == 1 ? "" : "s",
		    p->conf->name, p->conf->name);
		log_warnx("%s: data connection %u refused: %s", p->conf->name,
		    conn, why);
		tunnel_reject(t, suite, why);
		return;
	}
	nlen = strlen(conf->site);
	rp[0] = (uint8_t)nlen;
	memcpy(rp + 1, conf->site, nlen);
	if (noise_write_message(t->hs, out + HS_HDR_LEN, HS_MSG_MAX, &olen,
	    rp, 1 + nlen) == -1 || tunnel_split(t) == -1) {
		tunnel_close(t, "handshake: cannot write the reply");
		return;
	}
	/* every check passed: commit */
	hs_replay_commit(p, conn, ts);
	t->peer = p;
	t->probe = (payload[0] & HS_FLAG_PROBE) != 0;
	t->conn = conn;
	t->pc = conn > 0 ? &p->conns[conn] : NULL;
	hs_frame_header(out, HS_RESP, suite, olen);
	bufferevent_write(t->bev, out, HS_HDR_LEN + olen);
	tunnel_established(t);
}

/* Initiator: HS_RESP arrived. */
static void
tunnel_on_resp(struct tunnel *t, const uint8_t *msg, size_t mlen)
{
	uint8_t		 payload[HS_MSG_MAX];
	size_t		 plen;
	const char	*name = t->peer->conf->name;

	if (noise_read_message(t->hs, payload, sizeof(payload), &plen, msg,
	    mlen) == -1) {
		tunnel_close(t, "handshake: the reply does not authenticate "
		    "with %s's public key (peers.%s.public_key is wrong, or "
		    "the reply was altered)", name, name);
		return;
	}
	if (plen < 1 || plen != 1u + payload[0] ||
	    payload[0] != strlen(name) || memcmp(payload + 1, name,
	    payload[0]) != 0) {
		tunnel_close(t, "handshake: the gateway with %s's key calls "
		    "itself '%.*s'", name, plen > 0 ? (int)(plen - 1) : 0,
		    payload + 1);
		return;
	}
	if (tunnel_split(t) == -1) {
		tunnel_close(t, "handshake: split failed");
		return;
	}
	t->rtt_us = (mono_ns() - t->hs_sent_ns) / 1000;
	tunnel_established(t);
	if (t->state == TUN_ESTABLISHED && t->on_up != NULL) {
		void (*cb)(struct tunnel *, const char *, void *) = t->on_up;

		t->on_up = NULL;
		cb(t, NULL, t->on_up_arg);
	}
}

static void
tunnel_read_handshake(struct tunnel *t)
{
	uint8_t		 hdr[HS_HDR_LEN];
	enum hs_kind	 kind;
	enum hs_suite	 suite;
	size_t		 mlen, avail = t->rend - t->rstart;
	uint8_t		*msg;
	char		 err[256];

	if (avail < HS_HDR_LEN)
		return;
	memcpy(hdr, t->rbuf + t->rstart, sizeof(hdr));
	if (hs_frame_parse(hdr, &kind, &suite, &mlen, err, sizeof(err)) ==
	    -1) {
		if (!t->initiator && memcmp(hdr, VMGW_MAGIC, 4) == 0 &&
		    hdr[4] != VMGW_PROTO_VERSION) {
			snprintf(err, sizeof(err), "this gateway speaks vmgw "
			    "protocol %u", VMGW_PROTO_VERSION);
			tunnel_reject(t, HS_SUITE_CHACHAPOLY, err);
			return;
		}
		tunnel_close(t, "handshake: %s", err);
		return;
	}
	if (avail < HS_HDR_LEN + mlen)
		return;
	msg = t->rbuf + t->rstart + HS_HDR_LEN;
	if (!t->initiator && kind == HS_INIT)
		tunnel_on_init(t, suite, msg, mlen);
	else if (t->initiator && kind == HS_RESP)
		tunnel_on_resp(t, msg, mlen);
	else if (t->initiator && kind == HS_REJECT) {
		if (t->conn > 0)
			peer_conn_refused(t->peer, t, "");
		tunnel_close(t, "%s refused the handshake: %.*s",
		    t->peer->conf->name, (int)mlen, (const char *)msg);
	}
	else
		tunnel_close(t, "handshake: unexpected message kind %d", kind);
	if (t->state == TUN_DEAD)
		return;
	t->rstart += HS_HDR_LEN + mlen;
	t->rx_offset += HS_HDR_LEN + mlen;
}

/* ------------------------------------------------------------ records */

struct rec_slot *
rec_slot_new(size_t cap)
{
	struct rec_slot	*s;

	if (cap > REC_PAYLOAD_MAX ||
	    (s = malloc(sizeof(*s) + REC_OVERHEAD + cap)) == NULL)
		return NULL;
	s->ch = NULL;
	s->chan = 0;
	s->type = 0;
	s->len = 0;
	s->cap = cap;
	return s;
}

/* A slot whose read came short gives back the room it does not use. */
struct rec_slot *
rec_slot_shrink(struct rec_slot *s)
{
	struct rec_slot	*n;

	if (s->len >= s->cap / 2 ||
	    (n = realloc(s, sizeof(*s) + REC_OVERHEAD + s->len)) == NULL)
		return s;
	n->cap = n->len;
	return n;
}

void
rec_slot_free(struct rec_slot *s)
{
	free(s);
}

static void
slot_unref(const void *data, size_t len, void *arg)
{
	rec_slot_free(arg);
}

/* Bulk DATA the wire takes before control records must wait behind it. */
static size_t
tunnel_wire_max(const struct tunnel *t)
{
	uint64_t	 w = t->rate / 500;	/* 2 ms */

	if (w < 2 * REC_WIRE_MAX)
		w = 2 * REC_WIRE_MAX;
	if (w > 4 * TUNNEL_IO_MAX)
		w = 4 * TUNNEL_IO_MAX;
	return (size_t)w;
}

/* Bulk a tunnel holds, queued or on the wire: ~TUNNEL_BULK_MS of its rate. */
size_t
tunnel_bulk_bound(const struct tunnel *t)
{
	uint64_t	 b = t->rate * TUNNEL_BULK_MS / 1000;

	if (b < TUNNEL_BULK_FLOOR)
		b = TUNNEL_BULK_FLOOR;
	if (b > TUNNEL_BULK_CAP)
		b = TUNNEL_BULK_CAP;
	return (size_t)b;
}

static size_t
tunnel_wire_len(const struct tunnel *t)
{
	return evbuffer_get_length(bufferevent_get_output(t->bev));
}

/* Bulk held now: queued, and sealed but not yet taken by the kernel. */
size_t
tunnel_bulk_held(const struct tunnel *t)
{
	return t->q_bulk_bytes + tunnel_wire_len(t);
}

/*
 * The wire's rate: bytes the kernel took per second, sampled every 20 ms
 * or more when the write callback runs.  A sample while bulk waited for
 * room is the tunnel's capacity (averaged in); one while nothing waited
 * only says the capacity is at least that.
 */
static void
tunnel_rate_sample(struct tunnel *t)
{
	uint64_t	 now = mono_ns(), drained, r;

	drained = t->bytes_out - tunnel_wire_len(t);
	if (t->rate_ns != 0 && now - t->rate_ns < RATE_SAMPLE_NS)
		return;
	if (t->rate_ns != 0) {
		r = (drained - t->rate_mark) * 1000000000ull /
		    (now - t->rate_ns);
		if (t->rate_busy)
			t->rate = t->rate == 0 ? r : (t->rate + r) / 2;
		else if (r > t->rate)
			t->rate = r;
	}
	t->rate_ns = now;
	t->rate_mark = drained;
	t->rate_busy = !TAILQ_EMPTY(&t->q_bulk) || !TAILQ_EMPTY(&t->blocked);
}

/* Seal s where it lies and hand it to the wire, which frees it later. */
static int
tunnel_seal_slot(struct tunnel *t, struct rec_slot *s)
{
	struct evbuffer	*out = bufferevent_get_output(t->bev);
	uint8_t		 tag[REC_TAG];
	size_t		 wl;

	if (s->ch != NULL)
		chan_seal_prep(s);
	if (rec_seal(&t->tx, s->buf, &wl, s->type, s->chan, s->len, tag) ==
	    -1 || evbuffer_add_reference(out, s->buf, wl, slot_unref, s) ==
	    -1) {
		rec_slot_free(s);
		return -1;
	}
	if (s->ch != NULL)
		chan_sealed(s, tag);	/* s is the wire's now: only read */
	t->bytes_out += wl;
	t->last_tx = mono_now();
	return 0;
}

/* Rekey this direction when it is due: a REKEY record, then the next key. */
static int
tunnel_maybe_rekey(struct tunnel *t)
{
	const struct vmgw_tunnel_conf *tc = &t->gw->conf->tunnel;
	struct rec_slot	*s;
	time_t		 now = mono_now();

	if (!rec_should_rekey(&t->tx, tc->rekey_bytes, tc->rekey_seconds, now))
		return 0;
	if ((s = rec_slot_new(0)) == NULL)
		return -1;
	s->type = REC_REKEY;
	if (tunnel_seal_slot(t, s) == -1 || rec_rekey(&t->tx, now) == -1)
		return -1;
	log_debug("%s: rekeyed the sending direction (%u)", tunnel_name(t),
	    t->tx.rekeys);
	return 0;
}

/*
 * Move records to the wire: every control record, then bulk while the wire
 * holds less than tunnel_wire_max.  Closes the tunnel if sealing fails.
 */
static void
tunnel_flush(struct tunnel *t)
{
	struct rec_slot	*s;
	size_t		 wmax = tunnel_wire_max(t);

	while (t->state == TUN_ESTABLISHED) {
		if ((s = TAILQ_FIRST(&t->q_ctl)) != NULL)
			TAILQ_REMOVE(&t->q_ctl, s, entry);
		else if ((s = TAILQ_FIRST(&t->q_bulk)) != NULL &&
		    tunnel_wire_len(t) < wmax) {
			TAILQ_REMOVE(&t->q_bulk, s, entry);
			t->q_bulk_bytes -= REC_OVERHEAD + s->len;
		} else
			return;
		if (s->ch != NULL)
			s->ch->queued--;
		if (tunnel_maybe_rekey(t) == -1 || tunnel_seal_slot(t, s) ==
		    -1) {
			tunnel_close(t, "cannot seal a record");
			return;
		}
	}
}

/* Queue s (bulk or control) and flush; s is the tunnel's even on -1. */
int
tunnel_enqueue(struct tunnel *t, struct rec_slot *s, int bulk)
{
	if (t->state != TUN_ESTABLISHED) {
		rec_slot_free(s);
		return -1;
	}
	if (bulk) {
		TAILQ_INSERT_TAIL(&t->q_bulk, s, entry);
		t->q_bulk_bytes += REC_OVERHEAD + s->len;
	} else
		TAILQ_INSERT_TAIL(&t->q_ctl, s, entry);
	if (s->ch != NULL)
		s->ch->queued++;
	tunnel_flush(t);
	return t->state == TUN_ESTABLISHED ? 0 : -1;
}

/* A channel goes: its records not yet sealed go with it. */
void
tunnel_purge(struct tunnel *t, struct channel *ch)
{
	struct rec_slot	*s, *next;
	struct rec_slotq *q[2] = { &t->q_ctl, &t->q_bulk };
	int		 i;

	for (i = 0; i < 2 && ch->queued > 0; i++)
		for (s = TAILQ_FIRST(q[i]); s != NULL; s = next) {
			next = TAILQ_NEXT(s, entry);
			if (s->ch != ch)
				continue;
			TAILQ_REMOVE(q[i], s, entry);
			if (i == 1)
				t->q_bulk_bytes -= REC_OVERHEAD + s->len;
			ch->queued--;
			rec_slot_free(s);
		}
}

/* A control record (a copy of payload) ahead of any bulk. */
int
tunnel_send(struct tunnel *t, uint8_t type, uint32_t chan,
    const uint8_t *payload, size_t len)
{
	struct rec_slot	*s;

	if (t->state != TUN_ESTABLISHED || len > REC_PAYLOAD_MAX)
		return -1;
	if ((s = rec_slot_new(len)) == NULL) {
		tunnel_close(t, "out of memory");
		return -1;
	}
	s->type = type;
	s->chan = chan;
	s->len = len;
	if (len > 0)
		memcpy(REC_SLOT_PAYLOAD(s), payload, len);
	return tunnel_enqueue(t, s, 0);
}

int
tunnel_send_msg(struct tunnel *t, json_t *msg)
{
	char	*s;
	int	 ret;

	if ((s = json_dumps(msg, JSON_COMPACT)) == NULL)
		return -1;
	if (strlen(s) > MSG_JSON_MAX) {
		log_warnx("%s: gateway message too long (%zu bytes), not sent",
		    tunnel_name(t), strlen(s));
		free(s);
		return -1;
	}
	ret = tunnel_send(t, REC_MSG, 0, (const uint8_t *)s, strlen(s));
	free(s);
	return ret;
}

/* May bulk be read from a local socket now? */
int
tunnel_has_room(struct tunnel *t)
{
	if (t->state != TUN_ESTABLISHED)
		return 0;
	if (tunnel_bulk_held(t) < tunnel_bulk_bound(t))
		return 1;
	t->rate_busy = 1;
	t->full_hits++;
	return 0;
}

void
tunnel_ping(struct tunnel *t)
{
	uint8_t		 b[8];
	uint64_t	 ns = mono_ns();
	int		 i;

	for (i = 0; i < 8; i++)
		b[i] = (uint8_t)(ns >> (56 - 8 * i));
	t->ping_sent_ns = ns;
	tunnel_send(t, REC_PING, 0, b, sizeof(b));
}

static void
tunnel_on_pong(struct tunnel *t, const uint8_t *p, size_t len)
{
	uint64_t	 ns = 0;
	int		 i;

	if (len != 8)
		return;
	for (i = 0; i < 8; i++)
		ns = (ns << 8) | p[i];
	if (ns != t->ping_sent_ns || ns == 0)
		return;
	t->rtt_us = (mono_ns() - ns) / 1000;
	t->ping_sent_ns = 0;
	if (t->on_pong != NULL) {
		void (*cb)(struct tunnel *, void *) = t->on_pong;

		t->on_pong = NULL;
		cb(t, t->on_up_arg);
	}
}

static void
tunnel_dispatch(struct tunnel *t, uint8_t type, uint32_t chan,
    const uint8_t *p, size_t len, const uint8_t tag[REC_TAG])
{
	switch (type) {
	case REC_PING:
		tunnel_send(t, REC_PONG, 0, p, len > 8 ? 8 : len);
		return;
	case REC_PONG:
		tunnel_on_pong(t, p, len);
		return;
	case REC_REKEY:
		if (rec_rekey(&t->rx, mono_now()) == -1)
			tunnel_close(t, "rekey failed");
		return;
	case REC_MSG:
		if (t->probe || t->conn > 0) {
			tunnel_close(t, "protocol error: message on a %s",
			    t->probe ? "probe" : "data connection");
			return;
		}
		pmsg_input(t, p, len);
		return;
	case REC_DATA: case REC_DATA | REC_FLAG_ZSTD:
	case REC_OPEN: case REC_OPEN_OK: case REC_OPEN_FAIL:
	case REC_CREDIT: case REC_EOF: case REC_RESET:
		if (t->probe || chan == 0) {
			tunnel_close(t, "protocol error: channel record on %s",
			    t->probe ? "a probe" : "channel 0");
			return;
		}
		chan_input(t, type, chan, p, len, tag);
		return;
	default:
		peer_count_drop(t->peer, PEER_DROP_PROTOCOL);
		tunnel_close(t, "protocol error: unknown record type %u at "
		    "byte offset %llu", type, (unsigned long long)t->rx_offset);
	}
}

/*
 * Wake up once a record is complete, not for every TCP segment: the socket
 * becomes readable only when the rest of the current record has arrived
 * (1 byte when no record is partial, so small records are never delayed).
 * On this kind of host a read costs more than the bytes it moves.
 */
static void
tunnel_rcvlowat(struct tunnel *t, size_t need)
{
	int	 v;

	if (need > TUNNEL_READ_MAX / 2)
		need = TUNNEL_READ_MAX / 2;
	if (need < 1)
		need = 1;
	if ((int)need == t->rcvlowat)
		return;
	v = (int)need;
	if (setsockopt(bufferevent_getfd(t->bev), SOL_SOCKET, SO_RCVLOWAT, &v,
	    sizeof(v)) == 0)
		t->rcvlowat = v;
}

static void
tunnel_read_batch(struct tunnel *t)
{
	uint8_t		 tag[REC_TAG], type, *wire, *p;
	uint32_t	 chan;
	size_t		 wl, len, avail;

	while (t->state == TUN_ESTABLISHED) {
		avail = t->rend - t->rstart;
		wire = t->rbuf + t->rstart;
		if (avail < REC_LEN_SIZE) {
			tunnel_rcvlowat(t, REC_LEN_SIZE - avail);
			return;
		}
		switch (rec_peek(wire, avail, &wl)) {
		case REC_PEEK_OK:
			break;
		case REC_PEEK_NEED:
			return;
		default:
			peer_count_drop(t->peer, PEER_DROP_LENGTH);
			tunnel_close(t, "bad record at byte offset %llu: length "
			    "field %u out of bounds (tampered or not a vmgw "
			    "stream)", (unsigned long long)t->rx_offset,
			    (unsigned)wire[0] << 24 | (unsigned)wire[1] << 16 |
			    (unsigned)wire[2] << 8 | wire[3]);
			return;
		}
		if (avail < wl) {
			tunnel_rcvlowat(t, wl - avail);
			return;
		}
		/* opened in place: nothing of it is used before the tag passed */
		if (rec_open(&t->rx, wire, wl, &type, &chan, &p, &len, tag) ==
		    -1) {
			peer_count_drop(t->peer, PEER_DROP_AUTH);
			tunnel_close(t, "bad record at byte offset %llu: "
			    "authentication failed (tampered, replayed, "
			    "reordered or truncated)",
			    (unsigned long long)t->rx_offset);
			return;
		}
		t->last_rx = mono_now();
		t->bytes_in += wl;
		tunnel_dispatch(t, type, chan, p, len, tag);
		if (t->state == TUN_DEAD)
			return;		/* rbuf is gone */
		t->rstart += wl;
		t->rx_offset += wl;
	}
}

/*
 * Every whole record in rbuf, then what their channels hold of rbuf is
 * written (chan_flush) before rbuf moves on.  A tunnel that closed on the
 * way has no rbuf left, and its channels are closing.
 */
static void
tunnel_read_records(struct tunnel *t)
{
	tunnel_read_batch(t);
	if (t->state == TUN_ESTABLISHED)
		chan_flush(t);
}

/* ------------------------------------------------------------ events */

static void
tunnel_on_eof(struct tunnel *t)
{
	if (t->state == TUN_HANDSHAKE && t->initiator)
		tunnel_close(t, "%s closed the connection during the "
		    "handshake: it does not know this gateway's key (its "
		    "peers.<us>.public_key), or our peers.%s.public_key is not "
		    "its key", tunnel_name(t), tunnel_name(t));
	else
		tunnel_close(t, "closed by the peer%s", t->state ==
		    TUN_HANDSHAKE ? " during the handshake" : "");
}

/*
 * One read into rbuf's free end.  What is left of a partial record moves
 * to the front only when less than a whole record fits behind it (once
 * every few reads, at most one record).
 */
static void
tunnel_read_ev(evutil_socket_t fd, short ev, void *arg)
{
	struct tunnel	*t = arg;
	size_t		 room;
	ssize_t		 r;

	if (t->rstart == t->rend)
		t->rstart = t->rend = 0;
	else if (TUNNEL_RBUF - t->rend < REC_WIRE_MAX) {
		memmove(t->rbuf, t->rbuf + t->rstart, t->rend - t->rstart);
		t->rend -= t->rstart;
		t->rstart = 0;
	}
	room = TUNNEL_RBUF - t->rend;
	if (room > TUNNEL_READ_MAX)
		room = TUNNEL_READ_MAX;
	do
		r = read(fd, t->rbuf + t->rend, room);
	while (r == -1 && errno == EINTR);
	if (r == 0) {
		tunnel_on_eof(t);
		return;
	}
	if (r == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			tunnel_close(t, "read: %s", strerror(errno));
		return;
	}
	t->rend += (size_t)r;
	if (t->state == TUN_HANDSHAKE) {
		tunnel_read_handshake(t);
		if (t->state != TUN_ESTABLISHED)
			return;
	}
	/* a data connection's records are read on its lane */
	if (t->state == TUN_ESTABLISHED && (t->conn == 0 || t->lane != NULL))
		tunnel_read_records(t);
}

static void
tunnel_writecb(struct bufferevent *bev, void *arg)
{
	struct tunnel	*t = arg;

	if (t->close_after_flush) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			tunnel_close(t, "%s", t->close_reason);
		return;
	}
	if (t->state != TUN_ESTABLISHED)
		return;
	tunnel_rate_sample(t);
	tunnel_flush(t);
	if (t->state == TUN_ESTABLISHED)
		chan_tunnel_drained(t);
}

static void
tunnel_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct tunnel	*t = arg;
	int		 err = EVUTIL_SOCKET_ERROR();

	if (what & BEV_EVENT_CONNECTED) {
		tunnel_socket_opts(bufferevent_getfd(bev));
		if (tunnel_start_io(t) == -1) {
			tunnel_close(t, "out of memory");
			return;
		}
		log_debug("%s: connected to %s", tunnel_name(t), t->addr);
		tunnel_send_init(t);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		tunnel_on_eof(t);
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		int dnserr = bufferevent_socket_get_dns_error(bev);

		if (dnserr != 0)
			tunnel_close(t, "cannot resolve %s: %s", t->addr,
			    evutil_gai_strerror(dnserr));
		else
			tunnel_close(t, "%s: %s", t->state == TUN_CONNECTING ?
			    "connect" : "connection error",
			    evutil_socket_error_to_string(err));
	}
}

static void
tunnel_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct tunnel			*t = arg;
	const struct vmgw_tunnel_conf	*tc = &t->gw->conf->tunnel;
	time_t				 now = mono_now();

	switch (t->state) {
	case TUN_CONNECTING:
	case TUN_HANDSHAKE:
		if (now - t->started >= (time_t)tc->handshake_timeout)
			tunnel_close(t, "handshake timed out after %us",
			    tc->handshake_timeout);
		return;
	case TUN_ESTABLISHED:
		if (now - t->last_rx >= (time_t)tc->timeout) {
			tunnel_close(t, "no traffic for %us (timeout)",
			    tc->timeout);
			return;
		}
		if (t->probe && now - t->established >=
		    (time_t)tc->handshake_timeout) {
			tunnel_close(t, "probe finished");
			return;
		}
		if (now - t->last_tx >= (time_t)tc->keepalive ||
		    now - t->last_rx >= (time_t)tc->keepalive)
			tunnel_ping(t);
		else if (t->state == TUN_ESTABLISHED)
			tunnel_maybe_rekey(t);
		return;
	case TUN_DEAD:
		return;
	}
}

