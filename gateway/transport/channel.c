/*
 * channel.c - byte streams multiplexed over a tunnel.
 *
 * Each channel has a credit window per direction: a sender may have at most
 * the receiver's window in flight, and the receiver returns credit only as
 * its endpoint passes bytes on.  So one stalled consumer stalls only its own
 * channel, and memory per channel is bounded by the window.
 *
 * Each direction ends with an EOF record carrying the byte count and the
 * digest of the direction (proto.h); the receiver checks both, so a
 * truncated stream is an error and never a short success.
 *
 * Closing is always deferred to the event loop (close_ev): the endpoint's
 * closed() callback never runs inside one of its own calls into this file,
 * and a closed channel accepts calls (they do nothing) until then.
 *
 * DATA goes to the tunnel in slots (struct rec_slot) that an endpoint may
 * fill itself (chan_send_slot: a relay reads its socket straight into
 * them), compressed first where the peer's `compress` allows
 * (compress.c).  The tunnel seals them later, in wire order: the tag of a
 * DATA record joins the channel's digest then (chan_sealed), and the EOF
 * record gets its count and digest just before it is sealed
 * (chan_seal_prep), behind the channel's last DATA.  A channel opened with
 * "priority": true (libvirt RPC, the l2 stretch) has its records sent with
 * the control records, ahead of bulk.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transport.h"

#define CHAN_CREDIT_MAX	(1ull << 40)

static void	chan_close_deferred(evutil_socket_t, short, void *);
static void	chan_abort(struct channel *, const char *, int);

static size_t
reason_len(const char *reason)
{
	size_t	 n = strlen(reason);

	return n > REC_REASON_MAX ? REC_REASON_MAX : n;
}

static uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static struct chan_list *
chan_bucket(struct tunnel *t, uint32_t id)
{
	return &t->chans[(id * 2654435761u) % TUNNEL_CHAN_BUCKETS];
}

struct channel *
chan_lookup(struct tunnel *t, uint32_t id)
{
	struct channel	*ch;

	TAILQ_FOREACH(ch, chan_bucket(t, id), hash_entry)
		if (ch->id == id)
			return ch;
	return NULL;
}

size_t
chan_count(const struct tunnel *t)
{
	return t->nchannels;
}

static struct channel *
chan_alloc(struct tunnel *t, uint32_t id)
{
	struct channel	*ch;

	if ((ch = calloc(1, sizeof(*ch))) == NULL)
		return NULL;
	if ((ch->close_ev = event_new(t->base, -1, 0, chan_close_deferred,
	    ch)) == NULL) {
		free(ch);
		return NULL;
	}
	ch->tunnel = t;
	ch->id = id;
	ch->recv_window = t->gw->conf->tunnel.window;
	ch->recv_outstanding = ch->recv_window;
	crypto_generichash_init(&ch->tx_digest, NULL, 0, CHAN_DIGEST_LEN);
	crypto_generichash_init(&ch->rx_digest, NULL, 0, CHAN_DIGEST_LEN);
	TAILQ_INSERT_TAIL(chan_bucket(t, id), ch, hash_entry);
	t->nchannels++;
	return ch;
}

/* A bulk channel counts toward its connection's (peer_conn_pick). */
static void
chan_count_bulk(struct channel *ch, int on)
{
	struct tunnel	*t = ch->tunnel;
	int		*n;

	if (ch->prio || ch->bulk_counted == on || t == NULL)
		return;
	n = t->pc != NULL ? &t->pc->nbulk : &t->nbulk;
	__atomic_add_fetch(n, on ? 1 : -1, __ATOMIC_RELAXED);
	ch->bulk_counted = on;
}

/*
 * End a channel: detach it from its tunnel now, tell the endpoint later
 * (notify) and free it then.  reason NULL is a clean close.
 */
