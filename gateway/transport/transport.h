/*
 * transport.h - the transport layer: the tunnel to each peer gateway and
 * what rides on it.  Structures and every prototype, grouped by the file
 * that defines it.
 *
 *   handshake.c  Noise_IK framing, suites, the replay guard
 *   tunnel.c     one TCP connection: handshake, then AEAD records
 *   channel.c    byte streams with credit windows and a checked end
 *   relay.c      a socket at our end of a channel
 *   accept.c     what a peer may open here (kinds registered by their owners)
 *   peer.c       the configured peers: one tunnel each, kept up; observers
 *   peerconn.c   a peer's data connections (connections: N): dial, up,
 *                down, which one a channel goes on, their status
 *   lane.c       the thread and event loop of a data connection, parking,
 *                and the main loop's mailbox
 *   peermsg.c    JSON requests and replies between gateways (ops registered)
 *   check.c status.c forward.c bench.c   the transport's own commands
 *   transport.c  start and stop of the layer
 *
 * This layer knows nothing of jobs or guests.  The layers above plug in
 * by registering: channel kinds (accept_register), peer-message ops
 * (pmsg_register), peer up/down observers (peer_observe) and fields of a
 * peer's status (peer_status_register).  Its wire protocol is proto.h;
 * the peer messages of every layer are listed in peerproto.h.
 */
#ifndef VMGW_TRANSPORT_H
#define VMGW_TRANSPORT_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <stdint.h>
#include <time.h>

#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <event2/listener.h>
#include <jansson.h>
#include <sodium.h>

#include "gw.h"
#include "control.h"
#include "evutil.h"
#include "noise.h"
#include "record.h"
#include "proto.h"
#include "peerproto.h"

struct channel;
struct relay;
struct chan_zstd;
struct lane;
struct peer_conn;

/*
 * A record on its way to the wire: room for the clear length and the inner
 * header before the payload and for the tag after it, so the payload is
 * read (or compressed) straight into place and sealed there.  Sealing waits
 * until the record goes to the wire (nonces follow the wire's order, and a
 * DATA record's tag joins its channel's digest then); the wire then refers
 * to buf without a copy and frees the slot when the kernel has taken it.
 */
struct rec_slot {
	TAILQ_ENTRY(rec_slot)	 entry;
	struct channel		*ch;		/* DATA and EOF of a channel */
	uint32_t		 chan;
	uint8_t			 type;		/* with REC_FLAG_ZSTD */
	size_t			 len;		/* payload bytes */
	size_t			 cap;		/* payload room */
	uint8_t			 buf[];		/* REC_OVERHEAD + cap */
};
TAILQ_HEAD(rec_slotq, rec_slot);
#define REC_SLOT_PAYLOAD(s)	((s)->buf + REC_PAYLOAD_OFF)

/* ---------------------------------------------------------------- channel */

/*
 * What sits at our end of a channel.  The channel layer moves bytes and
 * credit; an endpoint (a socket relay, the bench generator, a file shipper)
 * produces and consumes them.
 */
struct chan_ops {
	/* the channel is open (we opened it: OPEN_OK arrived; we accepted it: OPEN_OK sent) */
	void	(*opened)(struct channel *);
	/* bytes from the peer; the endpoint calls chan_consumed() when it has passed them on */
	void	(*data)(struct channel *, const uint8_t *, size_t);
	/*
	 * Optional: bytes that stay where they are until flush() (records
	 * read together are opened in place, then flushed once: a relay
	 * writes them with one writev); data() for the rest.
	 */
	void	(*data_ref)(struct channel *, const uint8_t *, size_t);
	void	(*flush)(struct channel *);
	/* the peer ended its direction, byte count and digest verified */
	void	(*eof)(struct channel *);
	/* send credit became available (or the tunnel drained) */
	void	(*writable)(struct channel *);
	/* the channel is gone: reason NULL for a clean close; free the endpoint */
	void	(*closed)(struct channel *, const char *reason);
};

enum chan_state {
	CHAN_OPENING = 1,	/* OPEN sent, waiting for OPEN_OK / OPEN_FAIL */
	CHAN_ACCEPTING,		/* OPEN received, endpoint being set up */
	CHAN_OPEN,
	CHAN_CLOSED
};

