/*
 * test_dr_chunk.c - the chunk protocol of drcore.h: header layout, a point
 * of every frame type encoded and decoded from a stream fed in odd-sized
 * pieces, a frame truncated at every byte (decoder unchanged), a table of
 * hostile frames each refused with its exact message (bad fields refused
 * from the header alone, before the payload is there), a failed decoder
 * staying failed, and the ACK direction.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "drcore.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#define MIB		(1u << 20)

static const uint64_t sizes[2] = { 1 * MIB, 2 * MIB };

static void
put_be(uint8_t *p, uint64_t v, int bytes)
{
	while (bytes-- > 0) {
		p[bytes] = (uint8_t)v;
		v >>= 8;
	}
}

static void
fill(uint8_t *p, size_t len, uint32_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 9));
}

/* Encode c (payload of c->length pattern bytes for DATA) at w. */
static size_t
enc(uint8_t *w, struct drc_chunk c, uint32_t seed)
{
	char err[256];

	if (c.type == DRC_CHUNK_DATA) {
		fill(w + DRC_CHUNK_HDR, c.length, seed);
		c.payload = w + DRC_CHUNK_HDR;
	}
	assert_int_equal(drc_chunk_encode(w, &c, err, sizeof(err)), 0);
	return DRC_CHUNK_HDR + (c.type == DRC_CHUNK_DATA ? c.length : 0);
}

static void
test_layout(void **state)
{
	static const uint8_t want[32] = {
		'V', 'G', 'D', 'R', DRC_CHUNK_VERSION, DRC_CHUNK_ZERO, 0x01,
		0x02, 0, 0, 0, 0, 0, 0, 0x01, 0x03, 0, 0, 0, 0, 0, 0x10, 0, 0,
		0, 0x01, 0, 0, 0, 0, 0, 0
	};
	uint8_t w[DRC_CHUNK_HDR], h[32];
	struct drc_chunk c = { DRC_CHUNK_ZERO, 0x102, 0x103, 0x100000,
	    0x10000, NULL };

	(void)state;
	enc(w, c, 0);
	assert_memory_equal(w, want, sizeof(want));
	crypto_generichash(h, sizeof(h), w, 32, NULL, 0);
	assert_memory_equal(w + 32, h, 32);
}

/* A whole point: every type, sizes 1 .. max, decoded from pieces. */
static void
test_roundtrip(void **state)
{
	static const uint32_t lens[] = { 1, 511, 4096, 65536, 300000 };
	struct drc_chunk want[16], got;
	struct drc_chunk_dec d;
	uint8_t *stream = malloc(16 * (DRC_CHUNK_FRAME_MAX));
	size_t n = 0, len = 0, have = 0, pos = 0, used, k = 0, i;
	uint64_t seq = 0;
	char err[256];
	int r;

	(void)state;
	assert_non_null(stream);
	for (i = 0; i < nitems(lens); i++, seq++) {
		want[n] = (struct drc_chunk){ DRC_CHUNK_DATA, 0, seq,
		    i * 131072, lens[i], NULL };
		len += enc(stream + len, want[n++], (uint32_t)seq);
	}
	want[n] = (struct drc_chunk){ DRC_CHUNK_ZERO, 0, seq++, 0, MIB, NULL };
	len += enc(stream + len, want[n++], 0);
	want[n] = (struct drc_chunk){ DRC_CHUNK_END_DISK, 0, seq++, MIB, 0,
	    NULL };
	len += enc(stream + len, want[n++], 0);
	want[n] = (struct drc_chunk){ DRC_CHUNK_DATA, 1, seq++, 2 * MIB -
	    DRC_CHUNK_PAYLOAD_MAX / 2, DRC_CHUNK_PAYLOAD_MAX / 2, NULL };
	len += enc(stream + len, want[n++], 9);
	want[n] = (struct drc_chunk){ DRC_CHUNK_END_DISK, 1, seq++, 2 * MIB, 0,
	    NULL };
	len += enc(stream + len, want[n++], 0);
	want[n] = (struct drc_chunk){ DRC_CHUNK_END_POINT, 0, seq++, 0, 0, NULL };
	len += enc(stream + len, want[n++], 0);

	drc_chunk_dec_init(&d, 0, 0, 0, sizes, 2);
	while (k < n) {
		/* the bytes arrive in pieces of 1 .. 100000 */
		if (have < len)
			have += 1 + randombytes_uniform(100000);
		if (have > len)
			have = len;
		while ((r = drc_chunk_decode(&d, stream + pos, have - pos, &got,
		    &used, err, sizeof(err))) == 1) {
			assert_int_equal(got.type, want[k].type);
			assert_int_equal(got.disk, want[k].disk);
			assert_int_equal(got.seq, want[k].seq);
			assert_int_equal(got.offset, want[k].offset);
			assert_int_equal(got.length, want[k].length);
			if (got.type == DRC_CHUNK_DATA) {
				assert_ptr_equal(got.payload,
				    stream + pos + DRC_CHUNK_HDR);
				assert_int_equal(used, DRC_CHUNK_HDR +
				    got.length);
			} else {
				assert_null(got.payload);
				assert_int_equal(used, DRC_CHUNK_HDR);
			}
			pos += used;
			k++;
		}
		assert_int_equal(r, 0);
		assert_int_equal(used, 0);
	}
	assert_int_equal(pos, len);
	assert_true(d.done);
	assert_int_equal(d.frames, n);
	assert_int_equal(d.disk, 2);
	free(stream);
}

