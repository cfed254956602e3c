/*
 * relay.c - a local socket (TCP or UNIX) at our end of a channel.
 *
 * Bytes read from the socket go out as channel data as credit and tunnel
 * room allow (reading stops when they do not, so memory stays bounded);
 * bytes from the peer are written to the socket, and credit goes back to
 * the peer only as the socket takes them.  EOF travels both ways as a
 * half-close.  Any abnormal end (the tunnel lost, the peer's reset, a bad
 * end-of-stream check) closes the socket with a TCP RST / abortive close,
 * so the application sees an error, never a short success.
 *
 * No copy of our own on the way: the socket is read with one readv
 * straight into the payload room of the records that will carry the bytes
 * (struct rec_slot), and only when the channel has credit and the tunnel
 * room (so what the writer wrote is either on its way or still in its
 * socket); bytes from the peer are written to the socket from the opened
 * records, those of one read of the tunnel with one writev (data_ref, then
 * flush), and only what the socket does not take at once is copied to the
 * bufferevent's output.
 *
 * A relay lives where its channel lives: on the main loop, or on the lane
 * of a data connection (lane.c).  Its owner (a job, a forward, a
 * replication point) lives on the main loop: it opens the relay's channel
 * with relay_open, which picks the connection; it may abort the relay or
 * read its counts at any time; and it hears of the relay's end on the main
 * loop (a relay that ends on a lane posts it there, and is freed after).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>

#include "transport.h"

#define RELAY_IO_MAX	(256 * 1024)
#define RELAY_SLOTS	(RELAY_IO_MAX / REC_PAYLOAD_MAX)	/* per read */
#define RELAY_WV	16		/* records held for one writev */

struct relay {
	struct gw		*gw;
	struct event_base	*base;		/* where it lives (NULL: not yet) */
	struct lane		*lane;		/* NULL: the main loop */
	evutil_socket_t		 fd;		/* until the bufferevent has it */
	int			 finished;	/* on its lane: its end is posted */
	int			 done_called;	/* main: the owner heard of it */
	int			 aborted;
	char			 reason[640];
	struct channel		*ch;
	struct bufferevent	*bev;		/* writes */
	struct event		*rev;		/* reads (relay_read) */
	int			 connecting;	/* accepting side, connect in progress */
	int			 local_eof;	/* the socket's read side ended */
	int			 readable;	/* rev fired since our last read */
	int			 peer_eof;	/* the peer's direction ended */
	int			 shut_wr;
	int			 flush_then_free;
	struct event		*retry_ev;	/* unix connect: listener busy */
	unsigned		 retries;
	struct vmgw_addr	 target;
	struct iovec		 wv[RELAY_WV];	/* records of this read (in rbuf) */
	int			 nwv;
	int			 paced;		/* in a rate group: writes go
						 * through the bufferevent */
	uint64_t		 bytes_up;	/* socket -> channel (atomic) */
	uint64_t		 bytes_down;	/* channel -> socket (atomic) */
	relay_done_cb		 done;
	void			*done_arg;
	char			 what[320];
};

static void	relay_read_ev(evutil_socket_t, short, void *);
static void	relay_writecb(struct bufferevent *, void *);
static void	relay_eventcb(struct bufferevent *, short, void *);
static void	relay_outcb(struct evbuffer *, const struct evbuffer_cb_info *,
		    void *);

void
relay_abort_socket(evutil_socket_t fd)
{
	struct linger	 l = { 1, 0 };

	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

static struct relay *
relay_alloc(struct gw *gw, struct channel *ch)
{
	struct relay	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->gw = gw;
	r->fd = -1;
	r->ch = ch;
	snprintf(r->what, sizeof(r->what), "%s", ch != NULL ? ch->what : "");
	return r;
}

/* The relay's bufferevent on base (the base of the channel's tunnel). */
static int
relay_set_bev(struct relay *r, struct event_base *base, struct lane *lane,
    evutil_socket_t fd)
{
	struct bufferevent	*bev;

	if ((bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE)) ==
	    NULL)
		return -1;
	r->bev = bev;
	r->base = base;
	r->lane = lane;
	r->fd = -1;
	bufferevent_setcb(bev, NULL, relay_writecb, relay_eventcb, r);
	bufferevent_set_max_single_read(bev, RELAY_IO_MAX);
	bufferevent_set_max_single_write(bev, RELAY_IO_MAX);
	evbuffer_add_cb(bufferevent_get_output(bev), relay_outcb, r);
	return 0;
}

