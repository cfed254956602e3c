/*
 * test_aead.c - AESGCM through libcrypto (noise_aesgcm.c) against libsodium's
 * crypto_aead_aes256gcm, which the wire format was defined by: messages
 * sealed by either open with the other, for several sizes, nonces and
 * associated data, through the raw context, a prepared and an unprepared
 * CipherState, and whole records; a flipped bit of ciphertext, tag or
 * associated data is refused with the output wiped; in place works; rekey
 * gives a fresh context and the key libsodium computes.  Skipped where the
 * CPU has no AES-NI (libsodium has no AES-GCM there, and vmgw chooses
 * ChaChaPoly).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "noise.h"
#include "noise_int.h"
#include "record.h"

#define TAG	NOISE_TAGLEN
#define MAXLEN	(65536 + 7)

static const size_t sizes[] = { 0, 1, 15, 16, 17, 4096, MAXLEN };
static const size_t adlens[] = { 0, 1, 4, 13, 64 };
static const uint64_t nonces[] = { 0, 1, 255, 256, 0x0102030405060708ULL,
    UINT64_MAX - 1 };
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static uint8_t msg[MAXLEN], ad[64];
static uint8_t ref[MAXLEN + TAG], out[MAXLEN + TAG], back[MAXLEN + TAG];

static int
aes_ok(void)
{
	if (crypto_aead_aes256gcm_is_available())
		return 1;
	printf("aead: no AES-NI on this CPU, skipped\n");
	return 0;
}

static void
fill(uint8_t *p, size_t len, uint32_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 9));
}

/* The nonce of spec 12.3, spelled out here rather than taken from the code. */
static void
ref_nonce(uint8_t npub[crypto_aead_aes256gcm_NPUBBYTES], uint64_t n)
{
	static const uint8_t zero[4];
	uint8_t be[8];
	int i;

	for (i = 0; i < 8; i++)
		be[i] = (uint8_t)(n >> (56 - 8 * i));
	memcpy(npub, zero, 4);
	memcpy(npub + 4, be, 8);
}

/* libsodium seals c = p || tag. */
static void
ref_seal(const uint8_t k[NOISE_KEYLEN], uint64_t n, uint8_t *c,
    const uint8_t *a, size_t alen, const uint8_t *p, size_t plen)
{
	uint8_t npub[crypto_aead_aes256gcm_NPUBBYTES];

	ref_nonce(npub, n);
	assert_int_equal(crypto_aead_aes256gcm_encrypt_detached(c, c + plen,
	    NULL, p, plen, a, alen, NULL, npub, k), 0);
}

static int
ref_open(const uint8_t k[NOISE_KEYLEN], uint64_t n, uint8_t *p,
    const uint8_t *a, size_t alen, const uint8_t *c, size_t clen)
{
	uint8_t npub[crypto_aead_aes256gcm_NPUBBYTES];

	if (clen < TAG)
		return -1;
	ref_nonce(npub, n);
	return crypto_aead_aes256gcm_decrypt_detached(p, NULL, c, clen - TAG,
	    c + clen - TAG, a, alen, npub, k);
}

/* --- the raw context: one key, many nonces -------------------------------- */