struct channel {
	TAILQ_ENTRY(channel)	 hash_entry;	/* tunnel's id hash */
	TAILQ_ENTRY(channel)	 blocked_entry;	/* waiting for tunnel room */
	TAILQ_ENTRY(channel)	 flush_entry;	/* holds bytes of this read */
	int			 flushq;	/* on the tunnel's flushq */
	struct tunnel		*tunnel;
	uint32_t		 id;
	enum chan_state		 state;
	int			 blocked;	/* on the tunnel's blocked list */
	int			 prio;		/* control: before bulk on the wire */
	int			 bulk_counted;	/* in its connection's nbulk */
	size_t			 queued;	/* our records in the tunnel's queues */
	struct chan_zstd	*z;		/* compression state, or NULL */
	const struct chan_ops	*ops;
	void			*arg;		/* the endpoint's */
	char			 what[320];	/* for logs: "forward 127.0.0.1:22" */

	uint64_t		 send_credit;	/* bytes the peer lets us send */
	uint64_t		 recv_window;	/* our window size */
	uint64_t		 recv_outstanding; /* granted, not yet received */
	uint64_t		 recv_unacked;	/* consumed, credit not yet returned */

	uint64_t		 tx_bytes;	/* payload bytes sent */
	uint64_t		 rx_bytes;	/* payload bytes received */
	crypto_generichash_state tx_digest;
	crypto_generichash_state rx_digest;
	int			 tx_eof;	/* we queued EOF: no more data */
	int			 tx_done;	/* our EOF is sealed, on the wire */
	int			 rx_eof;	/* peer's EOF arrived and verified */
	struct event		*close_ev;	/* deferred close and free */
	int			 notify_close;	/* call ops->closed then */
	int			 clean;		/* both directions ended well */
	char			 reason[REC_REASON_MAX + 80];
};

/* channel.c */
struct channel *chan_open(struct tunnel *, json_t *req, const struct chan_ops *,
	    void *arg, const char *what);
void	 chan_set_endpoint(struct channel *, const struct chan_ops *, void *arg);
void	 chan_accept_ok(struct channel *);
void	 chan_accept_fail(struct channel *, const char *reason);
uint64_t chan_send_room(const struct channel *);
int	 chan_send(struct channel *, const uint8_t *, size_t);
int	 chan_send_slot(struct channel *, struct rec_slot *);
void	 chan_send_eof(struct channel *);
void	 chan_consumed(struct channel *, size_t);
void	 chan_reset(struct channel *, const char *reason);
void	 chan_close_quiet(struct channel *, const char *reason);
void	 chan_wait_writable(struct channel *);
void	 chan_input(struct tunnel *, uint8_t type, uint32_t id,
	    const uint8_t *payload, size_t len, const uint8_t tag[REC_TAG]);
void	 chan_tunnel_gone(struct tunnel *, const char *reason);
void	 chan_tunnel_drained(struct tunnel *);
void	 chan_flush(struct tunnel *);	/* the records of a read are all in */
size_t	 chan_count(const struct tunnel *);
struct channel *chan_lookup(struct tunnel *, uint32_t id);
void	 chan_seal_prep(struct rec_slot *);
void	 chan_sealed(struct rec_slot *, const uint8_t tag[REC_TAG]);
void	 chan_zstd_free(struct channel *);

/* compress.c: zstd per channel direction (the flag and limits: proto.h) */
struct rec_slot *chan_compress(struct channel *, struct rec_slot *);
int	 chan_decompress(struct tunnel *, struct channel *, const uint8_t *,
	    size_t, const uint8_t **out, size_t *outlen, const char **why);
void	 chan_decompress_raw(struct channel *);
const char *compress_mode_name(int mode);

/* ----------------------------------------------------------------- tunnel */

enum tunnel_state {
	TUN_CONNECTING = 1,	/* TCP connect in progress (initiator) */
	TUN_HANDSHAKE,		/* waiting for HS_INIT / HS_RESP */
	TUN_ESTABLISHED,
	TUN_DEAD
};

#define TUNNEL_CHAN_BUCKETS 256
TAILQ_HEAD(chan_list, channel);

