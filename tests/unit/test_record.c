/*
 * test_record.c - the record layer: round trips of every size class for
 * both ciphers; every kind of damage (length, header, payload, tag,
 * truncation, replay, reordering, wrong key) rejected and poisoning the
 * direction; the length checks of rec_peek(); rekeying; and a throughput
 * figure for 64 KiB records (printed, not asserted).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <sodium.h>

#include "record.h"

#define T0		1000		/* "now" for the tests, in seconds */
#define TYPE_DATA	1
#define TYPE_REKEY	0x7f		/* the gateway's numbering is its own */

/* Two wire buffers, big enough for the largest record and one byte more. */
static uint8_t wire_a[REC_WIRE_MAX + 1], wire_b[REC_WIRE_MAX + 1];

struct pair {
	struct rec_dir	tx, rx;
};

static int
cipher_ok(enum noise_cipher c)
{
	if (noise_cipher_available(c))
		return 1;
	printf("record: %s not available on this CPU, skipped\n",
	    c == NOISE_CIPHER_AESGCM ? "AESGCM" : "ChaChaPoly");
	return 0;
}

static void
pair_init(struct pair *p, enum noise_cipher c)
{
	struct noise_cipherstate cs;
	uint8_t k[NOISE_KEYLEN];

	randombytes_buf(k, sizeof(k));
	noise_cipher_init(&cs, c, k);
	assert_int_equal(rec_dir_init(&p->tx, &cs, T0), 0);
	assert_int_equal(rec_dir_init(&p->rx, &cs, T0), 0);
	noise_cipher_wipe(&cs);
	sodium_memzero(k, sizeof(k));
}

static void
pair_wipe(struct pair *p)
{
	rec_dir_wipe(&p->tx);
	rec_dir_wipe(&p->rx);
}

static void
fill(uint8_t *p, size_t len, uint32_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 31 + i * 7 + (i >> 8));
}

/* Seal len pattern bytes into w; returns the wire length. */
static size_t
seal(struct rec_dir *d, uint8_t *w, uint8_t type, uint32_t ch, size_t len,
    uint32_t seed)
{
	size_t wl;

	fill(w + REC_PAYLOAD_OFF, len, seed);
	assert_int_equal(rec_seal(d, w, &wl, type, ch, len, NULL), 0);
	assert_int_equal(wl, REC_OVERHEAD + len);
	return wl;
}

/* Open w and check it carries what seal() put there. */
static void
open_ok(struct rec_dir *d, uint8_t *w, size_t wl, uint8_t type, uint32_t ch,
    size_t len, uint32_t seed)
{
	static uint8_t want[REC_PAYLOAD_MAX];
	uint8_t t, *pl;
	uint32_t c;
	size_t n, got;

	assert_int_equal(rec_peek(w, wl, &n), REC_PEEK_OK);
	assert_int_equal(n, wl);
	assert_int_equal(rec_open(d, w, wl, &t, &c, &pl, &got, NULL), 0);
	assert_int_equal(t, type);
	assert_int_equal(c, ch);
	assert_int_equal(got, len);
	assert_ptr_equal(pl, w + REC_PAYLOAD_OFF);
	fill(want, len, seed);
	assert_memory_equal(pl, want, len);
}

/* The next open on d fails with every output cleared. */
static void
open_fails(struct rec_dir *d, uint8_t *w, size_t wl)
{
	uint8_t t = 9, *pl = w, tag[REC_TAG];
	uint32_t c = 9;
	size_t len = 9;

	memset(tag, 0xee, sizeof(tag));
	assert_int_equal(rec_open(d, w, wl, &t, &c, &pl, &len, tag), -1);
	assert_int_equal(t, 0);
	assert_int_equal(c, 0);
	assert_null(pl);
	assert_int_equal(len, 0);
	assert_true(sodium_is_zero(tag, sizeof(tag)));
	assert_true(d->poisoned);
}

/* --- round trips ---------------------------------------------------------- */

