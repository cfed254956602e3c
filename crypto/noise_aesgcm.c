/*
 * noise_aesgcm.c - the AESGCM cipher of spec 12.3 through libcrypto
 * (OpenSSL 3): AES-256-GCM, 16-byte tag after the ciphertext, and the 96-bit
 * nonce 32 zero bits || n big-endian.  These are the bytes libsodium's
 * crypto_aead_aes256gcm produced before; tests/unit/test_aead.c holds the two
 * against each other.
 *
 * A struct noise_aesgcm is one EVP_CIPHER_CTX keyed once: a message sets only
 * its nonce, so the record layer, which keeps one per direction and key, does
 * no key schedule per record; the handshake makes one per message.  Both
 * directions run in place (out == in).  Decrypted bytes are unauthenticated
 * until EVP_DecryptFinal_ex has checked the tag: on any failure they are
 * wiped, and the callers hand them on only after success.
 *
 * The cipher is fetched once per process and kept for its lifetime.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "noise_int.h"

#define GCM_NONCELEN	12
#define GCM_CHUNK	((size_t)1 << 30)	/* EVP lengths are int */

struct noise_aesgcm {
	EVP_CIPHER_CTX	*ctx;		/* holds the key schedule */
};

static pthread_once_t	 gcm_once = PTHREAD_ONCE_INIT;
static EVP_CIPHER	*gcm_cipher;

static void
gcm_fetch(void)
{
	if ((gcm_cipher = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL)) == NULL)
		ERR_clear_error();
}

static const EVP_CIPHER *
gcm_get(void)
{
	(void)pthread_once(&gcm_once, gcm_fetch);
	return gcm_cipher;
}

int
noise_aesgcm_available(void)
{
	return gcm_get() != NULL;
}

/* Spec 12.3: 32 bits of zeros followed by the big-endian encoding of n. */
static void
gcm_nonce(uint8_t nonce[GCM_NONCELEN], uint64_t n)
{
	int i;

	memset(nonce, 0, 4);
	for (i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(n >> (56 - 8 * i));
}

struct noise_aesgcm *
noise_aesgcm_new(const uint8_t k[NOISE_KEYLEN])
{
	struct noise_aesgcm *g;
	const EVP_CIPHER *cipher;

	if ((cipher = gcm_get()) == NULL) {
		errno = ENOTSUP;
		return NULL;
	}
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	/* the key only; the default IV length of GCM is the 12 bytes used */
	if ((g->ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_EncryptInit_ex2(g->ctx, cipher, k, NULL, NULL) != 1) {
		ERR_clear_error();
		noise_aesgcm_free(g);
		errno = ENOMEM;
		return NULL;
	}
	return g;
}

void
noise_aesgcm_free(struct noise_aesgcm *g)
{
	if (g == NULL)
		return;
	/*
	 * EVP_CIPHER_CTX_free resets the context first; the provider frees its
	 * state, key schedule and GHASH key included, with OPENSSL_clear_free.
	 */
	EVP_CIPHER_CTX_free(g->ctx);
	free(g);
}

/* Associated data (out NULL) or message bytes, in int-sized pieces. */
static int
gcm_update(EVP_CIPHER_CTX *ctx, uint8_t *out, const uint8_t *in, size_t len)
{
	size_t chunk;
	int outl;

	while (len > 0) {
		chunk = len < GCM_CHUNK ? len : GCM_CHUNK;
		if (EVP_CipherUpdate(ctx, out, &outl, in, (int)chunk) != 1 ||
		    (out != NULL && (size_t)outl != chunk))
			return -1;
		in += chunk;
		if (out != NULL)
			out += chunk;
		len -= chunk;
	}
	return 0;
}

int
noise_aesgcm_encrypt(struct noise_aesgcm *g, uint64_t n, uint8_t *c,
    const uint8_t *ad, size_t adlen, const uint8_t *p, size_t plen)
{
	uint8_t nonce[GCM_NONCELEN];
	int outl;

	gcm_nonce(nonce, n);
	if (EVP_EncryptInit_ex2(g->ctx, NULL, NULL, nonce, NULL) != 1 ||
	    gcm_update(g->ctx, NULL, ad, adlen) == -1 ||
	    gcm_update(g->ctx, c, p, plen) == -1 ||
	    EVP_EncryptFinal_ex(g->ctx, c + plen, &outl) != 1 || outl != 0 ||
	    EVP_CIPHER_CTX_ctrl(g->ctx, EVP_CTRL_AEAD_GET_TAG, NOISE_TAGLEN,
	    c + plen) != 1) {
		ERR_clear_error();
		sodium_memzero(c, plen + NOISE_TAGLEN);
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int
noise_aesgcm_decrypt(struct noise_aesgcm *g, uint64_t n, uint8_t *p,
    const uint8_t *ad, size_t adlen, const uint8_t *c, size_t clen)
{
	uint8_t nonce[GCM_NONCELEN], tag[NOISE_TAGLEN];
	size_t mlen;
	int outl;

	if (clen < NOISE_TAGLEN) {
		errno = EINVAL;
		return -1;
	}
	mlen = clen - NOISE_TAGLEN;
	/* read before p, which may be c, is written */
	memcpy(tag, c + mlen, NOISE_TAGLEN);
	gcm_nonce(nonce, n);
	if (EVP_DecryptInit_ex2(g->ctx, NULL, NULL, nonce, NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(g->ctx, EVP_CTRL_AEAD_SET_TAG, NOISE_TAGLEN,
	    tag) != 1 ||
	    gcm_update(g->ctx, NULL, ad, adlen) == -1 ||
	    gcm_update(g->ctx, p, c, mlen) == -1 ||
	    /* p[0..mlen) is garbage unless this checks the tag */
	    EVP_DecryptFinal_ex(g->ctx, p + mlen, &outl) != 1 || outl != 0) {
		ERR_clear_error();
		sodium_memzero(p, mlen);
		errno = EBADMSG;
		return -1;
	}
	return 0;
}