/* Reading on or off (created once the socket is connected). */
static void
relay_reading(struct relay *r, int on)
{
	evutil_socket_t	 fd;

	if (r->bev == NULL || (fd = bufferevent_getfd(r->bev)) < 0)
		return;
	if (r->rev == NULL && (r->rev = event_new(r->base, fd,
	    EV_READ | EV_PERSIST, relay_read_ev, r)) == NULL)
		return;
	if (on)
		event_add(r->rev, NULL);
	else
		event_del(r->rev);
}

/* On the main loop: the end of a relay that ended on its lane. */
static void
relay_done_posted(void *arg)
{
	struct relay	*r = arg;

	if (!r->done_called && r->done != NULL) {
		r->done_called = 1;
		r->done(r, r->aborted ? r->reason : NULL, r->done_arg);
	}
	free(r);
}

/*
 * Free the relay; abort: close with RST.  Tells the owner once, on the main
 * loop: at once there, or later from a lane (the relay stays until then).
 */
static void
relay_finish(struct relay *r, int abort, const char *reason)
{
	relay_done_cb	 done = r->done;

	r->nwv = 0;	/* what it held of the tunnel's buffer is not ours */

	if (r->ch != NULL) {
		if (abort)
			chan_reset(r->ch, reason != NULL ? reason : "aborted");
		else
			chan_close_quiet(r->ch, NULL);
		r->ch = NULL;
	}
	if (r->rev != NULL)
		event_free(r->rev);
	r->rev = NULL;
	if (r->retry_ev != NULL)
		event_free(r->retry_ev);
	r->retry_ev = NULL;
	if (r->bev != NULL) {
		if (abort)
			relay_abort_socket(bufferevent_getfd(r->bev));
		evbuffer_remove_cb(bufferevent_get_output(r->bev), relay_outcb,
		    r);
		bufferevent_free(r->bev);
		r->bev = NULL;
	}
	if (r->fd != -1) {	/* never opened */
		relay_abort_socket(r->fd);
		close(r->fd);
		r->fd = -1;
	}
	if (lane_current() != NULL) {
		r->finished = 1;
		r->aborted = abort;
		snprintf(r->reason, sizeof(r->reason), "%s", reason != NULL ?
		    reason : "aborted");
		if (lane_post_main(relay_done_posted, r) == -1)
			log_warnx("%s: out of memory: its end is lost", r->what);
		return;
	}
	r->done = NULL;
	if (done != NULL)
		done(r, abort ? reason : NULL, r->done_arg);
	free(r);
}

/*
 * A relay of fd.  With ch (an accepting handler), it lives where ch lives;
 * without, it waits for relay_open to pick its connection (fd is closed
 * with it if it ends before).  NULL: out of memory (fd left open).
 */
struct relay *
relay_new(struct gw *gw, evutil_socket_t fd, struct channel *ch)
{
	struct relay		*r;

	if ((r = relay_alloc(gw, ch)) == NULL)
		return NULL;
	if (ch == NULL) {
		r->fd = fd;
		return r;
	}
	if (relay_set_bev(r, ch->tunnel->base, ch->tunnel->lane, fd) == -1) {
		free(r);
		return NULL;
	}
	/* reading starts when the channel is open (relay_opened) */
	bufferevent_enable(r->bev, EV_WRITE);
	return r;
}

/*
 * Open r's channel to p with req (a bulk request goes on the connection
 * with the fewest bulk channels; a "priority" one, and a "paced" one whose
 * rate the far side's main loop keeps, on the peer's tunnel).  -1: no
 * tunnel, or no channel (r unchanged: the caller aborts it).
 */
