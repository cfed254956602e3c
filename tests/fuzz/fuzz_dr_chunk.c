/*
 * fuzz_dr_chunk.c - the chunk frames of a replication point, as the
 * backup site decodes what arrives on a "dr" channel (and the home site
 * the ACKs): the input's first byte picks the direction and the number of
 * disks (with fixed sizes), the rest is the byte stream, fed in pieces.
 *
 * Checks: a frame is taken whole or not at all (nothing used on 0);
 * sequence numbers are consecutive from the start; DATA payloads lie
 * inside the input; once failed the decoder stays failed.
 */
#include <string.h>

#include "drcore.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t	 sizes[4] = { 1 << 20, 64 << 20, 4096,
				    1ull << 40 };
	struct drc_chunk_dec	 dec;
	struct drc_chunk	 ck;
	char			 err[256];
	size_t			 off = 1, used, step;
	uint64_t		 seq = 0;
	int			 r, ack;

	if (size < 1)
		return 0;
	ack = data[0] & 1;
	drc_chunk_dec_init(&dec, ack, 0, 0, (data[0] & 2) ? sizes : NULL,
	    (data[0] & 2) ? 1 + ((data[0] >> 2) & 3) : 0);
	while (off < size) {
		step = size - off;
		r = drc_chunk_decode(&dec, data + off, step, &ck, &used, err,
		    sizeof(err));
		if (r == 0) {
			FUZZ_CHECK(used == 0);
			break;
		}
		if (r == -1) {
			FUZZ_CHECK(dec.failed);
			FUZZ_CHECK(drc_chunk_decode(&dec, data + off, step, &ck,
			    &used, err, sizeof(err)) == -1);
			break;
		}
		FUZZ_CHECK(used >= DRC_CHUNK_HDR && used <= step);
		if (!ack)
			FUZZ_CHECK(ck.seq == seq);
		seq = ck.seq + 1;
		if (ck.type == DRC_CHUNK_DATA)
			FUZZ_CHECK(ck.payload >= data + off &&
			    ck.payload + ck.length <= data + off + used);
		off += used;
		if (dec.done)
			break;
	}
	return 0;
}