static void
roundtrip(enum noise_cipher cipher)
{
	static const size_t big[] = { 1000, 1023, 1024, 4095, 4096, 16383,
	    16384, 32768, 65535, 65536 };
	struct pair p;
	uint8_t tag_s[REC_TAG], tag_o[REC_TAG], t, *pl;
	uint32_t c;
	size_t len, wl, got, i, nrec = 0, nbytes = 0;

	if (!cipher_ok(cipher))
		return;
	pair_init(&p, cipher);
	for (i = 0; i < 300 + 10 + 200; i++) {
		if (i < 300)
			len = i;
		else if (i < 310)
			len = big[i - 300];
		else
			len = randombytes_uniform(REC_PAYLOAD_MAX + 1);
		wl = seal(&p.tx, wire_a, (uint8_t)i, (uint32_t)i * 2654435761u,
		    len, (uint32_t)i);
		open_ok(&p.rx, wire_a, wl, (uint8_t)i,
		    (uint32_t)i * 2654435761u, len, (uint32_t)i);
		nrec++;
		nbytes += wl;
	}
	assert_int_equal(p.tx.records, nrec);
	assert_int_equal(p.rx.records, nrec);
	assert_int_equal(p.tx.bytes, nbytes);
	assert_int_equal(p.rx.bytes, nbytes);
	assert_int_equal(p.tx.cs.n, nrec);
	assert_int_equal(p.rx.cs.n, nrec);

	/* the tag handed out by seal is the one open reports */
	fill(wire_a + REC_PAYLOAD_OFF, 10, 1);
	assert_int_equal(rec_seal(&p.tx, wire_a, &wl, TYPE_DATA, 3, 10,
	    tag_s), 0);
	assert_memory_equal(tag_s, wire_a + wl - REC_TAG, REC_TAG);
	assert_int_equal(rec_open(&p.rx, wire_a, wl, &t, &c, &pl, &got,
	    tag_o), 0);
	assert_memory_equal(tag_s, tag_o, REC_TAG);
	pair_wipe(&p);
}

static void
test_roundtrip_chachapoly(void **state)
{
	(void)state;
	roundtrip(NOISE_CIPHER_CHACHAPOLY);
}

static void
test_roundtrip_aesgcm(void **state)
{
	(void)state;
	roundtrip(NOISE_CIPHER_AESGCM);
}

/* --- damage --------------------------------------------------------------- */

enum outcome {
	OUT_OK,			/* opens */
	OUT_NEED,		/* rec_peek waits for bytes that never come */
	OUT_TOOBIG,		/* rec_peek refuses the length */
	OUT_TOOSMALL,
	OUT_FAIL		/* rec_open refuses and poisons */
};

#define PAYLOAD_LEN	100

/* A mutation of one sealed record: wire, its length, the bytes "received" */
typedef void mutate_fn(uint8_t *w, size_t wl, size_t *avail, size_t *openlen);

static void m_none(uint8_t *w, size_t wl, size_t *a, size_t *o) { }
static void m_len_lsb(uint8_t *w, size_t wl, size_t *a, size_t *o)
	{ w[3] ^= 0x01; }
static void m_len_grow(uint8_t *w, size_t wl, size_t *a, size_t *o)
	{ w[2] ^= 0x01; }
static void m_len_top(uint8_t *w, size_t wl, size_t *a, size_t *o)
	{ w[0] ^= 0x80; }
static void m_len_zero(uint8_t *w, size_t wl, size_t *a, size_t *o)
	{ memset(w, 0, REC_LEN_SIZE); }
static void m_len_20(uint8_t *w, size_t wl, size_t *a, size_t *o)
	{ memcpy(w, "\0\0\0\x14", 4); }
static void m_type(uint8_t *w, size_t wl, size_t *a, size_t *o)
	{ w[4] ^= 0x01; }
static void m_channel(uint8_t *w, size_t wl, size_t *a, size_t *o)
	{ w[8] ^= 0x10; }
static void m_payload_first(uint8_t *w, size_t wl, size_t *a, size_t *o)
	{ w[REC_PAYLOAD_OFF] ^= 0x01; }
static void m_payload_last(uint8_t *w, size_t wl, size_t *a, size_t *o)
	{ w[wl - REC_TAG - 1] ^= 0x40; }
static void m_tag_first(uint8_t *w, size_t wl, size_t *a, size_t *o)
	{ w[wl - REC_TAG] ^= 0x01; }
static void m_tag_last(uint8_t *w, size_t wl, size_t *a, size_t *o)
	{ w[wl - 1] ^= 0x80; }
static void m_trunc1(uint8_t *w, size_t wl, size_t *a, size_t *o)
	{ *a = wl - 1; }
static void m_trunc_hdr(uint8_t *w, size_t wl, size_t *a, size_t *o)
	{ *a = 3; }
static void m_open_short(uint8_t *w, size_t wl, size_t *a, size_t *o)
	{ *o = wl - 1; }
