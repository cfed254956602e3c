/*
 * noise_int.h - what the noise*.c files share and nobody else uses: the
 * hash functions with HMAC and HKDF (noise_hash.c), the pattern table and the
 * protocol name parser (noise_pattern.c), the raw DH (noise_cipher.c) and
 * AESGCM through libcrypto (noise_aesgcm.c).  The unit tests include it to
 * check HMAC, the parser and AESGCM in isolation.
 */
#ifndef VMGW_NOISE_INT_H
#define VMGW_NOISE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "noise.h"

/* Tokens of pre-message and message patterns (spec 7.1, 9.2). */
enum noise_token {
	NOISE_TOK_END = 0,	/* ends a token list */
	NOISE_TOK_E,
	NOISE_TOK_S,
	NOISE_TOK_EE,
	NOISE_TOK_ES,
	NOISE_TOK_SE,
	NOISE_TOK_SS,
	NOISE_TOK_PSK
};

#define NOISE_MAX_MSGS		4	/* deferred patterns have four */
#define NOISE_MAX_PRE		2	/* "e, s" at most */
/* five tokens in "<- e, ee, se, s, es" plus psk0 and pskN: seven + END */
#define NOISE_MAX_TOKENS	8

/* A parsed protocol name: the pattern with its psk tokens in place. */
struct noise_protocol {
	char		pattern[8];	/* "IK", "X1K1" (without modifiers) */
	uint8_t		pre_i[NOISE_MAX_PRE + 1];	/* initiator pre-message */
	uint8_t		pre_r[NOISE_MAX_PRE + 1];	/* responder pre-message */
	uint8_t		msgs[NOISE_MAX_MSGS][NOISE_MAX_TOKENS];
	size_t		nmsgs;		/* message 0 is the initiator's */
	size_t		npsks;		/* psk tokens in msgs */
	int		one_way;	/* N, K, X: only the initiator sends */
	enum noise_cipher cipher;
	enum noise_hash	hash;
};

/*
 * Parse "Noise_<pattern>[psk modifiers]_25519_<cipher>_<hash>".  -1 with errno
 * EINVAL for a malformed name or ENOTSUP for a well-formed one naming
 * something this code does not implement.  Says nothing about the CPU.
 */
int	noise_protocol_parse(struct noise_protocol *, const char *name);

/* Hash functions (spec 4.3). */
size_t	noise_hash_len(enum noise_hash);
/* out = HASH(a || b); b may be NULL when blen is 0. */
void	noise_hash2(enum noise_hash, uint8_t out[NOISE_HASHLEN_MAX],
	    const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);
/* out = HMAC-HASH(key, a || b) as RFC 2104 says, for any key length. */
void	noise_hmac(enum noise_hash, uint8_t out[NOISE_HASHLEN_MAX],
	    const uint8_t *key, size_t keylen, const uint8_t *a, size_t alen,
	    const uint8_t *b, size_t blen);
/*
 * HKDF(chaining_key, input_key_material, 2 or 3) of spec 4.3: out3 NULL asks
 * for two outputs.  Every output is noise_hash_len() bytes; out1 may alias
 * ck.
 */
void	noise_hkdf(enum noise_hash, uint8_t out1[NOISE_HASHLEN_MAX],
	    uint8_t out2[NOISE_HASHLEN_MAX], uint8_t *out3,
	    const uint8_t ck[NOISE_HASHLEN_MAX], const uint8_t *ikm,
	    size_t ikmlen);

/* DH(priv, pub) of spec 4.1; -1 when the result is all zeros. */
int	noise_dh(uint8_t out[NOISE_DHLEN], const uint8_t priv[NOISE_DHLEN],
	    const uint8_t pub[NOISE_DHLEN]) NOISE_WUR;

/*
 * AESGCM (spec 12.3) through libcrypto: a context keyed once, each message
 * setting only the nonce 32 zero bits || n big-endian.  The formats are
 * noise_encrypt()'s and noise_decrypt()'s (c is p || 16-byte tag) and so are
 * the rules: in place allowed, output zeroed on failure (EBADMSG for a bad
 * tag).  The nonce rules of the CipherState are the caller's.
 */
int	noise_aesgcm_available(void);	/* libcrypto has AES-256-GCM: 1 or 0 */
/* NULL with errno (ENOTSUP, ENOMEM) on failure; free with noise_aesgcm_free */
struct noise_aesgcm *noise_aesgcm_new(const uint8_t k[NOISE_KEYLEN]);
/* Wipe and free; accepts NULL. */
void	noise_aesgcm_free(struct noise_aesgcm *);
int	noise_aesgcm_encrypt(struct noise_aesgcm *, uint64_t n, uint8_t *c,
	    const uint8_t *ad, size_t adlen, const uint8_t *p, size_t plen)
	    NOISE_WUR;
int	noise_aesgcm_decrypt(struct noise_aesgcm *, uint64_t n, uint8_t *p,
	    const uint8_t *ad, size_t adlen, const uint8_t *c, size_t clen)
	    NOISE_WUR;

#endif /* VMGW_NOISE_INT_H */
