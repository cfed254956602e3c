/*
 * noise_hash.c - the Noise hash functions (spec 4.3) and what is built on
 * them: HMAC exactly as RFC 2104 says, over any of the three hashes, and the
 * specification's HKDF with two or three outputs.
 *
 * SHA256 and SHA512 are crypto_hash_sha256/512, BLAKE2b is
 * crypto_generichash with a 64-byte output.  HMAC-BLAKE2b is deliberately
 * the RFC 2104 construction with a 128-byte block, not keyed BLAKE2b: Noise
 * specifies HMAC for every hash.
 */
#include <string.h>

#include <sodium.h>

#include "noise_int.h"

#define HMAC_BLOCK_MAX	128

struct hash_ctx {
	enum noise_hash alg;
	union {
		crypto_hash_sha256_state	sha256;
		crypto_hash_sha512_state	sha512;
		crypto_generichash_state	blake2b;
	} u;
};

size_t
noise_hash_len(enum noise_hash alg)
{
	switch (alg) {
	case NOISE_HASH_SHA256:
		return crypto_hash_sha256_BYTES;
	case NOISE_HASH_SHA512:
		return crypto_hash_sha512_BYTES;
	case NOISE_HASH_BLAKE2B:
		return crypto_generichash_BYTES_MAX;
	}
	return 0;
}

/* BLOCKLEN of spec 4.3: the hash's input block, HMAC's key block. */
static size_t
hash_block_len(enum noise_hash alg)
{
	return alg == NOISE_HASH_SHA256 ? 64 : 128;
}

static void
hash_init(struct hash_ctx *ctx, enum noise_hash alg)
{
	ctx->alg = alg;
	switch (alg) {
	case NOISE_HASH_SHA256:
		crypto_hash_sha256_init(&ctx->u.sha256);
		break;
	case NOISE_HASH_SHA512:
		crypto_hash_sha512_init(&ctx->u.sha512);
		break;
	case NOISE_HASH_BLAKE2B:
		crypto_generichash_init(&ctx->u.blake2b, NULL, 0,
		    crypto_generichash_BYTES_MAX);
		break;
	}
}

static void
hash_update(struct hash_ctx *ctx, const uint8_t *in, size_t len)
{
	if (len == 0)
		return;
	switch (ctx->alg) {
	case NOISE_HASH_SHA256:
		crypto_hash_sha256_update(&ctx->u.sha256, in, len);
		break;
	case NOISE_HASH_SHA512:
		crypto_hash_sha512_update(&ctx->u.sha512, in, len);
		break;
	case NOISE_HASH_BLAKE2B:
		crypto_generichash_update(&ctx->u.blake2b, in, len);
		break;
	}
}

/* Writes noise_hash_len() bytes and wipes the context. */
static void
hash_final(struct hash_ctx *ctx, uint8_t *out)
{
	switch (ctx->alg) {
	case NOISE_HASH_SHA256:
		crypto_hash_sha256_final(&ctx->u.sha256, out);
		break;
	case NOISE_HASH_SHA512:
		crypto_hash_sha512_final(&ctx->u.sha512, out);
		break;
	case NOISE_HASH_BLAKE2B:
		crypto_generichash_final(&ctx->u.blake2b, out,
		    crypto_generichash_BYTES_MAX);
		break;
	}
	sodium_memzero(ctx, sizeof(*ctx));
}

void
noise_hash2(enum noise_hash alg, uint8_t out[NOISE_HASHLEN_MAX],
    const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	struct hash_ctx ctx;

	hash_init(&ctx, alg);
	hash_update(&ctx, a, alen);
	hash_update(&ctx, b, blen);
	hash_final(&ctx, out);
}

/* HMAC(K, text) = H((K0 ^ opad) || H((K0 ^ ipad) || text)), RFC 2104. */
void
noise_hmac(enum noise_hash alg, uint8_t out[NOISE_HASHLEN_MAX],
    const uint8_t *key, size_t keylen, const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen)
{
	struct hash_ctx ctx;
	uint8_t k0[HMAC_BLOCK_MAX], pad[HMAC_BLOCK_MAX];
	uint8_t inner[NOISE_HASHLEN_MAX];
	size_t block = hash_block_len(alg), hashlen = noise_hash_len(alg);
	size_t i;

	/* K0: the key, hashed first when longer than a block, zero padded */
	memset(k0, 0, sizeof(k0));
	if (keylen > block)
		noise_hash2(alg, k0, key, keylen, NULL, 0);
	else if (keylen > 0)
		memcpy(k0, key, keylen);

	for (i = 0; i < block; i++)
		pad[i] = k0[i] ^ 0x36;
	hash_init(&ctx, alg);
	hash_update(&ctx, pad, block);
	hash_update(&ctx, a, alen);
	hash_update(&ctx, b, blen);
	hash_final(&ctx, inner);

	for (i = 0; i < block; i++)
		pad[i] = k0[i] ^ 0x5c;
	hash_init(&ctx, alg);
	hash_update(&ctx, pad, block);
	hash_update(&ctx, inner, hashlen);
	hash_final(&ctx, out);

	sodium_memzero(k0, sizeof(k0));
	sodium_memzero(pad, sizeof(pad));
	sodium_memzero(inner, sizeof(inner));
}

/*
 * temp_key = HMAC(ck, ikm); output1 = HMAC(temp_key, 0x01);
 * output2 = HMAC(temp_key, output1 || 0x02);
 * output3 = HMAC(temp_key, output2 || 0x03).
 */
void
noise_hkdf(enum noise_hash alg, uint8_t out1[NOISE_HASHLEN_MAX],
    uint8_t out2[NOISE_HASHLEN_MAX], uint8_t *out3,
    const uint8_t ck[NOISE_HASHLEN_MAX], const uint8_t *ikm, size_t ikmlen)
{
	uint8_t temp_key[NOISE_HASHLEN_MAX];
	uint8_t o1[NOISE_HASHLEN_MAX], o2[NOISE_HASHLEN_MAX];
	size_t hashlen = noise_hash_len(alg);
	const uint8_t one = 0x01, two = 0x02, three = 0x03;

	noise_hmac(alg, temp_key, ck, hashlen, ikm, ikmlen, NULL, 0);
	noise_hmac(alg, o1, temp_key, hashlen, &one, 1, NULL, 0);
	noise_hmac(alg, o2, temp_key, hashlen, o1, hashlen, &two, 1);
	if (out3 != NULL)
		noise_hmac(alg, out3, temp_key, hashlen, o2, hashlen,
		    &three, 1);
	memcpy(out1, o1, hashlen);
	memcpy(out2, o2, hashlen);

	sodium_memzero(temp_key, sizeof(temp_key));
	sodium_memzero(o1, sizeof(o1));
	sodium_memzero(o2, sizeof(o2));
}
