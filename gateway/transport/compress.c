/*
 * compress.c - zstd on a channel's DATA, one streaming context per
 * direction (the record flag and its limits are in proto.h).
 *
 * Sending: each DATA record of a bulk channel is compressed with
 * ZSTD_e_flush into a slot of its own, 5 % smaller than the record; if it
 * does not fit, the record goes raw and both sides start a fresh frame.
 * The peer's `compress` says when: `off` never, `zstd` always, `auto`
 * while it pays.  Whether the link or the compressor is the limit shows in
 * what the channel moves, so auto measures that: windows of at least
 * Z_PROBE records and Z_WINDOW_NS, each raw or compressed.  After a stint
 * (1 s, doubling to 16 s while the choice holds) one window tries the other
 * way; the faster wins, compressed on a tie (within Z_TIE: the link is not
 * the limit, so fewer WAN bytes cost nothing).  A compressing stint in
 * which the tunnel was full (a bulk channel found no room) while the
 * compressor was busy less than half the time skips its raw window: the
 * link is the limit, raw cannot move more, and the window would only cost
 * WAN bytes.  Records that do not shrink go raw one by one, whatever the
 * mode.  Measured on loopback (2 cores, mixed binaries that zstd -1
 * shrinks 2.9x): compressing always moved 240 MB/s where raw moved 750,
 * and at a 50 MB/s cap 134 where raw moved 50; an idle tunnel with the
 * compressor busy (the first) is what auto must not stay in.
 *
 * Receiving: the record decompresses into the tunnel's zbuf, of exactly
 * REC_PAYLOAD_MAX bytes: zstd never writes past it, and a record that has
 * more to give is refused, as is a frame asking for a window above
 * REC_ZSTD_WINDOW_LOG.  The caller ends the connection then.
 *
 * Compression happens before encryption, so record lengths tell how well
 * the data compresses (README: the length side channel).
 */
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "transport.h"

#define Z_LEVEL		1
#define Z_MIN		512		/* smaller records go raw */
#define Z_PROBE		16		/* records of a window (auto) */
#define Z_WINDOW_NS	(100ull * 1000 * 1000)	/* ... and its least length */
#define Z_STINT_NS	(1000ull * 1000 * 1000)	/* then try the other way */
#define Z_STINT_MAX_NS	(16 * Z_STINT_NS)
#define Z_TIE		110		/* %: raw must beat compressed by this */

struct chan_zstd {
	ZSTD_CCtx	*cctx;
	ZSTD_DCtx	*dctx;
	int		 in_frame;	/* the peer is decoding our open frame */
	/* auto */
	int		 zmode;		/* this window compresses */
	int		 probing;	/* this window tries the other way */
	uint64_t	 stint_end, stint_ns;
	uint64_t	 full0;		/* the tunnel's full_hits at the stint's start */
	uint64_t	 stint_start, busy_ns;	/* ... and compressing since */
	uint64_t	 tput[2];	/* bytes/s of the last raw, zstd window */
	unsigned	 n;		/* records of this window */
	uint64_t	 t0_ns, bytes;
};

const char *
compress_mode_name(int mode)
{
	switch (mode) {
	case COMPRESS_ZSTD:
		return "zstd";
	case COMPRESS_OFF:
		return "off";
	default:
		return "auto";
	}
}

void
chan_zstd_free(struct channel *ch)
{
	if (ch == NULL || ch->z == NULL)
		return;
	ZSTD_freeCCtx(ch->z->cctx);
	ZSTD_freeDCtx(ch->z->dctx);
	free(ch->z);
	ch->z = NULL;
}

static struct chan_zstd *
z_get(struct channel *ch)
{
	if (ch->z == NULL && (ch->z = calloc(1, sizeof(*ch->z))) != NULL) {
		ch->z->zmode = 1;
		ch->z->stint_ns = Z_STINT_NS;
	}
	return ch->z;
}

static void
z_stint(struct channel *ch, struct chan_zstd *z, uint64_t now)
{
	z->stint_end = now + z->stint_ns;
	z->stint_start = now;
	z->busy_ns = 0;
	z->full0 = ch->tunnel->full_hits;
}

/* A window ended with tput bytes/s: carry on, try the other way, or choose. */
static void
z_window(struct channel *ch, struct chan_zstd *z, uint64_t tput, uint64_t now)
{
	int	 best, was;

	/*
	 * A window of data that does not compress (its records went raw)
	 * counts as it moved: a piece of random data in a stream that
	 * otherwise compresses (guest memory) must not send the rest raw.
	 * Raw wins only by moving faster (the compressor is the limit).
	 */
	z->tput[z->zmode] = tput;
	if (!z->probing) {
		if (now < z->stint_end)
			return;
		if (z->zmode && ch->tunnel->full_hits != z->full0 &&
		    z->busy_ns * 2 < now - z->stint_start) {
			/* link-bound while compressing: keep at it */
			if (z->stint_ns < Z_STINT_MAX_NS)
				z->stint_ns *= 2;
			z_stint(ch, z, now);
			return;
		}
		z->zmode = !z->zmode;
		z->probing = 1;
		return;
	}
	z->probing = 0;
	was = !z->zmode;	/* the stint's way, before the probe */
	best = z->tput[0] * 100 > z->tput[1] * Z_TIE ? 0 : 1;
	if (best == was && z->stint_ns < Z_STINT_MAX_NS)
		z->stint_ns *= 2;
	else if (best != was)
		z->stint_ns = Z_STINT_NS;
	if (best != was)
		log_debug("channel %u (%s): %s (raw %llu MB/s, zstd %llu MB/s)",
		    ch->id, ch->what, best ? "compressing" : "raw",
		    (unsigned long long)(z->tput[0] / 1000000),
		    (unsigned long long)(z->tput[1] / 1000000));
	z->zmode = best;
	z_stint(ch, z, now);
}

