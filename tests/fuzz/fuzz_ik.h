/*
 * fuzz_ik.h - the tunnel's Noise_IK with the fixed keys of fuzz.h, for the
 * two handshake harnesses and seeds.c.  Parameters as gateway/handshake.c
 * hs_new() sets them: prologue "vmgw tunnel" + version + suite byte, our
 * static key, the responder's static key on the initiator; the ephemeral
 * keys are fixed too, so that every message is the same on every run.
 */
#ifndef VMGW_FUZZ_IK_H
#define VMGW_FUZZ_IK_H

#include <string.h>

#include "fuzz.h"
#include "noise.h"

/* The suite a selector byte picks: 1 AESGCM (if the CPU has it), 2 ChaChaPoly. */
static inline int
fuzz_ik_suite(uint8_t sel)
{
	if ((sel & 1) == FUZZ_SUITE_AESGCM &&
	    noise_cipher_available(NOISE_CIPHER_AESGCM))
		return 1;
	return 2;
}

static inline struct noise_handshake *
fuzz_ik_new(int initiator, int suite)
{
	struct noise_params	p;
	uint8_t			prologue[sizeof(FUZZ_PROLOGUE) + 1];
	uint8_t			rpub[32];

	memcpy(prologue, FUZZ_PROLOGUE, sizeof(FUZZ_PROLOGUE) - 1);
	prologue[sizeof(FUZZ_PROLOGUE) - 1] = FUZZ_PROTO_VERSION;
	prologue[sizeof(FUZZ_PROLOGUE)] = (uint8_t)suite;
	if (noise_dh_public(rpub, fuzz_resp_s) == -1)
		return NULL;
	memset(&p, 0, sizeof(p));
	p.protocol_name = suite == 1 ? FUZZ_IK_AESGCM : FUZZ_IK_CHACHA;
	p.initiator = initiator;
	p.prologue = prologue;
	p.prologue_len = sizeof(prologue);
	p.s = initiator ? fuzz_init_s : fuzz_resp_s;
	p.e = initiator ? fuzz_init_e : fuzz_resp_e;
	p.rs = initiator ? rpub : NULL;
	return noise_handshake_new(&p);
}

/* Transport keys work both ways after a handshake (i: initiator's c1, c2). */
static inline void
fuzz_ik_transport(struct noise_cipherstate *tx, struct noise_cipherstate *rx)
{
	uint8_t	buf[5 + NOISE_TAGLEN];

	FUZZ_CHECK(noise_encrypt(tx, buf, NULL, 0, (const uint8_t *)"hello",
	    5) == 0);
	FUZZ_CHECK(noise_decrypt(rx, buf, NULL, 0, buf, sizeof(buf)) == 0);
	FUZZ_CHECK(memcmp(buf, "hello", 5) == 0);
}

#endif /* VMGW_FUZZ_IK_H */
