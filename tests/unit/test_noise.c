/*
 * test_noise.c - the Noise implementation against the published cacophony
 * test vectors (every pattern, cipher and hash the code supports), plus
 * hostile input: tampered, truncated and misaddressed handshake messages,
 * bad parameters, protocol names, HMAC, rekey and nonce exhaustion.
 *
 * The vector file is $VMGW_NOISE_VECTORS, else
 * $VMGW_SOURCE_DIR/../shared/noise/cacophony-25519.json, else the same path
 * under the source directory this test was compiled from.
 *
 * The reader takes the common test-vector format as implementations
 * publish it: {"vectors": [...]} or a bare array; "protocol_name", noise-c's
 * "pattern"/"dh"/"cipher"/"hash", or "name"; keys a pattern does not use
 * (a responder ephemeral in N, K, X) ignored and reported; handshake_hash
 * optional.  Vectors it cannot run (fallback, hybrid, other curves) are
 * skipped with the reason.  tests/unit/data has files in those shapes,
 * made from the cacophony vectors by noise-variants.py.
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

/* VMGW_SOURCE_DIR from the environment (ctest), else the compiled-in one. */
static const char *
source_dir(void)
{
	const char	*src = getenv("VMGW_SOURCE_DIR");

	return src != NULL && *src != '\0' ? src : VMGW_SOURCE_DIR;
}

/* --- the vector files ---------------------------------------------------- */

/*
 * $VMGW_NOISE_VECTORS, else ../shared/noise next to the source tree, else
 * (a checkout without it) the copy of the same published file that the
 * repository carries in tests/unit/data.
 */
