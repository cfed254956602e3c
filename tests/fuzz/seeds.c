/*
 * seeds.c - write the seed corpora of the handshake and record harnesses:
 * valid inputs made with the harnesses' fixed keys (fuzz.h), and the edge
 * cases next to them (cut, one bit off, low-order key, empty).  Built on
 * demand (make fuzz_seeds); run as
 *
 *     build/tests/fuzz/fuzz_seeds tests/fuzz/corpus
 *
 * after changing a key, the prologue or a payload in fuzz.h.  The config
 * corpus is hand-made (see tests/fuzz/CMakeLists.txt).
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "fuzz_ik.h"
#include "record.h"

static const char	*top;

static void
put(const char *target, const char *name, uint8_t sel, const uint8_t *data,
    size_t len)
{
	char	 path[4096];
	FILE	*f;

	(void)snprintf(path, sizeof(path), "%s/%s", top, target);
	if (mkdir(path, 0755) == -1 && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	(void)snprintf(path, sizeof(path), "%s/%s/%s", top, target, name);
	if ((f = fopen(path, "wb")) == NULL || fwrite(&sel, 1, 1, f) != 1 ||
	    fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* A message and its variants: cut by one, one bit off at off, empty. */
static void
put_variants(const char *target, const char *base, uint8_t sel,
    const uint8_t *msg, size_t len, const size_t *offs, size_t noffs)
{
	uint8_t	buf[1024];
	char	name[128];
	size_t	i;

	(void)snprintf(name, sizeof(name), "%s", base);
	put(target, name, sel, msg, len);
	(void)snprintf(name, sizeof(name), "%s-cut", base);
	put(target, name, sel, msg, len - 1);
	for (i = 0; i < noffs; i++) {
		memcpy(buf, msg, len);
		buf[offs[i]] ^= 0x01;
		(void)snprintf(name, sizeof(name), "%s-flip%zu", base, offs[i]);
		put(target, name, sel, buf, len);
	}
	memcpy(buf, msg, len);
	memset(buf, 0, 32);		/* e = 0: a low-order point */
	(void)snprintf(name, sizeof(name), "%s-zero-e", base);
	put(target, name, sel, buf, len);
}

