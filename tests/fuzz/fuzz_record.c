/*
 * fuzz_record.c - the record layer as a tunnel reads it: the input (after a
 * suite selector byte, fuzz.h) is the byte stream from the peer, opened
 * record by record with rec_peek() and rec_open() under the fixed key
 * (nonces 0, 1, 2, ...; a REKEY record switches to the next key, as
 * gateway/tunnel.c does).  Each record is opened from a buffer of exactly
 * its size, so that ASan sees any read past it.
 *
 * Checks: rec_peek() only says OK for a length within the limits; a
 * failed open poisons the direction and leaves the outputs empty; an
 * opened record is what a sender in step with us seals from the same type,
 * channel and payload, byte for byte.
 */
#include <string.h>

#include <sodium.h>

#include "fuzz.h"
#include "record.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return sodium_init() < 0 ? -1 : 0;
}

/* The sender in step seals the same record: the same bytes. */
static void
reseal(struct rec_dir *tx, const uint8_t *wire, size_t wirelen, uint8_t type,
    uint32_t channel, const uint8_t *payload, size_t len)
{
	uint8_t	*buf;
	size_t	 outlen;

	FUZZ_CHECK((buf = malloc(REC_OVERHEAD + len)) != NULL);
	memcpy(buf + REC_PAYLOAD_OFF, payload, len);
	FUZZ_CHECK(rec_seal(tx, buf, &outlen, type, channel, len, NULL) == 0);
	FUZZ_CHECK(outlen == wirelen && memcmp(buf, wire, wirelen) == 0);
	free(buf);
	if (type == FUZZ_REC_REKEY)
		FUZZ_CHECK(rec_rekey(tx, 0) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct noise_cipherstate cs;
	struct rec_dir		 rx, tx;
	uint8_t			*wire, *copy, *payload, tag[REC_TAG], type;
	uint32_t		 channel;
	size_t			 off, wirelen, len;
	enum noise_cipher	 cipher = NOISE_CIPHER_CHACHAPOLY;

	if (size < 1)
		return 0;
	if ((data[0] & 1) == FUZZ_SUITE_AESGCM &&
	    noise_cipher_available(NOISE_CIPHER_AESGCM))
		cipher = NOISE_CIPHER_AESGCM;
	noise_cipher_init(&cs, cipher, fuzz_rec_key);
	memset(&rx, 0, sizeof(rx));
	memset(&tx, 0, sizeof(tx));
	FUZZ_CHECK(rec_dir_init(&rx, &cs, 0) == 0 &&
	    rec_dir_init(&tx, &cs, 0) == 0);
	for (off = 1; off < size; off += wirelen) {
		switch (rec_peek(data + off, size - off, &wirelen)) {
		case REC_PEEK_OK:
			FUZZ_CHECK(wirelen >= REC_WIRE_MIN &&
			    wirelen <= REC_WIRE_MAX);
			break;
		case REC_PEEK_NEED:
			FUZZ_CHECK(size - off < REC_LEN_SIZE);
			/* FALLTHROUGH */
		default:
			FUZZ_CHECK(wirelen == 0);
			goto out;
		}
		if (wirelen > size - off)
			break;		/* the rest has not arrived */
		FUZZ_CHECK((wire = malloc(wirelen)) != NULL);
		FUZZ_CHECK((copy = malloc(wirelen)) != NULL);
		memcpy(wire, data + off, wirelen);
		memcpy(copy, data + off, wirelen);
		if (rec_open(&rx, wire, wirelen, &type, &channel, &payload,
		    &len, tag) == -1) {
			FUZZ_CHECK(rx.poisoned && type == 0 && channel == 0 &&
			    payload == NULL && len == 0);
			FUZZ_CHECK(sodium_is_zero(tag, sizeof(tag)));
			FUZZ_CHECK(rec_open(&rx, copy, wirelen, &type,
			    &channel, &payload, &len, NULL) == -1);
			free(wire);
			free(copy);
			break;
		}
		FUZZ_CHECK(len == wirelen - REC_OVERHEAD &&
		    payload == wire + REC_PAYLOAD_OFF);
		FUZZ_CHECK(memcmp(tag, copy + wirelen - REC_TAG, REC_TAG) == 0);
		reseal(&tx, copy, wirelen, type, channel, payload, len);
		if (type == FUZZ_REC_REKEY)
			FUZZ_CHECK(rec_rekey(&rx, 0) == 0);
		(void)rec_should_rekey(&rx, 1 << 20, 120, 0);
		free(wire);
		free(copy);
	}
out:
	rec_dir_wipe(&rx);
	rec_dir_wipe(&tx);
	noise_cipher_wipe(&cs);
	return 0;
}
