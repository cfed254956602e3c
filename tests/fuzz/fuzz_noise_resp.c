/*
 * fuzz_noise_resp.c - the responder's side of the tunnel's Noise_IK: the
 * input (after a suite selector byte, fuzz.h) is message 1 (-> e, es, s,
 * ss), as a gateway reads it from a peer it does not know yet.
 *
 * A message that does not read leaves the handshake poisoned and the
 * payload empty.  One that reads has the length the tokens say, names the
 * sender's static key and lets the responder answer and split.  When it is
 * exactly what our fixed initiator would send (the seeds), the initiator
 * must also read the answer, agree on the handshake hash and share working
 * transport keys.
 */
#include <string.h>

#include <sodium.h>

#include "fuzz_ik.h"

static uint8_t	pl[NOISE_MAX_MSG], msg1[NOISE_MAX_MSG + 128];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return sodium_init() < 0 ? -1 : 0;
}

/* The initiator that sent exactly this message 1 reads message 2. */
static void
finish_as_initiator(struct noise_handshake *r, int suite, const uint8_t *m1,
    size_t m1len, size_t pllen, const uint8_t *m2, size_t m2len,
    struct noise_cipherstate *r1, struct noise_cipherstate *r2)
{
	struct noise_handshake		*i;
	struct noise_cipherstate	 i1, i2;
	uint8_t				 got[64], hi[64], hr[64];
	size_t				 len, gotlen;

	FUZZ_CHECK((i = fuzz_ik_new(1, suite)) != NULL);
	FUZZ_CHECK(noise_write_message(i, msg1, sizeof(msg1), &len, pl,
	    pllen) == 0);
	if (len == m1len && memcmp(msg1, m1, len) == 0) {
		FUZZ_CHECK(noise_read_message(i, got, sizeof(got), &gotlen, m2,
		    m2len) == 0);
		FUZZ_CHECK(gotlen == sizeof(FUZZ_RESP_PAYLOAD) - 1 &&
		    memcmp(got, FUZZ_RESP_PAYLOAD, gotlen) == 0);
		FUZZ_CHECK(noise_handshake_hash(i, hi, sizeof(hi)) ==
		    noise_handshake_hash(r, hr, sizeof(hr)));
		FUZZ_CHECK(memcmp(hi, hr, noise_handshake_hash(i, hi,
		    sizeof(hi))) == 0);
		FUZZ_CHECK(noise_split(i, &i1, &i2) == 0);
		fuzz_ik_transport(&i1, r1);
		fuzz_ik_transport(r2, &i2);
		noise_cipher_wipe(&i1);
		noise_cipher_wipe(&i2);
	}
	noise_handshake_free(i);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct noise_handshake		*r;
	struct noise_cipherstate	 r1, r2;
	uint8_t				 msg2[256], rs[32], ipub[32];
	size_t				 pllen = 1, len;
	int				 suite;

	if (size < 1)
		return 0;
	suite = fuzz_ik_suite(data[0]);
	FUZZ_CHECK((r = fuzz_ik_new(0, suite)) != NULL);
	if (noise_read_message(r, pl, sizeof(pl), &pllen, data + 1,
	    size - 1) == -1) {
		FUZZ_CHECK(pllen == 0);
		FUZZ_CHECK(noise_remote_static(r, rs) == -1);
		FUZZ_CHECK(!noise_handshake_my_turn(r));
		FUZZ_CHECK(noise_write_message(r, msg2, sizeof(msg2), &len,
		    NULL, 0) == -1);
		noise_handshake_free(r);
		return 0;
	}
	/* 32 e + 48 encrypted s + the payload and its tag */
	FUZZ_CHECK(size - 1 == 32 + 48 + pllen + NOISE_TAGLEN);
	FUZZ_CHECK(noise_remote_static(r, rs) == 0);
	FUZZ_CHECK(noise_handshake_my_turn(r) && !noise_handshake_done(r));
	FUZZ_CHECK(noise_write_message(r, msg2, sizeof(msg2), &len,
	    (const uint8_t *)FUZZ_RESP_PAYLOAD,
	    sizeof(FUZZ_RESP_PAYLOAD) - 1) == 0);
	FUZZ_CHECK(len == 32 + sizeof(FUZZ_RESP_PAYLOAD) - 1 + NOISE_TAGLEN);
	FUZZ_CHECK(noise_handshake_done(r));
	FUZZ_CHECK(noise_split(r, &r1, &r2) == 0);
	FUZZ_CHECK(noise_dh_public(ipub, fuzz_init_s) == 0);
	if (memcmp(rs, ipub, 32) == 0)
		finish_as_initiator(r, suite, data + 1, size - 1, pllen, msg2,
		    len, &r1, &r2);
	noise_cipher_wipe(&r1);
	noise_cipher_wipe(&r2);
	noise_handshake_free(r);
	return 0;
}