/* Every proper prefix of a frame: "need more", nothing taken, no change. */
static void
test_truncated(void **state)
{
	static uint8_t w[DRC_CHUNK_HDR + 1000];
	struct drc_chunk_dec d, before;
	struct drc_chunk c;
	size_t len, cut, used;
	char err[256];
	int t;

	(void)state;
	for (t = 0; t < 2; t++) {
		len = enc(w, (struct drc_chunk){ t ? DRC_CHUNK_ZERO :
		    DRC_CHUNK_DATA, 0, 0, 4096, 1000, NULL }, 3);
		drc_chunk_dec_init(&d, 0, 0, 0, sizes, 2);
		before = d;
		for (cut = 0; cut < len; cut++) {
			used = 99;
			assert_int_equal(drc_chunk_decode(&d, w, cut, &c, &used,
			    err, sizeof(err)), 0);
			assert_int_equal(used, 0);
			assert_memory_equal(&d, &before, sizeof(d));
		}
		assert_int_equal(drc_chunk_decode(&d, w, len, &c, &used, err,
		    sizeof(err)), 1);
		assert_int_equal(used, len);
		assert_int_equal(d.next_seq, 1);
	}
}

/* --- hostile frames ----------------------------------------------------- */

enum hashmode { H_OK, H_BAD };
enum pre { P_NONE, P_DISK1, P_DONE, P_ACK };

struct bad_case {
	const char	*name;
	enum pre	 pre;
	uint32_t	 magic;
	uint8_t		 version, type;
	uint16_t	 disk;
	uint64_t	 seq, offset;
	uint32_t	 length, paylen;
	enum hashmode	 hash;
	const char	*expected;	/* NULL: accepted */
};

#define M	DRC_CHUNK_MAGIC
#define V	DRC_CHUNK_VERSION
#define D	DRC_CHUNK_DATA
#define Z	DRC_CHUNK_ZERO
#define ED	DRC_CHUNK_END_DISK
#define EP	DRC_CHUNK_END_POINT
#define A	DRC_CHUNK_ACK
#define MAX	DRC_CHUNK_PAYLOAD_MAX
#define T(n, p, m, v, t, d, s, o, l, pl, h, e) \
	{ n, p, m, v, t, d, s, o, l, pl, h, e }
