/*
 * chunk.c - the chunk protocol of drcore.h on the wire: the encoder of a
 * frame header and the incremental decoder that the receiving side (a
 * point's frames at the backup site, ACKs at the home site) feeds with the
 * bytes it has buffered.
 *
 * The decoder reads the fixed header first and checks every field against
 * the limits and its own state before it looks at a payload, so a bad
 * length is refused before the caller buffers 4 MiB for it.  It takes a
 * frame only once the whole frame is there and its hash matches; until
 * then it changes nothing.  Any bad frame fails the decoder for good.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "drcore_int.h"

#define OFF_MAGIC	0
#define OFF_VERSION	4
#define OFF_TYPE	5
#define OFF_DISK	6
#define OFF_SEQ		8
#define OFF_OFFSET	16
#define OFF_LENGTH	24
#define OFF_PAYLEN	28
#define OFF_HASH	32

static void
put_be(uint8_t *p, uint64_t v, int bytes)
{
	while (bytes-- > 0) {
		p[bytes] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t
get_be(const uint8_t *p, int bytes)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < bytes; i++)
		v = v << 8 | p[i];
	return v;
}

/* The frame's hash: of the payload for DATA, else of the header fields. */
static void
chunk_hash(uint8_t out[DRC_HASH_LEN], const uint8_t *hdr, uint8_t type,
    const uint8_t *payload, size_t len)
{
	if (type == DRC_CHUNK_DATA)
		crypto_generichash(out, DRC_HASH_LEN, payload, len, NULL, 0);
	else
		crypto_generichash(out, DRC_HASH_LEN, hdr, OFF_HASH, NULL, 0);
}

const char *
drc_chunk_type_str(unsigned type)
{
	static const char *const names[] = { NULL, "DATA", "ZERO",
	    "END_DISK", "END_POINT", "ACK" };

	if (type < sizeof(names) / sizeof(names[0]) && names[type] != NULL)
		return names[type];
	return "unknown";
}

int
drc_chunk_encode(uint8_t hdr[DRC_CHUNK_HDR], const struct drc_chunk *c,
    char *err, size_t errlen)
{
	uint32_t paylen = c->type == DRC_CHUNK_DATA ? c->length : 0;

	memset(hdr, 0, DRC_CHUNK_HDR);
	if (c->type < DRC_CHUNK_DATA || c->type > DRC_CHUNK_ACK) {
		drc_err(err, errlen, "chunk %" PRIu64 ": type: %u unknown",
		    c->seq, c->type);
		return -1;
	}
	if (c->type == DRC_CHUNK_DATA && (c->length == 0 ||
	    c->length > DRC_CHUNK_PAYLOAD_MAX || c->payload == NULL)) {
		drc_err(err, errlen, "chunk %" PRIu64 ": length: %" PRIu32
		    " not in 1..%u with a payload", c->seq, c->length,
		    DRC_CHUNK_PAYLOAD_MAX);
		return -1;
	}
	put_be(hdr + OFF_MAGIC, DRC_CHUNK_MAGIC, 4);
	hdr[OFF_VERSION] = DRC_CHUNK_VERSION;
	hdr[OFF_TYPE] = c->type;
	put_be(hdr + OFF_DISK, c->disk, 2);
	put_be(hdr + OFF_SEQ, c->seq, 8);
	put_be(hdr + OFF_OFFSET, c->offset, 8);
	put_be(hdr + OFF_LENGTH, c->length, 4);
	put_be(hdr + OFF_PAYLEN, paylen, 4);
	chunk_hash(hdr + OFF_HASH, hdr, c->type, c->payload, paylen);
	return 0;
}

void
drc_chunk_dec_init(struct drc_chunk_dec *d, int ack, uint64_t next_seq,
    unsigned disk, const uint64_t *sizes, size_t n_disks)
{
	memset(d, 0, sizeof(*d));
	d->ack = ack;
	d->next_seq = next_seq;
	d->disk = disk;
	if (n_disks > DRC_DISKS_MAX)
		n_disks = DRC_DISKS_MAX;
	d->n_disks = sizes != NULL ? n_disks : 0;
	if (d->n_disks > 0)
		memcpy(d->size, sizes, d->n_disks * sizeof(sizes[0]));
}