static void
chan_schedule_close(struct channel *ch, const char *reason, int notify)
{
	struct tunnel	*t = ch->tunnel;

	if (ch->state == CHAN_CLOSED) {
		/* the endpoint lets go of a channel already closing: it must
		 * not hear of it again (it may be freed by then) */
		if (!notify)
			ch->notify_close = 0;
		return;
	}
	ch->state = CHAN_CLOSED;
	ch->notify_close = notify;
	if (reason != NULL)
		snprintf(ch->reason, sizeof(ch->reason), "%s", reason);
	ch->clean = reason == NULL;
	chan_count_bulk(ch, 0);
	if (t != NULL) {
		tunnel_purge(t, ch);
		if (ch->flushq) {
			TAILQ_REMOVE(&t->flushq, ch, flush_entry);
			ch->flushq = 0;
		}
		TAILQ_REMOVE(chan_bucket(t, ch->id), ch, hash_entry);
		if (ch->blocked)
			TAILQ_REMOVE(&t->blocked, ch, blocked_entry);
		ch->blocked = 0;
		t->nchannels--;
		ch->tunnel = NULL;
	}
	event_active(ch->close_ev, EV_TIMEOUT, 0);
}

static void
chan_close_deferred(evutil_socket_t fd, short ev, void *arg)
{
	struct channel	*ch = arg;

	if (ch->notify_close && ch->ops != NULL && ch->ops->closed != NULL)
		ch->ops->closed(ch, ch->clean ? NULL : ch->reason);
	event_free(ch->close_ev);
	chan_zstd_free(ch);
	sodium_memzero(ch, sizeof(*ch));
	free(ch);
}

struct channel *
chan_open(struct tunnel *t, json_t *req, const struct chan_ops *ops,
    void *arg, const char *what)
{
	struct channel	*ch;
	char		*js;
	size_t		 jl;
	uint8_t		*buf;
	uint32_t	 id;

	if (t->state != TUN_ESTABLISHED || t->probe ||
	    t->nchannels >= TUNNEL_CHANNELS_MAX)
		return NULL;
	id = t->next_chan;
	if (chan_lookup(t, id) != NULL || id > 0xfffffff0u)
		return NULL;
	t->next_chan += 2;
	if ((js = json_dumps(req, JSON_COMPACT)) == NULL)
		return NULL;
	jl = strlen(js);
	if (jl > CHAN_OPEN_JSON_MAX || (buf = malloc(4 + jl)) == NULL) {
		free(js);
		return NULL;
	}
	if ((ch = chan_alloc(t, id)) == NULL) {
		free(js);
		free(buf);
		return NULL;
	}
	ch->state = CHAN_OPENING;
	ch->prio = json_is_true(json_object_get(req, "priority"));
	chan_count_bulk(ch, 1);
	ch->ops = ops;
	ch->arg = arg;
	snprintf(ch->what, sizeof(ch->what), "%s", what);
	put_be32(buf, (uint32_t)ch->recv_window);
	memcpy(buf + 4, js, jl);
	free(js);
	if (tunnel_send(t, REC_OPEN, id, buf, 4 + jl) == -1) {
		free(buf);
		chan_schedule_close(ch, "tunnel lost", 0);
		return NULL;
	}
	free(buf);
	log_debug("%s: channel %u: open %s", t->peer->conf->name, id, what);
	return ch;
}

void
chan_set_endpoint(struct channel *ch, const struct chan_ops *ops, void *arg)
{
	ch->ops = ops;
	ch->arg = arg;
}

void
chan_accept_ok(struct channel *ch)
{
	uint8_t	 w[4];

	if (ch->state != CHAN_ACCEPTING)
		return;
	put_be32(w, (uint32_t)ch->recv_window);
	if (tunnel_send(ch->tunnel, REC_OPEN_OK, ch->id, w, sizeof(w)) == -1)
		return;
	ch->state = CHAN_OPEN;
	log_debug("%s: channel %u: accepted %s", ch->tunnel->peer->conf->name,
	    ch->id, ch->what);
	if (ch->ops != NULL && ch->ops->opened != NULL)
		ch->ops->opened(ch);
}