static const struct bad_case bad_cases[] = {
	T("good data", P_NONE, M, V, D, 0, 0, 4096, 100, 100, H_OK, NULL),
	T("good zero", P_NONE, M, V, Z, 0, 0, 0, MIB, 0, H_OK, NULL),
	T("magic", P_NONE, M + 1, V, D, 0, 0, 0, 100, 100, H_OK,
	    "chunk: magic: 0x56474453, expected 0x56474452"),
	T("version", P_NONE, M, V + 1, D, 0, 0, 0, 100, 100, H_OK,
	    "chunk: version: 2, this side speaks 1"),
	T("type 0", P_NONE, M, V, 0, 0, 0, 0, 0, 0, H_OK,
	    "chunk 0: type: 0 unknown"),
	T("type 6", P_NONE, M, V, 6, 0, 0, 0, 0, 0, H_OK,
	    "chunk 0: type: 6 unknown"),
	T("seq", P_NONE, M, V, D, 0, 5, 0, 100, 100, H_OK,
	    "chunk 5: seq: expected 0"),
	T("data too long", P_NONE, M, V, D, 0, 0, 0, MAX + 1, MAX + 1, H_OK,
	    "chunk 0: length: 4194305 not in 1..4194304"),
	T("data empty", P_NONE, M, V, D, 0, 0, 0, 0, 0, H_OK,
	    "chunk 0: length: 0 not in 1..4194304"),
	T("data paylen short", P_NONE, M, V, D, 0, 0, 0, 100, 10, H_OK,
	    "chunk 0: paylen: 10 for DATA of length 100"),
	T("data paylen huge", P_NONE, M, V, D, 0, 0, 0, 100, UINT32_MAX, H_OK,
	    "chunk 0: paylen: 4294967295 for DATA of length 100"),
	T("zero with payload", P_NONE, M, V, Z, 0, 0, 0, 4096, 16, H_OK,
	    "chunk 0: paylen: 16 for ZERO of length 4096"),
	T("zero empty", P_NONE, M, V, Z, 0, 0, 0, 0, 0, H_OK,
	    "chunk 0: length: 0 not in 1..4294967295"),
	T("offset overflow", P_NONE, M, V, Z, 0, 0, UINT64_MAX - 10, 4096, 0,
	    H_OK, "chunk 0: offset: 18446744073709551605+4096 beyond disk 0's "
	    "end (1048576)"),
	T("past the disk", P_NONE, M, V, D, 0, 0, MIB - 50, 100, 100, H_OK,
	    "chunk 0: offset: 1048526+100 beyond disk 0's end (1048576)"),
	T("other disk", P_NONE, M, V, D, 1, 0, 0, 100, 100, H_OK,
	    "chunk 0: disk: 1, expected 0 (of 2)"),
	T("disk past the end", P_DISK1, M, V, D, 2, 0, 0, 100, 100, H_OK,
	    "chunk 0: disk: 2, expected 1 (of 2)"),
	T("end disk size", P_NONE, M, V, ED, 0, 0, 4096, 0, 0, H_OK,
	    "chunk 0: END_DISK: size 4096 length 0, expected 1048576 and 0"),
	T("end disk length", P_NONE, M, V, ED, 0, 0, MIB, 1, 0, H_OK,
	    "chunk 0: END_DISK: size 1048576 length 1, expected 1048576 and 0"),
	T("end point early", P_DISK1, M, V, EP, 0, 0, 0, 0, 0, H_OK,
	    "chunk 0: END_POINT: disk 1 of 2 not ended"),
	T("end point offset", P_NONE, M, V, EP, 0, 0, 1, 0, 0, H_OK,
	    "chunk 0: END_POINT: disk, offset and length must be 0"),
	T("after end point", P_DONE, M, V, D, 0, 0, 0, 100, 100, H_OK,
	    "chunk 0: type: DATA after END_POINT"),
	T("ack in a point", P_NONE, M, V, A, 0, 0, 0, 0, 0, H_OK,
	    "chunk 0: type: ACK in a point"),
	T("payload hash", P_NONE, M, V, D, 0, 0, 4096, 100, 100, H_BAD,
	    "chunk 0: hash: mismatch (DATA at disk 0 offset 4096)"),
	T("header hash", P_NONE, M, V, Z, 0, 0, 8192, 100, 0, H_BAD,
	    "chunk 0: hash: mismatch (ZERO at disk 0 offset 8192)"),
	T("good ack", P_ACK, M, V, A, 0, 7, 0, 0, 0, H_OK, NULL),
	T("ack goes back", P_ACK, M, V, A, 0, 4, 0, 0, 0, H_OK,
	    "ack 4: seq: below 5"),
	T("ack with offset", P_ACK, M, V, A, 0, 9, 4096, 0, 0, H_OK,
	    "ack 9: disk, offset, length and paylen must be 0"),
	T("data as ack", P_ACK, M, V, D, 0, 5, 0, 100, 100, H_OK,
	    "ack: type: DATA, expected ACK"),
};
#undef T

/* The frame of a case; returns the bytes available (payload capped). */
static size_t
build(uint8_t *w, const struct bad_case *bc)
{
	size_t pl = bc->paylen > 4096 ? 0 : bc->paylen;

	memset(w, 0, DRC_CHUNK_HDR);
	put_be(w, bc->magic, 4);
	w[4] = bc->version;
	w[5] = bc->type;
	put_be(w + 6, bc->disk, 2);
	put_be(w + 8, bc->seq, 8);
	put_be(w + 16, bc->offset, 8);
	put_be(w + 24, bc->length, 4);
	put_be(w + 28, bc->paylen, 4);
	fill(w + DRC_CHUNK_HDR, pl, 1);
	if (bc->type == DRC_CHUNK_DATA)
		crypto_generichash(w + 32, 32, w + DRC_CHUNK_HDR, pl, NULL, 0);
	else
		crypto_generichash(w + 32, 32, w, 32, NULL, 0);
	if (bc->hash == H_BAD)
		w[bc->type == DRC_CHUNK_DATA ? DRC_CHUNK_HDR + 50 : 63] ^= 1;
	return DRC_CHUNK_HDR + pl;
}

static void
dec_for(struct drc_chunk_dec *d, enum pre pre)
{
	drc_chunk_dec_init(d, pre == P_ACK, pre == P_ACK ? 5 : 0,
	    pre == P_DISK1 ? 1 : 0, sizes, 2);
	if (pre == P_DONE)
		d->done = 1;
}

