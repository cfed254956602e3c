/*
 * test_noise.c - the Noise implementation against the published cacophony
 * test vectors (every pattern, cipher and hash the code supports), plus
 * hostile input: tampered, truncated and misaddressed handshake messages,
 * bad parameters, protocol names, HMAC, rekey and nonce exhaustion.
 *
 * The vector file is $VMGW_NOISE_VECTORS, else
 * $VMGW_SOURCE_DIR/../shared/noise/cacophony-25519.json, else the same path
 * under the source directory this test was compiled from.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "noise.h"
#include "noise_int.h"

#define VECTORS_REL	"/../shared/noise/cacophony-25519.json"
#define MSG_MAX		NOISE_MAX_MSG

/* --- the vector file ---------------------------------------------------- */

/*
 * $VMGW_NOISE_VECTORS, else ../shared/noise next to the source tree, else
 * (a checkout without it) the copy of the same published file that the
 * repository carries in tests/unit/data.
 */
static const char *
vectors_path(char *buf, size_t len)
{
	const char	*p;
	const char	*src;

	if ((p = getenv("VMGW_NOISE_VECTORS")) != NULL && *p != '\0')
		return p;
	if ((src = getenv("VMGW_SOURCE_DIR")) == NULL || *src == '\0')
		src = VMGW_SOURCE_DIR;
	snprintf(buf, len, "%s%s", src, VECTORS_REL);
	if (access(buf, R_OK) == 0)
		return buf;
	snprintf(buf, len, "%s/tests/unit/data/cacophony-25519.json", src);
	return buf;
}

/* 1 present, 0 absent, -1 not hex or too long. */
static int
get_hex(const json_t *v, const char *key, uint8_t *out, size_t cap,
    size_t *len)
{
	const json_t *j = json_object_get(v, key);
	const char *hex;

	*len = 0;
	if (j == NULL)
		return 0;
	if ((hex = json_string_value(j)) == NULL ||
	    sodium_hex2bin(out, cap, hex, strlen(hex), NULL, len, NULL) != 0)
		return -1;
	return 1;
}

/* A 32-byte key that must be exactly that long when present. */
static int
get_key(const json_t *v, const char *key, uint8_t out[32], int *present)
{
	size_t len;
	int r = get_hex(v, key, out, 32, &len);

	*present = r == 1;
	return r == -1 || (r == 1 && len != 32) ? -1 : 0;
}

struct side {
	uint8_t	prologue[1024];
	size_t	prologue_len;
	uint8_t	s[32], e[32], rs[32], re[32];
	int	has_s, has_e, has_rs, has_re;
	uint8_t	psks[NOISE_MAX_PSKS][NOISE_PSKLEN];
	size_t	npsks;
};

