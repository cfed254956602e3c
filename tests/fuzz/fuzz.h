/*
 * fuzz.h - what the fuzz harnesses share: the libFuzzer entry points and
 * the fixed keys of the handshake and record harnesses (seeds.c writes the
 * seed corpora with the same keys, so that the seeds are valid inputs).
 *
 * A harness is one file, tests/fuzz/fuzz_NAME.c, defining
 * LLVMFuzzerTestOneInput() (and, if it needs one-time setup,
 * LLVMFuzzerInitialize()); its seeds are in tests/fuzz/corpus/NAME/.  It is
 * built twice: with libFuzzer when VMGW_FUZZ is on, and always with
 * replay.c as a plain program that feeds it every corpus file (a unit
 * test).  A harness aborts on anything the code under test must never do;
 * a clean rejection of bad input is the normal case, not a finding.
 */
#ifndef VMGW_FUZZ_H
#define VMGW_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int	LLVMFuzzerInitialize(int *argc, char ***argv);

/* abort with a message: a finding (libFuzzer saves the input) */
#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,	\
		    __LINE__, #cond);					\
		abort();						\
	}								\
} while (0)
#define FUZZ_UNUSED	__attribute__((unused))

/* Noise_IK as the tunnel runs it (gateway/handshake.c hs_new) */
#define FUZZ_IK_CHACHA		"Noise_IK_25519_ChaChaPoly_BLAKE2b"
#define FUZZ_IK_AESGCM		"Noise_IK_25519_AESGCM_SHA256"
#define FUZZ_PROLOGUE		"vmgw tunnel"	/* + version + suite byte */
#define FUZZ_PROTO_VERSION	1		/* VMGW_PROTO_VERSION */
#define FUZZ_INIT_PAYLOAD	"\001fuzz-init-payload"	/* message 1 */
#define FUZZ_RESP_PAYLOAD	"\002fuzz-resp"		/* message 2 */

/* private keys (X25519 clamps them); the public ones are derived */
static const uint8_t FUZZ_UNUSED fuzz_init_s[32] = {
	0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
	0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
	0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11 };
static const uint8_t FUZZ_UNUSED fuzz_init_e[32] = {
	0x12, 0x12, 0x12, 0x12, 0x12, 0x12, 0x12, 0x12, 0x12, 0x12, 0x12,
	0x12, 0x12, 0x12, 0x12, 0x12, 0x12, 0x12, 0x12, 0x12, 0x12, 0x12,
	0x12, 0x12, 0x12, 0x12, 0x12, 0x12, 0x12, 0x12, 0x12, 0x12 };
static const uint8_t FUZZ_UNUSED fuzz_resp_s[32] = {
	0x21, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21,
	0x21, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21,
	0x21, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21 };
static const uint8_t FUZZ_UNUSED fuzz_resp_e[32] = {
	0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
	0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22,
	0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22, 0x22 };
/* the record harness's key */
static const uint8_t FUZZ_UNUSED fuzz_rec_key[32] = {
	0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b,
	0x3c, 0x3d, 0x3e, 0x3f, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46,
	0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f, 0x50 };
#define FUZZ_REC_REKEY		10	/* REC_REKEY of gateway/proto.h */

/*
 * The first byte of a handshake or record input picks the suite: even
 * ChaChaPoly (BLAKE2b for the handshake), odd AESGCM (SHA256) where the
 * CPU has it, else ChaChaPoly again.
 */
#define FUZZ_SUITE_CHACHA	0
#define FUZZ_SUITE_AESGCM	1

#endif /* VMGW_FUZZ_H */
