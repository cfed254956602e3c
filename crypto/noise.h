/*
 * noise.h - the Noise Protocol Framework (revision 34) over libsodium, with
 * AESGCM from libcrypto.
 *
 * DH: 25519 only (crypto_scalarmult).  Ciphers: ChaChaPoly
 * (crypto_aead_chacha20poly1305_ietf) and AESGCM (OpenSSL's AES-256-GCM, only
 * where the CPU has AES-NI and CLMUL, as crypto_aead_aes256gcm_is_available()
 * says).  Hashes: SHA256, SHA512, BLAKE2b, with HMAC and HKDF built on them
 * as the specification says.
 *
 * The handshake is table driven: every pattern of the specification's
 * sections 7.4, 7.5 (deferred) and 9 (psk modifiers) is a list of tokens, and
 * noise_write_message()/noise_read_message() interpret one token at a time,
 * so the same code runs the published test vectors for every pattern and the
 * tunnel's Noise_IK.
 *
 * Conventions (libsodium's): outputs before inputs, 0 on success and -1 on
 * failure, outputs defined (zeroed) on failure, every temporary wiped.
 */
#ifndef VMGW_NOISE_H
#define VMGW_NOISE_H

#include <stddef.h>
#include <stdint.h>

#define NOISE_DHLEN        32
#define NOISE_HASHLEN_MAX  64
#define NOISE_KEYLEN       32
#define NOISE_TAGLEN       16
#define NOISE_PSKLEN       32
#define NOISE_MAX_MSG      65535          /* spec: messages are <= 65535 bytes */
#define NOISE_MAX_PSKS     4
#define NOISE_NAME_MAX     64

#define NOISE_WUR __attribute__((warn_unused_result))

enum noise_cipher { NOISE_CIPHER_CHACHAPOLY = 1, NOISE_CIPHER_AESGCM = 2 };
enum noise_hash   { NOISE_HASH_SHA256 = 1, NOISE_HASH_SHA512 = 2,
		    NOISE_HASH_BLAKE2B = 3 };

struct noise_aesgcm;	/* a libcrypto AES-256-GCM context holding one key */

/*
 * CipherState (spec section 5.1).  A plain value that may be copied, until
 * noise_cipher_prepare() gives it a context of its own (gcm): from then on
 * it is not copied, and noise_cipher_wipe() frees it.
 */
struct noise_cipherstate {
	uint8_t			k[NOISE_KEYLEN];
	uint64_t		n;
	int			has_key;
	enum noise_cipher	cipher;
	struct noise_aesgcm	*gcm;	/* AESGCM, prepared: k's context */
};

/* Opaque HandshakeState (spec section 5.3); allocate with noise_handshake_new. */
struct noise_handshake;

/* Parameters of one handshake. Keys are copied; the caller wipes its own. */
struct noise_params {
	const char	*protocol_name;	/* "Noise_IK_25519_ChaChaPoly_BLAKE2b" */
	int		 initiator;	/* 1 initiator, 0 responder */
	const uint8_t	*prologue;
	size_t		 prologue_len;
	const uint8_t	*s;		/* local static private key or NULL */
	const uint8_t	*e;		/* fixed ephemeral private key (tests) or NULL */
	const uint8_t	*rs;		/* remote static public key or NULL */
	const uint8_t	*re;		/* remote ephemeral public key or NULL (pre-message) */
	const uint8_t	(*psks)[NOISE_PSKLEN];	/* psks in the order they are used */
	size_t		 npsks;
};

/* Does this build and CPU support the named protocol? Returns 1 or 0. */
int	noise_protocol_supported(const char *protocol_name);
int	noise_cipher_available(enum noise_cipher);

/*
 * Create a handshake; NULL (and errno EINVAL/ENOTSUP/ENOMEM) on failure.
 * The keys must be exactly those the pattern takes from outside: s when this
 * side sends or pre-shares it, rs/re when the peer pre-shares them, npsks
 * equal to the psk modifiers; a key the pattern never uses is refused too
 * (an IK responder gets no rs: it reads the initiator's from message 1 and
 * checks it with noise_remote_static()).  e is optional unless pre-shared.
 */
struct noise_handshake *noise_handshake_new(const struct noise_params *);
/* Wipe and free; accepts NULL. */
void	noise_handshake_free(struct noise_handshake *);