static int
load_side(const json_t *v, const char *who, struct side *sd)
{
	char k[64];
	const json_t *psks, *p;
	size_t i, len;

	memset(sd, 0, sizeof(*sd));
	snprintf(k, sizeof(k), "%s_prologue", who);
	if (get_hex(v, k, sd->prologue, sizeof(sd->prologue),
	    &sd->prologue_len) == -1)
		return -1;
#define KEY(field, name) do {						\
	snprintf(k, sizeof(k), "%s_" name, who);			\
	if (get_key(v, k, sd->field, &sd->has_##field) == -1)		\
		return -1;						\
} while (0)
	KEY(s, "static");
	KEY(e, "ephemeral");
	KEY(rs, "remote_static");
	KEY(re, "remote_ephemeral");
#undef KEY
	snprintf(k, sizeof(k), "%s_psks", who);
	if ((psks = json_object_get(v, k)) == NULL)
		return 0;
	if (!json_is_array(psks) || json_array_size(psks) > NOISE_MAX_PSKS)
		return -1;
	json_array_foreach(psks, i, p) {
		const char *hex = json_string_value(p);

		if (hex == NULL || sodium_hex2bin(sd->psks[i], NOISE_PSKLEN,
		    hex, strlen(hex), NULL, &len, NULL) != 0 ||
		    len != NOISE_PSKLEN)
			return -1;
	}
	sd->npsks = json_array_size(psks);
	return 0;
}

static struct noise_handshake *
side_handshake(const char *name, int initiator, const struct side *sd)
{
	struct noise_params pa = {
		.protocol_name = name,
		.initiator = initiator,
		.prologue = sd->prologue,
		.prologue_len = sd->prologue_len,
		.s = sd->has_s ? sd->s : NULL,
		.e = sd->has_e ? sd->e : NULL,
		.rs = sd->has_rs ? sd->rs : NULL,
		.re = sd->has_re ? sd->re : NULL,
		.psks = sd->npsks > 0 ? sd->psks : NULL,
		.npsks = sd->npsks,
	};

	return noise_handshake_new(&pa);
}

/* The pattern family a vector counts in, for the summary. */
enum family { FAM_FUNDAMENTAL, FAM_ONEWAY, FAM_DEFERRED, FAM_PSK, FAM_N };
static const char *const family_name[FAM_N] = {
	"fundamental", "one-way", "deferred", "psk"
};

static enum family
family_of(const struct noise_protocol *p, const char *name)
{
	if (strstr(name, "psk") != NULL)
		return FAM_PSK;
	if (p->one_way)
		return FAM_ONEWAY;
	if (strchr(p->pattern, '1') != NULL)
		return FAM_DEFERRED;
	return FAM_FUNDAMENTAL;
}

struct run {
	struct noise_handshake	*hs_i, *hs_r;
	struct noise_cipherstate i_c1, i_c2, r_c1, r_c2;
	uint8_t			 payload[MSG_MAX], ct[MSG_MAX + 64];
	uint8_t			 out[MSG_MAX + 64], got[MSG_MAX];
};

#define FAILV(...) do { snprintf(why, whylen, __VA_ARGS__); goto out; } \
	while (0)

/* One handshake message: writer's bytes must be the vector's, reader agrees. */
static int
vector_hs_message(struct run *r, size_t m, size_t plen, size_t ctlen,
    char *why, size_t whylen)
{
	struct noise_handshake *w = m % 2 == 0 ? r->hs_i : r->hs_r;
	struct noise_handshake *rd = m % 2 == 0 ? r->hs_r : r->hs_i;
	size_t outlen, gotlen;
	int ret = -1;

	if (!noise_handshake_my_turn(w) || noise_handshake_my_turn(rd))
		FAILV("message %zu: wrong turn", m);
	if (noise_write_message(w, r->out, sizeof(r->out), &outlen,
	    r->payload, plen) == -1)
		FAILV("message %zu: write failed: %s", m, strerror(errno));
	if (outlen != ctlen || memcmp(r->out, r->ct, ctlen) != 0)
		FAILV("message %zu: ciphertext differs (%zu vs %zu bytes)", m,
		    outlen, ctlen);
	if (noise_read_message(rd, r->got, sizeof(r->got), &gotlen, r->ct,
	    ctlen) == -1)
		FAILV("message %zu: read failed: %s", m, strerror(errno));
	if (gotlen != plen || memcmp(r->got, r->payload, plen) != 0)
		FAILV("message %zu: payload differs", m);
	ret = 0;
out:
	return ret;
}

static int
vector_transport_message(struct run *r, size_t m, int from_init,
    size_t plen, size_t ctlen, char *why, size_t whylen)
{
	struct noise_cipherstate *tx = from_init ? &r->i_c1 : &r->r_c2;
	struct noise_cipherstate *rx = from_init ? &r->r_c1 : &r->i_c2;
	int ret = -1;

	if (ctlen != plen + NOISE_TAGLEN)
		FAILV("message %zu: transport length", m);
	if (noise_encrypt(tx, r->out, NULL, 0, r->payload, plen) == -1)
		FAILV("message %zu: encrypt failed", m);
	if (memcmp(r->out, r->ct, ctlen) != 0)
		FAILV("message %zu: transport ciphertext differs (%s)", m,
		    from_init ? "initiator" : "responder");
	if (noise_decrypt(rx, r->got, NULL, 0, r->ct, ctlen) == -1 ||
	    memcmp(r->got, r->payload, plen) != 0)
		FAILV("message %zu: transport decrypt failed", m);
	ret = 0;
out:
	return ret;
}

static int
vector_check_hash(struct run *r, const json_t *v, char *why, size_t whylen)
{
	uint8_t want[NOISE_HASHLEN_MAX], hi[NOISE_HASHLEN_MAX];
	uint8_t hr[NOISE_HASHLEN_MAX];
	size_t wantlen, li, lr;
	int ret = -1;

	if (get_hex(v, "handshake_hash", want, sizeof(want), &wantlen) != 1)
		FAILV("no handshake_hash");
	li = noise_handshake_hash(r->hs_i, hi, sizeof(hi));
	lr = noise_handshake_hash(r->hs_r, hr, sizeof(hr));
	if (li != wantlen || lr != wantlen || memcmp(hi, want, li) != 0 ||
	    memcmp(hr, want, lr) != 0)
		FAILV("handshake hash differs");
	if (noise_split(r->hs_i, &r->i_c1, &r->i_c2) == -1 ||
	    noise_split(r->hs_r, &r->r_c1, &r->r_c2) == -1)
		FAILV("split failed");
	ret = 0;
out:
	return ret;
}

/*
 * 0 passed, -1 failed (why says how), 1 skipped (not supported here).
 *
 * Message i of a vector is the initiator's when i is even: the transport
 * messages continue the handshake's alternation (after XX's three messages
 * the responder sends first), except in one-way patterns, where only the
 * initiator ever sends.
 */
static int
run_vector(const json_t *v, struct run *r, char *why, size_t whylen)
{
	const char *name = json_string_value(json_object_get(v,
	    "protocol_name"));
	const json_t *msgs, *m;
	struct side si, sr;
	struct noise_protocol proto;
	size_t i, plen, ctlen, nhs = 0;
	int ret = -1;

	memset(r, 0, sizeof(*r));
	if (name == NULL)
		FAILV("no protocol_name");
	if (!noise_protocol_supported(name))
		return 1;
	if (noise_protocol_parse(&proto, name) == -1)
		FAILV("%s: parse failed", name);
	if (load_side(v, "init", &si) == -1 || load_side(v, "resp", &sr) == -1)
		FAILV("%s: bad keys in vector", name);
	if ((r->hs_i = side_handshake(name, 1, &si)) == NULL)
		FAILV("%s: initiator: %s", name, strerror(errno));
	if ((r->hs_r = side_handshake(name, 0, &sr)) == NULL)
		FAILV("%s: responder: %s", name, strerror(errno));
	if ((msgs = json_object_get(v, "messages")) == NULL ||
	    !json_is_array(msgs))
		FAILV("%s: no messages", name);

	json_array_foreach(msgs, i, m) {
		if (get_hex(m, "payload", r->payload, sizeof(r->payload),
		    &plen) != 1 || get_hex(m, "ciphertext", r->ct,
		    sizeof(r->ct), &ctlen) != 1)
			FAILV("%s: message %zu: bad hex", name, i);
		if (!noise_handshake_done(r->hs_i)) {
			if (vector_hs_message(r, i, plen, ctlen, why,
			    whylen) == -1)
				goto named;
			nhs = i + 1;
			if (noise_handshake_done(r->hs_i) !=
			    noise_handshake_done(r->hs_r))
				FAILV("%s: sides disagree on the end", name);
			if (noise_handshake_done(r->hs_i) &&
			    vector_check_hash(r, v, why, whylen) == -1)
				goto named;
		} else if (vector_transport_message(r, i, proto.one_way ||
		    i % 2 == 0, plen, ctlen, why, whylen) == -1)
			goto named;
	}
	if (nhs != proto.nmsgs || !noise_handshake_done(r->hs_i))
		FAILV("%s: handshake incomplete", name);
	ret = 0;
	goto out;
named:
	{
		char tmp[256];

		snprintf(tmp, sizeof(tmp), "%s: %s", name, why);
		snprintf(why, whylen, "%s", tmp);
	}
out:
	noise_handshake_free(r->hs_i);
	noise_handshake_free(r->hs_r);
	noise_cipher_wipe(&r->i_c1);
	noise_cipher_wipe(&r->i_c2);
	noise_cipher_wipe(&r->r_c1);
	noise_cipher_wipe(&r->r_c2);
	return ret;
}

static void
test_vectors(void **state)
{
	char buf[4096], why[512];
	const char *path = vectors_path(buf, sizeof(buf));
	json_error_t jerr;
	json_t *root, *vecs, *v;
	struct run *r;
	struct noise_protocol proto;
	size_t i, run = 0, skipped = 0, failed = 0;
	size_t fam_run[FAM_N] = { 0 }, fam_pass[FAM_N] = { 0 };
	enum family f;
	int res;

	root = json_load_file(path, 0, &jerr);
	if (root == NULL)
		fail_msg("noise vectors: cannot load %s (%s); set "
		    "VMGW_NOISE_VECTORS to the cacophony JSON file", path,
		    jerr.text);
	vecs = json_object_get(root, "vectors");
	assert_true(json_is_array(vecs));
	r = malloc(sizeof(*r));
	assert_non_null(r);

	json_array_foreach(vecs, i, v) {
		why[0] = '\0';
		res = run_vector(v, r, why, sizeof(why));
		if (res == 1) {
			skipped++;
			continue;
		}
		run++;
		f = FAM_FUNDAMENTAL;
		if (noise_protocol_parse(&proto, json_string_value(
		    json_object_get(v, "protocol_name"))) == 0)
			f = family_of(&proto, json_string_value(
			    json_object_get(v, "protocol_name")));
		fam_run[f]++;
		if (res == 0)
			fam_pass[f]++;
		else {
			failed++;
			print_error("noise vector %zu: %s\n", i, why);
		}
	}
	free(r);
	json_decref(root);

	printf("noise vectors: from %s\n", path);
	printf("noise vectors: %zu run, %zu skipped, %zu failed\n", run,
	    skipped, failed);
	for (f = 0; f < FAM_N; f++)
		printf("noise vectors: %-11s %3zu/%zu passed\n",
		    family_name[f], fam_pass[f], fam_run[f]);
	assert_int_equal(failed, 0);
	assert_true(run > 0);
	if (!noise_cipher_available(NOISE_CIPHER_AESGCM))
		printf("noise vectors: AESGCM not available on this CPU\n");
	else
		assert_int_equal(skipped, 0);
}

/* --- a live IK pair for the hostile cases ------------------------------- */

#define IK_NAME	"Noise_IK_25519_ChaChaPoly_BLAKE2b"

struct ik {
	uint8_t	is[32], ipub[32], rs[32], rpub[32];
	struct noise_handshake *hs_i, *hs_r;
	uint8_t	msg[512], pl[512];
	size_t	msglen, pllen;
};

static struct noise_handshake *
ik_new(struct ik *k, int initiator, const uint8_t *rs_override)
{
	struct noise_params pa = {
		.protocol_name = IK_NAME,
		.initiator = initiator,
		.prologue = (const uint8_t *)"vmgw",
		.prologue_len = 4,
		.s = initiator ? k->is : k->rs,
		.rs = initiator ? (rs_override ? rs_override : k->rpub) : NULL,
	};

	return noise_handshake_new(&pa);
}

static int
ik_setup(void **state)
{
	struct ik *k = calloc(1, sizeof(*k));

	if (k == NULL || noise_dh_keypair(k->ipub, k->is) == -1 ||
	    noise_dh_keypair(k->rpub, k->rs) == -1)
		return -1;
	k->hs_i = ik_new(k, 1, NULL);
	k->hs_r = ik_new(k, 0, NULL);
	if (k->hs_i == NULL || k->hs_r == NULL)
		return -1;
	/* message 1, initiator -> responder */
	if (noise_write_message(k->hs_i, k->msg, sizeof(k->msg), &k->msglen,
	    (const uint8_t *)"hello", 5) == -1)
		return -1;
	*state = k;
	return 0;
}

static int
ik_teardown(void **state)
{
	struct ik *k = *state;

	if (k != NULL) {
		noise_handshake_free(k->hs_i);
		noise_handshake_free(k->hs_r);
		free(k);
	}
	return 0;
}

/* A poisoned responder refuses even the untouched message and cannot write. */
static void
assert_poisoned(struct ik *k)
{
	uint8_t out[256], rs[32];
	size_t len = 1;

	assert_int_equal(noise_read_message(k->hs_r, k->pl, sizeof(k->pl),
	    &len, k->msg, k->msglen), -1);
	assert_int_equal(len, 0);
	assert_int_equal(noise_write_message(k->hs_r, out, sizeof(out), &len,
	    NULL, 0), -1);
	assert_false(noise_handshake_my_turn(k->hs_r));
	assert_false(noise_handshake_done(k->hs_r));
	assert_int_equal(noise_remote_static(k->hs_r, rs), -1);
}

static void
test_ik_roundtrip(void **state)
{
	struct ik *k = *state;
	struct noise_cipherstate i1, i2, r1, r2, t1, t2;
	uint8_t rs[32], out[256], hi[64], hr[64], buf[64];
	size_t len;

	assert_int_equal(k->msglen, 32 + 48 + 5 + 16);
	assert_int_equal(noise_read_message(k->hs_r, k->pl, sizeof(k->pl),
	    &k->pllen, k->msg, k->msglen), 0);
	assert_int_equal(k->pllen, 5);
	assert_memory_equal(k->pl, "hello", 5);
	assert_int_equal(noise_remote_static(k->hs_r, rs), 0);
	assert_memory_equal(rs, k->ipub, 32);
	assert_true(noise_handshake_my_turn(k->hs_r));
	assert_int_equal(noise_write_message(k->hs_r, out, sizeof(out), &len,
	    NULL, 0), 0);
	assert_int_equal(len, 32 + 16);
	assert_int_equal(noise_read_message(k->hs_i, k->pl, sizeof(k->pl),
	    &k->pllen, out, len), 0);
	assert_true(noise_handshake_done(k->hs_i));
	assert_true(noise_handshake_done(k->hs_r));
	assert_int_equal(noise_handshake_hash(k->hs_i, hi, sizeof(hi)), 64);
	assert_int_equal(noise_handshake_hash(k->hs_r, hr, sizeof(hr)), 64);
	assert_memory_equal(hi, hr, 64);
	assert_int_equal(noise_split(k->hs_i, &i1, &i2), 0);
	assert_int_equal(noise_split(k->hs_r, &r1, &r2), 0);
	/* once only; a refused split leaves its outputs zeroed */
	assert_int_equal(noise_split(k->hs_r, &t1, &t2), -1);
	assert_false(t1.has_key);
	assert_false(t2.has_key);
	/* the hash stays readable after split */
	assert_int_equal(noise_handshake_hash(k->hs_r, hr, sizeof(hr)), 64);
	assert_memory_equal(hi, hr, 64);

	assert_int_equal(noise_encrypt(&i1, buf, NULL, 0,
	    (const uint8_t *)"abc", 3), 0);
	assert_int_equal(noise_decrypt(&r1, buf, NULL, 0, buf, 3 + 16), 0);
	assert_memory_equal(buf, "abc", 3);
	assert_int_equal(noise_encrypt(&r2, buf, NULL, 0,
	    (const uint8_t *)"xyz", 3), 0);
	assert_int_equal(noise_decrypt(&i2, buf, NULL, 0, buf, 3 + 16), 0);
	assert_memory_equal(buf, "xyz", 3);
	/* the directions have different keys */
	assert_memory_not_equal(i1.k, i2.k, 32);
	noise_cipher_wipe(&i1);
	noise_cipher_wipe(&r1);
	noise_cipher_wipe(&r2);
	noise_cipher_wipe(&i2);
}

static void
test_ik_flip_static(void **state)
{
	struct ik *k = *state;

	k->msg[32 + 5] ^= 0x04;		/* inside the encrypted s */
	assert_int_equal(noise_read_message(k->hs_r, k->pl, sizeof(k->pl),
	    &k->pllen, k->msg, k->msglen), -1);
	k->msg[32 + 5] ^= 0x04;
	assert_poisoned(k);
}

static void
test_ik_flip_payload(void **state)
{
	struct ik *k = *state;

	k->msg[k->msglen - 1] ^= 0x80;	/* the payload's tag */
	assert_int_equal(noise_read_message(k->hs_r, k->pl, sizeof(k->pl),
	    &k->pllen, k->msg, k->msglen), -1);
	k->msg[k->msglen - 1] ^= 0x80;
	assert_poisoned(k);
}

static void
test_ik_flip_ephemeral(void **state)
{
	struct ik *k = *state;

	k->msg[3] ^= 0x01;
	assert_int_equal(noise_read_message(k->hs_r, k->pl, sizeof(k->pl),
	    &k->pllen, k->msg, k->msglen), -1);
	k->msg[3] ^= 0x01;
	assert_poisoned(k);
}

static void
test_ik_truncated(void **state)
{
	struct ik *k = *state;
	struct noise_handshake *r2;

	assert_int_equal(noise_read_message(k->hs_r, k->pl, sizeof(k->pl),
	    &k->pllen, k->msg, k->msglen - 1), -1);
	assert_poisoned(k);

	/* cut inside e, inside s, and an empty message, each on a fresh one */
	static const size_t cuts[] = { 0, 31, 32 + 47, 32 + 48 + 15 };
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		r2 = ik_new(k, 0, NULL);
		assert_non_null(r2);
		assert_int_equal(noise_read_message(r2, k->pl, sizeof(k->pl),
		    &k->pllen, k->msg, cuts[i]), -1);
		noise_handshake_free(r2);
	}
}