static void
noise_seeds(int suite, uint8_t sel, const char *tag)
{
	static const uint8_t	 long_pl[200] = { 'x' };
	struct noise_handshake	*i, *r;
	struct noise_params	 other;
	uint8_t			 m1[1024], m2[1024], pl[1024];
	char			 name[64];
	size_t			 l1, l2, pll;
	const size_t		 offs1[] = { 3, 40, 90 }, offs2[] = { 3, 40 };

	/* message 1 as our initiator sends it, and variants */
	i = fuzz_ik_new(1, suite);
	if (i == NULL || noise_write_message(i, m1, sizeof(m1), &l1,
	    (const uint8_t *)FUZZ_INIT_PAYLOAD,
	    sizeof(FUZZ_INIT_PAYLOAD) - 1) == -1)
		exit(1);
	(void)snprintf(name, sizeof(name), "%s-msg1", tag);
	put_variants("noise_resp", name, sel, m1, l1, offs1, 3);

	/* message 2 as the responder answers it, for the initiator harness */
	r = fuzz_ik_new(0, suite);
	if (r == NULL || noise_read_message(r, pl, sizeof(pl), &pll, m1,
	    l1) == -1 || noise_write_message(r, m2, sizeof(m2), &l2,
	    (const uint8_t *)FUZZ_RESP_PAYLOAD,
	    sizeof(FUZZ_RESP_PAYLOAD) - 1) == -1)
		exit(1);
	(void)snprintf(name, sizeof(name), "%s-msg2", tag);
	put_variants("noise_init", name, sel, m2, l2, offs2, 2);
	(void)snprintf(name, sizeof(name), "%s-msg1-as-msg2", tag);
	put("noise_init", name, sel, m1, l1);
	noise_handshake_free(r);
	/* other payloads: empty and long */
	r = fuzz_ik_new(0, suite);
	if (r == NULL || noise_read_message(r, pl, sizeof(pl), &pll, m1,
	    l1) == -1 || noise_write_message(r, m2, sizeof(m2), &l2, NULL,
	    0) == -1)
		exit(1);
	(void)snprintf(name, sizeof(name), "%s-msg2-empty", tag);
	put("noise_init", name, sel, m2, l2);
	noise_handshake_free(r);
	r = fuzz_ik_new(0, suite);
	if (r == NULL || noise_read_message(r, pl, sizeof(pl), &pll, m1,
	    l1) == -1 || noise_write_message(r, m2, sizeof(m2), &l2, long_pl,
	    sizeof(long_pl)) == -1)
		exit(1);
	(void)snprintf(name, sizeof(name), "%s-msg2-long", tag);
	put("noise_init", name, sel, m2, l2);
	noise_handshake_free(r);
	noise_handshake_free(i);

	i = fuzz_ik_new(1, suite);
	if (i == NULL || noise_write_message(i, m1, sizeof(m1), &l1, NULL,
	    0) == -1)
		exit(1);
	(void)snprintf(name, sizeof(name), "%s-msg1-empty", tag);
	put("noise_resp", name, sel, m1, l1);
	noise_handshake_free(i);
	i = fuzz_ik_new(1, suite);
	if (i == NULL || noise_write_message(i, m1, sizeof(m1), &l1, long_pl,
	    sizeof(long_pl)) == -1)
		exit(1);
	(void)snprintf(name, sizeof(name), "%s-msg1-long", tag);
	put("noise_resp", name, sel, m1, l1);
	noise_handshake_free(i);

	/* a valid message 1 from another initiator (another static key) */
	memset(&other, 0, sizeof(other));
	{
		uint8_t		prologue[sizeof(FUZZ_PROLOGUE) + 1], rpub[32];

		memcpy(prologue, FUZZ_PROLOGUE, sizeof(FUZZ_PROLOGUE) - 1);
		prologue[sizeof(FUZZ_PROLOGUE) - 1] = FUZZ_PROTO_VERSION;
		prologue[sizeof(FUZZ_PROLOGUE)] = (uint8_t)suite;
		if (noise_dh_public(rpub, fuzz_resp_s) == -1)
			exit(1);
		other.protocol_name = suite == 1 ? FUZZ_IK_AESGCM :
		    FUZZ_IK_CHACHA;
		other.initiator = 1;
		other.prologue = prologue;
		other.prologue_len = sizeof(prologue);
		other.s = fuzz_rec_key;
		other.rs = rpub;
		if ((i = noise_handshake_new(&other)) == NULL ||
		    noise_write_message(i, m1, sizeof(m1), &l1,
		    (const uint8_t *)"stranger", 8) == -1)
			exit(1);
		(void)snprintf(name, sizeof(name), "%s-msg1-stranger", tag);
		put("noise_resp", name, sel, m1, l1);
		noise_handshake_free(i);
	}
}

/* Records sealed with the harness's key, one stream per file. */
struct stream {
	uint8_t		buf[8192];
	size_t		len;
	struct rec_dir	tx;
};

static void
seal(struct stream *s, uint8_t type, uint32_t ch, const char *payload,
    size_t n)
{
	size_t	wl;

	memcpy(s->buf + s->len + REC_PAYLOAD_OFF, payload, n);
	if (rec_seal(&s->tx, s->buf + s->len, &wl, type, ch, n, NULL) == -1)
		exit(1);
	s->len += wl;
	if (type == FUZZ_REC_REKEY && rec_rekey(&s->tx, 0) == -1)
		exit(1);
}

static void
stream_start(struct stream *s, enum noise_cipher c)
{
	struct noise_cipherstate cs;

	noise_cipher_init(&cs, c, fuzz_rec_key);
	memset(s->buf, 0, sizeof(s->buf));
	s->len = 0;
	rec_dir_init(&s->tx, &cs, 0);
}

