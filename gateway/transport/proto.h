/*
 * proto.h - everything two gateways say to each other, in one place.
 *
 * Bump VMGW_PROTO_VERSION if anything in this file changes: the version is
 * in every handshake frame and in the Noise prologue, so gateways of
 * different versions refuse each other with a clear message instead of
 * misreading records.
 *
 * Connection: TCP.  First the handshake, in clear frames:
 *
 *   magic "VMGW" (4) | version (1) | kind (1) | suite (1) | flags (1) |
 *   length (2, BE) | Noise message (length bytes)
 *
 * HS_INIT carries Noise_IK message 1 (-> e, es, s, ss) whose payload is
 * struct hs_init_payload; HS_RESP carries message 2 (<- e, ee, se) whose
 * payload is struct hs_resp_payload.  HS_REJECT (responder -> initiator,
 * unauthenticated, only for a version or suite we cannot speak) carries a
 * short ASCII reason; any other failure closes the connection silently.
 *
 * Then records (crypto/record.h) of the types below.  Channel 0 is the
 * tunnel itself (PING, PONG, REKEY, MSG); channels opened by the tunnel's
 * initiator have odd ids, those opened by its responder even ids.
 */
#ifndef VMGW_PROTO_H
#define VMGW_PROTO_H

#include <stdint.h>

#define VMGW_PROTO_VERSION	3	/* bump if anything here changes */
#define VMGW_MAGIC		"VMGW"
#define VMGW_PROLOGUE		"vmgw tunnel"	/* + version byte + suite byte */

/* handshake frames */
#define HS_HDR_LEN		10
#define HS_MSG_MAX		1024	/* Noise message cap for our payloads */
enum hs_kind {
	HS_INIT		= 1,
	HS_RESP		= 2,
	HS_REJECT	= 3
};

/* suites: the tunnel's Noise protocol names */
enum hs_suite {
	HS_SUITE_AESGCM		= 1,	/* Noise_IK_25519_AESGCM_SHA256 */
	HS_SUITE_CHACHAPOLY	= 2	/* Noise_IK_25519_ChaChaPoly_BLAKE2b */
};
#define HS_SUITE_AESGCM_NAME	 "Noise_IK_25519_AESGCM_SHA256"
#define HS_SUITE_CHACHAPOLY_NAME "Noise_IK_25519_ChaChaPoly_BLAKE2b"

/*
 * HS_INIT payload: flags (1), TAI64N timestamp (12: 8 BE seconds + 2^62,
 * 4 BE nanoseconds), connection (1), site name length (1) and the
 * initiator's site name.  The timestamp must be greater than the last one
 * accepted from that peer for that connection (replay).  HS_RESP payload:
 * site name length (1) and the responder's name.
 * A PROBE handshake (`vmgw check`) proves both keys and measures the round
 * trip, and is then closed: it never replaces the peer's tunnel and carries
 * no channels.
 *
 * Connection 0 is the peer's tunnel.  Connection k (1 .. connections - 1,
 * peers.NAME.connections) is a data connection: its own TCP connection,
 * handshake and keys, for bulk channels only (never REC_MSG); a newer
 * connection k replaces an older one.  The responder refuses (HS_REJECT) an
 * index at or above its own setting for that peer.
 */
#define HS_TAI64N_LEN		12
#define HS_NAME_MAX		63
#define HS_FLAG_PROBE		0x01
#define HS_INIT_PAYLOAD_MIN	(1 + HS_TAI64N_LEN + 1 + 1 + 1)

/* record types (inside the AEAD) */
enum rec_type {
	REC_DATA	= 1,	/* channel bytes */
	REC_OPEN	= 2,	/* window (4) + JSON request */
	REC_OPEN_OK	= 3,	/* window (4) */
	REC_OPEN_FAIL	= 4,	/* ASCII reason */
	REC_CREDIT	= 5,	/* increment (4) */
	REC_EOF		= 6,	/* bytes (8) + digest (32): end of this direction */
	REC_RESET	= 7,	/* ASCII reason: abort both directions */
	REC_PING	= 8,	/* opaque (8) */
	REC_PONG	= 9,	/* the ping's opaque (8) */
	REC_REKEY	= 10,	/* empty: the sender's next record uses the next key */
	REC_MSG		= 11	/* JSON gateway-to-gateway message (channel 0) */
};
/*
 * The type byte's high bit is a flag, only on REC_DATA: the payload is the
 * next block of the channel direction's zstd stream (ZSTD_e_flush, so each
 * record decompresses whole).  A DATA record without it is raw and ends the
 * stream: both sides start a fresh zstd frame after it.  A compressed
 * record decompresses to at most REC_PAYLOAD_MAX bytes (checked before
 * anything is written: more ends the connection), and the window log of
 * its frames to at most REC_ZSTD_WINDOW_LOG.  Credit, byte counts and the
 * end-of-stream digest count the decompressed bytes.
 */
#define REC_TYPE_MASK		0x7f
#define REC_FLAG_ZSTD		0x80
#define REC_ZSTD_WINDOW_LOG	17

#define REC_EOF_LEN		(8 + 32)
#define REC_REASON_MAX		512
#define CHAN_DIGEST_LEN		32
/*
 * The end-of-stream digest of one direction of a channel is
 * BLAKE2b-256(tag_1 || tag_2 || ... ) over the AEAD tags of the channel's
 * DATA records in that direction.  Each tag authenticates its record under
 * the session key, so equal digests mean the receiver opened exactly the
 * records the sender sealed, in order; it costs 16 hashed bytes a record
 * instead of every byte.
 */

/*
 * Channels marked priority by their opener ("priority": true in the OPEN
 * request: libvirt RPC, the l2 stretch) and the tunnel's control records
 * (everything but the DATA of other channels) go to the wire before bulk
 * DATA.  Bulk a gateway holds (queued or written but not yet taken by the
 * kernel) is bounded to about TUNNEL_BULK_MS of the tunnel's measured rate.
 */
/* limits */
enum vmgw_limits {
	TUNNEL_BULK_MS		= 20,		/* bulk held, at the measured rate */
	TUNNEL_BULK_FLOOR	= 4 * (64 * 1024 + 25),	/* a few records */
	TUNNEL_BULK_CAP		= 8 * 1024 * 1024,
	TUNNEL_NOTSENT_LOWAT	= 128 * 1024,	/* unsent bytes in the kernel */
	TUNNEL_PENDING_MAX	= 64,		/* unauthenticated connections */
	TUNNEL_CHANNELS_MAX	= 4096,		/* per tunnel */
	CHAN_OPEN_JSON_MAX	= 4096,
	MSG_JSON_MAX		= 60 * 1024,
	TUNNEL_FRESH_SECS	= 5		/* dedup window for crossed dials */
};

#endif /* VMGW_PROTO_H */