struct tunnel {
	TAILQ_ENTRY(tunnel)	 entry;		/* gw's pending list */
	struct gw		*gw;
	struct event_base	*base;		/* gw's, or its lane's */
	struct peer		*peer;		/* NULL until authenticated (responder) */
	unsigned		 conn;		/* 0: the peer's tunnel; k: data connection k */
	struct peer_conn	*pc;		/* data connection k's slot, or NULL */
	struct lane		*lane;		/* the thread it runs on now, or NULL */
	uint64_t		 serial;	/* unique in this process */
	int			 nbulk;		/* bulk channels on it (atomic) */
	int			 initiator;
	int			 probe;		/* `vmgw check`: never adopted */
	int			 pending;	/* on gw->pending */
	enum tunnel_state	 state;
	enum hs_suite		 suite;
	struct bufferevent	*bev;		/* writes (and their rate limit) */
	struct event		*rev;		/* reads: our readv, not libevent's 4 KiB reads */
	uint8_t			*rbuf;		/* what rev read: records opened in place */
	size_t			 rstart, rend;	/* unparsed bytes of rbuf */
	struct rec_slotq	 q_ctl;		/* control records, first to the wire */
	struct rec_slotq	 q_bulk;	/* bulk DATA (and the EOF behind it) */
	size_t			 q_bulk_bytes;	/* wire bytes in q_bulk */
	uint64_t		 rate;		/* measured wire rate, bytes/s */
	uint64_t		 rate_ns;	/* start of the current sample */
	uint64_t		 rate_mark;	/* bytes drained at rate_ns */
	int			 rate_busy;	/* bulk waited during the sample */
	uint64_t		 full_hits;	/* a bulk channel found no room */
	uint8_t			*zbuf;		/* one decompressed record */
	uint64_t		 z_tx_in, z_tx_out;	/* DATA before/after compression */
	uint64_t		 z_rx_in, z_rx_out;	/* DATA as received/decompressed */
	char			 addr[300];	/* remote "ip:port" or endpoint */
	struct noise_handshake	*hs;
	struct rec_dir		 tx;
	struct rec_dir		 rx;
	uint64_t		 rx_offset;	/* stream offset of the next record */
	struct event		*timer;		/* handshake timeout, keepalive, rekey */
	time_t			 started;	/* monotonic */
	time_t			 established;	/* monotonic */
	time_t			 established_wall;
	time_t			 last_rx, last_tx;	/* monotonic */
	uint64_t		 hs_sent_ns;
	uint64_t		 ping_sent_ns;
	uint64_t		 rtt_us;
	uint64_t		 bytes_in, bytes_out;
	uint32_t		 next_chan;	/* next id we allocate */
	size_t			 nchannels;
	struct chan_list	 chans[TUNNEL_CHAN_BUCKETS];
	struct chan_list	 blocked;	/* channels waiting for room */
	TAILQ_HEAD(, channel)	 flushq;	/* to flush after this read */
	int			 close_after_flush;
	int			 rcvlowat;	/* current SO_RCVLOWAT */
	char			 close_reason[256];
	/* probe (check) callbacks */
	void			(*on_up)(struct tunnel *, const char *err, void *);
	void			(*on_pong)(struct tunnel *, void *);
	void			*on_up_arg;
};

/* tunnel.c */
struct tunnel *tunnel_connect(struct gw *, struct peer *);
void	 tunnel_accept(struct gw *, int fd, const struct sockaddr *, int socklen);
int	 tunnel_send(struct tunnel *, uint8_t type, uint32_t chan,
	    const uint8_t *payload, size_t len);
int	 tunnel_send_msg(struct tunnel *, json_t *msg);
int	 tunnel_has_room(struct tunnel *);
size_t	 tunnel_bulk_bound(const struct tunnel *);
size_t	 tunnel_bulk_held(const struct tunnel *);
struct rec_slot *rec_slot_new(size_t cap);
struct rec_slot *rec_slot_shrink(struct rec_slot *);
void	 rec_slot_free(struct rec_slot *);
int	 tunnel_enqueue(struct tunnel *, struct rec_slot *, int bulk);
void	 tunnel_purge(struct tunnel *, struct channel *);
void	 tunnel_close(struct tunnel *, const char *fmt, ...) LOG_FMT(2, 3);
void	 tunnel_ping(struct tunnel *);
struct tunnel *tunnel_connect_data(struct gw *, struct peer *, unsigned conn);
int	 tunnel_rehome(struct tunnel *, struct lane *);
struct tunnel *tunnel_attach(struct gw *, evutil_socket_t fd, struct peer *dial);
struct tunnel *tunnel_probe(struct gw *, struct peer *,
	    void (*cb)(struct tunnel *, const char *, void *), void *arg);

