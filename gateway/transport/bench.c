/*
 * bench.c - `vmgw bench SITE`: memory-to-memory throughput through the
 * tunnel.  This side generates bytes straight into records as fast as credit
 * allows; the peer's sink checks the end of stream and discards.  The time
 * runs from the channel's opening to the peer's verified end of stream, so
 * it includes sealing, TCP, opening and the flow control round trips.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transport.h"

#define BENCH_CHUNK	REC_PAYLOAD_MAX
#define BENCH_MAX	(1ull << 44)

struct bench {
	struct ctl_conn	*ctl;
	struct peer	*peer;
	struct channel	*ch;
	struct peer_waiter *wait;
	uint64_t	 total, sent;
	uint64_t	 t0_ns;
};

static uint8_t	bench_buf[BENCH_CHUNK];

/* ---- sink (the peer's side) */

static void
sink_data(struct channel *ch, const uint8_t *p, size_t len)
{
	chan_consumed(ch, len);
}

static void
sink_eof(struct channel *ch)
{
	chan_send_eof(ch);
}

static void
sink_closed(struct channel *ch, const char *reason)
{
	if (reason != NULL)
		log_warnx("bench from %s: %s", ch->tunnel != NULL ?
		    ch->tunnel->peer->conf->name : "peer", reason);
}

static const struct chan_ops sink_ops = {
	.data = sink_data,
	.eof = sink_eof,
	.closed = sink_closed,
};

static void
bench_accept(struct channel *ch, json_t *req)
{
	snprintf(ch->what, sizeof(ch->what), "bench sink");
	chan_set_endpoint(ch, &sink_ops, NULL);
	chan_accept_ok(ch);
}

void
bench_init(void)
{
	accept_register(CHAN_KIND_BENCH, bench_accept, 0);
}

/* ---- source (this side) */

static void
bench_free(struct bench *b)
{
	if (b->ctl != NULL)
		ctl_set_close_cb(b->ctl, NULL, NULL);
	peer_wait_cancel(b->wait);
	free(b);
}

static void
src_pump(struct channel *ch)
{
	struct bench	*b = ch->arg;
	uint64_t	 room;
	size_t		 n;

	while (b->sent < b->total && (room = chan_send_room(ch)) > 0) {
		n = BENCH_CHUNK;
		if (n > room)
			n = (size_t)room;
		if (n > b->total - b->sent)
			n = (size_t)(b->total - b->sent);
		if (chan_send(ch, bench_buf, n) == -1)
			return;
		b->sent += n;
	}
	if (b->sent == b->total)
		chan_send_eof(ch);
	else
		chan_wait_writable(ch);
}

static void
src_opened(struct channel *ch)
{
	struct bench	*b = ch->arg;

	b->t0_ns = mono_ns();
	src_pump(ch);
}

static void
src_closed(struct channel *ch, const char *reason)
{
	struct bench	*b = ch->arg;
	double		 secs = (double)(mono_ns() - b->t0_ns) / 1e9;

	if (b->ctl == NULL) {
		bench_free(b);
		return;
	}
	if (reason != NULL)
		ctl_error(b->ctl, VMGW_EXIT_FAIL, "bench to %s: %s",
		    b->peer->conf->name, reason);
	else
		ctl_ok(b->ctl, json_pack("{s:s, s:I, s:f, s:f, s:s}",
		    "site", b->peer->conf->name, "bytes", (json_int_t)b->total,
		    "seconds", secs, "mb_per_s",
		    secs > 0 ? (double)b->total / secs / 1e6 : 0.0,
		    "suite", tunnel_suite_name(b->peer->tunnel != NULL ?
		    b->peer->tunnel->suite : 0)));
	bench_free(b);
}

static const struct chan_ops src_ops = {
	.opened = src_opened,
	.writable = src_pump,
	.closed = src_closed,
};

static void
bench_ctl_closed(struct ctl_conn *c, void *arg)
{
	struct bench	*b = arg;

	b->ctl = NULL;
	if (b->ch != NULL)
		chan_reset(b->ch, "bench cancelled");	/* closed() frees b */
	else
		bench_free(b);
}

static void
bench_start(struct peer *p, struct tunnel *t, const char *err, void *arg)
{
	struct bench	*b = arg;
	json_t		*req;

	b->wait = NULL;
	if (t == NULL) {
		ctl_error(b->ctl, VMGW_EXIT_PEER, "%s", err);
		bench_free(b);
		return;
	}
	req = json_pack("{s:s}", "kind", CHAN_KIND_BENCH);
	b->ch = chan_open(t, req, &src_ops, b, "bench source");
	json_decref(req);
	if (b->ch == NULL) {
		ctl_error(b->ctl, VMGW_EXIT_FAIL, "cannot open a channel to %s",
		    p->conf->name);
		bench_free(b);
	}
}

void
ctl_bench(struct ctl_conn *c, json_t *req)
{
	const char	*site = json_string_value(json_object_get(req, "site"));
	json_t		*jb = json_object_get(req, "bytes");
	struct peer	*p;
	struct bench	*b;

	if (site == NULL || (p = peer_find(c->gw, site)) == NULL) {
		ctl_error(c, VMGW_EXIT_USAGE, "%s: not a peer of %s",
		    site != NULL ? site : "(none)", c->gw->conf->site);
		return;
	}
	if (!json_is_integer(jb) || json_integer_value(jb) <= 0 ||
	    (uint64_t)json_integer_value(jb) > BENCH_MAX) {
		ctl_error(c, VMGW_EXIT_USAGE, "bytes: must be between 1 and "
		    "16T");
		return;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		ctl_error(c, VMGW_EXIT_FAIL, "out of memory");
		return;
	}
	if (bench_buf[0] == 0 && bench_buf[1] == 0)
		randombytes_buf(bench_buf, sizeof(bench_buf));
	b->ctl = c;
	b->peer = p;
	b->total = (uint64_t)json_integer_value(jb);
	if ((b->wait = peer_wait(p, 15, bench_start, b)) == NULL) {
		ctl_error(c, VMGW_EXIT_FAIL, "out of memory");
		bench_free(b);
		return;
	}
	ctl_set_close_cb(c, bench_ctl_closed, b);
}
