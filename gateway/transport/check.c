/*
 * check.c - `vmgw check SITE`: a probe handshake to SITE now, proving both
 * pinned keys, then one ping for the round trip.  The probe never replaces
 * the peer's tunnel, so checking a busy peer disturbs nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transport.h"
#include "keys.h"

struct check {
	struct ctl_conn	*ctl;
	struct peer	*peer;
	struct tunnel	*t;
	uint64_t	 hs_rtt_us;
	int		 starting;	/* inside tunnel_probe() */
	char		 early_err[512];
};

static void
check_finish(struct check *ck)
{
	if (ck->ctl != NULL)
		ctl_set_close_cb(ck->ctl, NULL, NULL);
	if (ck->t != NULL) {
		ck->t->on_up = NULL;
		ck->t->on_pong = NULL;
		if (ck->t->state != TUN_DEAD)
			tunnel_close(ck->t, "probe finished");
	}
	free(ck);
}

static void
check_pong(struct tunnel *t, void *arg)
{
	struct check	*ck = arg;
	char		 fpr[KEY_FPR_LEN + 4], b64[KEY_B64_LEN + 1];

	key_fingerprint(fpr, ck->peer->conf->public_key);
	key_to_base64(b64, ck->peer->conf->public_key);
	ctl_ok(ck->ctl, json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I}",
	    "site", ck->peer->conf->name, "address", t->addr,
	    "fingerprint", fpr, "public_key", b64,
	    "suite", tunnel_suite_name(t->suite),
	    "handshake_rtt_us", (json_int_t)ck->hs_rtt_us,
	    "rtt_us", (json_int_t)t->rtt_us));
	check_finish(ck);
}

static void
check_up(struct tunnel *t, const char *err, void *arg)
{
	struct check	*ck = arg;

	if (err != NULL) {
		ck->t = NULL;	/* it is closing itself */
		if (ck->starting) {
			snprintf(ck->early_err, sizeof(ck->early_err), "%s",
			    err);
			return;
		}
		ctl_error(ck->ctl, VMGW_EXIT_PEER, "%s (%s): %s",
		    ck->peer->conf->name, ck->peer->conf->endpoint.text, err);
		check_finish(ck);
		return;
	}
	ck->hs_rtt_us = t->rtt_us;
	t->on_pong = check_pong;
	t->on_up = check_up;	/* a failure from here on is reported too */
	tunnel_ping(t);
}

static void
check_ctl_closed(struct ctl_conn *c, void *arg)
{
	struct check	*ck = arg;

	ck->ctl = NULL;
	check_finish(ck);
}

void
ctl_check(struct ctl_conn *c, json_t *req)
{
	const char	*site = json_string_value(json_object_get(req, "site"));
	struct peer	*p;
	struct check	*ck;

	if (site == NULL || (p = peer_find(c->gw, site)) == NULL) {
		ctl_error(c, VMGW_EXIT_USAGE, "%s: not a peer of %s (see peers "
		    "in %s)", site != NULL ? site : "(none)", c->gw->conf->site,
		    c->gw->conf->path);
		return;
	}
	if (!p->conf->has_endpoint) {
		ctl_error(c, VMGW_EXIT_USAGE, "%s: peers.%s has no endpoint: "
		    "this gateway cannot dial it", site, site);
		return;
	}
	if ((ck = calloc(1, sizeof(*ck))) == NULL) {
		ctl_error(c, VMGW_EXIT_FAIL, "out of memory");
		return;
	}
	ck->ctl = c;
	ck->peer = p;
	ctl_set_close_cb(c, check_ctl_closed, ck);
	ck->starting = 1;
	ck->t = tunnel_probe(c->gw, p, check_up, ck);
	ck->starting = 0;
	if (ck->t == NULL || ck->t->state == TUN_DEAD) {
		ck->t = NULL;
		ctl_error(c, VMGW_EXIT_PEER, "%s (%s): %s", site,
		    p->conf->endpoint.text, ck->early_err[0] ? ck->early_err :
		    "cannot start the connection");
		check_finish(ck);
	}
}
