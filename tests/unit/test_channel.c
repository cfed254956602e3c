/*
 * test_channel.c - channel flow control and end of stream, with the real
 * tunnel and channel code: two gateways (a and b) in one process, one event
 * loop, joined by a socketpair; b serves a channel kind "test" whose endpoint
 * this file controls (it may stall, consume, or answer EOF).  The last
 * tests cover compression: the record flag, the raw fallback, and a
 * crafted record that decompresses beyond the record maximum (a bomb).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <event2/thread.h>
#include <zstd.h>

#include "transport.h"
#include "keys.h"

#define WINDOW		(64 * 1024)
#define TOTAL		(1024 * 1024)

static char	tmpdir[] = "/tmp/vmgw-test-channel.XXXXXX";

/* ---------------------------------------------------------------- fixture */

struct sinkep {			/* b's end of a "test" channel */
	struct channel	*ch;
	int		 stall;		/* do not consume */
	size_t		 got;		/* bytes received */
	size_t		 unconsumed;
	int		 eof;
	char		 closed[600];
	int		 is_closed;
	crypto_generichash_state h;	/* of the bytes received */
};

struct srcep {			/* a's end */
	struct channel	*ch;
	size_t		 total, sent;
	int		 opened, send_eof, is_closed;
	int		 random;	/* incompressible bytes */
	char		 closed[600];
	crypto_generichash_state h;	/* of the bytes sent */
};

static const char	*peer_extra = "";	/* a's config of peer b */

static struct sinkep	*last_sink;
static int		 sink_stall_next;

static void
sink_data(struct channel *ch, const uint8_t *p, size_t n)
{
	struct sinkep	*s = ch->arg;

	s->got += n;
	crypto_generichash_update(&s->h, p, n);
	if (s->stall)
		s->unconsumed += n;
	else
		chan_consumed(ch, n);
}

static void
sink_eof(struct channel *ch)
{
	struct sinkep	*s = ch->arg;

	s->eof = 1;
	chan_send_eof(ch);
}

static void
sink_closed(struct channel *ch, const char *reason)
{
	struct sinkep	*s = ch->arg;

	s->is_closed = 1;
	s->ch = NULL;
	snprintf(s->closed, sizeof(s->closed), "%s", reason ? reason : "clean");
}

static const struct chan_ops sink_ops = {
	.data = sink_data, .eof = sink_eof, .closed = sink_closed,
};

static void
test_accept(struct channel *ch, json_t *req)
{
	struct sinkep	*s = calloc(1, sizeof(*s));

	s->ch = ch;
	s->stall = sink_stall_next;
	crypto_generichash_init(&s->h, NULL, 0, 32);
	last_sink = s;
	chan_set_endpoint(ch, &sink_ops, s);
	chan_accept_ok(ch);
}

static void
src_pump(struct channel *ch)
{
	struct srcep	*s = ch->arg;
	static uint8_t	 buf[REC_PAYLOAD_MAX];
	uint64_t	 room;
	size_t		 n;

	while (s->sent < s->total && (room = chan_send_room(ch)) > 0) {
		n = sizeof(buf);
		if (n > room)
			n = (size_t)room;
		if (n > s->total - s->sent)
			n = s->total - s->sent;
		if (s->random)
			randombytes_buf(buf, n);
		else
			memset(buf, (int)(s->sent & 0xff), n);
		crypto_generichash_update(&s->h, buf, n);
		assert_int_equal(chan_send(ch, buf, n), 0);
		s->sent += n;
		/* bounded: at most one record beyond the bound */
		assert_true(tunnel_bulk_held(ch->tunnel) <=
		    tunnel_bulk_bound(ch->tunnel) + REC_WIRE_MAX);
	}
	if (s->sent == s->total && s->send_eof)
		chan_send_eof(ch);
	else if (s->sent < s->total)
		chan_wait_writable(ch);
}

static void
src_opened(struct channel *ch)
{
	((struct srcep *)ch->arg)->opened = 1;
	src_pump(ch);
}

static void
src_closed(struct channel *ch, const char *reason)
{
	struct srcep	*s = ch->arg;

	s->is_closed = 1;
	s->ch = NULL;
	snprintf(s->closed, sizeof(s->closed), "%s", reason ? reason : "clean");
}

static const struct chan_ops src_ops = {
	.opened = src_opened, .writable = src_pump, .closed = src_closed,
};

struct pair {
	struct event_base	*base;
	struct gw		*a, *b;
	struct tunnel		*ta, *tb;
};