static void m_open_long(uint8_t *w, size_t wl, size_t *a, size_t *o)
	{ *o = wl + 1; }
static void m_open_tiny(uint8_t *w, size_t wl, size_t *a, size_t *o)
	{ *o = 2; }

struct damage_case {
	const char	*name;
	mutate_fn	*mutate;
	enum outcome	 expected;
};
#define T(name, mutation, expected)	{ name, mutation, expected }
static const struct damage_case damage_cases[] = {
	T("untouched",			m_none,		OUT_OK),
	T("length, low bit",		m_len_lsb,	OUT_FAIL),
	T("length, grows",		m_len_grow,	OUT_NEED),
	T("length, top bit",		m_len_top,	OUT_TOOBIG),
	T("length, zero",		m_len_zero,	OUT_TOOSMALL),
	T("length, 20",			m_len_20,	OUT_TOOSMALL),
	T("header, type",		m_type,		OUT_FAIL),
	T("header, channel",		m_channel,	OUT_FAIL),
	T("payload, first byte",	m_payload_first, OUT_FAIL),
	T("payload, last byte",		m_payload_last,	OUT_FAIL),
	T("tag, first byte",		m_tag_first,	OUT_FAIL),
	T("tag, last byte",		m_tag_last,	OUT_FAIL),
	T("truncated by one",		m_trunc1,	OUT_NEED),
	T("truncated in length",	m_trunc_hdr,	OUT_NEED),
	T("opened one short",		m_open_short,	OUT_FAIL),
	T("opened one long",		m_open_long,	OUT_FAIL),
	T("opened with 2 bytes",	m_open_tiny,	OUT_FAIL),
};
#undef T

/*
 * What a receiver does with avail bytes: peek, wait, refuse, or open.
 * openlen, when set by the mutation, overrides the peeked length (a caller
 * bug or a lying framer).
 */
static enum outcome
receive(struct rec_dir *d, uint8_t *w, size_t avail, size_t openlen)
{
	uint8_t t, *pl;
	uint32_t c;
	size_t wl, len;

	if (openlen == 0) {
		switch (rec_peek(w, avail, &wl)) {
		case REC_PEEK_NEED:
			return OUT_NEED;
		case REC_PEEK_TOOBIG:
			assert_int_equal(wl, 0);
			return OUT_TOOBIG;
		case REC_PEEK_TOOSMALL:
			return OUT_TOOSMALL;
		case REC_PEEK_OK:
			break;
		}
		if (wl > avail)
			return OUT_NEED;
		openlen = wl;
	}
	if (rec_open(d, w, openlen, &t, &c, &pl, &len, NULL) == 0)
		return OUT_OK;
	return OUT_FAIL;
}

static void
damage(enum noise_cipher cipher)
{
	static const char *const outname[] = { "ok", "need", "toobig",
	    "toosmall", "fail" };
	const struct damage_case *dc;
	struct pair p;
	size_t i, wl, avail, openlen;
	enum outcome got;

	if (!cipher_ok(cipher))
		return;
	for (i = 0; i < sizeof(damage_cases) / sizeof(damage_cases[0]); i++) {
		dc = &damage_cases[i];
		pair_init(&p, cipher);
		wl = seal(&p.tx, wire_a, TYPE_DATA, 42, PAYLOAD_LEN, 5);
		avail = wl;
		openlen = 0;
		dc->mutate(wire_a, wl, &avail, &openlen);
		got = receive(&p.rx, wire_a, avail, openlen);
		if (got != dc->expected)
			fail_msg("%s: got %s, want %s", dc->name, outname[got],
			    outname[dc->expected]);
		if (got == OUT_FAIL) {
			/* poisoned: even the next, valid record is refused */
			assert_true(p.rx.poisoned);
			assert_int_equal(p.rx.records, 0);
			wl = seal(&p.tx, wire_b, TYPE_DATA, 42, PAYLOAD_LEN, 6);
			open_fails(&p.rx, wire_b, wl);
			assert_int_equal(rec_rekey(&p.rx, T0), -1);
		} else if (got == OUT_OK)
			assert_false(p.rx.poisoned);
		pair_wipe(&p);
	}
}

static void
test_damage_chachapoly(void **state)
{
	(void)state;
	damage(NOISE_CIPHER_CHACHAPOLY);
}

static void
test_damage_aesgcm(void **state)
{
	(void)state;
	damage(NOISE_CIPHER_AESGCM);
}