void
chan_accept_fail(struct channel *ch, const char *reason)
{
	if (ch->state != CHAN_ACCEPTING)
		return;
	log_warnx("%s: channel %u: refused %s: %s",
	    ch->tunnel->peer->conf->name, ch->id, ch->what, reason);
	tunnel_send(ch->tunnel, REC_OPEN_FAIL, ch->id, (const uint8_t *)reason,
	    reason_len(reason));
	chan_schedule_close(ch, reason, 0);
}

/* Bytes we may send now; bulk channels also wait for room on the tunnel. */
uint64_t
chan_send_room(const struct channel *ch)
{
	if (ch->state != CHAN_OPEN || ch->tx_eof || ch->tunnel == NULL)
		return 0;
	if (!ch->prio && !tunnel_has_room(ch->tunnel))
		return 0;
	return ch->send_credit;
}

/*
 * Send s->len bytes the endpoint put at REC_SLOT_PAYLOAD(s) (at most the
 * credit).  The slot is the tunnel's from here on, even on -1.
 */
int
chan_send_slot(struct channel *ch, struct rec_slot *s)
{
	struct tunnel	*t = ch->tunnel;

	if (ch->state != CHAN_OPEN || ch->tx_eof || t == NULL ||
	    s->len > ch->send_credit) {
		rec_slot_free(s);
		return -1;
	}
	if (s->len == 0) {
		rec_slot_free(s);
		return 0;
	}
	ch->send_credit -= s->len;
	ch->tx_bytes += s->len;
	t->z_tx_in += s->len;
	s->ch = ch;
	s->chan = ch->id;
	s->type = REC_DATA;
	if (!ch->prio)
		s = chan_compress(ch, s);
	t->z_tx_out += s->len;
	return tunnel_enqueue(t, s, !ch->prio);
}