int
relay_open(struct relay *r, struct peer *p, json_t *req, const char *what)
{
	struct lane	*l = NULL;
	struct tunnel	*t;
	struct channel	*ch = NULL;
	evutil_socket_t	 fd = r->fd;

	if (r->bev != NULL || fd == -1 || (t = peer_conn_pick(p,
	    json_is_true(json_object_get(req, "priority")) ||
	    json_is_true(json_object_get(req, "paced")), &l)) == NULL)
		return -1;
	if (relay_set_bev(r, t->base, t->lane, fd) == 0) {
		bufferevent_enable(r->bev, EV_WRITE);
		if ((ch = chan_open(t, req, &relay_ops, r, what)) != NULL)
			relay_set_channel(r, ch);
	}
	if (l != NULL)
		lane_release(l);
	return ch != NULL ? 0 : -1;
}

void
relay_set_channel(struct relay *r, struct channel *ch)
{
	r->ch = ch;
	snprintf(r->what, sizeof(r->what), "%s", ch->what);
}

/* Called on the main loop (a relay on a lane: borrowed meanwhile). */
void
relay_set_done(struct relay *r, relay_done_cb cb, void *arg)
{
	struct lane	*l = lane_current() == NULL ? r->lane : NULL;

	if (l != NULL)
		lane_borrow(l);
	r->done = cb;
	r->done_arg = arg;
	if (l != NULL)
		lane_release(l);
}

void
relay_counts(const struct relay *r, uint64_t *up, uint64_t *down)
{
	*up = __atomic_load_n(&r->bytes_up, __ATOMIC_RELAXED);
	*down = __atomic_load_n(&r->bytes_down, __ATOMIC_RELAXED);
}

/*
 * Put r's writes to its socket under the rate group g (a job's
 * --bandwidth): from now on they all go through the bufferevent, which
 * libevent paces, and none straight to the socket (relay_writev), which
 * would pass the group by.  Only for a relay on the main loop, where g
 * is: -1 for one on a lane.
 */
int
relay_pace(struct relay *r, struct bufferevent_rate_limit_group *g)
{
	if (r->lane != NULL || r->bev == NULL ||
	    bufferevent_add_to_rate_limit_group(r->bev, g) == -1)
		return -1;
	r->paced = 1;
	return 0;
}

/* The owner tells the owner's done callback before this returns. */
void
relay_abort(struct relay *r, const char *reason)
{
	struct lane	*l = r->lane;

	if (l == NULL || lane_current() == l) {
		relay_finish(r, 1, reason);
		return;
	}
	lane_borrow(l);
	if (!r->finished) {
		relay_finish(r, 1, reason);	/* frees r */
	} else if (!r->done_called) {
		/* it ended on its lane; the posted end will free it */
		r->done_called = 1;
		if (r->done != NULL)
			r->done(r, r->aborted ? r->reason : NULL, r->done_arg);
	}
	lane_release(l);
}

/*
 * One readv of up to min(room, RELAY_IO_MAX) bytes into fresh records,
 * which go to the channel.  0: read something (or nothing was there),
 * 1: end of file, -1: error (errno) or the channel refused.
 */
static int
relay_read(struct relay *r, evutil_socket_t fd, uint64_t room)
{
	struct rec_slot	*s[RELAY_SLOTS];
	struct iovec	 iov[RELAY_SLOTS];
	size_t		 want, left;
	ssize_t		 n;
	int		 i, k = 0, ret = 0;

	want = room > RELAY_IO_MAX ? RELAY_IO_MAX : (size_t)room;
	for (left = want; left > 0 && k < RELAY_SLOTS; k++) {
		iov[k].iov_len = left > REC_PAYLOAD_MAX ? REC_PAYLOAD_MAX : left;
		if ((s[k] = rec_slot_new(iov[k].iov_len)) == NULL) {
			errno = ENOMEM;
			ret = -1;
			goto out;
		}
		iov[k].iov_base = REC_SLOT_PAYLOAD(s[k]);
		left -= iov[k].iov_len;
	}
	do
		n = readv(fd, iov, k);
	while (n == -1 && errno == EINTR);
	if (n <= 0) {
		ret = n == 0 ? 1 : (errno == EAGAIN || errno == EWOULDBLOCK ?
		    0 : -1);
		goto out;
	}
	__atomic_add_fetch(&r->bytes_up, (uint64_t)n, __ATOMIC_RELAXED);
	for (i = 0, left = (size_t)n; i < k && left > 0; i++) {
		s[i]->len = left > s[i]->cap ? s[i]->cap : left;
		left -= s[i]->len;
		s[i] = rec_slot_shrink(s[i]);
		if (chan_send_slot(r->ch, s[i]) == -1) {
			errno = EPIPE;
			ret = -1;
		}
		s[i] = NULL;	/* the channel's now */
		if (ret == -1 || r->ch == NULL || r->ch->state != CHAN_OPEN)
			break;
	}
 out:
	for (i = 0; i < k; i++)
		if (s[i] != NULL)
			rec_slot_free(s[i]);
	return ret;
}