static void
test_replay(void **state)
{
	struct pair p;
	size_t wl;

	(void)state;
	pair_init(&p, NOISE_CIPHER_CHACHAPOLY);
	wl = seal(&p.tx, wire_a, TYPE_DATA, 1, 50, 1);
	memcpy(wire_b, wire_a, wl);
	open_ok(&p.rx, wire_a, wl, TYPE_DATA, 1, 50, 1);
	open_fails(&p.rx, wire_b, wl);		/* the same record again */
	pair_wipe(&p);
}

static void
test_reorder(void **state)
{
	struct pair p;
	size_t wl1, wl2;

	(void)state;
	pair_init(&p, NOISE_CIPHER_CHACHAPOLY);
	wl1 = seal(&p.tx, wire_a, TYPE_DATA, 1, 50, 1);
	wl2 = seal(&p.tx, wire_b, TYPE_DATA, 1, 50, 2);
	open_fails(&p.rx, wire_b, wl2);		/* 2 before 1 */
	open_fails(&p.rx, wire_a, wl1);		/* and 1 is now refused too */
	pair_wipe(&p);
}

static void
test_dropped(void **state)
{
	struct pair p;
	size_t wl;

	(void)state;
	pair_init(&p, NOISE_CIPHER_CHACHAPOLY);
	(void)seal(&p.tx, wire_a, TYPE_DATA, 1, 50, 1);	/* lost */
	wl = seal(&p.tx, wire_a, TYPE_DATA, 1, 50, 2);
	open_fails(&p.rx, wire_a, wl);
	pair_wipe(&p);
}

static void
test_wrong_key(void **state)
{
	struct pair p, q;
	size_t wl;

	(void)state;
	pair_init(&p, NOISE_CIPHER_CHACHAPOLY);
	pair_init(&q, NOISE_CIPHER_CHACHAPOLY);
	wl = seal(&p.tx, wire_a, TYPE_DATA, 1, 50, 1);
	open_fails(&q.rx, wire_a, wl);
	pair_wipe(&p);
	pair_wipe(&q);
}

/* --- the length prefix ------------------------------------------------------ */

struct peek_case {
	uint32_t		len;	/* the length field */
	size_t			avail;
	enum rec_peek_result	expected;
	size_t			wirelen;
};
#define T(len, avail, expected, wirelen)	{ len, avail, expected, wirelen }
static const struct peek_case peek_cases[] = {
	T(0,				0, REC_PEEK_NEED,	0),
	T(100,				1, REC_PEEK_NEED,	0),
	T(100,				3, REC_PEEK_NEED,	0),
	T(100,				4, REC_PEEK_OK,		104),
	T(0,				4, REC_PEEK_TOOSMALL,	0),
	T(REC_INNER_HDR + REC_TAG - 1,	4, REC_PEEK_TOOSMALL,	0),
	T(REC_INNER_HDR + REC_TAG,	4, REC_PEEK_OK,		REC_WIRE_MIN),
	T(REC_WIRE_MAX - REC_LEN_SIZE,	4, REC_PEEK_OK,		REC_WIRE_MAX),
	T(REC_WIRE_MAX - REC_LEN_SIZE + 1, 4, REC_PEEK_TOOBIG,	0),
	T(REC_WIRE_MAX + 1,		4, REC_PEEK_TOOBIG,	0),
	T(0x7fffffff,			4, REC_PEEK_TOOBIG,	0),
	T(0xffffffff,			4, REC_PEEK_TOOBIG,	0),
};
#undef T

static void
test_peek(void **state)
{
	const struct peek_case *pc;
	uint8_t hdr[4];
	size_t i, wl;

	(void)state;
	for (i = 0; i < sizeof(peek_cases) / sizeof(peek_cases[0]); i++) {
		pc = &peek_cases[i];
		hdr[0] = (uint8_t)(pc->len >> 24);
		hdr[1] = (uint8_t)(pc->len >> 16);
		hdr[2] = (uint8_t)(pc->len >> 8);
		hdr[3] = (uint8_t)pc->len;
		wl = 12345;
		/* only the 4 length bytes exist: nothing else is needed */
		if (rec_peek(hdr, pc->avail, &wl) != pc->expected)
			fail_msg("peek case %zu (len %u, avail %zu)", i,
			    pc->len, pc->avail);
		assert_int_equal(wl, pc->wirelen);
	}
}