static void
test_interop_context(void **state)
{
	uint8_t k[NOISE_KEYLEN];
	struct noise_aesgcm *g;
	size_t i, j, m, len, alen;
	uint64_t n;

	(void)state;
	if (!aes_ok())
		return;
	randombytes_buf(k, sizeof(k));
	assert_non_null(g = noise_aesgcm_new(k));
	for (i = 0; i < NELEM(sizes); i++)
		for (j = 0; j < NELEM(adlens); j++)
			for (m = 0; m < NELEM(nonces); m++) {
				len = sizes[i];
				alen = adlens[j];
				n = nonces[m];
				fill(msg, len, (uint32_t)(i + j + m));
				fill(ad, alen, (uint32_t)(i * j + 3));

				/* libcrypto seals what libsodium seals */
				ref_seal(k, n, ref, ad, alen, msg, len);
				assert_int_equal(noise_aesgcm_encrypt(g, n,
				    out, ad, alen, msg, len), 0);
				assert_memory_equal(out, ref, len + TAG);

				/* libsodium opens it (so also ours) */
				assert_int_equal(ref_open(k, n, back, ad,
				    alen, out, len + TAG), 0);
				if (len > 0)
					assert_memory_equal(back, msg, len);

				/* libcrypto opens libsodium's */
				memset(back, 0xaa, len);
				assert_int_equal(noise_aesgcm_decrypt(g, n,
				    back, ad, alen, ref, len + TAG), 0);
				if (len > 0)
					assert_memory_equal(back, msg, len);
			}
	noise_aesgcm_free(g);
	noise_aesgcm_free(NULL);
	sodium_memzero(k, sizeof(k));
}

/* in == out both ways, with the same bytes as out of place */
static void
test_in_place(void **state)
{
	uint8_t k[NOISE_KEYLEN];
	struct noise_aesgcm *g;
	size_t i, len;

	(void)state;
	if (!aes_ok())
		return;
	randombytes_buf(k, sizeof(k));
	assert_non_null(g = noise_aesgcm_new(k));
	fill(ad, 13, 9);
	for (i = 0; i < NELEM(sizes); i++) {
		len = sizes[i];
		fill(msg, len, (uint32_t)i);
		ref_seal(k, 7, ref, ad, 13, msg, len);
		memcpy(out, msg, len);
		assert_int_equal(noise_aesgcm_encrypt(g, 7, out, ad, 13, out,
		    len), 0);
		assert_memory_equal(out, ref, len + TAG);
		assert_int_equal(noise_aesgcm_decrypt(g, 7, out, ad, 13, out,
		    len + TAG), 0);
		if (len > 0)
			assert_memory_equal(out, msg, len);
		/* the tag behind the plaintext is left as it was */
		assert_memory_equal(out + len, ref + len, TAG);
	}
	noise_aesgcm_free(g);
	sodium_memzero(k, sizeof(k));
}

/* --- damage --------------------------------------------------------------- */

enum flip { FLIP_CT_FIRST, FLIP_CT_LAST, FLIP_TAG_FIRST, FLIP_TAG_LAST,
    FLIP_AD, FLIP_NONCE, FLIP_TRUNC };
static const char *const flipname[] = { "ciphertext first byte",
    "ciphertext last byte", "tag first byte", "tag last byte",
    "associated data", "nonce", "truncated" };

#define DMG_AD		13
#define DMG_N		42

/*
 * ref holds msg[0..len) sealed under k with nonce DMG_N and ad.  Damage one
 * thing; the open fails with EBADMSG and every output byte zero, out of place
 * and in place, as it does with libsodium; the context still opens the
 * undamaged message afterwards.
 */
static void
damaged(const uint8_t k[NOISE_KEYLEN], struct noise_aesgcm *g, size_t len,
    enum flip f)
{
	size_t clen, mlen;
	uint64_t n;
	int in_place, r;