static struct gw *
gw_make(struct event_base *base, const char *site, const char *peer,
    const char *peerkey_b64)
{
	struct gw	*gw = calloc(1, sizeof(*gw));
	char		 yaml[2048], path[512], err[CONFIG_ERR_MAX];

	snprintf(path, sizeof(path), "%s/%s.yaml", tmpdir, site);
	snprintf(yaml, sizeof(yaml),
	    "site: %s\nprivate_key: %s/%s.key\nlisten: 127.0.0.1:1\n"
	    "control: %s/%s.sock\nstate_dir: %s/state-%s\n"
	    "peers:\n  %s:\n    public_key: \"%s\"\n%s"
	    "tunnel:\n  window: 64K\n", site, tmpdir, site, tmpdir, site,
	    tmpdir, site, peer, peerkey_b64, strcmp(site, "a") == 0 ?
	    peer_extra : "");
	if (config_load_string(path, yaml, strlen(yaml), &gw->conf, err,
	    sizeof(err)) == -1)
		fail_msg("config: %s", err);
	gw_init(gw, gw->conf);
	gw->base = base;
	forward_init();		/* the "forward" kind, as transport_init does */
	assert_int_equal(pmsg_init(gw), 0);
	assert_int_equal(peers_init(gw), 0);
	return gw;
}

