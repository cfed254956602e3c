/*
 * status.c - `vmgw status`: this gateway (and the configuration it runs:
 * file, hash, when it was loaded) and, per peer, whether its tunnel is up,
 * since when, the last handshake, bytes each way, open channels.
 */
#include "transport.h"
#include "keys.h"
#include "reload.h"

void
ctl_status(struct ctl_conn *c, json_t *req)
{
	struct gw	*gw = c->gw;
	struct peer	*p;
	json_t		*peers = json_array();
	char		 fpr[KEY_FPR_LEN + 4], hex[CONF_DIGEST_HEX + 1];

	TAILQ_FOREACH(p, &gw->peers, entry)
		json_array_append_new(peers, peer_status_json(p));
	key_fingerprint(fpr, gw->conf->key.pub);
	conf_digest_hex(gw->conf, hex);
	ctl_ok(c, json_pack("{s:s, s:s, s:s, s:s, s:I, s:o, s:{s:s, s:s, s:I, "
	    "s:I}}",
	    "site", gw->conf->site, "listen", gw->conf->listen.text,
	    "fingerprint", fpr, "version", VMGW_VERSION,
	    "started", (json_int_t)gw->started_wall, "peers", peers,
	    "config", "path", gw->conf->path, "hash", hex,
	    "loaded", (json_int_t)gw->conf_loaded_wall,
	    "reloads", (json_int_t)gw->conf_epoch));
}