	for (in_place = 0; in_place < 2; in_place++) {
		memcpy(out, ref, len + TAG);
		clen = len + TAG;
		n = DMG_N;
		fill(ad, DMG_AD, 5);
		switch (f) {
		case FLIP_CT_FIRST:
			out[0] ^= 0x01;
			break;
		case FLIP_CT_LAST:
			out[len - 1] ^= 0x80;
			break;
		case FLIP_TAG_FIRST:
			out[len] ^= 0x01;
			break;
		case FLIP_TAG_LAST:
			out[clen - 1] ^= 0x80;
			break;
		case FLIP_AD:
			ad[DMG_AD - 1] ^= 0x04;
			break;
		case FLIP_NONCE:
			n++;
			break;
		case FLIP_TRUNC:
			clen--;
			break;
		}
		mlen = clen - TAG;
		assert_int_not_equal(ref_open(k, n, back, ad, DMG_AD, out,
		    clen), 0);
		errno = 0;
		if (in_place) {
			r = noise_aesgcm_decrypt(g, n, out, ad, DMG_AD, out,
			    clen);
			if (r != -1 || !sodium_is_zero(out, mlen))
				fail_msg("%s, len %zu, in place: not refused "
				    "and wiped", flipname[f], len);
		} else {
			memset(back, 0xaa, mlen);
			r = noise_aesgcm_decrypt(g, n, back, ad, DMG_AD, out,
			    clen);
			if (r != -1 || !sodium_is_zero(back, mlen))
				fail_msg("%s, len %zu: not refused and wiped",
				    flipname[f], len);
		}
		assert_int_equal(errno, EBADMSG);

		fill(ad, DMG_AD, 5);
		assert_int_equal(noise_aesgcm_decrypt(g, DMG_N, back, ad,
		    DMG_AD, ref, len + TAG), 0);
		if (len > 0)
			assert_memory_equal(back, msg, len);
	}
}

static void
test_damage(void **state)
{
	static const size_t dsizes[] = { 0, 1, 17, 4096, MAXLEN };
	uint8_t k[NOISE_KEYLEN];
	struct noise_aesgcm *g;
	size_t i, len;
	int f;

	(void)state;
	if (!aes_ok())
		return;
	randombytes_buf(k, sizeof(k));
	assert_non_null(g = noise_aesgcm_new(k));
	for (i = 0; i < NELEM(dsizes); i++) {
		len = dsizes[i];
		fill(msg, len, (uint32_t)i);
		fill(ad, DMG_AD, 5);
		ref_seal(k, DMG_N, ref, ad, DMG_AD, msg, len);
		for (f = FLIP_CT_FIRST; f <= FLIP_TRUNC; f++) {
			/* nothing to flip; shorter than a tag: see below */
			if (len == 0 && (f == FLIP_CT_FIRST ||
			    f == FLIP_CT_LAST || f == FLIP_TRUNC))
				continue;
			damaged(k, g, len, (enum flip)f);
		}
	}
	/* shorter than a tag */
	errno = 0;
	assert_int_equal(noise_aesgcm_decrypt(g, 0, back, NULL, 0, ref,
	    TAG - 1), -1);
	assert_int_equal(errno, EINVAL);
	/* another key */
	k[0] ^= 1;
	noise_aesgcm_free(g);
	assert_non_null(g = noise_aesgcm_new(k));
	assert_int_equal(noise_aesgcm_decrypt(g, DMG_N, back, ad, DMG_AD, ref,
	    MAXLEN + TAG), -1);
	assert_true(sodium_is_zero(back, MAXLEN));
	noise_aesgcm_free(g);
	sodium_memzero(k, sizeof(k));
}

/* --- CipherStates: prepared (records) and not (handshake) ----------------- */