/*
 * Read the socket into the channel while credit and the tunnel's room
 * allow; otherwise stop reading until they do (chan_wait_writable, or the
 * peer's CREDIT).  At the socket's end, the channel's EOF.
 */
static void
relay_pump(struct relay *r)
{
	uint64_t	 room;
	char		 why[640];
	int		 rc;

	if (r->ch == NULL || r->bev == NULL || r->ch->state != CHAN_OPEN)
		return;
	if (!r->local_eof) {
		if ((room = chan_send_room(r->ch)) == 0) {
			relay_reading(r, 0);
			chan_wait_writable(r->ch);
			return;
		}
		relay_reading(r, 1);
		if (!r->readable)
			return;		/* wait for the socket */
		r->readable = 0;
		rc = relay_read(r, bufferevent_getfd(r->bev), room);
		if (rc == -1 && errno == EPIPE)
			return;		/* the channel's close will follow */
		if (rc == -1) {
			snprintf(why, sizeof(why), "%s: local connection "
			    "error: %s", r->what, strerror(errno));
			relay_finish(r, 1, why);
			return;
		}
		if (rc == 1) {
			r->local_eof = 1;
			relay_reading(r, 0);
		}
	}
	if (r->local_eof && r->ch != NULL && !r->ch->tx_eof)
		chan_send_eof(r->ch);
}

static void
relay_read_ev(evutil_socket_t fd, short ev, void *arg)
{
	struct relay	*r = arg;

	r->readable = 1;
	relay_pump(r);
}

static void
relay_maybe_shutdown(struct relay *r)
{
	if (r->bev == NULL ||
	    evbuffer_get_length(bufferevent_get_output(r->bev)) != 0)
		return;
	if (r->flush_then_free) {
		relay_finish(r, 0, NULL);
		return;
	}
	if (r->peer_eof && !r->shut_wr) {
		shutdown(bufferevent_getfd(r->bev), SHUT_WR);
		r->shut_wr = 1;
	}
}

static void
relay_writecb(struct bufferevent *bev, void *arg)
{
	relay_maybe_shutdown(arg);
}

static void
relay_outcb(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct relay	*r = arg;

	if (info->n_deleted > 0 && r->ch != NULL)
		chan_consumed(r->ch, info->n_deleted);
}

static void
relay_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct relay	*r = arg;
	char		 why[640];
	int		 err = EVUTIL_SOCKET_ERROR();

	if (what & BEV_EVENT_CONNECTED) {
		r->connecting = 0;
		bufferevent_disable(bev, EV_READ);
		bufferevent_enable(bev, EV_WRITE);
		if (r->ch != NULL)
			chan_accept_ok(r->ch);	/* relay_opened starts reading */
		return;
	}
	if (r->connecting) {
		int dnserr = bufferevent_socket_get_dns_error(bev);

		snprintf(why, sizeof(why), "connect %s: %s", r->what,
		    dnserr != 0 ? evutil_gai_strerror(dnserr) :
		    evutil_socket_error_to_string(err));
		if (r->ch != NULL)
			chan_accept_fail(r->ch, why);
		r->ch = NULL;
		relay_finish(r, 1, why);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		r->local_eof = 1;
		relay_pump(r);
		return;
	}
	if (what & BEV_EVENT_ERROR) {
		snprintf(why, sizeof(why), "%s: local connection error: %s",
		    r->what, evutil_socket_error_to_string(err));
		relay_finish(r, 1, why);
	}
}

