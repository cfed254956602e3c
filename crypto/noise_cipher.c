/*
 * noise_cipher.c - the CipherState of spec 5.1 over the two AEADs, and the
 * 25519 DH functions of spec 4.1.
 *
 * ChaChaPoly is libsodium's crypto_aead_chacha20poly1305_ietf with the nonce
 * 32 zero bits || n little-endian (spec 12.4); AESGCM is libcrypto's, in
 * noise_aesgcm.c (spec 12.3).  n == 2^64-1 is reserved (spec 5.1) and
 * refused; n advances only when an operation succeeded.  These functions are
 * the record layer's data path: no copy, in place allowed, and no allocation
 * once the state is prepared (an unprepared AESGCM state, the handshake's,
 * keys a context per call).
 */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "noise_int.h"

#define NONCE_LEN	12
#define NONCE_MAX	UINT64_MAX	/* reserved for rekey */

int
noise_cipher_available(enum noise_cipher cipher)
{
	if (sodium_init() < 0)
		return 0;
	switch (cipher) {
	case NOISE_CIPHER_CHACHAPOLY:
		return 1;
	case NOISE_CIPHER_AESGCM:
		/*
		 * libcrypto would run AES-GCM without AES-NI too, in table
		 * code that is neither fast nor constant time: keep the
		 * suite to CPUs that libsodium finds AES-NI and CLMUL on, so
		 * that others choose ChaChaPoly as before.
		 */
		return crypto_aead_aes256gcm_is_available() &&
		    noise_aesgcm_available() ? 1 : 0;
	}
	return 0;
}

