/*
 * accept.c - what a peer may open at this gateway, and nothing else.
 *
 * A gateway is never an open proxy into its site: a channel's request names
 * a kind, and each kind connects only to what this gateway's own config
 * allows.  "forward" is built in (listed forward_targets only); the other
 * kinds are registered by the modules that serve them (the bench sink, the
 * sockets of a job this gateway accepted) and each checks its own request.
 */
#include <stdio.h>
#include <string.h>

#include "vmgwd.h"

#define ACCEPT_KINDS_MAX	16

struct accept_kind {
	const char	*kind;
	accept_fn	 fn;
};

static struct accept_kind	accept_kinds[ACCEPT_KINDS_MAX];
static size_t			naccept_kinds;

int
accept_register(const char *kind, accept_fn fn)
{
	size_t	 i;

	for (i = 0; i < naccept_kinds; i++) {
		if (strcmp(accept_kinds[i].kind, kind) == 0) {
			accept_kinds[i].fn = fn;
			return 0;
		}
	}
	if (naccept_kinds == ACCEPT_KINDS_MAX)
		return -1;
	accept_kinds[naccept_kinds].kind = kind;
	accept_kinds[naccept_kinds].fn = fn;
	naccept_kinds++;
	return 0;
}

static void
accept_forward(struct channel *ch, json_t *req)
{
	struct gw		*gw = ch->tunnel->gw;
	const char		*target;
	struct vmgw_addr	 a;
	char			 err[300], why[400];

	target = json_string_value(json_object_get(req, "target"));
	if (target == NULL) {
		chan_accept_fail(ch, "forward request without a target");
		return;
	}
	snprintf(ch->what, sizeof(ch->what), "forward to %s", target);
	if (addr_parse(&a, target, err, sizeof(err)) == -1) {
		snprintf(why, sizeof(why), "target %s: %s", target, err);
		chan_accept_fail(ch, why);
		return;
	}
	if (!config_forward_allowed(gw->conf, &a)) {
		snprintf(err, sizeof(err), "target %s is not in %s's "
		    "forward_targets", target, gw->conf->site);
		chan_accept_fail(ch, err);
		return;
	}
	if (relay_connect(gw, ch, &a, err, sizeof(err)) == -1)
		chan_accept_fail(ch, err);
}

void
accept_open(struct channel *ch, json_t *req)
{
	const char	*kind = json_string_value(json_object_get(req, "kind"));
	size_t		 i;

	if (kind == NULL) {
		chan_accept_fail(ch, "open request without a kind");
		return;
	}
	if (strcmp(kind, "forward") == 0) {
		accept_forward(ch, req);
		return;
	}
	for (i = 0; i < naccept_kinds; i++) {
		if (strcmp(accept_kinds[i].kind, kind) == 0) {
			accept_kinds[i].fn(ch, req);
			return;
		}
	}
	chan_accept_fail(ch, "unknown channel kind");
}
