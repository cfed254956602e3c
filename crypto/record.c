/*
 * record.c - the tunnel's record layer: one AEAD record per call, sealed and
 * opened in place in the caller's wire buffer (the format is in record.h).
 *
 * This is the data path: no allocation, no copy, one AEAD call per record.
 * Each direction's CipherState is prepared (noise_cipher_prepare): with
 * AESGCM it holds one libcrypto context keyed once, a record sets only its
 * nonce, and a rekey replaces the context.  The clear length is checked by
 * rec_peek() before the caller buffers anything, and is the AEAD's
 * associated data, so a changed length fails to open.  The nonce is the
 * direction's record counter, never sent.  A record that fails to open
 * poisons its direction for good.
 */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "record.h"

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

int
rec_dir_init(struct rec_dir *d, const struct noise_cipherstate *cs,
    time_t now)
{
	memset(d, 0, sizeof(*d));
	/* a prepared state's context cannot be shared by a copy */
	if (cs->gcm != NULL) {
		errno = EINVAL;
		return -1;
	}
	d->cs = *cs;
	if (noise_cipher_prepare(&d->cs) == -1) {
		sodium_memzero(d, sizeof(*d));
		return -1;
	}
	d->last_rekey = now;
	return 0;
}

void
rec_dir_wipe(struct rec_dir *d)
{
	if (d == NULL)
		return;
	noise_cipher_wipe(&d->cs);
	sodium_memzero(d, sizeof(*d));
}

int
rec_seal(struct rec_dir *d, uint8_t *wire, size_t *wirelen, uint8_t type,
    uint32_t channel, size_t len, uint8_t tag[REC_TAG])
{
	uint8_t *inner = wire + REC_LEN_SIZE;
	size_t clen = REC_INNER_HDR + len + REC_TAG;

	*wirelen = 0;
	if (tag != NULL)
		memset(tag, 0, REC_TAG);
	if (d->poisoned) {
		errno = EPIPE;
		return -1;
	}
	if (len > REC_PAYLOAD_MAX) {
		errno = EMSGSIZE;
		return -1;
	}

	put_be32(wire, (uint32_t)clen);
	inner[0] = type;
	put_be32(inner + 1, channel);
	if (noise_encrypt(&d->cs, inner, wire, REC_LEN_SIZE, inner,
	    REC_INNER_HDR + len) == -1) {
		/* nonces exhausted: this direction cannot send again */
		sodium_memzero(wire, REC_LEN_SIZE + clen);
		d->poisoned = 1;
		return -1;
	}

	*wirelen = REC_LEN_SIZE + clen;
	d->records++;
	d->bytes += *wirelen;
	d->bytes_since_rekey += *wirelen;
	if (tag != NULL)
		memcpy(tag, wire + *wirelen - REC_TAG, REC_TAG);
	return 0;
}

enum rec_peek_result
rec_peek(const uint8_t *buf, size_t avail, size_t *wirelen)
{
	uint32_t len;

	*wirelen = 0;
	if (avail < REC_LEN_SIZE)
		return REC_PEEK_NEED;
	len = get_be32(buf);
	if (len > REC_WIRE_MAX - REC_LEN_SIZE)
		return REC_PEEK_TOOBIG;
	if (len < REC_INNER_HDR + REC_TAG)
		return REC_PEEK_TOOSMALL;
	*wirelen = REC_LEN_SIZE + len;
	return REC_PEEK_OK;
}

int
rec_open(struct rec_dir *d, uint8_t *wire, size_t wirelen, uint8_t *type,
    uint32_t *channel, uint8_t **payload, size_t *len, uint8_t tag[REC_TAG])
{
	uint8_t *inner = wire + REC_LEN_SIZE;
	size_t expect;

	*type = 0;
	*channel = 0;
	*payload = NULL;
	*len = 0;
	if (tag != NULL)
		memset(tag, 0, REC_TAG);
	if (d->poisoned) {
		errno = EPIPE;
		return -1;
	}
	if (rec_peek(wire, wirelen, &expect) != REC_PEEK_OK ||
	    expect != wirelen) {
		errno = EBADMSG;
		goto fail;
	}
	if (tag != NULL)
		memcpy(tag, wire + wirelen - REC_TAG, REC_TAG);
	if (noise_decrypt(&d->cs, inner, wire, REC_LEN_SIZE, inner,
	    wirelen - REC_LEN_SIZE) == -1)
		goto fail;

	*type = inner[0];
	*channel = get_be32(inner + 1);
	*payload = inner + REC_INNER_HDR;
	*len = wirelen - REC_OVERHEAD;
	d->records++;
	d->bytes += wirelen;
	d->bytes_since_rekey += wirelen;
	return 0;
fail:
	if (tag != NULL)
		memset(tag, 0, REC_TAG);
	d->poisoned = 1;
	return -1;
}

int
rec_should_rekey(const struct rec_dir *d, uint64_t max_bytes,
    time_t max_secs, time_t now)
{
	return d->bytes_since_rekey >= max_bytes ||
	    now - d->last_rekey >= max_secs;
}

int
rec_rekey(struct rec_dir *d, time_t now)
{
	if (d->poisoned) {
		errno = EPIPE;
		return -1;
	}
	if (noise_rekey(&d->cs) == -1) {
		d->poisoned = 1;
		return -1;
	}
	d->bytes_since_rekey = 0;
	d->last_rekey = now;
	d->rekeys++;
	return 0;
}
