/*
 * keys.h - X25519 key files, base64 public keys and fingerprints.
 *
 * A private key file holds the base64 (standard alphabet, padded) of the 32
 * byte X25519 private key and a newline, mode 0600, as WireGuard's.  Files
 * that are group- or world-readable are refused.  Private keys live in
 * sodium_malloc() memory (guarded, mlocked) and are wiped when freed.
 * That memory is inaccessible (sodium_mprotect_noaccess) except between
 * key_priv_open() and key_priv_close(), where it is read-only: a stray
 * read of the key elsewhere faults instead of leaking it.
 */
#ifndef VMGW_KEYS_H
#define VMGW_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define KEY_LEN		32
#define KEY_B64_LEN	44			/* base64 of 32 bytes, padded */
#define KEY_FPR_LEN	16			/* printable fingerprint chars */

#define KEY_WUR __attribute__((warn_unused_result))

struct vmgw_privkey {
	/* KEY_LEN bytes, sodium_malloc, noaccess: key_priv_open */
	uint8_t	*priv;
	uint8_t	 pub[KEY_LEN];
};

/*
 * Generate a key and write it to path (O_CREAT|O_EXCL, mode 0600; never
 * overwrites).  On failure err says why, naming path.
 */
int	key_generate_file(const char *path, struct vmgw_privkey *out,
	    char *err, size_t errlen) KEY_WUR;
/*
 * Read a private key file: refuses a file that is not a regular file, is
 * group/world-readable, is not exactly one base64 key, or cannot be read.
 * err: "PATH: what is wrong".
 */
int	key_load_file(const char *path, struct vmgw_privkey *out,
	    char *err, size_t errlen) KEY_WUR;
void	key_free(struct vmgw_privkey *);	/* wipes; accepts NULL members */
/*
 * The private key's KEY_LEN bytes, read-only until key_priv_close(), which
 * makes them inaccessible again (NULL: no key).  Keep the window short: a
 * copy (the handshake's) is taken inside it.  Not nested; one thread.
 */
const uint8_t *key_priv_open(const struct vmgw_privkey *);
void	key_priv_close(const struct vmgw_privkey *);

/* base64 (libsodium, standard alphabet with padding) of a 32 byte key */
void	key_to_base64(char out[KEY_B64_LEN + 1], const uint8_t key[KEY_LEN]);
/* Parse base64 of exactly 32 bytes (surrounding blanks ignored). */
int	key_from_base64(uint8_t key[KEY_LEN], const char *b64) KEY_WUR;
/*
 * Short fingerprint for logs and `vmgw check`: the first 8 bytes of
 * BLAKE2b-256(public key) in hex, grouped: "1a2b:3c4d:5e6f:7a8b".
 */
void	key_fingerprint(char out[KEY_FPR_LEN + 4], const uint8_t pub[KEY_LEN]);

#endif /* VMGW_KEYS_H */
