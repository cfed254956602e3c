/*
 * accept.c - what a peer may open at this gateway, and nothing else.
 *
 * A gateway is never an open proxy into its site: a channel's request names
 * a kind, and each kind connects only to what this gateway's own config
 * allows.  Every kind is registered by the module that serves it
 * (forward.c: listed forward_targets only; the bench sink; the l2 stretch;
 * the sockets of a job this gateway accepted) and each checks its own
 * request.  The kinds are listed in peerproto.h.
 */
#include <stdio.h>
#include <string.h>

#include "transport.h"

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

void
accept_open(struct channel *ch, json_t *req)
{
	const char	*kind = json_string_value(json_object_get(req, "kind"));
	size_t		 i;

	if (kind == NULL) {
		chan_accept_fail(ch, "open request without a kind");
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