/* ChaChaPoly (spec 12.4): 32 bits of zeros, then n little-endian. */
static void
chachapoly_nonce(uint8_t nonce[NONCE_LEN], uint64_t n)
{
	int i;

	memset(nonce, 0, 4);
	for (i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(n >> (8 * i));
}

/* ENCRYPT(k, n, ad, plaintext) of spec 4.2, without the CipherState rules. */
static int
aead_encrypt(const struct noise_cipherstate *cs, uint64_t n, uint8_t *c,
    const uint8_t *ad, size_t adlen, const uint8_t *p, size_t plen)
{
	uint8_t nonce[NONCE_LEN];
	struct noise_aesgcm *g;
	int ret;

	switch (cs->cipher) {
	case NOISE_CIPHER_CHACHAPOLY:
		chachapoly_nonce(nonce, n);
		return crypto_aead_chacha20poly1305_ietf_encrypt(c, NULL, p,
		    plen, ad, adlen, NULL, nonce, cs->k);
	case NOISE_CIPHER_AESGCM:
		if ((g = cs->gcm) == NULL &&
		    (g = noise_aesgcm_new(cs->k)) == NULL)
			return -1;
		ret = noise_aesgcm_encrypt(g, n, c, ad, adlen, p, plen);
		if (g != cs->gcm)
			noise_aesgcm_free(g);
		return ret;
	}
	return -1;
}

static int
aead_decrypt(const struct noise_cipherstate *cs, uint64_t n, uint8_t *p,
    const uint8_t *ad, size_t adlen, const uint8_t *c, size_t clen)
{
	uint8_t nonce[NONCE_LEN];
	struct noise_aesgcm *g;
	int ret;

	switch (cs->cipher) {
	case NOISE_CIPHER_CHACHAPOLY:
		chachapoly_nonce(nonce, n);
		return crypto_aead_chacha20poly1305_ietf_decrypt(p, NULL, NULL,
		    c, clen, ad, adlen, nonce, cs->k);
	case NOISE_CIPHER_AESGCM:
		if ((g = cs->gcm) == NULL &&
		    (g = noise_aesgcm_new(cs->k)) == NULL)
			return -1;
		ret = noise_aesgcm_decrypt(g, n, p, ad, adlen, c, clen);
		if (g != cs->gcm)
			noise_aesgcm_free(g);
		return ret;
	}
	return -1;
}

void
noise_cipher_init(struct noise_cipherstate *cs, enum noise_cipher cipher,
    const uint8_t k[NOISE_KEYLEN])
{
	memcpy(cs->k, k, NOISE_KEYLEN);
	cs->n = 0;
	cs->has_key = 1;
	cs->cipher = cipher;
	cs->gcm = NULL;
}

int
noise_cipher_prepare(struct noise_cipherstate *cs)
{
	if (!cs->has_key || cs->gcm != NULL) {
		errno = EINVAL;
		return -1;
	}
	if (cs->cipher != NOISE_CIPHER_AESGCM)
		return 0;
	if ((cs->gcm = noise_aesgcm_new(cs->k)) == NULL)
		return -1;
	return 0;
}

void
noise_cipher_wipe(struct noise_cipherstate *cs)
{
	if (cs == NULL)
		return;
	noise_aesgcm_free(cs->gcm);
	sodium_memzero(cs, sizeof(*cs));
}

/*
 * EncryptWithAd of spec 5.1, but a CipherState without a key is an error
 * here, never a pass-through: the handshake handles the empty key itself, so
 * the data path cannot send clear text by mistake.
 */
int
noise_encrypt(struct noise_cipherstate *cs, uint8_t *c, const uint8_t *ad,
    size_t adlen, const uint8_t *p, size_t plen)
{
	if (!cs->has_key) {
		errno = EINVAL;
		return -1;
	}
	if (cs->n == NONCE_MAX) {
		errno = EOVERFLOW;
		return -1;
	}
	if (aead_encrypt(cs, cs->n, c, ad, adlen, p, plen) != 0) {
		errno = EINVAL;
		return -1;
	}
	cs->n++;
	return 0;
}

int
noise_decrypt(struct noise_cipherstate *cs, uint8_t *p, const uint8_t *ad,
    size_t adlen, const uint8_t *c, size_t clen)
{
	if (!cs->has_key || clen < NOISE_TAGLEN) {
		errno = EINVAL;
		return -1;
	}
	if (cs->n == NONCE_MAX) {
		errno = EOVERFLOW;
		return -1;
	}
	if (aead_decrypt(cs, cs->n, p, ad, adlen, c, clen) != 0) {
		/* never leave unauthenticated plaintext behind */
		sodium_memzero(p, clen - NOISE_TAGLEN);
		errno = EBADMSG;
		return -1;
	}
	cs->n++;
	return 0;
}

/*
 * REKEY(k) of spec 4.2: ENCRYPT(k, maxnonce, zerolen, zeros)[0..32).  A
 * prepared state swaps in a context keyed with the new k, freeing the old.
 */
int
noise_rekey(struct noise_cipherstate *cs)
{
	uint8_t buf[NOISE_KEYLEN + NOISE_TAGLEN];
	struct noise_aesgcm *g;
	int ret = -1;

	if (!cs->has_key) {
		errno = EINVAL;
		goto out;
	}
	memset(buf, 0, NOISE_KEYLEN);
	if (aead_encrypt(cs, NONCE_MAX, buf, NULL, 0, buf, NOISE_KEYLEN)
	    != 0) {
		errno = EINVAL;
		goto out;
	}
	if (cs->gcm != NULL) {
		if ((g = noise_aesgcm_new(buf)) == NULL)
			goto out;
		noise_aesgcm_free(cs->gcm);
		cs->gcm = g;
	}
	memcpy(cs->k, buf, NOISE_KEYLEN);
	ret = 0;
out:
	sodium_memzero(buf, sizeof(buf));
	return ret;
}

int
noise_dh(uint8_t out[NOISE_DHLEN], const uint8_t priv[NOISE_DHLEN],
    const uint8_t pub[NOISE_DHLEN])
{
	/* libsodium refuses an all-zero result too; say so explicitly */
	if (crypto_scalarmult(out, priv, pub) != 0 ||
	    sodium_is_zero(out, NOISE_DHLEN)) {
		sodium_memzero(out, NOISE_DHLEN);
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int
noise_dh_keypair(uint8_t pub[NOISE_DHLEN], uint8_t priv[NOISE_DHLEN])
{
	randombytes_buf(priv, NOISE_DHLEN);
	if (crypto_scalarmult_base(pub, priv) != 0) {
		sodium_memzero(priv, NOISE_DHLEN);
		memset(pub, 0, NOISE_DHLEN);
		return -1;
	}
	return 0;
}

int
noise_dh_public(uint8_t pub[NOISE_DHLEN], const uint8_t priv[NOISE_DHLEN])
{
	if (crypto_scalarmult_base(pub, priv) != 0) {
		memset(pub, 0, NOISE_DHLEN);
		return -1;
	}
	return 0;
}