/* handshake.c */
const char *tunnel_suite_name(enum hs_suite);
int	 hs_suite_choose(enum tunnel_suite conf, enum hs_suite *out);
int	 hs_suite_acceptable(enum tunnel_suite conf, enum hs_suite);
void	 hs_frame_header(uint8_t hdr[HS_HDR_LEN], enum hs_kind, enum hs_suite,
	    size_t len);
int	 hs_frame_parse(const uint8_t hdr[HS_HDR_LEN], enum hs_kind *,
	    enum hs_suite *, size_t *len, char *err, size_t errlen);
struct noise_handshake *hs_new(const struct vmgw_config *, enum hs_suite,
	    int initiator, const uint8_t *remote_static);
void	 hs_tai64n_now(uint8_t out[HS_TAI64N_LEN]);
int	 hs_replay_check(struct peer *, unsigned conn,
	    const uint8_t ts[HS_TAI64N_LEN]);
void	 hs_replay_commit(struct peer *, unsigned conn,
	    const uint8_t ts[HS_TAI64N_LEN]);

/* ------------------------------------------------------------------- peer */

/* Why a tunnel was closed for a bad record (vmgw_tunnel_dropped_records_total). */
enum peer_drop {
	PEER_DROP_LENGTH = 0,	/* a length field out of bounds */
	PEER_DROP_AUTH,		/* a record that does not authenticate */
	PEER_DROP_PROTOCOL,	/* an unknown or misplaced record type */
	PEER_DROPS
};

/*
 * Data connection k (1 .. connections - 1) of a peer: its own TCP
 * connection, handshake and keys, run by its own thread (lane).  Fields
 * marked "lane" belong to the lane's thread (the main thread reads them
 * only with the lane borrowed); the rest belong to the main thread.
 */
struct peer_conn {
	struct peer		*peer;
	unsigned		 index;
	struct lane		*lane;		/* its thread, made at first use */
	struct tunnel		*t;		/* lane: established, on the lane */
	uint64_t		 serial;	/* lane: t's */
	int			 live;		/* atomic: t is up on the lane */
	int			 nbulk;		/* atomic: bulk channels on it */
	struct tunnel		*dialing;	/* our handshake (main loop) */
	struct event		*retry;
	unsigned		 backoff;
	int			 refused;	/* the peer takes fewer connections */
	uint32_t		 handshakes;
	time_t			 since_wall;	/* up or down since */
	uint64_t		 bytes_in, bytes_out, rekeys;	/* of closed tunnels */
	uint64_t		 z_tx_in, z_tx_out, z_rx_in, z_rx_out;
	uint8_t			 last_ts[HS_TAI64N_LEN];	/* replay guard */
	char			 last_error[256];
};

struct peer {
	TAILQ_ENTRY(peer)	 entry;		/* gw->peers (or peers_gone) */
	struct gw		*gw;
	/*
	 * Into gw->conf, re-pointed by a reload; a peer a reload removed
	 * points at gone_conf (its name and key) and stays on
	 * gw->peers_gone, since jobs and forwards still point at it.
	 */
	const struct vmgw_peer	*conf;
	int			 removed;	/* by a reload: never dialled again */
	struct vmgw_peer	 gone_conf;
	char			 gone_name[CONFIG_NAME_MAX + 1];
	struct tunnel		*tunnel;	/* established, or NULL */
	struct tunnel		*dialing;	/* our outbound attempt */
	struct event		*retry;
	unsigned		 backoff;	/* seconds to the next dial */
	int			 want;		/* keep a tunnel up */
	time_t			 since_wall;	/* connected since */
	time_t			 last_handshake_wall;
	uint64_t		 bytes_in, bytes_out;	/* of closed tunnels */
	uint64_t		 z_tx_in, z_tx_out, z_rx_in, z_rx_out;	/* idem */
	uint32_t		 handshakes;
	uint64_t		 rekeys;	/* of closed tunnels, both ways */
	uint64_t		 drops[PEER_DROPS];	/* tunnels closed for bad records */
	uint8_t			 last_ts[HS_TAI64N_LEN];	/* replay guard */
	char			 last_error[256];
	struct ev_token_bucket_cfg *rate;	/* bandwidth cap */
	struct ev_token_bucket_cfg *rate_conn;	/* its share, per connection */
	TAILQ_HEAD(, peer_waiter) waiters;
	struct peer_conn	 conns[PEER_CONNECTIONS_MAX];	/* [0] unused */
};

