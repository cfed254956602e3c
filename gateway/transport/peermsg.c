/*
 * peermsg.c - requests and replies between gateways (REC_MSG records on
 * channel 0): small JSON objects with an id, a kind ("request" or "reply")
 * and an op.  Used for what must be agreed before bytes move: a forward
 * target's check, a migration job's prepare, commit and abort.  The ops
 * and their fields are listed in peerproto.h; the layer that owns an op
 * registers its handler (pmsg_register).
 *
 * A request outlives nothing: when its tunnel goes, its callback gets
 * "tunnel to X lost" at once.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transport.h"

#define PMSG_OPS_MAX	32

struct pmsg_pending {
	TAILQ_ENTRY(pmsg_pending) entry;
	json_int_t		 id;
	struct tunnel		*t;
	pmsg_reply_cb		 cb;
	void			*arg;
	struct event		*timeout;
};

struct pmsg_state {
	TAILQ_HEAD(, pmsg_pending) pending;
	json_int_t		 next_id;
};

struct pmsg_op {
	const char	*op;
	pmsg_op_fn	 fn;
};

static struct pmsg_op	pmsg_ops[PMSG_OPS_MAX];
static size_t		npmsg_ops;

int
pmsg_register(const char *op, pmsg_op_fn fn)
{
	size_t	 i;

	for (i = 0; i < npmsg_ops; i++) {
		if (strcmp(pmsg_ops[i].op, op) == 0) {
			pmsg_ops[i].fn = fn;
			return 0;
		}
	}
	if (npmsg_ops == PMSG_OPS_MAX)
		return -1;
	pmsg_ops[npmsg_ops].op = op;
	pmsg_ops[npmsg_ops].fn = fn;
	npmsg_ops++;
	return 0;
}

int
pmsg_init(struct gw *gw)
{
	if ((gw->pmsg = calloc(1, sizeof(*gw->pmsg))) == NULL)
		return -1;
	TAILQ_INIT(&gw->pmsg->pending);
	gw->pmsg->next_id = 1;
	return 0;
}

static void
pmsg_pending_free(struct gw *gw, struct pmsg_pending *pp)
{
	TAILQ_REMOVE(&gw->pmsg->pending, pp, entry);
	event_free(pp->timeout);
	free(pp);
}

void
pmsg_free(struct gw *gw)
{
	struct pmsg_pending	*pp;

	if (gw->pmsg == NULL)
		return;
	while ((pp = TAILQ_FIRST(&gw->pmsg->pending)) != NULL)
		pmsg_pending_free(gw, pp);
	free(gw->pmsg);
	gw->pmsg = NULL;
}

static void
pmsg_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct pmsg_pending	*pp = arg;
	struct gw		*gw = pp->t->gw;
	pmsg_reply_cb		 cb = pp->cb;
	void			*cbarg = pp->arg;
	char			 err[200];

	snprintf(err, sizeof(err), "%s did not answer in time",
	    pp->t->peer->conf->name);
	pmsg_pending_free(gw, pp);
	if (cb != NULL)
		cb(NULL, err, cbarg);
}

/* Send a request; cb gets the reply, or an error.  -1: not sent, cb not called. */
int
pmsg_request(struct peer *p, json_t *msg, unsigned timeout_s,
    pmsg_reply_cb cb, void *arg)
{
	struct gw		*gw = p->gw;
	struct tunnel		*t = p->tunnel;
	struct pmsg_pending	*pp;
	struct timeval		 tv = { (time_t)timeout_s, 0 };

	if (t == NULL || t->state != TUN_ESTABLISHED)
		return -1;
	if ((pp = calloc(1, sizeof(*pp))) == NULL)
		return -1;
	if ((pp->timeout = evtimer_new(gw->base, pmsg_timeout, pp)) == NULL) {
		free(pp);
		return -1;
	}
	pp->id = gw->pmsg->next_id++;
	pp->t = t;
	pp->cb = cb;
	pp->arg = arg;
	json_object_set_new(msg, "id", json_integer(pp->id));
	json_object_set_new(msg, "kind", json_string("request"));
	if (tunnel_send_msg(t, msg) == -1) {
		event_free(pp->timeout);
		free(pp);
		return -1;
	}
	TAILQ_INSERT_TAIL(&gw->pmsg->pending, pp, entry);
	evtimer_add(pp->timeout, &tv);
	return 0;
}

