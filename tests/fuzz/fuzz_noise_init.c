/*
 * fuzz_noise_init.c - the initiator's side of the tunnel's Noise_IK: our
 * fixed initiator sends message 1, and the input (after a suite selector
 * byte, fuzz.h) is the answer, message 2 (<- e, ee, se), as a gateway reads
 * it from the peer it dialled.
 *
 * An answer that does not read leaves the handshake poisoned, unfinished
 * and the payload empty.  One that reads finishes the handshake, has the
 * length the tokens say, and splits into keys that work against the fixed
 * responder's when the answer is exactly the one it sends (the seeds).
 */
#include <string.h>

#include <sodium.h>

#include "fuzz_ik.h"

static uint8_t	pl[NOISE_MAX_MSG];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return sodium_init() < 0 ? -1 : 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct noise_handshake		*i, *r;
	struct noise_cipherstate	 i1, i2, r1, r2;
	uint8_t				 msg1[256], msg2[256], got[256];
	size_t				 len1, len2, gotlen, pllen = 1;
	int				 suite;

	if (size < 1)
		return 0;
	suite = fuzz_ik_suite(data[0]);
	FUZZ_CHECK((i = fuzz_ik_new(1, suite)) != NULL);
	FUZZ_CHECK(noise_write_message(i, msg1, sizeof(msg1), &len1,
	    (const uint8_t *)FUZZ_INIT_PAYLOAD,
	    sizeof(FUZZ_INIT_PAYLOAD) - 1) == 0);
	if (noise_read_message(i, pl, sizeof(pl), &pllen, data + 1,
	    size - 1) == -1) {
		FUZZ_CHECK(pllen == 0);
		FUZZ_CHECK(!noise_handshake_done(i));
		FUZZ_CHECK(noise_split(i, &i1, &i2) == -1);
		noise_handshake_free(i);
		return 0;
	}
	FUZZ_CHECK(size - 1 == 32 + pllen + NOISE_TAGLEN);
	FUZZ_CHECK(noise_handshake_done(i));
	FUZZ_CHECK(noise_split(i, &i1, &i2) == 0);

	/* the fixed responder, answering the same message 1 */
	FUZZ_CHECK((r = fuzz_ik_new(0, suite)) != NULL);
	FUZZ_CHECK(noise_read_message(r, got, sizeof(got), &gotlen, msg1,
	    len1) == 0);
	if (pllen + 32 + NOISE_TAGLEN <= sizeof(msg2) &&
	    noise_write_message(r, msg2, sizeof(msg2),
	    &len2, pl, pllen) == 0 && len2 == size - 1 &&
	    memcmp(msg2, data + 1, len2) == 0) {
		FUZZ_CHECK(noise_split(r, &r1, &r2) == 0);
		fuzz_ik_transport(&i1, &r1);
		fuzz_ik_transport(&r2, &i2);
		noise_cipher_wipe(&r1);
		noise_cipher_wipe(&r2);
	}
	noise_handshake_free(r);
	noise_cipher_wipe(&i1);
	noise_cipher_wipe(&i2);
	noise_handshake_free(i);
	return 0;
}
