/*
 * record.h - the tunnel's record layer.
 *
 * After the Noise handshake every byte between two gateways is a record:
 *
 *   +----------------+----------------------------------------------+
 *   | len (4, BE)    | AEAD( type (1) | channel (4, BE) | payload )  |
 *   +----------------+----------------------------------------------+
 *
 * len counts the AEAD ciphertext including its tag and is the associated
 * data, so a changed length fails authentication.  It is checked against
 * REC_WIRE_MAX before anything is buffered or allocated for the record.
 * Nonces are the per-direction record counter (never sent), so a replayed,
 * dropped or reordered record fails to open.  Any failure to open a record is
 * final for the connection: rec_open() poisons the direction.
 *
 * Rekeying: the sender of a REKEY-type record switches its own direction to
 * noise_rekey(k) right after sealing it; the receiver switches right after
 * opening it.  A key change gives the direction a fresh cipher context and
 * frees the old one.  rec_should_rekey() says when (bytes or seconds since
 * the last key change).
 */
#ifndef VMGW_RECORD_H
#define VMGW_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "noise.h"

#define REC_LEN_SIZE	 4			/* clear length prefix */
#define REC_INNER_HDR	 5			/* type + channel, encrypted */
#define REC_TAG		 NOISE_TAGLEN
#define REC_PAYLOAD_MAX	 65536			/* largest payload of one record */
#define REC_OVERHEAD	 (REC_LEN_SIZE + REC_INNER_HDR + REC_TAG)
#define REC_WIRE_MAX	 (REC_OVERHEAD + REC_PAYLOAD_MAX)
#define REC_WIRE_MIN	 (REC_OVERHEAD)
/* where the caller puts the payload inside a wire buffer before rec_seal */
#define REC_PAYLOAD_OFF	 (REC_LEN_SIZE + REC_INNER_HDR)

/* One direction of a tunnel. */
struct rec_dir {
	struct noise_cipherstate cs;
	uint64_t	records;	/* records sealed/opened in this direction */
	uint64_t	bytes;		/* wire bytes in this direction */
	uint64_t	bytes_since_rekey;
	time_t		last_rekey;	/* monotonic seconds of the last key change */
	int		poisoned;	/* an open failed: nothing more is accepted */
	uint32_t	rekeys;
};

enum rec_peek_result {
	REC_PEEK_OK	  = 0,	/* *wirelen is the whole record's size */
	REC_PEEK_NEED	  = 1,	/* fewer than REC_LEN_SIZE bytes available */
	REC_PEEK_TOOBIG	  = -1,	/* length above REC_WIRE_MAX: close */
	REC_PEEK_TOOSMALL = -2	/* length below REC_WIRE_MIN: close */
};

/*
 * Start a direction with a copy of an unprepared CipherState (noise_split's)
 * and prepare the copy; the caller still wipes its own.  -1 (EINVAL for a
 * prepared cs, ENOMEM) leaves d zeroed.  A started direction is ended with
 * rec_dir_wipe(), which frees its context; it accepts NULL and a zeroed d.
 */
int	rec_dir_init(struct rec_dir *, const struct noise_cipherstate *,
	    time_t now) NOISE_WUR;
void	rec_dir_wipe(struct rec_dir *);

/*
 * Seal one record in place.  The caller has written len payload bytes at
 * wire + REC_PAYLOAD_OFF; wire has room for REC_OVERHEAD + len bytes.
 * On success *wirelen is the record's size and, when tag is not NULL, the
 * record's tag is copied there (for the end-of-stream digest).
 */
int	rec_seal(struct rec_dir *, uint8_t *wire, size_t *wirelen,
	    uint8_t type, uint32_t channel, size_t len,
	    uint8_t tag[REC_TAG]) NOISE_WUR;

/* Look at the first bytes of a buffer: is a whole record's length known? */
enum rec_peek_result rec_peek(const uint8_t *buf, size_t avail,
	    size_t *wirelen);

/*
 * Open one whole record (wirelen from rec_peek) in place.  On success *type,
 * *channel, *payload (pointing into wire) and *len are set, and tag (if not
 * NULL) receives the record's tag.  On failure the direction is poisoned.
 */
int	rec_open(struct rec_dir *, uint8_t *wire, size_t wirelen,
	    uint8_t *type, uint32_t *channel, uint8_t **payload, size_t *len,
	    uint8_t tag[REC_TAG]) NOISE_WUR;

/* 1 when bytes_since_rekey >= max_bytes or now - last_rekey >= max_secs. */
int	rec_should_rekey(const struct rec_dir *, uint64_t max_bytes,
	    time_t max_secs, time_t now);
/* Switch this direction to the next key (after a REKEY record). */
int	rec_rekey(struct rec_dir *, time_t now) NOISE_WUR;

#endif /* VMGW_RECORD_H */