static void
test_ik_payload_too_big_for_buffer(void **state)
{
	struct ik *k = *state;

	assert_int_equal(noise_read_message(k->hs_r, k->pl, 4, &k->pllen,
	    k->msg, k->msglen), -1);
	assert_poisoned(k);
}

static void
test_ik_wrong_rs(void **state)
{
	struct ik *k = *state;
	uint8_t other[32], otherpriv[32], msg[256];
	struct noise_handshake *i2;
	size_t len;

	assert_int_equal(noise_dh_keypair(other, otherpriv), 0);
	i2 = ik_new(k, 1, other);
	assert_non_null(i2);
	assert_int_equal(noise_write_message(i2, msg, sizeof(msg), &len,
	    (const uint8_t *)"hello", 5), 0);
	assert_int_equal(noise_read_message(k->hs_r, k->pl, sizeof(k->pl),
	    &k->pllen, msg, len), -1);
	assert_poisoned(k);
	noise_handshake_free(i2);
}

static void
test_ik_low_order_ephemeral(void **state)
{
	struct ik *k = *state;

	memset(k->msg, 0, 32);		/* e = 0: es is all zeros */
	assert_int_equal(noise_read_message(k->hs_r, k->pl, sizeof(k->pl),
	    &k->pllen, k->msg, k->msglen), -1);
	assert_poisoned(k);
}