/* ------------------------------------------------------------ chan_ops */

static void
relay_opened(struct channel *ch)
{
	struct relay	*r = ch->arg;

	bufferevent_enable(r->bev, EV_WRITE);
	relay_reading(r, 1);
	relay_pump(r);
}

/*
 * Write iov[0..n) to the socket, straight when nothing waits before them
 * and no rate paces it; what it does not take is copied to the output
 * (relay_outcb returns its credit as the socket drains it).  -1: the relay
 * is gone.
 */
static int
relay_writev(struct relay *r, struct iovec *iov, int n)
{
	struct evbuffer	*out = bufferevent_get_output(r->bev);
	char		 why[640];
	ssize_t		 w = 0;
	size_t		 left;
	int		 i;

	if (evbuffer_get_length(out) == 0 && !r->connecting && !r->paced) {
		do
			w = writev(bufferevent_getfd(r->bev), iov, n);
		while (w == -1 && errno == EINTR);
		if (w == -1 && errno != EAGAIN && errno != EWOULDBLOCK) {
			snprintf(why, sizeof(why), "%s: local connection "
			    "error: %s", r->what, strerror(errno));
			relay_finish(r, 1, why);
			return -1;
		}
		if (w == -1)
			w = 0;
		if (w > 0)
			chan_consumed(r->ch, (size_t)w);
	}
	for (i = 0, left = (size_t)w; i < n; i++) {
		if (left >= iov[i].iov_len) {
			left -= iov[i].iov_len;
			continue;
		}
		if (evbuffer_add(out, (const uint8_t *)iov[i].iov_base + left,
		    iov[i].iov_len - left) == -1) {
			relay_finish(r, 1, "out of memory");
			return -1;
		}
		left = 0;
	}
	return 0;
}

/* The records held of this read, written. */
static int
relay_flush_held(struct relay *r)
{
	int	 n = r->nwv;

	r->nwv = 0;
	return n > 0 ? relay_writev(r, r->wv, n) : 0;
}

/* Bytes from the peer, in a record that goes at once (decompressed). */
static void
relay_data(struct channel *ch, const uint8_t *p, size_t len)
{
	struct relay	*r = ch->arg;
	struct iovec	 iov = { (void *)(uintptr_t)p, len };

	__atomic_add_fetch(&r->bytes_down, len, __ATOMIC_RELAXED);
	if (relay_flush_held(r) == -1)
		return;
	(void)relay_writev(r, &iov, 1);
}

/* Bytes from the peer that stay in the tunnel's buffer until relay_flush. */
static void
relay_data_ref(struct channel *ch, const uint8_t *p, size_t len)
{
	struct relay	*r = ch->arg;

	__atomic_add_fetch(&r->bytes_down, len, __ATOMIC_RELAXED);
	if (r->nwv == RELAY_WV && relay_flush_held(r) == -1)
		return;
	r->wv[r->nwv].iov_base = (void *)(uintptr_t)p;
	r->wv[r->nwv].iov_len = len;
	r->nwv++;
}

static void
relay_flush(struct channel *ch)
{
	(void)relay_flush_held(ch->arg);
}

static void
relay_eof(struct channel *ch)
{
	struct relay	*r = ch->arg;

	if (relay_flush_held(r) == -1)
		return;
	r->peer_eof = 1;
	relay_maybe_shutdown(r);
}

static void
relay_writable(struct channel *ch)
{
	struct relay	*r = ch->arg;

	if (!r->local_eof)
		relay_reading(r, 1);
	relay_pump(r);
}

static void
relay_closed(struct channel *ch, const char *reason)
{
	struct relay	*r = ch->arg;

	r->ch = NULL;
	if (reason != NULL) {
		log_debug("%s: %s", r->what, reason);
		relay_finish(r, 1, reason);
		return;
	}
	/* both directions ended cleanly: let the socket drain, then close */
	r->flush_then_free = 1;
	relay_maybe_shutdown(r);
}