/*
 * Write the next handshake message: the tokens of the current message pattern
 * followed by the (encrypted when a key is set) payload.  out must hold
 * outcap bytes; on success *outlen is the message length.  payload must not
 * overlap out.  Any failure (also: not our turn, out too small) poisons the
 * handshake, as for noise_read_message().
 */
int	noise_write_message(struct noise_handshake *, uint8_t *out,
	    size_t outcap, size_t *outlen, const uint8_t *payload,
	    size_t payload_len) NOISE_WUR;
/*
 * Read the next handshake message; on success the decrypted payload is in
 * payload[0..*payload_len).  Any failure poisons the handshake: every later
 * call fails.
 */
int	noise_read_message(struct noise_handshake *, uint8_t *payload,
	    size_t payload_cap, size_t *payload_len, const uint8_t *msg,
	    size_t msg_len) NOISE_WUR;
/* 1 when every message pattern has been processed. */
int	noise_handshake_done(const struct noise_handshake *);
/* Whose turn: 1 when the next call must be write_message. */
int	noise_handshake_my_turn(const struct noise_handshake *);
/*
 * Split (spec 5.2): c1 encrypts initiator->responder, c2 the other way.
 * Only after noise_handshake_done(), and only once: it wipes ck and the
 * local keys.  One-way patterns (N, K, X) must not use c2.
 */
int	noise_split(struct noise_handshake *, struct noise_cipherstate *c1,
	    struct noise_cipherstate *c2) NOISE_WUR;
/*
 * Handshake hash h, once noise_handshake_done() (also after noise_split).
 * Returns its length (32 or 64), or 0 when not available or outcap is short.
 */
size_t	noise_handshake_hash(const struct noise_handshake *, uint8_t *out,
	    size_t outcap);
/* Remote static public key, once known (after the token that carries it). */
int	noise_remote_static(const struct noise_handshake *,
	    uint8_t out[NOISE_DHLEN]) NOISE_WUR;
/* Local ephemeral public key (tests). */
int	noise_local_ephemeral(const struct noise_handshake *,
	    uint8_t out[NOISE_DHLEN]) NOISE_WUR;

/*
 * CipherState operations (spec 5.1) with an explicit nonce counter.  init
 * makes an unprepared state (a prepared one must be wiped first); its
 * AESGCM operations key a short-lived libcrypto context per call.
 */
void	noise_cipher_init(struct noise_cipherstate *, enum noise_cipher,
	    const uint8_t k[NOISE_KEYLEN]);
/*
 * For a long-lived CipherState (a record direction): key one libcrypto
 * context now, used by every later call and replaced by noise_rekey().
 * Nothing to do for ChaChaPoly.  -1 (EINVAL: no key or already prepared,
 * ENOMEM) leaves the state unprepared.
 */
int	noise_cipher_prepare(struct noise_cipherstate *) NOISE_WUR;
/*
 * c must hold plen + NOISE_TAGLEN; c == p (in place) is allowed.  Unlike
 * the spec's EncryptWithAd, a CipherState without a key is an error (never
 * clear text); n == 2^64-1 is refused (EOVERFLOW); n advances on success only.
 */
int	noise_encrypt(struct noise_cipherstate *, uint8_t *c, const uint8_t *ad,
	    size_t adlen, const uint8_t *p, size_t plen) NOISE_WUR;
/*
 * p must hold clen - NOISE_TAGLEN; p == c (in place) is allowed.  On failure
 * (EBADMSG) p[0..clen - NOISE_TAGLEN) is zeroed and n is unchanged.
 */
int	noise_decrypt(struct noise_cipherstate *, uint8_t *p, const uint8_t *ad,
	    size_t adlen, const uint8_t *c, size_t clen) NOISE_WUR;
/*
 * Rekey (spec 4.2): k = ENCRYPT(k, maxnonce, zerolen, zeros)[0..32).  A
 * prepared state gets a fresh context for the new key; on failure it keeps
 * the old key and context.
 */
int	noise_rekey(struct noise_cipherstate *) NOISE_WUR;
/* Free the context of a prepared state and wipe; accepts NULL. */
void	noise_cipher_wipe(struct noise_cipherstate *);

/* X25519 helpers. */
int	noise_dh_keypair(uint8_t pub[NOISE_DHLEN], uint8_t priv[NOISE_DHLEN]);
int	noise_dh_public(uint8_t pub[NOISE_DHLEN],
	    const uint8_t priv[NOISE_DHLEN]) NOISE_WUR;

#endif /* VMGW_NOISE_H */