static void
test_cipherstate(void **state)
{
	uint8_t k[NOISE_KEYLEN];
	struct noise_cipherstate prep, plain, rx;
	size_t i, len;
	uint64_t n;

	(void)state;
	if (!aes_ok())
		return;
	randombytes_buf(k, sizeof(k));
	noise_cipher_init(&prep, NOISE_CIPHER_AESGCM, k);
	noise_cipher_init(&plain, NOISE_CIPHER_AESGCM, k);
	noise_cipher_init(&rx, NOISE_CIPHER_AESGCM, k);
	assert_null(prep.gcm);
	assert_int_equal(noise_cipher_prepare(&prep), 0);
	assert_non_null(prep.gcm);
	assert_int_equal(noise_cipher_prepare(&prep), -1);	/* once */
	assert_int_equal(errno, EINVAL);
	assert_int_equal(noise_cipher_prepare(&rx), 0);
	fill(ad, 32, 1);
	for (i = 0; i < NELEM(sizes); i++) {
		len = sizes[i];
		n = prep.n;
		fill(msg, len, (uint32_t)i);
		ref_seal(k, n, ref, ad, 32, msg, len);
		assert_int_equal(noise_encrypt(&prep, out, ad, 32, msg, len),
		    0);
		assert_memory_equal(out, ref, len + TAG);
		assert_int_equal(noise_encrypt(&plain, back, ad, 32, msg, len),
		    0);
		assert_memory_equal(back, ref, len + TAG);
		/* the prepared receiver opens libsodium's, in place */
		memcpy(out, ref, len + TAG);
		assert_int_equal(noise_decrypt(&rx, out, ad, 32, out,
		    len + TAG), 0);
		if (len > 0)
			assert_memory_equal(out, msg, len);
	}
	assert_int_equal(prep.n, NELEM(sizes));
	/* a wrong tag: refused, wiped, n unchanged */
	n = rx.n;
	ref_seal(k, n, ref, ad, 32, msg, 100);
	ref[100 + TAG - 1] ^= 1;
	memset(out, 0xaa, 100);
	assert_int_equal(noise_decrypt(&rx, out, ad, 32, ref, 100 + TAG), -1);
	assert_int_equal(errno, EBADMSG);
	assert_true(sodium_is_zero(out, 100));
	assert_int_equal(rx.n, n);

	noise_cipher_wipe(&prep);
	assert_null(prep.gcm);
	assert_true(sodium_is_zero(prep.k, sizeof(prep.k)));
	noise_cipher_wipe(&prep);		/* twice is harmless */
	noise_cipher_wipe(NULL);
	noise_cipher_wipe(&plain);
	noise_cipher_wipe(&rx);
	/* no key: nothing to prepare */
	assert_int_equal(noise_cipher_prepare(&plain), -1);
	/* ChaChaPoly has nothing per key */
	noise_cipher_init(&plain, NOISE_CIPHER_CHACHAPOLY, k);
	assert_int_equal(noise_cipher_prepare(&plain), 0);
	assert_null(plain.gcm);
	noise_cipher_wipe(&plain);
	sodium_memzero(k, sizeof(k));
}

/* --- rekey ---------------------------------------------------------------- */

static void
test_rekey(void **state)
{
	static const uint8_t zeros[NOISE_KEYLEN];
	uint8_t k[NOISE_KEYLEN], k2[NOISE_KEYLEN + TAG];
	struct noise_cipherstate prep, plain;
	struct noise_aesgcm *old;
	uint8_t before[100 + TAG];

	(void)state;
	if (!aes_ok())
		return;
	randombytes_buf(k, sizeof(k));
	noise_cipher_init(&prep, NOISE_CIPHER_AESGCM, k);
	noise_cipher_init(&plain, NOISE_CIPHER_AESGCM, k);
	assert_int_equal(noise_cipher_prepare(&prep), 0);
	fill(msg, 100, 3);
	prep.n = 5;
	assert_int_equal(noise_encrypt(&prep, before, NULL, 0, msg, 100), 0);

	/* REKEY(k) = ENCRYPT(k, 2^64-1, zerolen, zeros)[0..32), by libsodium */
	ref_seal(k, UINT64_MAX, k2, NULL, 0, zeros, NOISE_KEYLEN);
	old = prep.gcm;
	assert_int_equal(noise_rekey(&prep), 0);
	assert_int_equal(noise_rekey(&plain), 0);
	assert_memory_equal(prep.k, k2, NOISE_KEYLEN);
	assert_memory_equal(plain.k, k2, NOISE_KEYLEN);
	/* a fresh context (allocated before the old one was freed) */
	assert_non_null(prep.gcm);
	assert_ptr_not_equal(prep.gcm, old);
	assert_int_equal(prep.n, 6);

	/* the same n and message now seal differently, as libsodium says */
	prep.n = 5;
	assert_int_equal(noise_encrypt(&prep, out, NULL, 0, msg, 100), 0);
	assert_memory_not_equal(out, before, 100 + TAG);
	ref_seal(k2, 5, ref, NULL, 0, msg, 100);
	assert_memory_equal(out, ref, 100 + TAG);
	/* and the old key cannot open it */
	assert_int_equal(ref_open(k, 5, back, NULL, 0, out, 100 + TAG), -1);

	noise_cipher_wipe(&prep);
	noise_cipher_wipe(&plain);
	sodium_memzero(k, sizeof(k));
	sodium_memzero(k2, sizeof(k2));
}

