/*
 * dr_conf.c - the configuration's protect: entries, at start and on a
 * reload (SIGHUP).
 *
 * At start every entry is applied as `vmgw protect` would be (a guest
 * protected already from its record gets the entry's settings).  On a good
 * reload only what changed in the file acts:
 *
 *   - a new entry protects that guest, like `vmgw protect`;
 *   - a changed entry (rpo, keep, quiesce, bandwidth) updates the running
 *     protection;
 *   - a changed `to` of a guest protected to another site refuses the
 *     reload (unprotect it first): the file and the running state would
 *     disagree otherwise;
 *   - a removed entry does not stop anything: protection is durable state
 *     (its record, the replica at the backup site), and dropping it is
 *     `vmgw unprotect`'s choice of --keep-replica, not a line's absence.
 *     The log says so.
 *
 * An entry that did not change does nothing, so a guest unprotected with
 * `vmgw unprotect` stays unprotected across reloads (until a restart reads
 * the entry again, as at start).
 */
#include <stdio.h>
#include <string.h>

#include "dr.h"
#include "reload.h"

static const struct vmgw_protect *
dr_conf_find(const struct vmgw_config *c, const char *guest)
{
	size_t	 i;

	for (i = 0; i < c->n_protects; i++)
		if (strcmp(c->protects[i].guest, guest) == 0)
			return &c->protects[i];
	return NULL;
}

static int
dr_conf_same(const struct vmgw_protect *a, const struct vmgw_protect *b)
{
	return strcmp(a->to, b->to) == 0 && a->rpo_s == b->rpo_s &&
	    a->keep == b->keep && !a->quiesce == !b->quiesce &&
	    a->bandwidth == b->bandwidth;
}

static void
dr_conf_settings(const struct vmgw_protect *cp, struct dr_settings *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->to, sizeof(s->to), "%s", cp->to);
	s->rpo = cp->rpo_s;
	s->keep = cp->keep;
	s->quiesce = cp->quiesce;
	s->bandwidth = cp->bandwidth;
}

/* The config's protect: entries, after the records were read back. */
int
dr_start(struct gw *gw)
{
	const struct vmgw_protect	*cp;
	struct dr_settings		 s;
	char				 err[512];
	size_t				 i;

	for (i = 0; i < gw->conf->n_protects; i++) {
		cp = &gw->conf->protects[i];
		dr_conf_settings(cp, &s);
		if (dr_protect(gw, cp->guest, &s, err, sizeof(err)) == -1)
			log_warnx("%s: protect.%s: %s", gw->conf->path,
			    cp->guest, err);
	}
	return 0;
}

/* A new or changed entry whose guest is protected to another site. */
static int
dr_reload_check(struct gw *gw, const struct vmgw_config *next)
{
	const struct vmgw_protect	*cp, *was;
	struct job			*j;
	size_t				 i;
	int				 n = 0;

	for (i = 0; i < next->n_protects; i++) {
		cp = &next->protects[i];
		was = dr_conf_find(gw->conf, cp->guest);
		if (was != NULL && dr_conf_same(was, cp))
			continue;
		if ((j = dr_job_for(gw, cp->guest)) == NULL ||
		    j->role != JOB_SOURCE ||
		    strcmp(DR(j)->set.to, cp->to) == 0)
			continue;
		reload_error(next, "protect.%s.to: %s is protected to %s: "
		    "vmgw unprotect %s first", cp->guest, cp->guest,
		    DR(j)->set.to, cp->guest);
		n++;
	}
	return n;
}

static void
dr_reload_apply(struct gw *gw, const struct vmgw_config *old)
{
	const struct vmgw_config	*conf = gw->conf;
	const struct vmgw_protect	*cp, *was;
	struct dr_settings		 s;
	struct job			*j;
	char				 err[512];
	size_t				 i;

	for (i = 0; i < conf->n_protects; i++) {
		cp = &conf->protects[i];
		was = dr_conf_find(old, cp->guest);
		if (was != NULL && dr_conf_same(was, cp))
			continue;
		dr_conf_settings(cp, &s);
		j = dr_job_for(gw, cp->guest);
		if (dr_protect(gw, cp->guest, &s, err, sizeof(err)) == -1) {
			log_warnx("%s: protect.%s: %s", conf->path, cp->guest,
			    err);
			continue;
		}
		if (j != NULL)
			log_info("%s: protection to %s updated by the "
			    "configuration: rpo %us, keep %u%s", cp->guest,
			    cp->to, cp->rpo_s, cp->keep,
			    cp->quiesce ? ", quiesced" : "");
	}
	for (i = 0; i < old->n_protects; i++) {
		cp = &old->protects[i];
		if (dr_conf_find(conf, cp->guest) != NULL ||
		    (j = dr_job_for(gw, cp->guest)) == NULL)
			continue;
		log_info("%s: protect.%s left the configuration: it stays "
		    "protected to %s until vmgw unprotect %s (protection is "
		    "durable state)", conf->path, cp->guest, DR(j)->set.to,
		    cp->guest);
	}
}

int
dr_conf_init(void)
{
	return reload_register(dr_reload_check, dr_reload_apply);
}