static void
run_loop(struct event_base *base, int ms)
{
	struct timeval	 tv = { 0, ms * 1000 };

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

static int
setup(void **state)
{
	struct pair		*p = calloc(1, sizeof(*p));
	struct vmgw_privkey	 ka = { 0 }, kb = { 0 };
	char			 path[512], err[512], pa[KEY_B64_LEN + 1],
				 pb[KEY_B64_LEN + 1];
	int			 sv[2];

	snprintf(path, sizeof(path), "%s/a.key", tmpdir);
	unlink(path);
	assert_int_equal(key_generate_file(path, &ka, err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/b.key", tmpdir);
	unlink(path);
	assert_int_equal(key_generate_file(path, &kb, err, sizeof(err)), 0);
	key_to_base64(pa, ka.pub);
	key_to_base64(pb, kb.pub);
	key_free(&ka);
	key_free(&kb);

	p->base = event_base_new();
	p->a = gw_make(p->base, "a", "b", pb);
	p->b = gw_make(p->base, "b", "a", pa);
	accept_register("test", test_accept, 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	p->tb = tunnel_attach(p->b, sv[1], NULL);
	p->ta = tunnel_attach(p->a, sv[0], TAILQ_FIRST(&p->a->peers));
	assert_non_null(p->ta);
	assert_non_null(p->tb);
	run_loop(p->base, 100);
	assert_int_equal(p->ta->state, TUN_ESTABLISHED);
	assert_int_equal(p->tb->state, TUN_ESTABLISHED);
	assert_ptr_equal(TAILQ_FIRST(&p->a->peers)->tunnel, p->ta);
	*state = p;
	return 0;
}

static void
gw_unmake(struct gw *gw)
{
	peers_free(gw);
	pmsg_free(gw);
	config_free(gw->conf);
	free(gw);
}

/* the peer's live tunnel (a dead tunnel is freed: never look at p->ta then) */
static struct tunnel *
live(struct gw *gw)
{
	return TAILQ_FIRST(&gw->peers)->tunnel;
}

static int
teardown(void **state)
{
	struct pair	*p = *state;

	if (live(p->a) != NULL)
		tunnel_close(live(p->a), "test over");
	run_loop(p->base, 20);
	gw_unmake(p->a);
	gw_unmake(p->b);
	event_base_free(p->base);
	free(p);
	free(last_sink);
	last_sink = NULL;
	return 0;
}

static struct channel *
open_test(struct pair *p, struct srcep *s, int stall)
{
	json_t		*req = json_pack("{s:s}", "kind", "test");
	struct channel	*ch;

	sink_stall_next = stall;
	crypto_generichash_init(&s->h, NULL, 0, 32);
	ch = chan_open(p->ta, req, &src_ops, s, "test source");
	json_decref(req);
	assert_non_null(ch);
	s->ch = ch;
	return ch;
}

/* ------------------------------------------------------------ the tests */

/* A consumer that does not consume gets exactly one window, no more. */
static void
test_window_bounds_a_stalled_consumer(void **state)
{
	struct pair	*p = *state;
	struct srcep	 s = { .total = TOTAL };
	struct sinkep	*k;

	open_test(p, &s, 1);
	run_loop(p->base, 200);
	k = last_sink;
	assert_non_null(k);
	assert_true(s.opened);
	assert_int_equal(k->got, WINDOW);
	assert_int_equal(s.sent, WINDOW);
	assert_int_equal(chan_send_room(s.ch), 0);
	/* consuming returns credit and the stream moves on to the end */
	k->stall = 0;
	chan_consumed(k->ch, k->unconsumed);
	run_loop(p->base, 300);
	assert_int_equal(k->got, TOTAL);
	assert_int_equal(s.sent, TOTAL);
	chan_reset(s.ch, "done");
	run_loop(p->base, 20);
}

/* One stalled channel does not stall another on the same tunnel. */
static void
test_stall_is_per_channel(void **state)
{
	struct pair	*p = *state;
	struct srcep	 s1 = { .total = TOTAL }, s2 = { .total = TOTAL,
			    .send_eof = 1 };
	struct sinkep	*k1, *k2;

	open_test(p, &s1, 1);
	run_loop(p->base, 50);
	k1 = last_sink;
	open_test(p, &s2, 0);
	run_loop(p->base, 500);
	k2 = last_sink;
	assert_int_equal(k1->got, WINDOW);
	assert_int_equal(k2->got, TOTAL);
	assert_true(k2->eof);
	assert_int_equal(s2.is_closed, 1);	/* both EOFs: clean close */
	assert_string_equal(s2.closed, "clean");
	assert_string_equal(k2->closed, "clean");
	chan_reset(s1.ch, "done");
	run_loop(p->base, 20);
	assert_true(k1->is_closed);
	assert_string_equal(k1->closed, "reset by a: done");
	free(k1);
}

/* The receiver checks the byte count of the end of stream. */
static void
test_truncation_is_detected(void **state)
{
	struct pair	*p = *state;
	struct srcep	 s = { .total = 100000 };
	struct sinkep	*k;

	open_test(p, &s, 0);
	run_loop(p->base, 100);
	k = last_sink;
	assert_int_equal(k->got, 100000);
	s.ch->tx_bytes += 5;		/* claim more than was sent */
	chan_send_eof(s.ch);
	run_loop(p->base, 100);
	assert_false(k->eof);
	assert_true(k->is_closed);
	assert_string_equal(k->closed, "end-of-stream check failed: sender "
	    "sent 100005 bytes, we received 100000");
	assert_true(s.is_closed);
	assert_non_null(strstr(s.closed, "reset by b: end-of-stream check"));
}

/* ... and the digest over the records. */
static void
test_digest_mismatch_is_detected(void **state)
{
	struct pair	*p = *state;
	struct srcep	 s = { .total = 70000 };
	struct sinkep	*k;

	open_test(p, &s, 0);
	run_loop(p->base, 100);
	k = last_sink;
	crypto_generichash_update(&s.ch->tx_digest, (const uint8_t *)"x", 1);
	chan_send_eof(s.ch);
	run_loop(p->base, 100);
	assert_false(k->eof);
	assert_string_equal(k->closed, "end-of-stream check failed: sender "
	    "sent 70000 bytes, we received 70000 but the digests differ");
}

/* A peer that sends beyond its credit is a protocol error: tunnel closed. */
static void
test_credit_violation_closes_the_tunnel(void **state)
{
	struct pair	*p = *state;
	struct srcep	 s = { .total = WINDOW };
	static uint8_t	 junk[1000];

	open_test(p, &s, 1);
	run_loop(p->base, 100);
	assert_int_equal(last_sink->got, WINDOW);
	/* bypass the channel layer's own check */
	assert_int_equal(tunnel_send(p->ta, REC_DATA, s.ch->id, junk,
	    sizeof(junk)), 0);
	run_loop(p->base, 100);
	assert_null(live(p->b));
	assert_true(last_sink->is_closed);
	assert_non_null(strstr(last_sink->closed, "peer exceeded its credit "
	    "window"));
	assert_null(live(p->a));	/* b hung up */
	assert_true(s.is_closed);
	assert_non_null(strstr(s.closed, "tunnel to b lost"));
}

/* Losing the tunnel ends every channel on it, with the reason. */
static void
test_tunnel_loss_ends_channels(void **state)
{
	struct pair	*p = *state;
	struct srcep	 s1 = { .total = TOTAL }, s2 = { .total = TOTAL };
	struct sinkep	*k1, *k2;

	open_test(p, &s1, 1);
	run_loop(p->base, 50);
	k1 = last_sink;
	open_test(p, &s2, 1);
	run_loop(p->base, 50);
	k2 = last_sink;
	tunnel_close(p->ta, "cable cut");
	run_loop(p->base, 100);
	assert_true(s1.is_closed && s2.is_closed);
	assert_string_equal(s1.closed, "tunnel to b lost: cable cut");
	assert_true(k1->is_closed && k2->is_closed);
	assert_non_null(strstr(k2->closed, "tunnel to a lost: closed by the "
	    "peer"));
	free(k1);
}

/* An open for a kind b does not serve, or a forward target b does not list, fails. */
static void
test_refused_kinds(void **state)
{
	struct pair	*p = *state;
	struct srcep	 s = { .total = 1 }, s2 = { .total = 1 };
	json_t		*req;

	req = json_pack("{s:s}", "kind", "shell");
	s.ch = chan_open(p->ta, req, &src_ops, &s, "bad kind");
	json_decref(req);
	req = json_pack("{s:s, s:s}", "kind", "forward", "target",
	    "127.0.0.1:22");
	s2.ch = chan_open(p->ta, req, &src_ops, &s2, "bad target");
	json_decref(req);
	run_loop(p->base, 100);
	assert_false(s.opened);
	assert_string_equal(s.closed, "b refused: unknown channel kind");
	assert_string_equal(s2.closed, "b refused: target 127.0.0.1:22 is not "
	    "in b's forward_targets");
	assert_ptr_equal(live(p->a), p->ta);	/* refusals leave the tunnel up */
}

/* ------------------------------------------------------------ compression */

static int
setup_zstd(void **state)
{
	peer_extra = "    compress: zstd\n";
	return setup(state);
}

static int
setup_off(void **state)
{
	peer_extra = "    compress: off\n";
	return setup(state);
}

static int
teardown_z(void **state)
{
	peer_extra = "";
	return teardown(state);
}

static void
same_bytes(struct srcep *s, struct sinkep *k)
{
	uint8_t	 a[32], b[32];

	crypto_generichash_final(&s->h, a, sizeof(a));
	crypto_generichash_final(&k->h, b, sizeof(b));
	assert_memory_equal(a, b, sizeof(a));
}

/* Compressible data goes flagged and small, and arrives whole and checked. */
static void
test_compressed_records(void **state)
{
	struct pair	*p = *state;
	struct srcep	 s = { .total = TOTAL, .send_eof = 1 };
	struct tunnel	*tb;

	open_test(p, &s, 0);
	run_loop(p->base, 500);
	assert_non_null(last_sink);
	assert_int_equal(last_sink->got, TOTAL);
	assert_true(last_sink->eof);
	assert_string_equal(s.closed, "clean");	/* count and digest agreed */
	same_bytes(&s, last_sink);
	tb = live(p->b);
	assert_int_equal(p->ta->z_tx_in, TOTAL);
	assert_true(p->ta->z_tx_out < TOTAL / 20);
	assert_int_equal(tb->z_rx_out, TOTAL);
	assert_int_equal(tb->z_rx_in, p->ta->z_tx_out);
}

/* Data that does not shrink by 5 % goes raw, and still arrives whole. */
static void
test_incompressible_goes_raw(void **state)
{
	struct pair	*p = *state;
	struct srcep	 s = { .total = TOTAL, .send_eof = 1, .random = 1 };

	open_test(p, &s, 0);
	run_loop(p->base, 500);
	assert_int_equal(last_sink->got, TOTAL);
	assert_string_equal(s.closed, "clean");
	same_bytes(&s, last_sink);
	assert_int_equal(p->ta->z_tx_out, TOTAL);	/* every record raw */
	assert_int_equal(live(p->b)->z_rx_in, TOTAL);
}

/* compress: off sends every record raw, however well it would compress. */
static void
test_compress_off(void **state)
{
	struct pair	*p = *state;
	struct srcep	 s = { .total = TOTAL, .send_eof = 1 };

	open_test(p, &s, 0);
	run_loop(p->base, 500);
	assert_string_equal(s.closed, "clean");
	same_bytes(&s, last_sink);
	assert_int_equal(p->ta->z_tx_out, TOTAL);
	assert_null(s.ch);
}

/* A zstd frame of n zero bytes, sent as one flagged DATA record. */
static void
send_zeros_frame(struct pair *p, struct channel *ch, size_t n)
{
	uint8_t		*zeros = calloc(1, n), *z;
	size_t		 zl, cap = ZSTD_compressBound(n);

	z = malloc(cap);
	zl = ZSTD_compress(z, cap, zeros, n, 1);
	assert_false(ZSTD_isError(zl));
	assert_true(zl < 4096);
	assert_int_equal(tunnel_send(p->ta, REC_DATA | REC_FLAG_ZSTD, ch->id,
	    z, zl), 0);
	free(z);
	free(zeros);
}

/* Exactly the record maximum decompresses and is delivered. */
static void
test_decompress_up_to_the_maximum(void **state)
{
	struct pair	*p = *state;
	struct srcep	 s = { .total = 0 };

	open_test(p, &s, 1);
	run_loop(p->base, 100);
	s.ch->send_credit -= REC_PAYLOAD_MAX;	/* as chan_send would */
	send_zeros_frame(p, s.ch, REC_PAYLOAD_MAX);
	run_loop(p->base, 100);
	assert_int_equal(last_sink->got, REC_PAYLOAD_MAX);
	assert_ptr_equal(live(p->a), p->ta);
	assert_int_equal(live(p->b)->z_rx_out, REC_PAYLOAD_MAX);
}

/* One byte more is a bomb: nothing delivered, the connection ends. */
static void
test_decompression_bomb_ends_the_tunnel(void **state)
{
	struct pair	*p = *state;
	struct srcep	 s = { .total = 0 };

	open_test(p, &s, 1);
	run_loop(p->base, 100);
	send_zeros_frame(p, s.ch, REC_PAYLOAD_MAX + 1);
	run_loop(p->base, 100);
	assert_int_equal(last_sink->got, 0);
	assert_null(live(p->b));
	assert_null(live(p->a));
	assert_true(last_sink->is_closed);
	assert_non_null(strstr(last_sink->closed, "decodes to more than the "
	    "record maximum"));
	assert_true(s.is_closed);
}

/* 64 MiB in a few KiB: refused (its window alone is too big), nothing delivered. */
static void
test_big_bomb(void **state)
{
	struct pair	*p = *state;
	struct srcep	 s = { .total = 0 };

	open_test(p, &s, 1);
	run_loop(p->base, 100);
	send_zeros_frame(p, s.ch, 64 << 20);
	run_loop(p->base, 200);
	assert_int_equal(last_sink->got, 0);
	assert_null(live(p->b));
	assert_non_null(strstr(last_sink->closed, "bad record on channel"));
}

/* Garbage with the flag set does not decode: the connection ends. */
static void
test_bad_compressed_record(void **state)
{
	struct pair	*p = *state;
	struct srcep	 s = { .total = 0 };
	static uint8_t	 junk[100];

	open_test(p, &s, 1);
	run_loop(p->base, 100);
	memset(junk, 0xa5, sizeof(junk));
	assert_int_equal(tunnel_send(p->ta, REC_DATA | REC_FLAG_ZSTD,
	    s.ch->id, junk, sizeof(junk)), 0);
	run_loop(p->base, 100);
	assert_int_equal(last_sink->got, 0);
	assert_null(live(p->b));
	assert_non_null(strstr(last_sink->closed, "does not decode"));
}

/* The flag means something only on DATA. */
static void
test_flag_on_other_records(void **state)
{
	struct pair	*p = *state;
	struct srcep	 s = { .total = 0 };
	uint8_t		 b[4] = { 0, 0, 1, 0 };

	open_test(p, &s, 1);
	run_loop(p->base, 100);
	assert_int_equal(tunnel_send(p->ta, REC_CREDIT | REC_FLAG_ZSTD,
	    s.ch->id, b, sizeof(b)), 0);
	run_loop(p->base, 100);
	assert_null(live(p->b));
	assert_non_null(strstr(last_sink->closed, "unknown record type 133"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_window_bounds_a_stalled_consumer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stall_is_per_channel,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncation_is_detected,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_digest_mismatch_is_detected, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_credit_violation_closes_the_tunnel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tunnel_loss_ends_channels,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_kinds, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_compressed_records,
		    setup_zstd, teardown_z),
		cmocka_unit_test_setup_teardown(test_incompressible_goes_raw,
		    setup_zstd, teardown_z),
		cmocka_unit_test_setup_teardown(test_compress_off, setup_off,
		    teardown_z),
		cmocka_unit_test_setup_teardown(
		    test_decompress_up_to_the_maximum, setup_zstd, teardown_z),
		cmocka_unit_test_setup_teardown(
		    test_decompression_bomb_ends_the_tunnel, setup_zstd,
		    teardown_z),
		cmocka_unit_test_setup_teardown(test_big_bomb, setup_zstd,
		    teardown_z),
		cmocka_unit_test_setup_teardown(test_bad_compressed_record,
		    setup_zstd, teardown_z),
		cmocka_unit_test_setup_teardown(test_flag_on_other_records,
		    setup_zstd, teardown_z),
	};
	char	 cmd[600];
	int	 r;

	if (sodium_init() < 0 || mkdtemp(tmpdir) == NULL)
		return 1;
	log_init(1, 0, "test_channel");
	r = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		return 1;
	return r;
}