/* --- records -------------------------------------------------------------- */

static uint8_t wire[REC_WIRE_MAX];

/* rec_seal's record is len || libsodium's seal of type || channel || payload */
static void
test_record_wire(void **state)
{
	static const size_t rsizes[] = { 0, 1, 15, 16, 17, 4096,
	    REC_PAYLOAD_MAX };
	uint8_t k[NOISE_KEYLEN], inner[REC_INNER_HDR + REC_PAYLOAD_MAX];
	uint8_t t, *pl;
	struct noise_cipherstate cs;
	struct rec_dir tx, rx;
	size_t i, len, wl, got;
	uint32_t ch;

	(void)state;
	if (!aes_ok())
		return;
	randombytes_buf(k, sizeof(k));
	noise_cipher_init(&cs, NOISE_CIPHER_AESGCM, k);
	assert_int_equal(rec_dir_init(&tx, &cs, 0), 0);
	assert_int_equal(rec_dir_init(&rx, &cs, 0), 0);
	assert_non_null(tx.cs.gcm);
	assert_ptr_not_equal(tx.cs.gcm, rx.cs.gcm);
	noise_cipher_wipe(&cs);
	for (i = 0; i < NELEM(rsizes); i++) {
		len = rsizes[i];
		fill(wire + REC_PAYLOAD_OFF, len, (uint32_t)i);
		assert_int_equal(rec_seal(&tx, wire, &wl, 3, 0xa1b2c3d4u, len,
		    NULL), 0);
		assert_int_equal(wl, REC_OVERHEAD + len);

		inner[0] = 3;
		memcpy(inner + 1, "\xa1\xb2\xc3\xd4", 4);
		fill(inner + REC_INNER_HDR, len, (uint32_t)i);
		ref_seal(k, i, ref, wire, REC_LEN_SIZE, inner,
		    REC_INNER_HDR + len);
		assert_memory_equal(wire + REC_LEN_SIZE, ref,
		    wl - REC_LEN_SIZE);

		/* and a record libsodium sealed opens */
		memcpy(wire + REC_LEN_SIZE, ref, wl - REC_LEN_SIZE);
		assert_int_equal(rec_open(&rx, wire, wl, &t, &ch, &pl, &got,
		    NULL), 0);
		assert_int_equal(t, 3);
		assert_int_equal(ch, 0xa1b2c3d4u);
		assert_int_equal(got, len);
		if (len > 0)
			assert_memory_equal(pl, inner + REC_INNER_HDR, len);
	}
	/* a prepared state is not copied into a direction */
	rec_dir_wipe(&rx);
	assert_int_equal(rec_dir_init(&rx, &tx.cs, 0), -1);
	assert_int_equal(errno, EINVAL);
	assert_null(rx.cs.gcm);
	rec_dir_wipe(&tx);
	rec_dir_wipe(&rx);
	rec_dir_wipe(NULL);
	sodium_memzero(k, sizeof(k));
}

/* vmgw offers AESGCM exactly where libsodium found AES-NI, as before */
static void
test_available(void **state)
{
	(void)state;
	assert_int_equal(noise_aesgcm_available(), 1);
	assert_int_equal(noise_cipher_available(NOISE_CIPHER_AESGCM),
	    crypto_aead_aes256gcm_is_available() ? 1 : 0);
	assert_int_equal(noise_cipher_available(NOISE_CIPHER_CHACHAPOLY), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_available),
		cmocka_unit_test(test_interop_context),
		cmocka_unit_test(test_in_place),
		cmocka_unit_test(test_damage),
		cmocka_unit_test(test_cipherstate),
		cmocka_unit_test(test_rekey),
		cmocka_unit_test(test_record_wire),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
