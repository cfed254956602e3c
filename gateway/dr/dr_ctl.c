/*
 * dr_ctl.c - the control commands of replication: `vmgw protect`,
 * `unprotect`, `replication`, `sync` and `points`.  The daemon validates;
 * the CLI only packs and prints (ctlproto.h has the fields).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dr.h"


/* The guest is here, running, on qcow2 file disks (worker). */
struct dr_check {
	struct gw		*gw;
	struct ctl_conn		*ctl;	/* NULL when the CLI went away */
	char			 domain[128];
	struct dr_settings	 set;
	char			 err[512];
};

static void
dr_check_work(void *arg)
{
	struct dr_check		*c = arg;
	struct gw		*gw = c->gw;
	struct kvm		*k = NULL;
	struct kvm_domain_info	*di = NULL;
	size_t			 i, n = 0;

	if (kvm_open(&k, gw->conf->libvirt, c->err, sizeof(c->err)) == -1 ||
	    kvm_domain_inspect(k, c->domain, &di, c->err, sizeof(c->err)) ==
	    -1)
		goto out;
	for (i = 0; i < di->n_disks; i++) {
		const struct kvm_disk *d = &di->disks[i];

		if (d->readonly || strcmp(d->device, "disk") != 0 ||
		    d->path == NULL)
			continue;
		if (!d->is_file || d->format == NULL ||
		    strcmp(d->format, "qcow2") != 0) {
			snprintf(c->err, sizeof(c->err), "%s: disk %s is %s: "
			    "protection needs qcow2 files (their dirty bitmaps "
			    "track the changes)", c->domain, d->target,
			    d->format ? d->format : "not a file");
			goto out;
		}
		n++;
	}
	if (n == 0)
		snprintf(c->err, sizeof(c->err), "%s: no disk to protect",
		    c->domain);
 out:
	kvm_domain_info_free(di);
	kvm_close(k);
}

static void
dr_check_closed(struct ctl_conn *ctl, void *arg)
{
	((struct dr_check *)arg)->ctl = NULL;	/* the CLI went away */
}

static void
dr_check_done(void *arg)
{
	struct dr_check	*c = arg;
	char		 err[512];

	if (c->err[0] == '\0' && dr_protect(c->gw, c->domain, &c->set,
	    err, sizeof(err)) == -1)
		snprintf(c->err, sizeof(c->err), "%s", err);
	if (c->ctl == NULL)
		;
	else if (c->err[0] != '\0')
		ctl_error(c->ctl, VMGW_EXIT_REFUSED, "%s", c->err);
	else
		ctl_ok(c->ctl, json_pack("{s:s, s:s, s:I, s:i, s:b, s:I}",
		    "domain", c->domain, "to", c->set.to, "rpo_s",
		    (json_int_t)c->set.rpo, "keep", (int)c->set.keep, "quiesce",
		    c->set.quiesce, "bandwidth", (json_int_t)c->set.bandwidth));
	if (c->ctl != NULL)
		ctl_set_close_cb(c->ctl, NULL, NULL);
	free(c);
}

/* A request's domain, or NULL with the error sent. */
const char *
dr_domain_arg(struct ctl_conn *c, json_t *req)
{
	const char	*dom = json_string_value(json_object_get(req, "domain"));

	if (dom == NULL || dom[0] == '\0' || strlen(dom) > 127 ||
	    strchr(dom, '/') != NULL) {
		ctl_error(c, VMGW_EXIT_USAGE, "which domain?");
		return NULL;
	}
	return dom;
}

/* A request's point: an id, "latest" (its default) or "latest-app"; NULL
 * with the error sent. */
const char *
dr_point_arg(struct ctl_conn *c, json_t *req)
{
	const char	*pt = json_string_value(json_object_get(req, "point"));

	if (pt == NULL)
		pt = "latest";
	if (strlen(pt) > DRC_ID_MAX || (strcmp(pt, "latest") != 0 &&
	    strcmp(pt, "latest-app") != 0 && !drc_file_name_ok(pt))) {
		ctl_error(c, VMGW_EXIT_USAGE, "--point %s: a point id, latest or "
		    "latest-app", pt);
		return NULL;
	}
	return pt;
}

/*
 * rpo, keep, quiesce, bandwidth of a request into *s: only those given
 * (the caller set the defaults).  The given ones as DR_SET_* bits, or -1
 * with the error sent.
 */