/* END_POINT: all disks ended; END_DISK: offset is the disk's size. */
static int
check_end(const struct drc_chunk_dec *d, const struct drc_chunk *c,
    char *err, size_t errlen)
{
	if (c->type == DRC_CHUNK_END_POINT) {
		if (c->disk != 0 || c->offset != 0 || c->length != 0) {
			drc_err(err, errlen, "chunk %" PRIu64 ": END_POINT: "
			    "disk, offset and length must be 0", c->seq);
			return -1;
		}
		if (d->n_disks > 0 && d->disk != d->n_disks) {
			drc_err(err, errlen, "chunk %" PRIu64 ": END_POINT: "
			    "disk %u of %zu not ended", c->seq, d->disk,
			    d->n_disks);
			return -1;
		}
		return 0;
	}
	if (c->length != 0 || (d->n_disks > 0 &&
	    c->offset != d->size[c->disk])) {
		drc_err(err, errlen, "chunk %" PRIu64 ": END_DISK: size %"
		    PRIu64 " length %" PRIu32 ", expected %" PRIu64 " and 0",
		    c->seq, c->offset, c->length,
		    d->n_disks > 0 ? d->size[c->disk] : c->offset);
		return -1;
	}
	return 0;
}

/* DATA and ZERO: a length within the limit, a range within the disk. */
static int
check_range(const struct drc_chunk_dec *d, const struct drc_chunk *c,
    char *err, size_t errlen)
{
	if (c->length == 0 || (c->type == DRC_CHUNK_DATA &&
	    c->length > DRC_CHUNK_PAYLOAD_MAX)) {
		drc_err(err, errlen, "chunk %" PRIu64 ": length: %" PRIu32
		    " not in 1..%u", c->seq, c->length, c->type ==
		    DRC_CHUNK_DATA ? DRC_CHUNK_PAYLOAD_MAX : UINT32_MAX);
		return -1;
	}
	if (c->offset > UINT64_MAX - c->length || (d->n_disks > 0 &&
	    c->offset + c->length > d->size[c->disk])) {
		drc_err(err, errlen, "chunk %" PRIu64 ": offset: %" PRIu64
		    "+%" PRIu32 " beyond disk %u's end (%" PRIu64 ")", c->seq,
		    c->offset, c->length, c->disk,
		    d->n_disks > 0 ? d->size[c->disk] : UINT64_MAX);
		return -1;
	}
	return 0;
}

/* A point's frame against the decoder's state, field by field. */
static int
check_point(const struct drc_chunk_dec *d, const struct drc_chunk *c,
    uint32_t paylen, char *err, size_t errlen)
{
	if (c->type == DRC_CHUNK_ACK) {
		drc_err(err, errlen, "chunk %" PRIu64 ": type: ACK in a point",
		    c->seq);
		return -1;
	}
	if (d->done) {
		drc_err(err, errlen, "chunk %" PRIu64 ": type: %s after "
		    "END_POINT", c->seq, drc_chunk_type_str(c->type));
		return -1;
	}
	if (c->seq != d->next_seq) {
		drc_err(err, errlen, "chunk %" PRIu64 ": seq: expected %"
		    PRIu64, c->seq, d->next_seq);
		return -1;
	}
	if (paylen != (c->type == DRC_CHUNK_DATA ? c->length : 0)) {
		drc_err(err, errlen, "chunk %" PRIu64 ": paylen: %" PRIu32
		    " for %s of length %" PRIu32, c->seq, paylen,
		    drc_chunk_type_str(c->type), c->length);
		return -1;
	}
	if (c->type == DRC_CHUNK_END_POINT)
		return check_end(d, c, err, errlen);
	if (c->disk != d->disk || (d->n_disks > 0 && c->disk >= d->n_disks)) {
		drc_err(err, errlen, "chunk %" PRIu64 ": disk: %u, expected %u"
		    " (of %zu)", c->seq, c->disk, d->disk, d->n_disks);
		return -1;
	}
	if (c->type == DRC_CHUNK_END_DISK)
		return check_end(d, c, err, errlen);
	return check_range(d, c, err, errlen);
}