static void
test_ik_wrong_turn(void **state)
{
	struct ik *k = *state;
	uint8_t out[256];
	size_t len;

	/* the initiator must read now; writing again is a protocol error */
	assert_int_equal(noise_write_message(k->hs_i, out, sizeof(out), &len,
	    NULL, 0), -1);
	assert_false(noise_handshake_my_turn(k->hs_i));
	/* the responder must read; writing first is refused */
	assert_int_equal(noise_write_message(k->hs_r, out, sizeof(out), &len,
	    NULL, 0), -1);
	assert_poisoned(k);
}

static void
test_write_too_small(void **state)
{
	struct ik *k = *state;
	struct noise_handshake *i2 = ik_new(k, 1, NULL);
	uint8_t out[64] = { 0 };
	size_t len = 7;

	assert_non_null(i2);
	assert_int_equal(noise_write_message(i2, out, sizeof(out), &len,
	    NULL, 0), -1);
	assert_int_equal(len, 0);
	assert_true(sodium_is_zero(out, sizeof(out)));
	noise_handshake_free(i2);
}

/* --- parameters and names ------------------------------------------------ */

static void
test_new_bad_params(void **state)
{
	uint8_t s[32], pub[32], psk[1][32] = { { 1 } };
	struct noise_params pa;

	(void)state;
	assert_int_equal(noise_dh_keypair(pub, s), 0);
#define NEW(expect_errno, ...) do {					\
	struct noise_handshake *hs_;					\
	pa = (struct noise_params){ __VA_ARGS__ };			\
	errno = 0;							\
	hs_ = noise_handshake_new(&pa);					\
	if ((expect_errno) == 0)					\
		assert_non_null(hs_);					\
	else {								\
		assert_null(hs_);					\
		assert_int_equal(errno, (expect_errno));		\
	}								\
	noise_handshake_free(hs_);					\
} while (0)
	/* IK initiator: needs s and rs */
	NEW(0, .protocol_name = IK_NAME, .initiator = 1, .s = s, .rs = pub);
	NEW(EINVAL, .protocol_name = IK_NAME, .initiator = 1, .s = s);
	NEW(EINVAL, .protocol_name = IK_NAME, .initiator = 1, .rs = pub);
	/* IK responder: needs s, must not get rs (it is sent) */
	NEW(0, .protocol_name = IK_NAME, .initiator = 0, .s = s);
	NEW(EINVAL, .protocol_name = IK_NAME, .initiator = 0);
	NEW(EINVAL, .protocol_name = IK_NAME, .initiator = 0, .s = s,
	    .rs = pub);
	/* NN: no statics at all */
	NEW(0, .protocol_name = "Noise_NN_25519_ChaChaPoly_SHA256");
	NEW(EINVAL, .protocol_name = "Noise_NN_25519_ChaChaPoly_SHA256",
	    .s = s);
	NEW(EINVAL, .protocol_name = "Noise_NN_25519_ChaChaPoly_SHA256",
	    .re = pub);
	/* one-way responder has no e to fix */
	NEW(EINVAL, .protocol_name = "Noise_N_25519_ChaChaPoly_SHA256",
	    .initiator = 0, .s = s, .e = s);
	/* psks: count must match the modifiers */
	NEW(0, .protocol_name = "Noise_NNpsk0_25519_ChaChaPoly_SHA256",
	    .psks = psk, .npsks = 1);
	NEW(EINVAL, .protocol_name = "Noise_NNpsk0_25519_ChaChaPoly_SHA256");
	NEW(EINVAL, .protocol_name = "Noise_NN_25519_ChaChaPoly_SHA256",
	    .psks = psk, .npsks = 1);
	NEW(EINVAL, .protocol_name = "Noise_NNpsk0_25519_ChaChaPoly_SHA256",
	    .npsks = 1);
	/* prologue length without prologue */
	NEW(EINVAL, .protocol_name = "Noise_NN_25519_ChaChaPoly_SHA256",
	    .prologue_len = 3);
	/* names */
	NEW(ENOTSUP, .protocol_name = "Noise_NN_448_ChaChaPoly_SHA256");
	NEW(EINVAL, .protocol_name = "Noise_NN_25519_ChaChaPoly");
	NEW(EINVAL, .protocol_name = NULL);
