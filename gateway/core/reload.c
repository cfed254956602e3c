/*
 * reload.c - SIGHUP (systemctl reload): the configuration is read and
 * validated again, as at start; when anything is wrong it is refused, with
 * every error in the log, and the running configuration stays.  When it is
 * good it is swapped in at once, and each layer that registered an apply
 * function brings itself to it (peers added, removed, re-keyed; the
 * metrics endpoint moved).  systemd hears RELOADING=1, then READY=1.
 *
 * What cannot change under a running daemon (this site's name and key, the
 * addresses and directories it holds open) refuses the reload: restart
 * vmgwd to change them.
 *
 * The configs that were swapped out are kept on gw->conf_retired until
 * nothing may point into them (reload.h says the rule), then freed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "reload.h"
#include "sdnotify.h"
#include "worker.h"

#define RELOAD_HOOKS_MAX	16

struct conf_retired {
	struct conf_retired	*next;
	struct vmgw_config	*conf;
	uint64_t		 epoch;		/* it was current in this epoch */
	uint64_t		 workers_before; /* workers started before it went */
};

static struct {
	reload_check_fn	 check;
	reload_apply_fn	 apply;
}			 reload_hooks[RELOAD_HOOKS_MAX];
static size_t		 nreload_hooks;
static conf_held_fn	 conf_holders[RELOAD_HOOKS_MAX];
static size_t		 nconf_holders;
static reload_quiesce_fn quiescers[RELOAD_HOOKS_MAX];
static size_t		 nquiescers;
uint64_t		 conf_reloads_ok, conf_reloads_refused;

int
reload_quiesce_register(reload_quiesce_fn fn)
{
	size_t	 i;

	for (i = 0; i < nquiescers; i++)
		if (quiescers[i] == fn)
			return 0;
	if (nquiescers == RELOAD_HOOKS_MAX)
		return -1;
	quiescers[nquiescers++] = fn;
	return 0;
}

int
reload_register(reload_check_fn check, reload_apply_fn apply)
{
	size_t	 i;

	for (i = 0; i < nreload_hooks; i++)
		if (reload_hooks[i].check == check &&
		    reload_hooks[i].apply == apply)
			return 0;
	if (nreload_hooks == RELOAD_HOOKS_MAX)
		return -1;
	reload_hooks[nreload_hooks].check = check;
	reload_hooks[nreload_hooks].apply = apply;
	nreload_hooks++;
	return 0;
}

int
conf_hold_register(conf_held_fn fn)
{
	size_t	 i;

	for (i = 0; i < nconf_holders; i++)
		if (conf_holders[i] == fn)
			return 0;
	if (nconf_holders == RELOAD_HOOKS_MAX)
		return -1;
	conf_holders[nconf_holders++] = fn;
	return 0;
}

void
reload_error(const struct vmgw_config *next, const char *fmt, ...)
{
	char	 msg[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("%s: reload: %s", next->path, msg);
}

void
conf_digest_hex(const struct vmgw_config *c, char out[CONF_DIGEST_HEX + 1])
{
	sodium_bin2hex(out, CONF_DIGEST_HEX + 1, c->digest, CONF_DIGEST_HEX / 2);
}

/* What this daemon holds open or is: changing it needs a restart. */
static int
reload_check_core(struct gw *gw, const struct vmgw_config *next)
{
	const struct vmgw_config	*cur = gw->conf;
	int				 n = 0;

#define FIXED(key, a, b) do {						\
	if (strcmp((a), (b)) != 0) {					\
		reload_error(next, "%s: '%s' -> '%s': restart vmgwd to "	\
		    "change it", key, a, b);				\
		n++;							\
	}								\
} while (0)
	FIXED("site", cur->site, next->site);
	FIXED("control", cur->control, next->control);
	FIXED("state_dir", cur->state_dir, next->state_dir);
	FIXED("run_dir", cur->run_dir, next->run_dir);
	FIXED("libvirt", cur->libvirt, next->libvirt);
#undef FIXED
	if (!addr_equal(&cur->listen, &next->listen) ||
	    strcmp(cur->listen.text, next->listen.text) != 0) {
		reload_error(next, "listen: '%s' -> '%s': restart vmgwd to "
		    "change it", cur->listen.text, next->listen.text);
		n++;
	}
	if (sodium_memcmp(cur->key.pub, next->key.pub, KEY_LEN) != 0) {
		reload_error(next, "private_key: %s is another key than the "
		    "one this gateway runs with: restart vmgwd to change it",
		    next->private_key_path);
		n++;
	}
	return n;
}