const struct chan_ops relay_ops = {
	.opened = relay_opened,
	.data = relay_data,
	.data_ref = relay_data_ref,
	.flush = relay_flush,
	.eof = relay_eof,
	.writable = relay_writable,
	.closed = relay_closed,
};

/*
 * A UNIX socket connect completes or fails at once, so it is done here,
 * synchronously (libevent's connect would run the error callback inside the
 * call and also return -1).  Only a full listen backlog (EAGAIN) is worth
 * waiting for, as a blocking connect would: retried with backoff for ~3 s.
 */
#define RELAY_UNIX_RETRIES	12

static int
relay_unix_try(struct relay *r, char *err, size_t errlen)
{
	struct sockaddr_un	 sun;
	evutil_socket_t		 fd = bufferevent_getfd(r->bev);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", r->target.path);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		return 0;
	if (errno == EAGAIN && r->retries < RELAY_UNIX_RETRIES)
		return 1;
	snprintf(err, errlen, "connect %s: %s", r->target.text,
	    errno == EAGAIN ? "listener busy (backlog full)" : strerror(errno));
	return -1;
}

static void
relay_unix_connected(struct relay *r)
{
	r->connecting = 0;
	bufferevent_enable(r->bev, EV_WRITE);
	chan_accept_ok(r->ch);	/* relay_opened starts reading */
}

static void
relay_unix_retry(evutil_socket_t fd, short ev, void *arg)
{
	struct relay	*r = arg;
	struct timeval	 tv;
	char		 err[400];
	int		 rc;

	r->retries++;
	if ((rc = relay_unix_try(r, err, sizeof(err))) == 0) {
		relay_unix_connected(r);
		return;
	}
	if (rc == -1) {
		if (r->ch != NULL)
			chan_accept_fail(r->ch, err);
		r->ch = NULL;
		relay_finish(r, 1, err);
		return;
	}
	tv.tv_sec = 0;
	tv.tv_usec = 5000 << (r->retries < 6 ? r->retries : 6);
	evtimer_add(r->retry_ev, &tv);
}

/* Accepting side: connect to addr, then OPEN_OK (or OPEN_FAIL). */
int
relay_connect(struct gw *gw, struct channel *ch, const struct vmgw_addr *addr,
    char *err, size_t errlen)
{
	struct bufferevent	*bev;
	struct relay		*r;
	struct timeval		 tv = { 0, 5000 };
	evutil_socket_t		 fd = -1;
	int			 rc;

	if (addr->kind == ADDR_UNIX && (fd = socket(AF_UNIX, SOCK_STREAM |
	    SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if ((r = relay_alloc(gw, ch)) == NULL ||
	    relay_set_bev(r, ch->tunnel->base, ch->tunnel->lane, fd) == -1) {
		free(r);
		if (fd != -1)
			close(fd);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	bev = r->bev;
	snprintf(r->what, sizeof(r->what), "%s", addr->text);
	r->target = *addr;
	r->connecting = 1;
	chan_set_endpoint(ch, &relay_ops, r);
	if (addr->kind == ADDR_UNIX) {
		if ((rc = relay_unix_try(r, err, errlen)) == 0) {
			relay_unix_connected(r);
			return 0;
		}
		if (rc == 1 && (r->retry_ev = evtimer_new(r->base,
		    relay_unix_retry, r)) != NULL) {
			evtimer_add(r->retry_ev, &tv);
			return 0;
		}
		goto fail;
	}
	/* -1 here means the callback did not run (no resolver request) */
	if (bufferevent_socket_connect_hostname(bev, r->lane != NULL ?
	    lane_dns(r->lane) : gw->dns, AF_UNSPEC, addr->host, addr->port) ==
	    -1) {
		snprintf(err, errlen, "connect %s: cannot start resolving",
		    addr->text);
		goto fail;
	}
	return 0;
 fail:
	chan_set_endpoint(ch, NULL, NULL);
	r->ch = NULL;
	relay_finish(r, 1, err);
	return -1;
}