#undef NEW
	assert_null(noise_handshake_new(NULL));
	assert_int_equal(errno, EINVAL);
}

struct name_case {
	const char	*name;
	int		 err;		/* 0 parses */
	size_t		 npsks;
};
#define T(n, e, p)	{ n, e, p }
static const struct name_case name_cases[] = {
	T("Noise_IK_25519_ChaChaPoly_BLAKE2b",			0, 0),
	T("Noise_XXpsk3_25519_AESGCM_SHA256",			0, 1),
	T("Noise_NNpsk0+psk2_25519_ChaChaPoly_SHA512",		0, 2),
	T("Noise_X1X1psk0+psk1+psk3+psk4_25519_AESGCM_SHA256",	0, 4),
	T("Noise_X1X1psk0+psk1+psk2+psk3+psk4_25519_AESGCM_SHA256", ENOTSUP, 0),
	T("Noise_IK_448_ChaChaPoly_BLAKE2b",			ENOTSUP, 0),
	T("Noise_IK_25519_ChaChaPoly_BLAKE2s",			ENOTSUP, 0),
	T("Noise_IK_25519_AESGCMSIV_SHA256",			ENOTSUP, 0),
	T("Noise_XXfallback_25519_ChaChaPoly_SHA256",		ENOTSUP, 0),
	T("Noise_XXfallback+psk0_25519_ChaChaPoly_SHA256",	ENOTSUP, 0),
	T("Noise_QQ_25519_ChaChaPoly_SHA256",			ENOTSUP, 0),
	T("Noise_NNpsk2+psk0_25519_ChaChaPoly_SHA256",		EINVAL, 0),
	T("Noise_NNpsk0+psk0_25519_ChaChaPoly_SHA256",		EINVAL, 0),
	T("Noise_NNpsk3_25519_ChaChaPoly_SHA256",		EINVAL, 0),
	T("Noise_Npsk2_25519_ChaChaPoly_SHA256",		EINVAL, 0),
	T("Noise_NNpsk0+_25519_ChaChaPoly_SHA256",		EINVAL, 0),
	T("Noise_NN+psk0_25519_ChaChaPoly_SHA256",		EINVAL, 0),
	T("Noise_NNpsk_25519_ChaChaPoly_SHA256",		EINVAL, 0),
	T("Noise_NNpsk12_25519_ChaChaPoly_SHA256",		EINVAL, 0),
	T("Noise_nn_25519_ChaChaPoly_SHA256",			EINVAL, 0),
	T("Noise_IK_25519_ChaChaPoly",				EINVAL, 0),
	T("Noise_IK_25519_ChaChaPoly_BLAKE2b_",			EINVAL, 0),
	T("Noise_IK_25519_ChaChaPoly_BLAKE2b_x",		EINVAL, 0),
	T("Noise__25519_ChaChaPoly_BLAKE2b",			EINVAL, 0),
	T("Noise_IK__ChaChaPoly_BLAKE2b",			EINVAL, 0),
	T("NoisePSK_IK_25519_ChaChaPoly_BLAKE2b",		EINVAL, 0),
	T("",							EINVAL, 0),
	T("Noise_IK_25519_ChaChaPoly_BLAKE2bxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
								EINVAL, 0),
};
#undef T

