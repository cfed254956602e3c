/*
 * accept.c - what a peer may open at this gateway, and nothing else.
 *
 * A gateway is never an open proxy into its site: a channel's request names
 * a kind, and each kind connects only to what this gateway's own config
 * allows.  Every kind is registered by the module that serves it
 * (forward.c: listed forward_targets only; the bench sink; the l2 stretch;
 * the sockets of a job this gateway accepted) and each checks its own
 * request.  The kinds are listed in peerproto.h.
 *
 * A channel opened on a data connection (connections: N) arrives on that
 * connection's thread; its kind's handler runs on the main loop, with the
 * lane parked (lane.c), and only kinds whose endpoint is a relay may come
 * there.  chan_hold lets a handler answer later (a migration's multifd
 * streams wait for its main stream): the channel stays unanswered, and
 * chan_held_run finds it again, wherever it lives, if it still waits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transport.h"

#define ACCEPT_KINDS_MAX	16

struct accept_kind {
	const char	*kind;
	accept_fn	 fn;
	int		 data;		/* may come on a data connection */
};

struct chan_held {
	struct peer	*peer;
	unsigned	 conn;
	uint64_t	 serial;	/* of the tunnel it came on */
	uint32_t	 id;
};

static struct accept_kind	accept_kinds[ACCEPT_KINDS_MAX];
static size_t			naccept_kinds;

int
accept_register(const char *kind, accept_fn fn, int data)
{
	size_t	 i;

	for (i = 0; i < naccept_kinds; i++) {
		if (strcmp(accept_kinds[i].kind, kind) == 0) {
			accept_kinds[i].fn = fn;
			accept_kinds[i].data = data;
			return 0;
		}
	}
	if (naccept_kinds == ACCEPT_KINDS_MAX)
		return -1;
	accept_kinds[naccept_kinds].kind = kind;
	accept_kinds[naccept_kinds].fn = fn;
	accept_kinds[naccept_kinds].data = data;
	naccept_kinds++;
	return 0;
}

/* On the main loop (a data connection's channel: its lane parked). */
static void
accept_dispatch(struct channel *ch, void *arg)
{
	json_t		*req = arg;
	const char	*kind = json_string_value(json_object_get(req, "kind"));
	size_t		 i;

	if (kind == NULL) {
		chan_accept_fail(ch, "open request without a kind");
		return;
	}
	for (i = 0; i < naccept_kinds; i++) {
		if (strcmp(accept_kinds[i].kind, kind) != 0)
			continue;
		if (ch->tunnel->conn > 0 && !accept_kinds[i].data) {
			chan_accept_fail(ch, "this kind of channel is not "
			    "carried on a data connection");
			return;
		}
		accept_kinds[i].fn(ch, req);
		return;
	}
	chan_accept_fail(ch, "unknown channel kind");
}

struct accept_post {
	struct chan_held	*held;
	json_t			*req;
};

static void
accept_posted(void *arg)
{
	struct accept_post	*ap = arg;

	chan_held_run(ap->held, accept_dispatch, ap->req);
	json_decref(ap->req);
	free(ap);
}

void
accept_open(struct channel *ch, json_t *req)
{
	struct accept_post	*ap;

	if (lane_current() == NULL) {
		accept_dispatch(ch, req);
		return;
	}
	/* on a lane: the handler runs on the main loop */
	if ((ap = calloc(1, sizeof(*ap))) == NULL ||
	    (ap->held = chan_hold(ch)) == NULL) {
		free(ap);
		chan_accept_fail(ch, "out of memory");
		return;
	}
	ap->req = json_incref(req);
	if (lane_post_main(accept_posted, ap) == -1) {
		chan_accept_fail(ch, "out of memory");
		free(ap->held);
		json_decref(ap->req);
		free(ap);
	}
}

/* ------------------------------------------------------------ held */

struct chan_held *
chan_hold(struct channel *ch)
{
	struct chan_held	*h;

	if (ch->state != CHAN_ACCEPTING || ch->tunnel == NULL ||
	    ch->tunnel->peer == NULL || (h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	h->peer = ch->tunnel->peer;
	h->conn = ch->tunnel->conn;
	h->serial = ch->tunnel->serial;
	h->id = ch->id;
	return h;
}

/*
 * The held channel, if it still waits for its answer: fn(ch, arg), on the
 * main loop (the lane it lives on parked meanwhile).  Frees h either way.
 */
void
chan_held_run(struct chan_held *h, void (*fn)(struct channel *, void *),
    void *arg)
{
	struct peer	*p = h->peer;
	struct lane	*l = NULL;
	struct tunnel	*t = NULL;
	struct channel	*ch;

	if (h->conn == 0) {
		if (p->tunnel != NULL && p->tunnel->serial == h->serial)
			t = p->tunnel;
	} else if ((l = p->conns[h->conn].lane) != NULL) {
		lane_borrow(l);
		if (p->conns[h->conn].t != NULL &&
		    p->conns[h->conn].serial == h->serial)
			t = p->conns[h->conn].t;
	}
	if (t != NULL && t->state == TUN_ESTABLISHED &&
	    (ch = chan_lookup(t, h->id)) != NULL &&
	    ch->state == CHAN_ACCEPTING)
		fn(ch, arg);
	if (l != NULL)
		lane_release(l);
	free(h);
}

static void
held_fail(struct channel *ch, void *arg)
{
	chan_accept_fail(ch, arg);
}

void
chan_held_fail(struct chan_held *h, const char *reason)
{
	chan_held_run(h, held_fail, (void *)(uintptr_t)reason);
}