static void
test_oversize_open(void **state)
{
	struct pair p;
	size_t wl;

	(void)state;
	pair_init(&p, NOISE_CIPHER_CHACHAPOLY);
	/* a length of REC_WIRE_MAX+1 is refused by open as well */
	wl = seal(&p.tx, wire_a, TYPE_DATA, 1, REC_PAYLOAD_MAX, 1);
	assert_int_equal(wl, REC_WIRE_MAX);
	wire_a[REC_WIRE_MAX] = 0;
	wire_a[3] += 1;
	open_fails(&p.rx, wire_a, REC_WIRE_MAX + 1);
	pair_wipe(&p);
}

static void
test_seal_limits(void **state)
{
	struct pair p;
	uint8_t tag[REC_TAG];
	size_t wl = 7;

	(void)state;
	pair_init(&p, NOISE_CIPHER_CHACHAPOLY);
	assert_int_equal(rec_seal(&p.tx, wire_a, &wl, TYPE_DATA, 1,
	    REC_PAYLOAD_MAX + 1, tag), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_int_equal(wl, 0);
	assert_int_equal(p.tx.cs.n, 0);
	assert_int_equal(p.tx.records, 0);
	/* nonces exhausted: refused, and the direction is finished */
	p.tx.cs.n = UINT64_MAX;
	assert_int_equal(rec_seal(&p.tx, wire_a, &wl, TYPE_DATA, 1, 10, tag),
	    -1);
	assert_true(p.tx.poisoned);
	p.tx.cs.n = 0;
	assert_int_equal(rec_seal(&p.tx, wire_a, &wl, TYPE_DATA, 1, 10, tag),
	    -1);
	pair_wipe(&p);
}

/* --- rekeying --------------------------------------------------------------- */

static void
rekey(enum noise_cipher cipher)
{
	struct pair p;
	uint8_t t, *pl, oldk[NOISE_KEYLEN];
	uint32_t c;
	size_t wl, len, i;

	if (!cipher_ok(cipher))
		return;
	pair_init(&p, cipher);
	for (i = 0; i < 5; i++) {
		wl = seal(&p.tx, wire_a, TYPE_DATA, 1, 1000, (uint32_t)i);
		open_ok(&p.rx, wire_a, wl, TYPE_DATA, 1, 1000, (uint32_t)i);
	}
	/* REKEY: the sender switches right after sealing it ... */
	memcpy(oldk, p.tx.cs.k, sizeof(oldk));
	wl = seal(&p.tx, wire_a, TYPE_REKEY, 0, 0, 0);
	assert_int_equal(rec_rekey(&p.tx, T0 + 30), 0);
	assert_memory_not_equal(p.tx.cs.k, oldk, sizeof(oldk));
	assert_int_equal(p.tx.cs.n, 6);			/* n is kept */
	assert_int_equal(p.tx.bytes_since_rekey, 0);
	assert_int_equal(p.tx.last_rekey, T0 + 30);
	assert_int_equal(p.tx.rekeys, 1);
	/* ... the receiver right after opening it */
	assert_int_equal(rec_open(&p.rx, wire_a, wl, &t, &c, &pl, &len, NULL),
	    0);
	assert_int_equal(t, TYPE_REKEY);
	assert_int_equal(rec_rekey(&p.rx, T0 + 30), 0);
	assert_memory_equal(p.tx.cs.k, p.rx.cs.k, sizeof(oldk));
	for (i = 0; i < 5; i++) {
		wl = seal(&p.tx, wire_a, TYPE_DATA, 2, 2000, (uint32_t)i);
		open_ok(&p.rx, wire_a, wl, TYPE_DATA, 2, 2000, (uint32_t)i);
	}
	assert_int_equal(p.rx.bytes_since_rekey, 5 * (REC_OVERHEAD + 2000));

	/* a receiver that misses the switch cannot open what follows */
	wl = seal(&p.tx, wire_a, TYPE_REKEY, 0, 0, 0);
	assert_int_equal(rec_rekey(&p.tx, T0 + 60), 0);
	assert_int_equal(rec_open(&p.rx, wire_a, wl, &t, &c, &pl, &len, NULL),
	    0);
	wl = seal(&p.tx, wire_a, TYPE_DATA, 2, 10, 1);
	open_fails(&p.rx, wire_a, wl);
	pair_wipe(&p);
}

static void
test_rekey_chachapoly(void **state)
{
	(void)state;
	rekey(NOISE_CIPHER_CHACHAPOLY);
}

static void
test_rekey_aesgcm(void **state)
{
	(void)state;
	rekey(NOISE_CIPHER_AESGCM);
}

static void
test_should_rekey(void **state)
{
	struct pair p;
	size_t wl;

	(void)state;
	pair_init(&p, NOISE_CIPHER_CHACHAPOLY);
	/* by bytes: 3 records of 1000 + overhead reach 3000 */
	assert_false(rec_should_rekey(&p.tx, 3000, 3600, T0));
	wl = seal(&p.tx, wire_a, TYPE_DATA, 1, 1000, 1);
	wl = seal(&p.tx, wire_a, TYPE_DATA, 1, 1000, 2);
	assert_false(rec_should_rekey(&p.tx, 3000, 3600, T0));
	wl = seal(&p.tx, wire_a, TYPE_DATA, 1, 1000, 3);
	assert_int_equal(p.tx.bytes_since_rekey, 3 * wl);
	assert_true(rec_should_rekey(&p.tx, 3000, 3600, T0));
	assert_int_equal(rec_rekey(&p.tx, T0 + 5), 0);
	assert_false(rec_should_rekey(&p.tx, 3000, 3600, T0 + 5));

	/* by seconds since the last key change */
	assert_false(rec_should_rekey(&p.tx, 1 << 30, 120, T0 + 124));
	assert_true(rec_should_rekey(&p.tx, 1 << 30, 120, T0 + 125));
	assert_true(rec_should_rekey(&p.tx, 1 << 30, 120, T0 + 9999));
	assert_int_equal(rec_rekey(&p.tx, T0 + 125), 0);
	assert_false(rec_should_rekey(&p.tx, 1 << 30, 120, T0 + 125));
	assert_int_equal(p.tx.rekeys, 2);
	/* the counters of the direction itself keep counting */
	assert_int_equal(p.tx.records, 3);
	assert_int_equal(p.tx.bytes, 3 * wl);
	pair_wipe(&p);
}

/* --- throughput ----------------------------------------------------------- */

#define BENCH_RING	16
#define BENCH_ROUNDS	128		/* 2048 records of 64 KiB: 128 MiB */

static double
now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
bench(enum noise_cipher cipher)
{
	struct pair p;
	uint8_t *ring, t, *pl;
	uint32_t c;
	size_t wl, len, i, r;
	double t0, tseal = 0, topen = 0, mb;

	if (!cipher_ok(cipher))
		return;
	ring = malloc((size_t)BENCH_RING * REC_WIRE_MAX);
	assert_non_null(ring);
	memset(ring, 0x5a, (size_t)BENCH_RING * REC_WIRE_MAX);
	pair_init(&p, cipher);
	for (r = 0; r < BENCH_ROUNDS; r++) {
		t0 = now_sec();
		for (i = 0; i < BENCH_RING; i++)
			if (rec_seal(&p.tx, ring + i * REC_WIRE_MAX, &wl,
			    TYPE_DATA, 1, REC_PAYLOAD_MAX, NULL) != 0)
				fail();
		tseal += now_sec() - t0;
		t0 = now_sec();
		for (i = 0; i < BENCH_RING; i++)
			if (rec_open(&p.rx, ring + i * REC_WIRE_MAX,
			    REC_WIRE_MAX, &t, &c, &pl, &len, NULL) != 0)
				fail();
		topen += now_sec() - t0;
	}
	mb = (double)BENCH_RING * BENCH_ROUNDS * REC_PAYLOAD_MAX / 1e6;
	printf("record 64 KiB %-10s: seal %6.0f MB/s, open %6.0f MB/s\n",
	    cipher == NOISE_CIPHER_AESGCM ? "AESGCM" : "ChaChaPoly",
	    mb / tseal, mb / topen);
	pair_wipe(&p);
	free(ring);
}

static void
test_throughput(void **state)
{
	(void)state;
	bench(NOISE_CIPHER_CHACHAPOLY);
	bench(NOISE_CIPHER_AESGCM);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_chachapoly),
		cmocka_unit_test(test_roundtrip_aesgcm),
		cmocka_unit_test(test_damage_chachapoly),
		cmocka_unit_test(test_damage_aesgcm),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_reorder),
		cmocka_unit_test(test_dropped),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_peek),
		cmocka_unit_test(test_oversize_open),
		cmocka_unit_test(test_seal_limits),
		cmocka_unit_test(test_rekey_chachapoly),
		cmocka_unit_test(test_rekey_aesgcm),
		cmocka_unit_test(test_should_rekey),
		cmocka_unit_test(test_throughput),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