/* Send a copy of len bytes at p (at most the credit). */
int
chan_send(struct channel *ch, const uint8_t *p, size_t len)
{
	struct rec_slot	*s;
	size_t		 n;

	if (ch->state != CHAN_OPEN || ch->tx_eof || ch->tunnel == NULL ||
	    len > ch->send_credit)
		return -1;
	while (len > 0) {
		n = len > REC_PAYLOAD_MAX ? REC_PAYLOAD_MAX : len;
		if ((s = rec_slot_new(n)) == NULL)
			return -1;
		memcpy(REC_SLOT_PAYLOAD(s), p, n);
		s->len = n;
		if (chan_send_slot(ch, s) == -1)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static void
chan_digest_final(const crypto_generichash_state *st,
    uint8_t out[CHAN_DIGEST_LEN])
{
	crypto_generichash_state	 copy = *st;

	crypto_generichash_final(&copy, out, CHAN_DIGEST_LEN);
	sodium_memzero(&copy, sizeof(copy));
}

/* EOF waits behind the channel's queued DATA; its contents are made then. */
void
chan_send_eof(struct channel *ch)
{
	struct rec_slot	*s;

	if (ch->state != CHAN_OPEN || ch->tx_eof)
		return;
	if ((s = rec_slot_new(REC_EOF_LEN)) == NULL) {
		chan_abort(ch, "out of memory", 1);
		return;
	}
	s->ch = ch;
	s->chan = ch->id;
	s->type = REC_EOF;
	s->len = REC_EOF_LEN;
	ch->tx_eof = 1;
	tunnel_enqueue(ch->tunnel, s, !ch->prio && ch->queued > 0);
}

/* The tunnel is about to seal one of our records. */
void
chan_seal_prep(struct rec_slot *s)
{
	struct channel	*ch = s->ch;
	uint8_t		*b = REC_SLOT_PAYLOAD(s);
	uint64_t	 n = ch->tx_bytes;
	int		 i;

	if (s->type != REC_EOF)
		return;
	for (i = 0; i < 8; i++)
		b[i] = (uint8_t)(n >> (56 - 8 * i));
	chan_digest_final(&ch->tx_digest, b + 8);
}

/* ... and has sealed it, in the order of the wire. */
void
chan_sealed(struct rec_slot *s, const uint8_t tag[REC_TAG])
{
	struct channel	*ch = s->ch;

	if ((s->type & REC_TYPE_MASK) == REC_DATA) {
		crypto_generichash_update(&ch->tx_digest, tag, REC_TAG);
		return;
	}
	if (s->type == REC_EOF) {
		ch->tx_done = 1;
		if (ch->rx_eof)
			chan_schedule_close(ch, NULL, 1);
	}
}

void
chan_consumed(struct channel *ch, size_t n)
{
	uint8_t	 b[4];

	if (ch->state != CHAN_OPEN || ch->rx_eof)
		return;
	ch->recv_unacked += n;
	if (ch->recv_unacked < ch->recv_window / 4 &&
	    ch->recv_outstanding > ch->recv_window / 4)
		return;
	put_be32(b, (uint32_t)ch->recv_unacked);
	if (tunnel_send(ch->tunnel, REC_CREDIT, ch->id, b, sizeof(b)) == -1)
		return;
	ch->recv_outstanding += ch->recv_unacked;
	ch->recv_unacked = 0;
}

/* Tell the peer (RESET) and close; notify: tell our endpoint too. */
static void
chan_abort(struct channel *ch, const char *reason, int notify)
{
	if (ch->state == CHAN_CLOSED) {
		if (!notify)	/* as in chan_schedule_close */
			ch->notify_close = 0;
		return;
	}
	if (ch->tunnel != NULL && ch->tunnel->state == TUN_ESTABLISHED)
		tunnel_send(ch->tunnel, REC_RESET, ch->id,
		    (const uint8_t *)reason, reason_len(reason));
	chan_schedule_close(ch, reason, notify);
}

void
chan_reset(struct channel *ch, const char *reason)
{
	chan_abort(ch, reason, 0);
}

void
chan_close_quiet(struct channel *ch, const char *reason)
{
	chan_schedule_close(ch, reason, 0);
}

void
chan_wait_writable(struct channel *ch)
{
	if (ch->state != CHAN_OPEN || ch->blocked || ch->send_credit == 0 ||
	    ch->tunnel == NULL)
		return;	/* zero credit: the next CREDIT record wakes it */
	TAILQ_INSERT_TAIL(&ch->tunnel->blocked, ch, blocked_entry);
	ch->blocked = 1;
}

void
chan_tunnel_drained(struct tunnel *t)
{
	struct channel	*ch;
	size_t		 n = t->nchannels;

	while (n-- > 0 && tunnel_has_room(t) &&
	    (ch = TAILQ_FIRST(&t->blocked)) != NULL) {
		TAILQ_REMOVE(&t->blocked, ch, blocked_entry);
		ch->blocked = 0;
		if (ch->ops != NULL && ch->ops->writable != NULL)
			ch->ops->writable(ch);
	}
}

void
chan_tunnel_gone(struct tunnel *t, const char *reason)
{
	struct channel	*ch;
	char		 why[REC_REASON_MAX + 64];
	size_t		 i;

	if (t->conn > 0)
		snprintf(why, sizeof(why), "connection %u to %s lost: %s",
		    t->conn, t->peer->conf->name, reason);
	else
		snprintf(why, sizeof(why), "tunnel to %s lost: %s",
		    t->peer != NULL ? t->peer->conf->name : t->addr, reason);
	for (i = 0; i < TUNNEL_CHAN_BUCKETS; i++)
		while ((ch = TAILQ_FIRST(&t->chans[i])) != NULL)
			chan_schedule_close(ch, why, 1);
}

/* ------------------------------------------------------------ input */

static void
chan_protocol_error(struct tunnel *t, uint32_t id, const char *what)
{
	tunnel_close(t, "protocol error on channel %u: %s", id, what);
}

static void
chan_in_open(struct tunnel *t, uint32_t id, const uint8_t *p, size_t len)
{
	struct channel	*ch;
	json_t		*req;
	json_error_t	 jerr;
	int		 theirs = (id & 1) == (t->initiator ? 0u : 1u);

	if (!theirs || chan_lookup(t, id) != NULL) {
		chan_protocol_error(t, id, "bad or duplicate channel id");
		return;
	}
	if (len < 4 || len > 4 + CHAN_OPEN_JSON_MAX) {
		chan_protocol_error(t, id, "bad open request length");
		return;
	}
	if ((ch = chan_alloc(t, id)) == NULL) {
		tunnel_send(t, REC_OPEN_FAIL, id, (const uint8_t *)"out of memory",
		    13);
		return;
	}
	ch->state = CHAN_ACCEPTING;
	ch->send_credit = get_be32(p);
	snprintf(ch->what, sizeof(ch->what), "(opening)");
	if (t->nchannels > TUNNEL_CHANNELS_MAX) {
		chan_accept_fail(ch, "too many channels on this tunnel");
		return;
	}
	req = json_loadb((const char *)p + 4, len - 4, JSON_REJECT_DUPLICATES,
	    &jerr);
	if (req == NULL || !json_is_object(req)) {
		chan_accept_fail(ch, "malformed open request");
		json_decref(req);
		return;
	}
	ch->prio = json_is_true(json_object_get(req, "priority"));
	chan_count_bulk(ch, 1);
	accept_open(ch, req);
	json_decref(req);
}

static void
chan_sanitize(char *out, size_t outlen, const uint8_t *p, size_t len)
{
	size_t	 i, o = 0;

	for (i = 0; i < len && o + 1 < outlen; i++)
		out[o++] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
	out[o] = '\0';
}

/* ref: p stays in the tunnel's read buffer until chan_flush */
static void
chan_in_data(struct tunnel *t, struct channel *ch, const uint8_t *p,
    size_t len, const uint8_t tag[REC_TAG], int ref)
{
	if (ch->state != CHAN_OPEN || ch->rx_eof) {
		chan_protocol_error(t, ch->id, "data after end of stream");
		return;
	}
	if (len > ch->recv_outstanding) {
		chan_protocol_error(t, ch->id, "peer exceeded its credit window");
		return;
	}
	ch->recv_outstanding -= len;
	ch->rx_bytes += len;
	crypto_generichash_update(&ch->rx_digest, tag, REC_TAG);
	if (ref && ch->ops != NULL && ch->ops->data_ref != NULL) {
		ch->ops->data_ref(ch, p, len);
		if (!ch->flushq && ch->state == CHAN_OPEN && ch->tunnel != NULL) {
			TAILQ_INSERT_TAIL(&t->flushq, ch, flush_entry);
			ch->flushq = 1;
		}
		return;
	}
	if (ch->ops != NULL && ch->ops->data != NULL)
		ch->ops->data(ch, p, len);
}

/* The records of one read are all dispatched: the endpoints write theirs. */
void
chan_flush(struct tunnel *t)
{
	struct channel	*ch;

	while ((ch = TAILQ_FIRST(&t->flushq)) != NULL) {
		TAILQ_REMOVE(&t->flushq, ch, flush_entry);
		ch->flushq = 0;
		if (ch->ops != NULL && ch->ops->flush != NULL)
			ch->ops->flush(ch);
	}
}

static void
chan_in_eof(struct tunnel *t, struct channel *ch, const uint8_t *p,
    size_t len)
{
	uint8_t		 d[CHAN_DIGEST_LEN];
	uint64_t	 n = 0;
	char		 why[200];
	int		 i;

	if (len != REC_EOF_LEN || ch->state != CHAN_OPEN || ch->rx_eof) {
		chan_protocol_error(t, ch->id, "bad end of stream");
		return;
	}
	for (i = 0; i < 8; i++)
		n = (n << 8) | p[i];
	chan_digest_final(&ch->rx_digest, d);
	if (n != ch->rx_bytes || sodium_memcmp(d, p + 8, sizeof(d)) != 0) {
		snprintf(why, sizeof(why), "end-of-stream check failed: "
		    "sender sent %llu bytes, we received %llu%s",
		    (unsigned long long)n, (unsigned long long)ch->rx_bytes,
		    n == ch->rx_bytes ? " but the digests differ" : "");
		log_warnx("%s: channel %u (%s): %s", t->peer->conf->name,
		    ch->id, ch->what, why);
		chan_abort(ch, why, 1);
		return;
	}
	ch->rx_eof = 1;
	if (ch->ops != NULL && ch->ops->eof != NULL)
		ch->ops->eof(ch);
	if (ch->state == CHAN_OPEN && ch->tx_done)
		chan_schedule_close(ch, NULL, 1);
}

void
chan_input(struct tunnel *t, uint8_t type, uint32_t id, const uint8_t *p,
    size_t len, const uint8_t tag[REC_TAG])
{
	struct channel	*ch;
	char		 reason[REC_REASON_MAX + 1], why[REC_REASON_MAX + 80];
	const uint8_t	*d;
	const char	*bad;
	size_t		 dlen;
	uint64_t	 inc;

	if (type == REC_OPEN) {
		chan_in_open(t, id, p, len);
		return;
	}
	if ((ch = chan_lookup(t, id)) == NULL)
		return;		/* we closed it; records may still be in flight */
	switch (type) {
	case REC_OPEN_OK:
		if (ch->state != CHAN_OPENING || len != 4) {
			chan_protocol_error(t, id, "unexpected open reply");
			return;
		}
		ch->send_credit = get_be32(p);
		ch->state = CHAN_OPEN;
		if (ch->ops != NULL && ch->ops->opened != NULL)
			ch->ops->opened(ch);
		return;
	case REC_OPEN_FAIL:
		if (ch->state != CHAN_OPENING) {
			chan_protocol_error(t, id, "unexpected open refusal");
			return;
		}
		chan_sanitize(reason, sizeof(reason), p, len);
		snprintf(why, sizeof(why), "%s refused: %s",
		    t->peer->conf->name, reason);
		chan_schedule_close(ch, why, 1);
		return;
	case REC_DATA:
		chan_decompress_raw(ch);
		t->z_rx_in += len;
		t->z_rx_out += len;
		chan_in_data(t, ch, p, len, tag, 1);
		return;
	case REC_DATA | REC_FLAG_ZSTD:
		if (chan_decompress(t, ch, p, len, &d, &dlen, &bad) == -1) {
			tunnel_close(t, "bad record on channel %u at byte "
			    "offset %llu: %s", id,
			    (unsigned long long)t->rx_offset, bad);
			return;
		}
		t->z_rx_in += len;
		t->z_rx_out += dlen;
		chan_in_data(t, ch, d, dlen, tag, 0);
		return;
	case REC_CREDIT:
		if (len != 4 || ch->state != CHAN_OPEN) {
			chan_protocol_error(t, id, "unexpected credit");
			return;
		}
		inc = get_be32(p);
		if (ch->send_credit + inc > CHAN_CREDIT_MAX) {
			chan_protocol_error(t, id, "credit overflow");
			return;
		}
		ch->send_credit += inc;
		if (inc > 0 && !ch->tx_eof && ch->ops != NULL &&
		    ch->ops->writable != NULL)
			ch->ops->writable(ch);
		return;
	case REC_EOF:
		chan_in_eof(t, ch, p, len);
		return;
	case REC_RESET:
		chan_sanitize(reason, sizeof(reason), p, len);
		snprintf(why, sizeof(why), "reset by %s: %s",
		    t->peer->conf->name, reason);
		chan_schedule_close(ch, why, 1);
		return;
	}
}