/* Answer request id on the peer's current tunnel (dropped if it is gone). */
void
pmsg_reply(struct peer *p, json_int_t id, json_t *reply)
{
	if (reply == NULL)
		return;
	json_object_set_new(reply, "id", json_integer(id));
	json_object_set_new(reply, "kind", json_string("reply"));
	if (p->tunnel != NULL)
		tunnel_send_msg(p->tunnel, reply);
	json_decref(reply);
}

void
pmsg_reply_error(struct peer *p, json_int_t id, const char *fmt, ...)
{
	char	 msg[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pmsg_reply(p, id, json_pack("{s:s}", "error", msg));
}

static void
pmsg_on_reply(struct tunnel *t, json_t *m, json_int_t id)
{
	struct gw		*gw = t->gw;
	struct pmsg_pending	*pp;
	pmsg_reply_cb		 cb;
	void			*arg;
	const char		*err;

	TAILQ_FOREACH(pp, &gw->pmsg->pending, entry)
		if (pp->id == id && pp->t == t)
			break;
	if (pp == NULL)
		return;		/* timed out already */
	cb = pp->cb;
	arg = pp->arg;
	pmsg_pending_free(gw, pp);
	err = json_string_value(json_object_get(m, "error"));
	if (cb != NULL)
		cb(m, err, arg);	/* an error reply may carry fields too */
}

void
pmsg_input(struct tunnel *t, const uint8_t *p, size_t len)
{
	json_error_t	 jerr;
	json_t		*m;
	const char	*kind, *op;
	json_int_t	 id;
	size_t		 i;

	if (len > MSG_JSON_MAX || (m = json_loadb((const char *)p, len,
	    JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		log_warnx("%s: malformed gateway message ignored",
		    t->peer->conf->name);
		return;
	}
	kind = json_string_value(json_object_get(m, "kind"));
	op = json_string_value(json_object_get(m, "op"));
	id = json_integer_value(json_object_get(m, "id"));
	if (!json_is_object(m) || kind == NULL || id <= 0) {
		log_warnx("%s: gateway message without kind or id ignored",
		    t->peer->conf->name);
	} else if (strcmp(kind, "reply") == 0) {
		pmsg_on_reply(t, m, id);
	} else if (strcmp(kind, "request") == 0 && op != NULL) {
		for (i = 0; i < npmsg_ops; i++)
			if (strcmp(pmsg_ops[i].op, op) == 0)
				break;
		if (i == npmsg_ops)
			pmsg_reply_error(t->peer, id, "unknown request '%s'",
			    op);
		else
			pmsg_ops[i].fn(t->peer, id, m);
	}
	json_decref(m);
}

void
pmsg_tunnel_gone(struct tunnel *t)
{
	struct gw		*gw = t->gw;
	struct pmsg_pending	*pp, *next;
	pmsg_reply_cb		 cb;
	void			*arg;
	char			 err[200];

	if (gw->pmsg == NULL || t->peer == NULL)
		return;
	snprintf(err, sizeof(err), "tunnel to %s lost", t->peer->conf->name);
	for (pp = TAILQ_FIRST(&gw->pmsg->pending); pp != NULL; pp = next) {
		next = TAILQ_NEXT(pp, entry);
		if (pp->t != t)
			continue;
		cb = pp->cb;
		arg = pp->arg;
		pmsg_pending_free(gw, pp);
		if (cb != NULL)
			cb(NULL, err, arg);
		next = TAILQ_FIRST(&gw->pmsg->pending);	/* cb may change the list */
	}
}