static int
check_ack(const struct drc_chunk_dec *d, const struct drc_chunk *c,
    uint32_t paylen, char *err, size_t errlen)
{
	if (c->type != DRC_CHUNK_ACK) {
		drc_err(err, errlen, "ack: type: %s, expected ACK",
		    drc_chunk_type_str(c->type));
		return -1;
	}
	if (c->disk != 0 || c->offset != 0 || c->length != 0 || paylen != 0) {
		drc_err(err, errlen, "ack %" PRIu64 ": disk, offset, length "
		    "and paylen must be 0", c->seq);
		return -1;
	}
	if (c->seq < d->next_seq) {
		drc_err(err, errlen, "ack %" PRIu64 ": seq: below %" PRIu64,
		    c->seq, d->next_seq);
		return -1;
	}
	return 0;
}

/* The header on its own: 0 with c and *paylen set, -1 with err. */
static int
decode_header(const struct drc_chunk_dec *d, const uint8_t *h,
    struct drc_chunk *c, uint32_t *paylen, char *err, size_t errlen)
{
	uint32_t magic = (uint32_t)get_be(h + OFF_MAGIC, 4);

	if (magic != DRC_CHUNK_MAGIC) {
		drc_err(err, errlen, "chunk: magic: 0x%08" PRIx32 ", expected "
		    "0x%08x", magic, DRC_CHUNK_MAGIC);
		return -1;
	}
	if (h[OFF_VERSION] != DRC_CHUNK_VERSION) {
		drc_err(err, errlen, "chunk: version: %u, this side speaks %u",
		    h[OFF_VERSION], DRC_CHUNK_VERSION);
		return -1;
	}
	memset(c, 0, sizeof(*c));
	c->type = h[OFF_TYPE];
	c->disk = (uint16_t)get_be(h + OFF_DISK, 2);
	c->seq = get_be(h + OFF_SEQ, 8);
	c->offset = get_be(h + OFF_OFFSET, 8);
	c->length = (uint32_t)get_be(h + OFF_LENGTH, 4);
	*paylen = (uint32_t)get_be(h + OFF_PAYLEN, 4);
	if (c->type < DRC_CHUNK_DATA || c->type > DRC_CHUNK_ACK) {
		drc_err(err, errlen, "chunk %" PRIu64 ": type: %u unknown",
		    c->seq, c->type);
		return -1;
	}
	if (d->ack)
		return check_ack(d, c, *paylen, err, errlen);
	return check_point(d, c, *paylen, err, errlen);
}

/* The decoder takes frame c. */
static void
take(struct drc_chunk_dec *d, const struct drc_chunk *c)
{
	d->frames++;
	d->next_seq = c->seq + 1;
	if (c->type == DRC_CHUNK_DATA)
		d->data_bytes += c->length;
	else if (c->type == DRC_CHUNK_END_DISK)
		d->disk++;
	else if (c->type == DRC_CHUNK_END_POINT)
		d->done = 1;
}

int
drc_chunk_decode(struct drc_chunk_dec *d, const uint8_t *buf, size_t avail,
    struct drc_chunk *out, size_t *used, char *err, size_t errlen)
{
	struct drc_chunk c;
	uint8_t hash[DRC_HASH_LEN];
	uint32_t paylen;

	memset(out, 0, sizeof(*out));
	*used = 0;
	if (d->failed) {
		drc_err(err, errlen, "chunk: the stream failed already");
		return -1;
	}
	if (avail < DRC_CHUNK_HDR)
		return 0;
	if (decode_header(d, buf, &c, &paylen, err, errlen) == -1)
		goto fail;
	if (avail - DRC_CHUNK_HDR < paylen)
		return 0;
	if (paylen > 0)
		c.payload = buf + DRC_CHUNK_HDR;
	chunk_hash(hash, buf, c.type, c.payload, paylen);
	if (sodium_memcmp(hash, buf + OFF_HASH, DRC_HASH_LEN) != 0) {
		drc_err(err, errlen, "chunk %" PRIu64 ": hash: mismatch (%s "
		    "at disk %u offset %" PRIu64 ")", c.seq,
		    drc_chunk_type_str(c.type), c.disk, c.offset);
		goto fail;
	}
	take(d, &c);
	*out = c;
	*used = DRC_CHUNK_HDR + paylen;
	return 1;
fail:
	d->failed = 1;
	return -1;
}