static void
test_protocol_names(void **state)
{
	struct noise_protocol p;
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < sizeof(name_cases) / sizeof(name_cases[0]); i++) {
		errno = 0;
		r = noise_protocol_parse(&p, name_cases[i].name);
		if (name_cases[i].err == 0) {
			if (r != 0)
				fail_msg("%s: refused", name_cases[i].name);
			assert_int_equal(p.npsks, name_cases[i].npsks);
		} else if (r != -1 || errno != name_cases[i].err)
			fail_msg("%s: got %d errno %d, want errno %d",
			    name_cases[i].name, r, errno, name_cases[i].err);
	}
	/* psk0 starts message 1, psk2 ends message 2 */
	assert_int_equal(noise_protocol_parse(&p,
	    "Noise_NNpsk0+psk2_25519_ChaChaPoly_SHA256"), 0);
	assert_int_equal(p.msgs[0][0], NOISE_TOK_PSK);
	assert_int_equal(p.msgs[0][1], NOISE_TOK_E);
	assert_int_equal(p.msgs[1][2], NOISE_TOK_PSK);
	assert_int_equal(p.msgs[1][3], NOISE_TOK_END);
	assert_true(noise_protocol_supported(IK_NAME));
	assert_false(noise_protocol_supported("Noise_IK_448_AESGCM_SHA256"));
}