int
dr_settings_req(struct ctl_conn *c, json_t *req, struct dr_settings *set)
{
	const char	*s;
	json_t		*v;
	int		 given = 0;

	if ((s = json_string_value(json_object_get(req, "rpo"))) != NULL) {
		uint32_t rpo;

		if (config_duration_parse(s, &rpo) == -1 || rpo < 10) {
			ctl_error(c, VMGW_EXIT_USAGE, "--rpo %s: not a duration "
			    "between 10s and 7 days (e.g. 60s, 5m, 1h)", s);
			return -1;
		}
		set->rpo = rpo;
		given |= DR_SET_RPO;
	}
	if ((v = json_object_get(req, "keep")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 1000) {
			ctl_error(c, VMGW_EXIT_USAGE, "--keep: between 1 and "
			    "1000 points");
			return -1;
		}
		set->keep = (unsigned)json_integer_value(v);
		given |= DR_SET_KEEP;
	}
	if (json_object_get(req, "quiesce") != NULL) {
		set->quiesce = json_is_true(json_object_get(req, "quiesce"));
		given |= DR_SET_QUIESCE;
	}
	if ((s = json_string_value(json_object_get(req, "bandwidth"))) !=
	    NULL) {
		if (size_parse(&set->bandwidth, s) == -1) {
			ctl_error(c, VMGW_EXIT_USAGE, "--bandwidth %s: not a "
			    "rate", s);
			return -1;
		}
		given |= DR_SET_BANDWIDTH;
	}
	return given;
}

static void
ctl_protect(struct ctl_conn *c, json_t *req)
{
	struct gw	*gw = c->gw;
	const char	*dom, *to;
	struct dr_check	*ck;

	if ((dom = dr_domain_arg(c, req)) == NULL)
		return;
	to = json_string_value(json_object_get(req, "to"));
	if (to == NULL || strcmp(to, gw->conf->site) == 0 ||
	    peer_find(gw, to) == NULL) {
		ctl_error(c, VMGW_EXIT_USAGE, "--to %s: %s", to ? to : "",
		    to == NULL ? "missing" : strcmp(to, gw->conf->site) == 0 ?
		    "that is this gateway's own site" : "not a peer of this "
		    "site");
		return;
	}
	if ((ck = calloc(1, sizeof(*ck))) == NULL) {
		ctl_error(c, VMGW_EXIT_FAIL, "out of memory");
		return;
	}
	ck->ctl = c;
	ck->gw = gw;
	snprintf(ck->domain, sizeof(ck->domain), "%s", dom);
	snprintf(ck->set.to, sizeof(ck->set.to), "%s", to);
	ck->set.rpo = DR_RPO_DEFAULT;
	ck->set.keep = DR_KEEP_DEFAULT;
	if (dr_settings_req(c, req, &ck->set) == -1) {
		free(ck);
		return;
	}
	if (worker_run(gw, dr_check_work, dr_check_done, ck) == -1) {
		ctl_error(c, VMGW_EXIT_FAIL, "cannot start a thread");
		free(ck);
		return;
	}
	ctl_set_close_cb(c, dr_check_closed, ck);
}

static void
ctl_unprotect(struct ctl_conn *c, json_t *req)
{
	const char	*dom;
	struct job	*j;
	char		 err[256];

	if ((dom = dr_domain_arg(c, req)) == NULL)
		return;
	if ((j = dr_job_for(c->gw, dom)) == NULL) {
		ctl_error(c, VMGW_EXIT_USAGE, "%s is not protected at %s", dom,
		    c->gw->conf->site);
		return;
	}
	if (dr_unprotect(j, json_is_true(json_object_get(req,
	    "keep_replica")), c, err, sizeof(err)) == -1)
		ctl_error(c, VMGW_EXIT_FAIL, "%s", err);
}

static void
ctl_replication(struct ctl_conn *c, json_t *req)
{
	const char	*dom = json_string_value(json_object_get(req, "domain"));
	json_t		*a = json_array(), *s;
	struct job	*j;
	int		 bad = 0;

	TAILQ_FOREACH(j, c->gw->jobs, entry) {
		if (j->kind != &dr_kind || job_terminal(j) || (dom != NULL &&
		    strcmp(j->domain, dom) != 0))
			continue;
		s = dr_status_json(j);
		if (strcmp(json_string_value(json_object_get(s, "state")),
		    "violation") == 0 || strcmp(json_string_value(
		    json_object_get(s, "state")), "error") == 0)
			bad = 1;
		json_array_append_new(a, s);
	}
	if (dom != NULL && json_array_size(a) == 0) {
		json_decref(a);
		ctl_error(c, VMGW_EXIT_USAGE, "%s is not protected at %s", dom,
		    c->gw->conf->site);
		return;
	}
	ctl_ok(c, json_pack("{s:o, s:b}", "guests", a, "violated",
	    dom != NULL && bad));
}