struct peer_waiter {
	TAILQ_ENTRY(peer_waiter) entry;
	void			(*cb)(struct peer *, struct tunnel *, const char *err, void *);
	void			*arg;
	struct event		*timeout;
	struct peer		*peer;
};

/* peer.c */
typedef void (*peer_up_fn)(struct peer *, struct tunnel *);
typedef void (*peer_down_fn)(struct peer *, struct tunnel *, const char *why);
typedef json_t *(*peer_status_fn)(const struct peer *);
/* Observers of every peer's tunnel (either may be NULL); -1: table full. */
int	 peer_observe(peer_up_fn, peer_down_fn);
/* Add key: fn(peer) (when not NULL) to each peer's status. */
int	 peer_status_register(const char *key, peer_status_fn);
int	 peers_init(struct gw *);
void	 peers_stop_lanes(struct gw *);
void	 peers_free(struct gw *);
struct peer *peer_new(struct gw *, const struct vmgw_peer *);
int	 peer_set_rate(struct peer *);	/* conf->bandwidth, now and later */
void	 peer_remove(struct peer *);	/* a reload removed it */
struct peer *peer_find(struct gw *, const char *name);
struct peer *peer_by_key(struct gw *, const uint8_t key[KEY_LEN]);
void	 peer_dial_now(struct peer *);
void	 peer_tunnel_up(struct peer *, struct tunnel *);
void	 peer_tunnel_down(struct peer *, struct tunnel *, const char *why);
void	 peer_dial_failed(struct peer *, const char *why);
struct peer_waiter *peer_wait(struct peer *, unsigned timeout_s,
	    void (*cb)(struct peer *, struct tunnel *, const char *, void *),
	    void *arg);
void	 peer_wait_cancel(struct peer_waiter *);
json_t	*peer_status_json(struct peer *);
void	 peer_count_drop(struct peer *, enum peer_drop);	/* NULL: none */
void	 peer_log_ctx(const struct peer *, struct log_ctx *);
/* rekeys of every tunnel so far, both ways */
uint64_t peer_rekeys(struct peer *);

/* peerconn.c: a peer's data connections */
void	 peer_conns_init(struct peer *);
void	 peer_conns_free(struct peer *);	/* stops its lanes */
void	 peer_conns_dial(struct peer *);	/* the missing ones, if ours to dial */
void	 peer_conns_close(struct peer *, unsigned from, const char *why);
void	 peer_conn_up(struct peer *, struct tunnel *);
void	 peer_conn_dial_failed(struct peer *, struct tunnel *, const char *);
void	 peer_conn_refused(struct peer *, struct tunnel *, const char *);
void	 peer_conn_down(struct peer *, struct tunnel *, const char *why);
struct tunnel *peer_conn_pick(struct peer *, int tunnel, struct lane **);
json_t	*peer_conns_status(struct peer *);
void	 peer_conns_rate(struct peer *);
struct peer_totals {
	uint64_t	 bytes_in, bytes_out, rekeys;
	uint64_t	 z_tx_in, z_tx_out, z_rx_in, z_rx_out;
	size_t		 channels;
	unsigned	 up;
};
void	 peer_conns_totals(struct peer *, struct peer_totals *);
void	 peers_park(struct gw *, int park);	/* all lanes: a barrier */