/* --- HMAC against libsodium's own HMAC-SHA256/512 ------------------------ */

static void
test_hmac(void **state)
{
	static const size_t keylens[] = { 0, 1, 32, 63, 64, 65, 127, 128,
	    129, 300 };
	uint8_t key[300], data[1000], got[64], want[64];
	crypto_auth_hmacsha256_state s256;
	crypto_auth_hmacsha512_state s512;
	size_t i;

	(void)state;
	randombytes_buf(key, sizeof(key));
	randombytes_buf(data, sizeof(data));
	for (i = 0; i < sizeof(keylens) / sizeof(keylens[0]); i++) {
		noise_hmac(NOISE_HASH_SHA256, got, key, keylens[i], data, 100,
		    data + 100, 900);
		crypto_auth_hmacsha256_init(&s256, key, keylens[i]);
		crypto_auth_hmacsha256_update(&s256, data, sizeof(data));
		crypto_auth_hmacsha256_final(&s256, want);
		assert_memory_equal(got, want, 32);

		noise_hmac(NOISE_HASH_SHA512, got, key, keylens[i], data, 0,
		    data, sizeof(data));
		crypto_auth_hmacsha512_init(&s512, key, keylens[i]);
		crypto_auth_hmacsha512_update(&s512, data, sizeof(data));
		crypto_auth_hmacsha512_final(&s512, want);
		assert_memory_equal(got, want, 64);
	}
}

/* --- CipherState: rekey, nonce limit, in place ---------------------------- */