/* auto: count len into the window; 1 if this record is to be compressed. */
static int
z_auto(struct channel *ch, struct chan_zstd *z, size_t len, uint64_t now)
{
	if (z->stint_start == 0) {	/* the first: one window, then try raw */
		z->stint_start = z->stint_end = now;
		z->full0 = ch->tunnel->full_hits;
	}
	if (z->n == 0)
		z->t0_ns = now;
	else if (z->n >= Z_PROBE && now - z->t0_ns >= Z_WINDOW_NS) {
		z_window(ch, z, z->bytes * 1000000000ull / (now - z->t0_ns),
		    now);
		z->n = 0;
		z->bytes = 0;
		z->t0_ns = now;
	}
	z->n++;
	z->bytes += len;
	return z->zmode;
}

static int
z_cctx(struct chan_zstd *z)
{
	if (z->cctx != NULL)
		return 0;
	if ((z->cctx = ZSTD_createCCtx()) == NULL)
		return -1;
	if (ZSTD_isError(ZSTD_CCtx_setParameter(z->cctx,
	    ZSTD_c_compressionLevel, Z_LEVEL)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_windowLog,
	    REC_ZSTD_WINDOW_LOG))) {
		ZSTD_freeCCtx(z->cctx);
		z->cctx = NULL;
		return -1;
	}
	return 0;
}

/*
 * The slot to send for s: a compressed copy (s is freed), or s itself,
 * raw.  Never NULL.
 */
struct rec_slot *
chan_compress(struct channel *ch, struct rec_slot *s)
{
	int		 mode = ch->tunnel->peer->conf->compress;
	struct chan_zstd *z = ch->z;
	struct rec_slot	*out = NULL;
	ZSTD_inBuffer	 in;
	ZSTD_outBuffer	 o;
	size_t		 r;
	uint64_t	 t0 = 0;

	if (mode == COMPRESS_OFF || s->len < Z_MIN || (z = z_get(ch)) == NULL)
		goto raw;
	if (mode == COMPRESS_AUTO && !z_auto(ch, z, s->len, t0 = mono_ns()))
		goto raw;
	if (z_cctx(z) == -1 ||
	    (out = rec_slot_new(s->len - s->len / 20)) == NULL)
		goto raw;
	in.src = REC_SLOT_PAYLOAD(s);
	in.size = s->len;
	in.pos = 0;
	o.dst = REC_SLOT_PAYLOAD(out);
	o.size = out->cap;
	o.pos = 0;
	do
		r = ZSTD_compressStream2(z->cctx, &o, &in, ZSTD_e_flush);
	while (!ZSTD_isError(r) && r != 0 && o.pos < o.size);
	z->in_frame = 1;	/* whatever happened, the context moved on */
	if (t0 != 0)
		z->busy_ns += mono_ns() - t0;
	if (ZSTD_isError(r) || r != 0)
		goto raw;	/* did not shrink by 5 % */
	out->ch = s->ch;
	out->chan = s->chan;
	out->type = REC_DATA | REC_FLAG_ZSTD;
	out->len = o.pos;
	rec_slot_free(s);
	return out;
 raw:
	rec_slot_free(out);
	if (z != NULL && z->in_frame) {
		/* the peer starts a new frame at the raw record, as we do */
		ZSTD_CCtx_reset(z->cctx, ZSTD_reset_session_only);
		z->in_frame = 0;
	}
	return s;
}

/* A raw DATA record came: the sender's next compressed one is a new frame. */
void
chan_decompress_raw(struct channel *ch)
{
	if (ch->z != NULL && ch->z->dctx != NULL)
		ZSTD_DCtx_reset(ch->z->dctx, ZSTD_reset_session_only);
}

int
chan_decompress(struct tunnel *t, struct channel *ch, const uint8_t *p,
    size_t len, const uint8_t **out, size_t *outlen, const char **why)
{
	struct chan_zstd *z;
	ZSTD_inBuffer	 in = { p, len, 0 };
	ZSTD_outBuffer	 o, probe;
	uint8_t		 extra;
	size_t		 r, ipos, opos;

	*out = NULL;
	*outlen = 0;
	*why = "out of memory";
	if ((t->zbuf == NULL && (t->zbuf = malloc(REC_PAYLOAD_MAX)) == NULL) ||
	    (z = z_get(ch)) == NULL)
		return -1;
	if (z->dctx == NULL) {
		if ((z->dctx = ZSTD_createDCtx()) == NULL)
			return -1;
		if (ZSTD_isError(ZSTD_DCtx_setParameter(z->dctx,
		    ZSTD_d_windowLogMax, REC_ZSTD_WINDOW_LOG)))
			return -1;
	}
	o.dst = t->zbuf;
	o.size = REC_PAYLOAD_MAX;
	o.pos = 0;
	*why = "compressed data does not decode";
	while (in.pos < in.size && o.pos < o.size) {
		ipos = in.pos;
		opos = o.pos;
		r = ZSTD_decompressStream(z->dctx, &o, &in);
		if (ZSTD_isError(r) || (in.pos == ipos && o.pos == opos))
			return -1;
	}
	*why = "compressed record decodes to more than the record maximum";
	if (in.pos < in.size)
		return -1;
	if (o.pos == o.size) {
		/* the output is full: the decoder must have nothing left */
		probe.dst = &extra;
		probe.size = 1;
		probe.pos = 0;
		in.src = NULL;
		in.size = in.pos = 0;
		r = ZSTD_decompressStream(z->dctx, &probe, &in);
		if (ZSTD_isError(r) || probe.pos > 0)
			return -1;
	}
	*out = t->zbuf;
	*outlen = o.pos;
	*why = NULL;
	return 0;
}