static void
record_seeds(enum noise_cipher c, uint8_t sel, const char *tag)
{
	static char		 big[4000];
	static struct stream	 s;
	char			 name[64];

	memset(big, 'b', sizeof(big));
	stream_start(&s, c);
	seal(&s, 1, 1, "hello", 5);
	(void)snprintf(name, sizeof(name), "%s-data", tag);
	put("record", name, sel, s.buf, s.len);
	(void)snprintf(name, sizeof(name), "%s-data-partial", tag);
	put("record", name, sel, s.buf, s.len - 3);
	s.buf[s.len - 1] ^= 0x80;
	(void)snprintf(name, sizeof(name), "%s-data-badtag", tag);
	put("record", name, sel, s.buf, s.len);
	s.buf[3] ^= 0x01;		/* the clear length */
	(void)snprintf(name, sizeof(name), "%s-data-badlen", tag);
	put("record", name, sel, s.buf, s.len);

	stream_start(&s, c);
	seal(&s, 8, 0, "12345678", 8);		/* PING */
	seal(&s, 2, 3, "\0\0\1\0{\"kind\":\"volume\"}", 23);	/* OPEN */
	seal(&s, 1, 3, big, sizeof(big));
	seal(&s, 5, 3, "\0\1\0\0", 4);		/* CREDIT */
	seal(&s, 6, 3, big, 40);		/* EOF */
	seal(&s, 1, 5, "", 0);
	(void)snprintf(name, sizeof(name), "%s-stream", tag);
	put("record", name, sel, s.buf, s.len);

	stream_start(&s, c);
	seal(&s, 11, 0, "{\"msg\":1}", 9);	/* MSG */
	seal(&s, FUZZ_REC_REKEY, 0, "", 0);
	seal(&s, 11, 0, "{\"msg\":2}", 9);
	seal(&s, FUZZ_REC_REKEY, 0, "", 0);
	seal(&s, 9, 0, "12345678", 8);		/* PONG */
	(void)snprintf(name, sizeof(name), "%s-rekey", tag);
	put("record", name, sel, s.buf, s.len);

	/* a record replayed: the second copy must fail (nonce 1, not 0) */
	stream_start(&s, c);
	seal(&s, 1, 1, "once", 4);
	memcpy(s.buf + s.len, s.buf, s.len);
	s.len *= 2;
	(void)snprintf(name, sizeof(name), "%s-replay", tag);
	put("record", name, sel, s.buf, s.len);
}

int
main(int argc, char *argv[])
{
	static const uint8_t	toobig[] = { 0x00, 0x01, 0x00, 0x16, 0 };
	static const uint8_t	toosmall[] = { 0x00, 0x00, 0x00, 0x14, 0 };
	static const uint8_t	maxlen[] = { 0x00, 0x01, 0x00, 0x15 };

	if (argc != 2 || sodium_init() < 0) {
		fprintf(stderr, "usage: fuzz_seeds CORPUS-DIR\n");
		return 2;
	}
	top = argv[1];
	noise_seeds(2, FUZZ_SUITE_CHACHA, "chacha");
	if (noise_cipher_available(NOISE_CIPHER_AESGCM))
		noise_seeds(1, FUZZ_SUITE_AESGCM, "aesgcm");
	put("noise_resp", "empty", 0, NULL, 0);
	put("noise_init", "empty", 0, NULL, 0);

	record_seeds(NOISE_CIPHER_CHACHAPOLY, FUZZ_SUITE_CHACHA, "chacha");
	if (noise_cipher_available(NOISE_CIPHER_AESGCM))
		record_seeds(NOISE_CIPHER_AESGCM, FUZZ_SUITE_AESGCM, "aesgcm");
	put("record", "len-too-big", 0, toobig, sizeof(toobig));
	put("record", "len-too-small", 0, toosmall, sizeof(toosmall));
	put("record", "len-max-short", 0, maxlen, sizeof(maxlen));
	put("record", "len-only-3", 0, maxlen, 3);
	return 0;
}