static void
cipher_cases(enum noise_cipher cipher)
{
	struct noise_cipherstate a, b;
	uint8_t k[32], old[32], zeros[32] = { 0 }, want[48], nonce[12];
	uint8_t buf[64], ct[64], pt[64];

	if (!noise_cipher_available(cipher))
		return;
	randombytes_buf(k, sizeof(k));
	noise_cipher_init(&a, cipher, k);
	noise_cipher_init(&b, cipher, k);

	/* rekey: k' = ENCRYPT(k, 2^64-1, "", zeros)[0..32), n unchanged */
	memset(nonce, 0, 4);
	memset(nonce + 4, 0xff, 8);
	if (cipher == NOISE_CIPHER_AESGCM)
		assert_int_equal(crypto_aead_aes256gcm_encrypt(want, NULL,
		    zeros, 32, NULL, 0, NULL, nonce, k), 0);
	else
		assert_int_equal(crypto_aead_chacha20poly1305_ietf_encrypt(
		    want, NULL, zeros, 32, NULL, 0, NULL, nonce, k), 0);
	a.n = b.n = 7;
	memcpy(old, a.k, 32);
	assert_int_equal(noise_rekey(&a), 0);
	assert_int_equal(noise_rekey(&b), 0);
	assert_memory_not_equal(a.k, old, 32);
	assert_memory_equal(a.k, want, 32);
	assert_memory_equal(a.k, b.k, 32);
	assert_int_equal(a.n, 7);
	assert_int_equal(noise_encrypt(&a, ct, (const uint8_t *)"ad", 2,
	    (const uint8_t *)"after rekey", 11), 0);
	assert_int_equal(noise_decrypt(&b, pt, (const uint8_t *)"ad", 2, ct,
	    11 + 16), 0);
	assert_memory_equal(pt, "after rekey", 11);
	assert_int_equal(a.n, 8);
	assert_int_equal(b.n, 8);

	/* in place gives the same bytes as out of place */
	memcpy(buf, "in place", 8);
	assert_int_equal(noise_encrypt(&a, ct, NULL, 0, buf, 8), 0);
	a.n--;
	assert_int_equal(noise_encrypt(&a, buf, NULL, 0, buf, 8), 0);
	assert_memory_equal(buf, ct, 8 + 16);
	assert_int_equal(noise_decrypt(&b, buf, NULL, 0, buf, 8 + 16), 0);
	assert_memory_equal(buf, "in place", 8);

	/* a failed decrypt leaves n alone and no plaintext behind */
	assert_int_equal(noise_encrypt(&a, ct, NULL, 0, buf, 8), 0);
	ct[0] ^= 1;
	memset(pt, 0xaa, sizeof(pt));
	assert_int_equal(noise_decrypt(&b, pt, NULL, 0, ct, 8 + 16), -1);
	assert_true(sodium_is_zero(pt, 8));
	assert_int_equal(b.n, 9);
	ct[0] ^= 1;
	assert_int_equal(noise_decrypt(&b, pt, NULL, 0, ct, 8 + 16), 0);
	assert_int_equal(noise_decrypt(&b, pt, NULL, 0, ct, 15), -1);

	/* 2^64-1 is reserved: the last usable nonce is 2^64-2 */
	a.n = b.n = UINT64_MAX - 1;
	assert_int_equal(noise_encrypt(&a, ct, NULL, 0, buf, 8), 0);
	assert_int_equal(noise_decrypt(&b, pt, NULL, 0, ct, 8 + 16), 0);
	assert_int_equal(a.n, UINT64_MAX);
	assert_int_equal(noise_encrypt(&a, ct, NULL, 0, buf, 8), -1);
	assert_int_equal(errno, EOVERFLOW);
	assert_int_equal(a.n, UINT64_MAX);
	assert_int_equal(noise_decrypt(&b, pt, NULL, 0, ct, 8 + 16), -1);
	/* rekey still works there and keeps n */
	assert_int_equal(noise_rekey(&a), 0);
	assert_int_equal(a.n, UINT64_MAX);

	/* no key: refused, never clear text */
	noise_cipher_wipe(&a);
	assert_int_equal(noise_encrypt(&a, ct, NULL, 0, buf, 8), -1);
	assert_int_equal(noise_rekey(&a), -1);
	noise_cipher_wipe(&b);
}

static void
test_cipherstate(void **state)
{
	(void)state;
	cipher_cases(NOISE_CIPHER_CHACHAPOLY);
	cipher_cases(NOISE_CIPHER_AESGCM);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_protocol_names),
		cmocka_unit_test(test_new_bad_params),
		cmocka_unit_test(test_hmac),
		cmocka_unit_test(test_cipherstate),
#define IK(t) cmocka_unit_test_setup_teardown(t, ik_setup, ik_teardown)
		IK(test_ik_roundtrip),
		IK(test_ik_flip_static),
		IK(test_ik_flip_payload),
		IK(test_ik_flip_ephemeral),
		IK(test_ik_truncated),
		IK(test_ik_payload_too_big_for_buffer),
		IK(test_ik_wrong_rs),
		IK(test_ik_low_order_ephemeral),
		IK(test_ik_wrong_turn),
		IK(test_write_too_small),
#undef IK
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