/* lane.c: the thread of a data connection, and the main loop's mailbox */
struct lane *lane_new(struct gw *, const char *name);
void	 lane_free(struct lane *);
void	 lane_borrow(struct lane *);
void	 lane_release(struct lane *);
struct lane *lane_current(void);	/* the lane of this thread, or NULL */
struct event_base *lane_base(const struct lane *);
struct evdns_base *lane_dns(const struct lane *);
const char *lane_name(const struct lane *);
int	 lane_mailbox_init(struct gw *);
void	 lane_mailbox_drain(void);
void	 lane_mailbox_free(void);
int	 lane_post_main(void (*fn)(void *), void *arg);

/* peerload.c: a reload's peers (added, removed, re-keyed, re-pointed) */
int	 peers_reload_init(void);

/* pmetrics.c: the tunnels' series on the metrics endpoint */
int	 peer_metrics_init(void);

/* check.c: `vmgw check` */
void	 ctl_check(struct ctl_conn *, json_t *req);

/* status.c: `vmgw status` */
void	 ctl_status(struct ctl_conn *, json_t *req);

/* forward.c: `vmgw forward`, and its far side */
void	 ctl_forward(struct ctl_conn *, json_t *req);
void	 forward_init(void);	/* channel kind "forward", op forward-check */

/* relay.c: a socket at our end of a channel */
struct relay;
typedef void (*relay_done_cb)(struct relay *, const char *reason, void *arg);
extern const struct chan_ops relay_ops;
struct relay *relay_new(struct gw *, evutil_socket_t fd, struct channel *);
int	 relay_open(struct relay *, struct peer *, json_t *req, const char *what);
void	 relay_set_channel(struct relay *, struct channel *);
void	 relay_set_done(struct relay *, relay_done_cb, void *arg);
void	 relay_counts(const struct relay *, uint64_t *up, uint64_t *down);
int	 relay_pace(struct relay *, struct bufferevent_rate_limit_group *);
void	 relay_abort(struct relay *, const char *reason);
int	 relay_connect(struct gw *, struct channel *, const struct vmgw_addr *,
	    char *err, size_t errlen);
void	 relay_abort_socket(evutil_socket_t fd);

/* accept.c: what a peer may open at this gateway (kinds: peerproto.h) */
typedef void (*accept_fn)(struct channel *, json_t *req);
/* data: the kind may also come on a data connection (a relay endpoint) */
int	 accept_register(const char *kind, accept_fn, int data);
void	 accept_open(struct channel *, json_t *req);
/* A channel an accept handler answers later (chan_accept_* then). */
struct chan_held;
struct chan_held *chan_hold(struct channel *);
/* fn(ch, arg) with the channel, if it still waits; else nothing */
void	 chan_held_run(struct chan_held *, void (*fn)(struct channel *,
	    void *), void *arg);
void	 chan_held_fail(struct chan_held *, const char *reason);

/* bench.c: `vmgw bench` and its sink (channel kind "bench") */
void	 ctl_bench(struct ctl_conn *, json_t *req);
void	 bench_init(void);

/* peermsg.c: REC_MSG requests and replies between gateways */
/* reply: the answer (also with err, when the peer answered with an error:
 * it may carry fields; NULL when none came: timeout, tunnel lost) */
typedef void (*pmsg_reply_cb)(json_t *reply, const char *err, void *arg);
typedef void (*pmsg_op_fn)(struct peer *, json_int_t id, json_t *req);
/* The handler of requests of op (peerproto.h); -1: table full. */
int	 pmsg_register(const char *op, pmsg_op_fn);
int	 pmsg_init(struct gw *);
void	 pmsg_free(struct gw *);
int	 pmsg_request(struct peer *, json_t *msg, unsigned timeout_s,
	    pmsg_reply_cb, void *arg);
void	 pmsg_input(struct tunnel *, const uint8_t *, size_t);
void	 pmsg_reply(struct peer *, json_int_t id, json_t *reply);
void	 pmsg_reply_error(struct peer *, json_int_t id, const char *fmt, ...)
	    LOG_FMT(3, 4);
void	 pmsg_tunnel_gone(struct tunnel *);

/* transport.c */
/* pmsg, peers, the peer listener, the transport's commands and kinds */
int	 transport_init(struct gw *);
void	 transport_close(struct gw *);	/* tunnels closing (deferred frees) */
void	 transport_free(struct gw *);

#endif /* VMGW_TRANSPORT_H */