/* Keep old until nothing can point into it; wipe its key now. */
static int
conf_retire(struct gw *gw, struct vmgw_config *old)
{
	struct conf_retired	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -1;
	r->conf = old;
	r->epoch = gw->conf_epoch;
	r->workers_before = worker_next(gw);
	r->next = gw->conf_retired;
	gw->conf_retired = r;
	key_free(&old->key);	/* the running config has the same key */
	return 0;
}

void
conf_gc(struct gw *gw)
{
	struct conf_retired	**rp, *r;
	uint64_t		 held = UINT64_MAX, h, oldest_worker;
	size_t			 i;

	if (gw->conf_retired == NULL)
		return;
	for (i = 0; i < nconf_holders; i++)
		if ((h = conf_holders[i](gw)) < held)
			held = h;
	oldest_worker = worker_oldest(gw);
	for (rp = &gw->conf_retired; (r = *rp) != NULL;) {
		if (r->epoch < held && oldest_worker >= r->workers_before) {
			*rp = r->next;
			log_debug("%s: the configuration of epoch %llu is no "
			    "longer used: freed", r->conf->path,
			    (unsigned long long)r->epoch);
			config_free(r->conf);
			free(r);
		} else
			rp = &r->next;
	}
}

void
conf_retired_free(struct gw *gw)
{
	struct conf_retired	*r;

	while ((r = gw->conf_retired) != NULL) {
		gw->conf_retired = r->next;
		config_free(r->conf);
		free(r);
	}
}

size_t
conf_retired_count(const struct gw *gw)
{
	const struct conf_retired	*r;
	size_t				 n = 0;

	for (r = gw->conf_retired; r != NULL; r = r->next)
		n++;
	return n;
}

/* Every line of a (possibly multi-line) error message. */
static void
reload_log_lines(const char *err)
{
	const char	*p = err, *nl;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		if (nl == NULL) {
			log_warnx("%s", p);
			return;
		}
		if (nl > p)
			log_warnx("%.*s", (int)(nl - p), p);
		p = nl + 1;
	}
}

static void
reload_refused(struct gw *gw, int nerr)
{
	char	 hex[CONF_DIGEST_HEX + 1], when[32];
	struct tm tm;

	conf_reloads_refused++;
	conf_digest_hex(gw->conf, hex);
	localtime_r(&gw->conf_loaded_wall, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	log_warnx("%s: reload refused (%d error%s): the configuration loaded "
	    "%s (hash %s) stays", gw->conf->path, nerr, nerr == 1 ? "" : "s",
	    when, hex);
}

int
gw_reload(struct gw *gw)
{
	struct vmgw_config	*next = NULL, *old = gw->conf;
	char			 err[CONFIG_ERR_MAX], hex[CONF_DIGEST_HEX + 1];
	size_t			 i;
	int			 n, ret = -1;

	sdn_reloading(gw);
	log_info("%s: reloading the configuration", old->path);
	if (config_load(old->path, &next, err, sizeof(err)) == -1) {
		reload_log_lines(err);
		reload_refused(gw, 1);
		goto out;
	}
	n = reload_check_core(gw, next);
	for (i = 0; i < nreload_hooks; i++)
		if (reload_hooks[i].check != NULL)
			n += reload_hooks[i].check(gw, next);
	if (n > 0 || conf_retire(gw, old) == -1) {
		reload_refused(gw, n > 0 ? n : 1);
		config_free(next);
		goto out;
	}
	/* every check passed: commit, the other loops held still */
	for (i = 0; i < nquiescers; i++)
		quiescers[i](gw, 1);
	gw->conf = next;
	gw->conf_epoch++;
	gw->conf_loaded_wall = time(NULL);
	conf_reloads_ok++;
	for (i = 0; i < nreload_hooks; i++)
		if (reload_hooks[i].apply != NULL)
			reload_hooks[i].apply(gw, old);
	for (i = 0; i < nquiescers; i++)
		quiescers[i](gw, 0);
	conf_digest_hex(next, hex);
	log_info("%s: configuration reloaded (hash %s, %zu peer%s)",
	    next->path, hex, next->n_peers, next->n_peers == 1 ? "" : "s");
	conf_gc(gw);
	ret = 0;
 out:
	sdn_reloaded(gw);
	return ret;
}
