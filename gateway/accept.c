/*
 * accept.c - what a peer may open at this gateway, and nothing else.
 *
 * A gateway is never an open proxy into its site: a channel's request names
 * a kind, and each kind connects only to what this gateway's own config
 * allows (listed forward targets, the bench sink, the sockets of a job this
 * gateway accepted).
 */
#include <stdio.h>
#include <string.h>

#include "vmgwd.h"

static void
accept_forward(struct channel *ch, json_t *req)
{
	struct gw		*gw = ch->tunnel->gw;
	const char		*target;
	struct vmgw_addr	 a;
	char			 err[300];

	target = json_string_value(json_object_get(req, "target"));
	if (target == NULL) {
		chan_accept_fail(ch, "forward request without a target");
		return;
	}
	snprintf(ch->what, sizeof(ch->what), "forward to %s", target);
	if (addr_parse(&a, target, err, sizeof(err)) == -1) {
		char why[400];

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

	if (kind == NULL)
		chan_accept_fail(ch, "open request without a kind");
	else if (strcmp(kind, "forward") == 0)
		accept_forward(ch, req);
	else if (strcmp(kind, "bench") == 0)
		bench_accept(ch, req);
	else
		chan_accept_fail(ch, "unknown channel kind");
}