static const char *
vectors_path(char *buf, size_t len)
{
	const char	*p;

	if ((p = getenv("VMGW_NOISE_VECTORS")) != NULL && *p != '\0')
		return p;
	snprintf(buf, len, "%s%s", source_dir(), VECTORS_REL);
	if (access(buf, R_OK) == 0)
		return buf;
	snprintf(buf, len, "%s/tests/unit/data/cacophony-25519.json",
	    source_dir());
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

/*
 * What a run says beyond pass and fail: vectors skipped and fields ignored,
 * one line each ("vector 3 Noise_N_25519_...: ignored resp_ephemeral: the
 * responder of N sends no ephemeral key").
 */
struct tally {
	size_t	 run, failed, skipped, ignored, no_hash;
	size_t	 fam_run[4], fam_pass[4];
	char	*report;
	size_t	 len, cap;
};

static void
tally_line(struct tally *t, size_t idx, const char *name, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

static void
tally_line(struct tally *t, size_t idx, const char *name, const char *fmt,
    ...)
{
	char	 line[512];
	size_t	 n;
	va_list	 ap;

	(void)snprintf(line, sizeof(line), "vector %zu %s: ", idx,
	    name != NULL ? name : "(no name)");
	n = strlen(line);
	va_start(ap, fmt);
	(void)vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	n = strlen(line);
	if (t->len + n + 2 > t->cap) {
		t->cap = (t->cap + n + 2) * 2;
		t->report = realloc(t->report, t->cap);
		assert_non_null(t->report);
	}
	memcpy(t->report + t->len, line, n);
	t->len += n;
	t->report[t->len++] = '\n';
	t->report[t->len] = '\0';
}

static int
has_tok(const uint8_t *toks, uint8_t t)
{
	for (; *toks != NOISE_TOK_END; toks++)
		if (*toks == t)
			return 1;
	return 0;
}

static int
sends_tok(const struct noise_protocol *p, int initiator, uint8_t t)
{
	size_t	m;

	for (m = initiator ? 0 : 1; m < p->nmsgs; m += 2)
		if (has_tok(p->msgs[m], t))
			return 1;
	return 0;
}

/*
 * One side of a vector ("init" or "resp"): the keys its pattern takes from
 * outside, as noise_handshake_new() wants them.  A key the pattern does not
 * use is ignored (and reported); one it needs must be there.
 */
struct side {
	uint8_t	prologue[1024];
	size_t	prologue_len;
	uint8_t	s[32], e[32], rs[32], re[32];
	int	has_s, has_e, has_rs, has_re;
	uint8_t	psks[NOISE_MAX_PSKS][NOISE_PSKLEN];
	size_t	npsks;
};

struct vec {
	const json_t		*v;
	size_t			 idx;
	const char		*name;
	struct noise_protocol	 proto;
	struct tally		*t;
	char			*why;
	size_t			 whylen;
};

/* A 32-byte key: 0 absent or ignored, 1 taken, -1 bad or missing. */
static int
side_key(struct vec *x, const char *who, const char *field, int used,
    const char *unused_why, uint8_t out[32])
{
	char	k[64];
	size_t	len;
	int	r;

	snprintf(k, sizeof(k), "%s_%s", who, field);
	if ((r = get_hex(x->v, k, out, 32, &len)) == -1 || (r == 1 &&
	    len != 32)) {
		snprintf(x->why, x->whylen, "%s is not 32 bytes of hex", k);
		return -1;
	}
	if (r == 1 && !used) {
		tally_line(x->t, x->idx, x->name, "ignored %s: %s", k,
		    unused_why);
		x->t->ignored++;
		return 0;
	}
	if (r == 0 && used) {
		snprintf(x->why, x->whylen, "no %s: the %s of %s needs it", k,
		    strcmp(who, "init") == 0 ? "initiator" : "responder",
		    x->proto.pattern);
		return -1;
	}
	return r;
}

/* psks: "init_psks": [hex, ...], or one "init_psk": hex. */
static int
side_psks(struct vec *x, const char *who, struct side *sd)
{
	char		 k[64];
	const json_t	*psks, *p;
	const char	*hex;
	size_t		 i, len;

	snprintf(k, sizeof(k), "%s_psks", who);
	if ((psks = json_object_get(x->v, k)) == NULL) {
		snprintf(k, sizeof(k), "%s_psk", who);
		psks = json_object_get(x->v, k);
	}
	if (psks == NULL && x->proto.npsks == 0)
		return 0;
	if (psks == NULL) {
		snprintf(x->why, x->whylen, "no %s_psks: %s uses %zu", who,
		    x->name, x->proto.npsks);
		return -1;
	}
	if (x->proto.npsks == 0) {
		tally_line(x->t, x->idx, x->name, "ignored %s: %s uses no psk",
		    k, x->proto.pattern);
		x->t->ignored++;
		return 0;
	}
	if (json_is_string(psks))
		sd->npsks = 1;
	else if (json_is_array(psks) && json_array_size(psks) <= NOISE_MAX_PSKS)
		sd->npsks = json_array_size(psks);
	else
		goto bad;
	for (i = 0; i < sd->npsks; i++) {
		p = json_is_string(psks) ? psks : json_array_get(psks, i);
		if ((hex = json_string_value(p)) == NULL ||
		    sodium_hex2bin(sd->psks[i], NOISE_PSKLEN, hex, strlen(hex),
		    NULL, &len, NULL) != 0 || len != NOISE_PSKLEN)
			goto bad;
	}
	if (sd->npsks == x->proto.npsks)
		return 0;
bad:
	snprintf(x->why, x->whylen, "%s: not %zu psks of 32 bytes of hex", k,
	    x->proto.npsks);
	return -1;
}

static int
load_side(struct vec *x, int initiator, struct side *sd)
{
	const struct noise_protocol *p = &x->proto;
	const char	*who = initiator ? "init" : "resp";
	const char	*role = initiator ? "initiator" : "responder";
	const uint8_t	*mine = initiator ? p->pre_i : p->pre_r;
	const uint8_t	*peer = initiator ? p->pre_r : p->pre_i;
	char		 k[64], w_s[96], w_e[96], w_rs[128], w_re[128];
	int		 r;

	memset(sd, 0, sizeof(*sd));
	snprintf(k, sizeof(k), "%s_prologue", who);
	if (get_hex(x->v, k, sd->prologue, sizeof(sd->prologue),
	    &sd->prologue_len) == -1) {
		snprintf(x->why, x->whylen, "%s is not hex", k);
		return -1;
	}
	snprintf(w_s, sizeof(w_s), "the %s of %s has no static key", role,
	    p->pattern);
	snprintf(w_e, sizeof(w_e), "the %s of %s sends no ephemeral key", role,
	    p->pattern);
	snprintf(w_rs, sizeof(w_rs), "the %s of %s does not know the peer's "
	    "static key beforehand", role, p->pattern);
	snprintf(w_re, sizeof(w_re), "the %s of %s does not know the peer's "
	    "ephemeral key beforehand", role, p->pattern);
	/* e is needed to reproduce the messages wherever this side sends one */
	if ((r = side_key(x, who, "static", has_tok(mine, NOISE_TOK_S) ||
	    sends_tok(p, initiator, NOISE_TOK_S), w_s, sd->s)) == -1)
		return -1;
	sd->has_s = r;
	if ((r = side_key(x, who, "ephemeral", has_tok(mine, NOISE_TOK_E) ||
	    sends_tok(p, initiator, NOISE_TOK_E), w_e, sd->e)) == -1)
		return -1;
	sd->has_e = r;
	if ((r = side_key(x, who, "remote_static", has_tok(peer, NOISE_TOK_S),
	    w_rs, sd->rs)) == -1)
		return -1;
	sd->has_rs = r;
	if ((r = side_key(x, who, "remote_ephemeral", has_tok(peer,
	    NOISE_TOK_E), w_re, sd->re)) == -1)
		return -1;
	sd->has_re = r;
	return side_psks(x, who, sd);
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
	char			 name[NOISE_NAME_MAX + 16];
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

/*
 * handshake_hash is optional in the format: without it both sides' hashes
 * must at least agree (and the vector is counted in no_hash).
 */
static int
vector_check_hash(struct run *r, struct vec *x, char *why, size_t whylen)
{
	uint8_t want[NOISE_HASHLEN_MAX], hi[NOISE_HASHLEN_MAX];
	uint8_t hr[NOISE_HASHLEN_MAX];
	size_t wantlen, li, lr;
	int ret = -1, has;

	if ((has = get_hex(x->v, "handshake_hash", want, sizeof(want),
	    &wantlen)) == -1)
		FAILV("handshake_hash is not hex");
	li = noise_handshake_hash(r->hs_i, hi, sizeof(hi));
	lr = noise_handshake_hash(r->hs_r, hr, sizeof(hr));
	if (li == 0 || li != lr || memcmp(hi, hr, li) != 0)
		FAILV("the two sides' handshake hashes differ");
	if (has == 0)
		x->t->no_hash++;
	else if (li != wantlen || memcmp(hi, want, li) != 0)
		FAILV("handshake hash differs");
	if (noise_split(r->hs_i, &r->i_c1, &r->i_c2) == -1 ||
	    noise_split(r->hs_r, &r->r_c1, &r->r_c2) == -1)
		FAILV("split failed");
	ret = 0;
out:
	return ret;
}

/*
 * The protocol name: "protocol_name" (cacophony, snow), else noise-c's
 * parts "pattern", "dh", "cipher", "hash" (with its NoisePSK_ prefix when
 * the vector has the old single "init_psk"), else "name".
 */
static const char *
vector_name(const json_t *v, char *buf, size_t len)
{
	const char	*n, *pat, *dh, *ci, *ha;

	if ((n = json_string_value(json_object_get(v, "protocol_name"))) != NULL)
		return n;
	pat = json_string_value(json_object_get(v, "pattern"));
	dh = json_string_value(json_object_get(v, "dh"));
	ci = json_string_value(json_object_get(v, "cipher"));
	ha = json_string_value(json_object_get(v, "hash"));
	if (pat != NULL && dh != NULL && ci != NULL && ha != NULL) {
		snprintf(buf, len, "Noise%s_%s_%s_%s_%s",
		    json_is_string(json_object_get(v, "init_psk")) ||
		    json_is_string(json_object_get(v, "resp_psk")) ? "PSK" : "",
		    pat, dh, ci, ha);
		return buf;
	}
	return json_string_value(json_object_get(v, "name"));
}

/* Why a vector cannot run here, or NULL when it can. */
static const char *
vector_skip(const json_t *v, const char *name, struct noise_protocol *proto)
{
	if (json_is_true(json_object_get(v, "fallback")))
		return "a fallback handshake (Noise Pipes); not implemented";
	if (json_object_get(v, "hybrid") != NULL ||
	    json_object_get(v, "init_hybrid_ephemeral") != NULL ||
	    json_object_get(v, "resp_hybrid_ephemeral") != NULL)
		return "hybrid forward secrecy; not implemented";
	if (json_is_true(json_object_get(v, "fail")))
		return "expects the handshake to fail ('fail': true); not "
		    "checked";
	errno = 0;
	if (noise_protocol_parse(proto, name) == -1)
		return errno == ENOTSUP ? "names a DH, cipher, hash or "
		    "modifier that is not implemented" : "not a protocol name "
		    "of revision 34 of the specification";
	if (!noise_protocol_supported(name))
		return "AESGCM is not available on this CPU";
	return NULL;
}

/*
 * 0 passed, -1 failed (why says how), 1 skipped (the report says why).
 *
 * Message i of a vector is the initiator's when i is even: the transport
 * messages continue the handshake's alternation (after XX's three messages
 * the responder sends first), except in one-way patterns, where only the
 * initiator ever sends.
 */
static int
run_vector(struct vec *x, struct run *r)
{
	const json_t *msgs, *m;
	const char *skip;
	char *why = x->why;
	size_t whylen = x->whylen, i, plen, ctlen, nhs = 0;
	struct side si, sr;
	int ret = -1;

	memset(r, 0, sizeof(*r));
	if ((x->name = vector_name(x->v, r->name, sizeof(r->name))) == NULL)
		FAILV("no protocol_name, name or pattern/dh/cipher/hash");
	if ((skip = vector_skip(x->v, x->name, &x->proto)) != NULL) {
		tally_line(x->t, x->idx, x->name, "skipped: %s", skip);
		return 1;
	}
	if (load_side(x, 1, &si) == -1 || load_side(x, 0, &sr) == -1)
		goto out;
	if ((r->hs_i = side_handshake(x->name, 1, &si)) == NULL)
		FAILV("initiator: %s", strerror(errno));
	if ((r->hs_r = side_handshake(x->name, 0, &sr)) == NULL)
		FAILV("responder: %s", strerror(errno));
	if ((msgs = json_object_get(x->v, "messages")) == NULL ||
	    !json_is_array(msgs))
		FAILV("no messages");

	json_array_foreach(msgs, i, m) {
		if (get_hex(m, "payload", r->payload, sizeof(r->payload),
		    &plen) != 1 || get_hex(m, "ciphertext", r->ct,
		    sizeof(r->ct), &ctlen) != 1)
			FAILV("message %zu: bad or missing payload/ciphertext",
			    i);
		if (!noise_handshake_done(r->hs_i)) {
			if (vector_hs_message(r, i, plen, ctlen, why,
			    whylen) == -1)
				goto out;
			nhs = i + 1;
			if (noise_handshake_done(r->hs_i) !=
			    noise_handshake_done(r->hs_r))
				FAILV("sides disagree on the end");
			if (noise_handshake_done(r->hs_i) &&
			    vector_check_hash(r, x, why, whylen) == -1)
				goto out;
		} else if (vector_transport_message(r, i, x->proto.one_way ||
		    i % 2 == 0, plen, ctlen, why, whylen) == -1)
			goto out;
	}
	if (nhs != x->proto.nmsgs || !noise_handshake_done(r->hs_i))
		FAILV("handshake incomplete");
	ret = 0;
out:
	noise_handshake_free(r->hs_i);
	noise_handshake_free(r->hs_r);
	noise_cipher_wipe(&r->i_c1);
	noise_cipher_wipe(&r->i_c2);
	noise_cipher_wipe(&r->r_c1);
	noise_cipher_wipe(&r->r_c2);
	sodium_memzero(&si, sizeof(si));
	sodium_memzero(&sr, sizeof(sr));
	return ret;
}

/* Every vector of an array; failures are printed with the vector's name. */
static void
run_vectors(const json_t *vecs, const char *label, struct tally *t)
{
	struct run *r = malloc(sizeof(*r));
	struct vec x;
	const json_t *v;
	char why[512];
	size_t i;
	enum family f;
	int res;

	assert_non_null(r);
	assert_true(json_is_array(vecs));
	json_array_foreach(vecs, i, v) {
		memset(&x, 0, sizeof(x));
		x.v = v;
		x.idx = i;
		x.t = t;
		x.why = why;
		x.whylen = sizeof(why);
		why[0] = '\0';
		if ((res = run_vector(&x, r)) == 1) {
			t->skipped++;
			continue;
		}
		t->run++;
		f = x.proto.nmsgs > 0 ? family_of(&x.proto, x.name) :
		    FAM_FUNDAMENTAL;
		t->fam_run[f]++;
		if (res == 0)
			t->fam_pass[f]++;
		else {
			t->failed++;
			print_error("%s: vector %zu %s: %s\n", label, i,
			    x.name != NULL ? x.name : "(no name)", why);
		}
	}
	free(r);
}

/* A vector file: {"vectors": [...]} or a bare array of vectors. */
static void
run_file(const char *path, struct tally *t)
{
	json_error_t jerr;
	json_t *root, *vecs;
	const char *base = strrchr(path, '/');

	root = json_load_file(path, 0, &jerr);
	if (root == NULL)
		fail_msg("noise vectors: cannot load %s (%s); set "
		    "VMGW_NOISE_VECTORS to a vector file", path, jerr.text);
	vecs = json_is_array(root) ? root : json_object_get(root, "vectors");
	if (!json_is_array(vecs))
		fail_msg("%s: neither {\"vectors\": [...]} nor an array", path);
	run_vectors(vecs, base != NULL ? base + 1 : path, t);
	json_decref(root);
}

static void
tally_print(const char *label, const struct tally *t)
{
	const char *p, *nl;
	enum family f;

	printf("noise vectors: %s: %zu run, %zu skipped, %zu failed, "
	    "%zu fields ignored, %zu without handshake_hash\n", label, t->run,
	    t->skipped, t->failed, t->ignored, t->no_hash);
	for (f = 0; f < FAM_N; f++)
		if (t->fam_run[f] > 0)
			printf("noise vectors: %s: %-11s %3zu/%zu passed\n",
			    label, family_name[f], t->fam_pass[f],
			    t->fam_run[f]);
	for (p = t->report; p != NULL && *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		printf("noise vectors: %s: %.*s\n", label, (int)(nl - p), p);
	}
}

static void
test_vectors(void **state)
{
	char buf[4096];
	const char *path = vectors_path(buf, sizeof(buf));
	struct tally t;

	memset(&t, 0, sizeof(t));
	run_file(path, &t);
	printf("noise vectors: from %s\n", path);
	tally_print("cacophony", &t);
	assert_int_equal(t.failed, 0);
	assert_true(t.run > 0);
	/* cacophony's 25519 file has nothing this code cannot run */
	if (!noise_cipher_available(NOISE_CIPHER_AESGCM))
		printf("noise vectors: AESGCM not available on this CPU\n");
	else if (path == buf)
		assert_int_equal(t.skipped, 0);
	free(t.report);
}

/* A file in tests/unit/data shaped as other implementations publish. */
struct format_case {
	const char	*file;
	size_t		 vectors, aesgcm, ignored, no_hash;
	const char	*lines[4];	/* that the report must have */
};

static const struct format_case format_cases[] = {
	{ "noise-snow-style.json", 6, 2, 5, 6, {
	  "vector 0 Noise_N_25519_ChaChaPoly_SHA256: ignored resp_ephemeral: "
	  "the responder of N sends no ephemeral key\n",
	  "vector 1 Noise_K_25519_ChaChaPoly_BLAKE2b: ignored resp_ephemeral: "
	  "the responder of K sends no ephemeral key\n",
	  "vector 3 Noise_IK_25519_ChaChaPoly_BLAKE2b: ignored "
	  "resp_remote_static: the responder of IK does not know the peer's "
	  "static key beforehand\n" } },
	{ "noise-c-style.json", 4, 1, 1, 2, {
	  "vector 2 Noise_N_25519_ChaChaPoly_SHA512: ignored resp_ephemeral: "
	  "the responder of N sends no ephemeral key\n" } },
	{ "noise-bare-array.json", 2, 0, 0, 2, { NULL } },
};

static void
test_vector_formats(void **state)
{
	const struct format_case *c;
	char path[4096];
	struct tally t;
	size_t i, j, skipped;

	for (i = 0; i < sizeof(format_cases) / sizeof(format_cases[0]); i++) {
		c = &format_cases[i];
		snprintf(path, sizeof(path), "%s/tests/unit/data/%s",
		    source_dir(), c->file);
		memset(&t, 0, sizeof(t));
		run_file(path, &t);
		tally_print(c->file, &t);
		skipped = noise_cipher_available(NOISE_CIPHER_AESGCM) ? 0 :
		    c->aesgcm;
		assert_int_equal(t.failed, 0);
		assert_int_equal(t.run, c->vectors - skipped);
		assert_int_equal(t.skipped, skipped);
		if (skipped == 0) {
			assert_int_equal(t.ignored, c->ignored);
			assert_int_equal(t.no_hash, c->no_hash);
		}
		for (j = 0; j < 4 && c->lines[j] != NULL; j++)
			if (t.report == NULL || strstr(t.report,
			    c->lines[j]) == NULL)
				fail_msg("%s: report lacks '%s'", c->file,
				    c->lines[j]);
		free(t.report);
	}
}

/*
 * Vectors that cannot run here are skipped with the reason, vectors that
 * lack a key the pattern needs fail with it: variants of a real vector,
 * made in memory (their ciphertexts are never looked at).
 */
static void
test_vector_skips(void **state)
{
	static const struct {
		const char	*set, *value;	/* field = value (JSON) */
		const char	*unset;		/* field removed */
		int		 skip;		/* else: fails */
		const char	*says;
	} cases[] = {
		{ "protocol_name", "\"Noise_NN_448_ChaChaPoly_SHA256\"", NULL, 1,
		  "vector 0 Noise_NN_448_ChaChaPoly_SHA256: skipped: names a DH, "
		  "cipher, hash or modifier that is not implemented" },
		{ "fallback", "true", NULL, 1, "vector 1 Noise_NN_25519_"
		  "ChaChaPoly_SHA256: skipped: a fallback handshake" },
		{ "hybrid", "\"448\"", NULL, 1, "vector 2 Noise_NN_25519_"
		  "ChaChaPoly_SHA256: skipped: hybrid forward secrecy" },
		{ "fail", "true", NULL, 1, "vector 3 Noise_NN_25519_ChaChaPoly_"
		  "SHA256: skipped: expects the handshake to fail" },
		{ "init_psk", "\"00\"", "protocol_name", 1, "vector 4 NoisePSK_"
		  "NN_25519_ChaChaPoly_SHA256: skipped: not a protocol name of "
		  "revision 34" },
		{ "init_remote_ephemeral", "\"00\"", NULL, 0,
		  "init_remote_ephemeral is not 32 bytes of hex" },
		{ NULL, NULL, "init_ephemeral", 0,
		  "no init_ephemeral: the initiator of NN needs it" },
		{ "init_psks", "[]", NULL, 0, NULL },	/* NN has no psk: ignored */
	};
	char buf[4096], why[512];
	json_error_t jerr;
	json_t *root, *vecs, *base = NULL, *v, *arr, *val;
	struct run *r = malloc(sizeof(*r));
	struct tally t;
	struct vec x;
	size_t i;
	int res;

	assert_non_null(r);
	/* the repository's copy: $VMGW_NOISE_VECTORS may be another file */
	snprintf(buf, sizeof(buf), "%s/tests/unit/data/cacophony-25519.json",
	    source_dir());
	root = json_load_file(buf, 0, &jerr);
	assert_non_null(root);
	vecs = json_object_get(root, "vectors");
	json_array_foreach(vecs, i, v)
		if (strcmp(json_string_value(json_object_get(v,
		    "protocol_name")), "Noise_NN_25519_ChaChaPoly_SHA256") == 0)
			base = v;
	assert_non_null(base);
	arr = json_array();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = json_deep_copy(base);
		if (cases[i].unset != NULL)
			json_object_del(v, cases[i].unset);
		if (cases[i].set != NULL) {
			val = json_loads(cases[i].value, JSON_DECODE_ANY, &jerr);
			assert_non_null(val);
			json_object_set_new(v, cases[i].set, val);
		}
		if (cases[i].unset != NULL &&
		    strcmp(cases[i].unset, "protocol_name") == 0) {
			/* noise-c's split name */
			json_object_set_new(v, "pattern", json_string("NN"));
			json_object_set_new(v, "dh", json_string("25519"));
			json_object_set_new(v, "cipher",
			    json_string("ChaChaPoly"));
			json_object_set_new(v, "hash", json_string("SHA256"));
		}
		json_array_append_new(arr, v);
	}
	memset(&t, 0, sizeof(t));
	json_array_foreach(arr, i, v) {
		memset(&x, 0, sizeof(x));
		x.v = v;
		x.idx = i;
		x.t = &t;
		x.why = why;
		x.whylen = sizeof(why);
		why[0] = '\0';
		res = run_vector(&x, r);
		print_message("vector %zu: %d %s\n", i, res, why);
		t.run += res != 1;
		t.skipped += res == 1;
		t.failed += res == -1;
		if (cases[i].says == NULL) {
			assert_int_equal(res, 0);
			continue;
		}
		assert_int_equal(res, cases[i].skip ? 1 : -1);
		if (cases[i].skip)
			assert_non_null(strstr(t.report, cases[i].says));
		else
			assert_string_equal(why, cases[i].says);
	}
	assert_non_null(strstr(t.report, "vector 7 Noise_NN_25519_ChaChaPoly_"
	    "SHA256: ignored init_psks: NN uses no psk\n"));
	tally_print("variants", &t);
	free(t.report);
	json_decref(arr);
	json_decref(root);
	free(r);
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
		cmocka_unit_test(test_vector_formats),
		cmocka_unit_test(test_vector_skips),
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