static void
test_hostile(void **state)
{
	static uint8_t w[DRC_CHUNK_HDR + 4096];
	struct drc_chunk_dec d;
	struct drc_chunk c;
	char err[256];
	size_t i, avail, used;
	int r;

	(void)state;
	for (i = 0; i < nitems(bad_cases); i++) {
		const struct bad_case *bc = &bad_cases[i];

		avail = build(w, bc);
		dec_for(&d, bc->pre);
		err[0] = '\0';
		r = drc_chunk_decode(&d, w, avail, &c, &used, err, sizeof(err));
		if (bc->expected == NULL) {
			if (r != 1)
				fail_msg("%s: refused: %s", bc->name, err);
			continue;
		}
		if (r != -1 || strcmp(err, bc->expected) != 0)
			fail_msg("%s: got %d \"%s\", want \"%s\"", bc->name, r,
			    err, bc->expected);
		assert_int_equal(used, 0);
		assert_true(d.failed);
		assert_int_equal(d.frames, 0);
		/* failed for good: a good frame is refused now */
		avail = enc(w, (struct drc_chunk){ DRC_CHUNK_ZERO, 0, 0, 0, 512,
		    NULL }, 0);
		assert_int_equal(drc_chunk_decode(&d, w, avail, &c, &used, err,
		    sizeof(err)), -1);
		assert_string_equal(err, "chunk: the stream failed already");
	}
}

/* A bad length is refused from the header alone, before any payload. */
static void
test_header_first(void **state)
{
	static uint8_t w[DRC_CHUNK_HDR];
	struct drc_chunk_dec d;
	struct drc_chunk c;
	char err[256];
	size_t used;

	(void)state;
	memset(w, 0, sizeof(w));
	put_be(w, DRC_CHUNK_MAGIC, 4);
	w[4] = DRC_CHUNK_VERSION;
	w[5] = DRC_CHUNK_DATA;
	put_be(w + 24, MAX + 1, 4);
	put_be(w + 28, MAX + 1, 4);
	drc_chunk_dec_init(&d, 0, 0, 0, NULL, 0);
	assert_int_equal(drc_chunk_decode(&d, w, DRC_CHUNK_HDR - 1, &c, &used,
	    err, sizeof(err)), 0);
	assert_int_equal(drc_chunk_decode(&d, w, DRC_CHUNK_HDR, &c, &used, err,
	    sizeof(err)), -1);
	assert_string_equal(err, "chunk 0: length: 4194305 not in 1..4194304");
}

/* Without sizes (n_disks 0) disks and ranges are not bounded. */
static void
test_unbounded(void **state)
{
	static uint8_t w[DRC_CHUNK_HDR];
	struct drc_chunk_dec d;
	struct drc_chunk c;
	char err[256];
	size_t used, len;

	(void)state;
	drc_chunk_dec_init(&d, 0, 10, 3, NULL, 0);
	len = enc(w, (struct drc_chunk){ DRC_CHUNK_ZERO, 3, 10, 1ull << 50,
	    UINT32_MAX, NULL }, 0);
	assert_int_equal(drc_chunk_decode(&d, w, len, &c, &used, err,
	    sizeof(err)), 1);
	len = enc(w, (struct drc_chunk){ DRC_CHUNK_END_DISK, 3, 11, 12345, 0,
	    NULL }, 0);
	assert_int_equal(drc_chunk_decode(&d, w, len, &c, &used, err,
	    sizeof(err)), 1);
	len = enc(w, (struct drc_chunk){ DRC_CHUNK_END_POINT, 0, 12, 0, 0,
	    NULL }, 0);
	assert_int_equal(drc_chunk_decode(&d, w, len, &c, &used, err,
	    sizeof(err)), 1);
	assert_true(d.done);
}

static void
test_encode_limits(void **state)
{
	uint8_t w[DRC_CHUNK_HDR], p[1] = { 0 };
	struct drc_chunk c = { DRC_CHUNK_DATA, 0, 3, 0, MAX + 1, p };
	char err[256];

	(void)state;
	assert_int_equal(drc_chunk_encode(w, &c, err, sizeof(err)), -1);
	assert_string_equal(err, "chunk 3: length: 4194305 not in 1..4194304 "
	    "with a payload");
	c.length = 1;
	c.payload = NULL;
	assert_int_equal(drc_chunk_encode(w, &c, err, sizeof(err)), -1);
	c.type = 9;
	assert_int_equal(drc_chunk_encode(w, &c, err, sizeof(err)), -1);
	assert_string_equal(err, "chunk 3: type: 9 unknown");
	assert_string_equal(drc_chunk_type_str(DRC_CHUNK_END_POINT),
	    "END_POINT");
	assert_string_equal(drc_chunk_type_str(77), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_header_first),
		cmocka_unit_test(test_unbounded),
		cmocka_unit_test(test_encode_limits),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