static void
ctl_sync(struct ctl_conn *c, json_t *req)
{
	const char	*dom;
	struct job	*j;

	if ((dom = dr_domain_arg(c, req)) == NULL)
		return;
	if ((j = dr_job_for(c->gw, dom)) == NULL) {
		ctl_error(c, VMGW_EXIT_USAGE, "%s is not protected at %s (vmgw "
		    "protect %s --to SITE)", dom, c->gw->conf->site, dom);
		return;
	}
	ctl_event(c, "sync", json_pack("{s:s}", "domain", dom));
	if (dr_sync(j, c) == -1)
		ctl_error(c, VMGW_EXIT_FAIL, "out of memory");
}

/* ---- points: asked of the backup site, or read here */

struct dr_ask {
	struct ctl_conn	*ctl;		/* NULL when the CLI went away */
};

static void
dr_ask_closed(struct ctl_conn *c, void *arg)
{
	((struct dr_ask *)arg)->ctl = NULL;
}

static void
dr_points_reply(json_t *reply, const char *err, void *arg)
{
	struct dr_ask	*a = arg;
	struct ctl_conn	*c = a->ctl;

	free(a);
	if (c == NULL)
		return;
	ctl_set_close_cb(c, NULL, NULL);
	if (err != NULL)
		ctl_error(c, VMGW_EXIT_FAIL, "%s", err);
	else {
		json_object_set_new(reply, "site", json_string("backup"));
		ctl_ok(c, json_incref(reply));
	}
}

struct dr_local {
	struct ctl_conn	*ctl;
	char		 domain[128];
	json_t		*reply;
	char		 err[512];
};

/* (worker) a chain of this guest under any of this site's storage dirs */
static void
dr_local_work(void *arg)
{
	struct dr_local		*l = arg;
	const struct vmgw_config *conf = l->ctl->gw->conf;
	struct drc_manifest	*m = NULL;
	char			 dir[600];
	int			 r;

	if ((r = dr_local_chain(conf, l->domain, dir, sizeof(dir), &m, l->err,
	    sizeof(l->err))) <= 0) {
		if (r == 0)
			snprintf(l->err, sizeof(l->err), "%s: no replica at %s "
			    "and it is not protected from here", l->domain,
			    conf->site);
		return;
	}
	l->reply = json_pack("{s:o, s:s, s:s, s:s}", "points", dr_points_json(m,
	    dir), "dir", dir, "source_site", m->source_site, "site", "here");
	drc_manifest_free(m);
}

static void
dr_local_done(void *arg)
{
	struct dr_local	*l = arg;

	if (l->err[0] != '\0')
		ctl_error(l->ctl, VMGW_EXIT_FAIL, "%s", l->err);
	else
		ctl_ok(l->ctl, l->reply);
	free(l);
}

static void
ctl_points(struct ctl_conn *c, json_t *req)
{
	const char	*dom;
	struct job	*j;
	struct dr_local	*l;
	struct dr_ask	*a;
	json_t		*m;

	if ((dom = dr_domain_arg(c, req)) == NULL)
		return;
	if ((j = dr_job_for(c->gw, dom)) != NULL && j->peer != NULL &&
	    DR(j)->source[0] != '\0') {
		if ((a = calloc(1, sizeof(*a))) == NULL) {
			ctl_error(c, VMGW_EXIT_FAIL, "out of memory");
			return;
		}
		a->ctl = c;
		m = json_pack("{s:s, s:s, s:s}", "op", PM_DR_POINTS, "guest",
		    dom, "source", DR(j)->source);
		if (pmsg_request(j->peer, m, 30, dr_points_reply, a) == -1) {
			free(a);
			ctl_error(c, VMGW_EXIT_PEER, "no tunnel to %s",
			    j->peer_name);
		} else
			ctl_set_close_cb(c, dr_ask_closed, a);
		json_decref(m);
		return;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		ctl_error(c, VMGW_EXIT_FAIL, "out of memory");
		return;
	}
	l->ctl = c;
	snprintf(l->domain, sizeof(l->domain), "%s", dom);
	if (worker_run(c->gw, dr_local_work, dr_local_done, l) == -1) {
		free(l);
		ctl_error(c, VMGW_EXIT_FAIL, "cannot start a thread");
	}
}

int
dr_ctl_init(void)
{
	if (ctl_register(CTL_PROTECT, ctl_protect) == -1 ||
	    ctl_register(CTL_UNPROTECT, ctl_unprotect) == -1 ||
	    ctl_register(CTL_REPLICATION, ctl_replication) == -1 ||
	    ctl_register(CTL_SYNC, ctl_sync) == -1 ||
	    ctl_register(CTL_POINTS, ctl_points) == -1)
		return -1;
	return 0;
}
