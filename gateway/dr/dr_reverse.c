/*
 * dr_reverse.c - `vmgw reprotect DOMAIN`, reverse protection (DR part 2),
 * run at the site the guest failed over to once its old home is back.
 *
 *   here (new home)  the guest runs here from a failover (failover.json in
 *                    its chain directory), is not protected yet, and its
 *                    old home answers
 *   dr-reverse  -->  the old home takes its old copy over as the base of a
 *                    chain for the guest: the copy is off (fenced), its
 *                    images move into the chain directory (a rename: no
 *                    byte is copied), their bitmaps go (QEMU was killed:
 *                    they cannot be trusted), the old domain is undefined
 *                    (its XML kept beside), and its fenced protection job
 *                    ends; it answers with that job's settings
 *   here             a protection job to the old home, whose first point
 *                    is a resync: both sides hash their disks in 1 MiB
 *                    blocks and only the blocks that differ are shipped,
 *                    which is what the guest wrote here since the failover
 *                    and what the old home wrote after the point it failed
 *                    over from and never shipped.  The reply comes when
 *                    that point is complete (as `vmgw sync`).
 *
 * Comparing reads both disks whole but ships only what differs; the old
 * home's change tracking would spare the reads, but after the crash that
 * a failover follows its bitmaps are not trustworthy, and vmgw never
 * trusts a broken bitmap.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dr.h"

#define DR_REV_WAIT_S		5	/* for the old home to answer */
#define DR_REV_TIMEOUT_S	300	/* ... and to take its copy over */

/* ---- the old home: dr-reverse ---------------------------------------- */

struct dr_rev {
	struct peer		*peer;
	json_int_t		 id;
	struct gw		*gw;
	char			 guest[128];
	char			 uuid[KVM_UUID_LEN + 1];
	char			 source[512];
	struct dr_disk		 disks[DRC_DISKS_MAX];	/* the new home's */
	size_t			 n_disks;
	char			 dir[512];
	char			 job_id[JOB_ID_LEN];	/* its fenced job here */
	int			 again;		/* taken over before */
	char			 err[512];
};

/* (worker) an old image's persistent bitmaps go: they may be marked in
 * use (QEMU was killed), and the chain's merges must not trip on them */
static int
dr_rev_bitmaps(const char *img, char *err, size_t errlen)
{
	return dr_image_bitmaps_drop(img, 1, err, errlen);
}

/* standalone: refuse an image with a backing file (a takeover's base) */
int
dr_image_bitmaps_drop(const char *img, int standalone, char *err,
    size_t errlen)
{
	const char	*argv[6];
	char		 msg[512], *out = NULL;
	json_t		*info, *bm, *b;
	json_error_t	 je;
	size_t		 i;

	argv[0] = "qemu-img"; argv[1] = "info"; argv[2] = "--output=json";
	argv[3] = img; argv[4] = NULL;
	if (drc_run_out(argv, &out, 1u << 20, msg, sizeof(msg)) != 0) {
		snprintf(err, errlen, "qemu-img info %s: %s", img,
		    msg);
		return -1;
	}
	info = json_loads(out, 0, &je);
	free(out);
	if (info == NULL) {
		snprintf(err, errlen, "qemu-img info %s: %s", img,
		    je.text);
		return -1;
	}
	if (standalone && json_object_get(info, "backing-filename") != NULL) {
		snprintf(err, errlen, "%s has a backing file: vmgw "
		    "takes over standalone images only", img);
		json_decref(info);
		return -1;
	}
	bm = json_object_get(json_object_get(json_object_get(info,
	    "format-specific"), "data"), "bitmaps");
	json_array_foreach(bm, i, b) {
		const char *name = json_string_value(json_object_get(b,
		    "name"));

		if (name == NULL)
			continue;
		argv[0] = "qemu-img"; argv[1] = "bitmap"; argv[2] = "--remove";
		argv[3] = img; argv[4] = name; argv[5] = NULL;
		if (drc_run(argv, msg, sizeof(msg)) != 0) {
			snprintf(err, errlen, "%s: bitmap %s: %s",
			    img, name, msg);
			json_decref(info);
			return -1;
		}
	}
	json_decref(info);
	return 0;
}

/*
 * (worker) the images disks[].path become the base of a new chain of guest
 * from site `from` in dir: renamed (no byte copied: dir must be on their
 * filesystem), their bitmaps removed, the manifest (no point yet) saved.
 * On a failure the images are back where they were.
 */
int
dr_takeover(const char *site, const char *dir, const char *guest,
    const char *uuid, const char *from, const struct dr_disk *disks,
    size_t n, char *err, size_t errlen)
{
	struct drc_manifest	*m = NULL;
	char			 mpath[600], base[700];
	char			 moved[DRC_DISKS_MAX][512];
	size_t			 i, nmoved = 0;

	snprintf(mpath, sizeof(mpath), "%s/manifest.json", dir);
	if (n == 0 || n > DRC_DISKS_MAX) {
		snprintf(err, errlen, "%s: no disks", guest);
		return -1;
	}
	if (mkdir_passable(dir, 2) == -1) {	/* DIR/vmgw-replica/GUEST */
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (access(mpath, F_OK) == 0) {
		snprintf(err, errlen, "%s: a chain is there already", dir);
		return -1;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->base = calloc(n, sizeof(*m->base))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	snprintf(m->guest, sizeof(m->guest), "%s", guest);
	snprintf(m->uuid, sizeof(m->uuid), "%s", uuid);
	snprintf(m->source_site, sizeof(m->source_site), "%s", from);
	m->n_base = n;
	for (i = 0; i < n; i++) {
		snprintf(m->base[i].target, sizeof(m->base[i].target), "%s",
		    disks[i].target);
		m->base[i].size = disks[i].size;
		if (drc_overlay_name(m->base[i].file, sizeof(m->base[i].file),
		    disks[i].target, "base") == -1) {
			snprintf(err, errlen, "%s: disk %s: no file name",
			    guest, disks[i].target);
			goto undo;
		}
		snprintf(base, sizeof(base), "%s/%s", dir, m->base[i].file);
		if (access(base, F_OK) == 0) {
			snprintf(err, errlen, "%s exists: vmgw does not "
			    "overwrite it", base);
			goto undo;
		}
		if (rename(disks[i].path, base) == -1) {
			snprintf(err, errlen, "%s -> %s: %s%s", disks[i].path,
			    base, strerror(errno), errno == EXDEV ? " (the "
			    "replica directory must be on the disk's "
			    "filesystem: vmgw does not copy it)" : "");
			goto undo;
		}
		snprintf(moved[nmoved++], sizeof(moved[0]), "%s", base);
		if (dr_rev_bitmaps(base, err, errlen) == -1)
			goto undo;
	}
	if (drc_manifest_save(mpath, m, err, errlen) == -1)
		goto undo;
	log_info("%s: its old copy at %s is the base of its replica from %s "
	    "now (%s)", guest, site, from, dir);
	drc_manifest_free(m);
	return 0;
 undo:
	for (i = 0; i < nmoved; i++)
		if (rename(moved[i], disks[i].path) == -1)
			log_warnx("%s: %s -> %s: %s", guest, moved[i],
			    disks[i].path, strerror(errno));
	unlink(mpath);
 fail:
	drc_manifest_free(m);
	return -1;
}

/* (worker) the old copy becomes the base of a chain from the new home */
static void
dr_rev_work(void *arg)
{
	struct dr_rev		*v = arg;
	struct kvm		*k = NULL;
	struct kvm_domain_info	*di = NULL;
	struct drc_manifest	*m = NULL;
	char			 mpath[600], base[700], e[256];
	size_t			 i, d;
	int			 st;

	snprintf(mpath, sizeof(mpath), "%s/manifest.json", v->dir);
	if (drc_manifest_load(mpath, &m, e, sizeof(e)) == 0) {
		/* taken over before (a reprotect that did not finish) */
		if (strcmp(m->source_site, v->peer->conf->name) == 0 &&
		    strcmp(m->uuid, v->uuid) == 0) {
			v->again = 1;
			goto out;
		}
		snprintf(v->err, sizeof(v->err), "%s: a chain of %s from %s "
		    "is in %s already", v->guest, m->guest, m->source_site,
		    v->dir);
		goto out;
	}
	if (errno != ENOENT) {
		snprintf(v->err, sizeof(v->err), "%s", e);
		goto out;
	}
	if (kvm_open(&k, v->gw->conf->libvirt, v->err, sizeof(v->err)) == -1)
		goto out;
	if ((st = kvm_domain_exists(k, v->guest, NULL, e, sizeof(e), v->err,
	    sizeof(v->err))) != 1) {
		if (st == 0)
			snprintf(v->err, sizeof(v->err), "%s is not defined at "
			    "%s: there is no old copy to take over (vmgw "
			    "protect %s --to %s, at %s, seeds a new one)",
			    v->guest, v->gw->conf->site, v->guest,
			    v->gw->conf->site, v->peer->conf->name);
		goto out;
	}
	if (kvm_domain_inspect(k, v->guest, &di, v->err, sizeof(v->err)) ==
	    -1)
		goto out;
	if (di->state != KVM_DOM_SHUTOFF) {
		/* never: a copy that runs here while the guest runs there */
		snprintf(v->err, sizeof(v->err), "%s is %s at %s: its old copy "
		    "must be off to be taken over", v->guest, di->state_str,
		    v->gw->conf->site);
		goto out;
	}
	if (strcmp(di->uuid, v->uuid) != 0) {
		snprintf(v->err, sizeof(v->err), "%s at %s has UUID %s, not %s: "
		    "not the same guest", v->guest, v->gw->conf->site, di->uuid,
		    v->uuid);
		goto out;
	}
	/* every disk of the new home's, here, the same size, on the chain
	 * directory's filesystem */
	for (i = 0; i < v->n_disks; i++) {
		for (d = 0; d < di->n_disks; d++)
			if (strcmp(di->disks[d].target, v->disks[i].target) ==
			    0 && di->disks[d].path != NULL)
				break;
		if (d == di->n_disks) {
			snprintf(v->err, sizeof(v->err), "%s: disk %s is not "
			    "in its old definition at %s", v->guest,
			    v->disks[i].target, v->gw->conf->site);
			goto out;
		}
		if (di->disks[d].capacity != v->disks[i].size) {
			snprintf(v->err, sizeof(v->err), "%s: disk %s is %llu "
			    "bytes at %s, %llu at %s", v->guest,
			    v->disks[i].target, (unsigned long long)
			    di->disks[d].capacity, v->gw->conf->site,
			    (unsigned long long)v->disks[i].size,
			    v->peer->conf->name);
			goto out;
		}
		if (strcmp(di->disks[d].format ? di->disks[d].format : "",
		    "qcow2") != 0) {
			snprintf(v->err, sizeof(v->err), "%s: disk %s (%s) is "
			    "not qcow2", v->guest, v->disks[i].target,
			    di->disks[d].path);
			goto out;
		}
		snprintf(v->disks[i].path, sizeof(v->disks[i].path), "%s",
		    di->disks[d].path);
	}
	if (dr_takeover(v->gw->conf->site, v->dir, v->guest, v->uuid,
	    v->peer->conf->name, v->disks, v->n_disks, v->err,
	    sizeof(v->err)) == -1)
		goto out;
	/* the old definition, kept beside the chain; then it goes */
	snprintf(base, sizeof(base), "%s/home-domain.xml", v->dir);
	if (drc_write_atomic(base, di->xml, strlen(di->xml), e,
	    sizeof(e)) == -1)
		log_warnx("%s: %s", v->guest, e);
	if (kvm_domain_undefine(k, v->guest, e, sizeof(e)) == -1)
		log_warnx("%s: its old definition stays at %s: %s", v->guest,
		    v->gw->conf->site, e);
 out:
	drc_manifest_free(m);
	kvm_domain_info_free(di);
	kvm_close(k);
}

static void
dr_rev_done(void *arg)
{
	struct dr_rev	*v = arg;
	struct job	*j;
	json_t		*r;

	if (v->err[0] != '\0') {
		log_warnx("%s: reverse protection from %s refused: %s",
		    v->guest, v->peer->conf->name, v->err);
		pmsg_reply_error(v->peer, v->id, "%s", v->err);
		free(v);
		return;
	}
	r = json_pack("{s:s, s:b}", "dir", v->dir, "again", v->again);
	if ((j = job_find(v->gw, v->job_id)) != NULL && !job_terminal(j)) {
		json_object_set_new(r, "settings", json_pack("{s:I, s:i, s:b, "
		    "s:I}", "rpo", (json_int_t)DR(j)->set.rpo, "keep",
		    (int)DR(j)->set.keep, "quiesce", DR(j)->set.quiesce,
		    "bandwidth", (json_int_t)DR(j)->set.bandwidth));
		dr_reversed(j, v->peer->conf->name);
	}
	pmsg_reply(v->peer, v->id, r);
	free(v);
}

void
dr_pm_reverse(struct peer *p, json_int_t id, json_t *req)
{
	const char	*guest = json_string_value(json_object_get(req, "guest"));
	const char	*uuid = json_string_value(json_object_get(req, "uuid"));
	const char	*src = json_string_value(json_object_get(req, "source"));
	json_t		*disks = json_object_get(req, "disks"), *d;
	struct dr_rev	*v;
	struct job	*j;
	char		 err[512];
	size_t		 i;

	if (guest == NULL || uuid == NULL || src == NULL || guest[0] == '\0' ||
	    strlen(guest) >= sizeof(v->guest) || strchr(guest, '/') != NULL ||
	    guest[0] == '.' || strlen(uuid) != KVM_UUID_LEN || src[0] != '/' ||
	    !json_is_array(disks) || json_array_size(disks) == 0 ||
	    json_array_size(disks) > DRC_DISKS_MAX) {
		pmsg_reply_error(p, id, "malformed dr-reverse");
		return;
	}
	if ((j = dr_job_for(p->gw, guest)) != NULL && !DR(j)->fenced) {
		pmsg_reply_error(p, id, "%s is protected from %s to %s and did "
		    "not fail over: its copy here is the live one", guest,
		    p->gw->conf->site, DR(j)->set.to);
		return;
	}
	if (j != NULL && j->busy) {
		pmsg_reply_error(p, id, "%s: its copy here is being fenced: "
		    "again in a moment", guest);
		return;
	}
	if ((v = calloc(1, sizeof(*v))) == NULL) {
		pmsg_reply_error(p, id, "out of memory");
		return;
	}
	v->peer = p;
	v->id = id;
	v->gw = p->gw;
	snprintf(v->guest, sizeof(v->guest), "%s", guest);
	snprintf(v->uuid, sizeof(v->uuid), "%s", uuid);
	snprintf(v->source, sizeof(v->source), "%s", src);
	if (j != NULL)
		snprintf(v->job_id, sizeof(v->job_id), "%s", j->id);
	json_array_foreach(disks, i, d) {
		const char *t = json_string_value(json_object_get(d, "target"));
		json_t *sz = json_object_get(d, "size");

		if (t == NULL || t[0] == '\0' || strlen(t) > DRC_TARGET_MAX ||
		    !json_is_integer(sz) || json_integer_value(sz) <= 0) {
			free(v);
			pmsg_reply_error(p, id, "malformed dr-reverse");
			return;
		}
		snprintf(v->disks[i].target, sizeof(v->disks[i].target), "%s",
		    t);
		v->disks[i].size = (uint64_t)json_integer_value(sz);
	}
	v->n_disks = json_array_size(disks);
	if (dr_chain_dir(p->gw, p->conf, guest, src, v->dir, sizeof(v->dir),
	    err, sizeof(err)) == -1) {
		free(v);
		pmsg_reply_error(p, id, "%s", err);
		return;
	}
	if (worker_run(p->gw, dr_rev_work, dr_rev_done, v) == -1) {
		free(v);
		pmsg_reply_error(p, id, "cannot start a thread");
	}
}

/* ---- the new home: vmgw reprotect -------------------------------------- */

struct dr_rp {
	struct gw		*gw;
	struct ctl_conn		*ctl;		/* NULL: the CLI went away */
	char			 domain[128];
	char			 dir[600];	/* its chain here (it failed over
						 * from) */
	char			 home[DRC_NAME_MAX + 1];
	char			 uuid[KVM_UUID_LEN + 1];
	struct dr_disk		 disks[DRC_DISKS_MAX];
	size_t			 n_disks;
	struct dr_settings	 set;
	int			 given;		/* DR_SET_* from the request */
	int			 exitcode;
	char			 err[512];
};

static void
dr_rp_closed(struct ctl_conn *c, void *arg)
{
	(void)c;
	((struct dr_rp *)arg)->ctl = NULL;
}

static void
dr_rp_fail(struct dr_rp *r)
{
	if (r->ctl != NULL) {
		ctl_set_close_cb(r->ctl, NULL, NULL);
		ctl_error(r->ctl, r->exitcode ? r->exitcode : VMGW_EXIT_FAIL,
		    "%s", r->err);
	}
	free(r);
}

/* (worker) it failed over to here and runs here: its chain, its disks */
static void
dr_rp_find_work(void *arg)
{
	struct dr_rp		*r = arg;
	struct drc_manifest	*m = NULL;
	struct kvm		*k = NULL;
	struct kvm_domain_info	*di = NULL;
	char			 path[700];
	size_t			 i;
	int			 got;

	r->exitcode = VMGW_EXIT_REFUSED;
	if ((got = dr_local_chain(r->gw->conf, r->domain, r->dir,
	    sizeof(r->dir), &m, r->err, sizeof(r->err))) != 1) {
		if (got == 0)
			snprintf(r->err, sizeof(r->err), "%s did not fail over "
			    "to %s: there is no replica of it here (vmgw "
			    "protect protects a guest from its home)",
			    r->domain, r->gw->conf->site);
		return;
	}
	snprintf(r->home, sizeof(r->home), "%s", m->source_site);
	drc_manifest_free(m);
	snprintf(path, sizeof(path), "%s/failover.json", r->dir);
	if (access(path, F_OK) != 0) {
		snprintf(r->err, sizeof(r->err), "%s did not fail over to %s "
		    "(no %s): it runs at %s", r->domain, r->gw->conf->site,
		    path, r->home);
		return;
	}
	if (kvm_open(&k, r->gw->conf->libvirt, r->err, sizeof(r->err)) == -1)
		goto out;
	if (kvm_domain_inspect(k, r->domain, &di, r->err, sizeof(r->err)) ==
	    -1)
		goto out;
	if (di->state != KVM_DOM_RUNNING && di->state != KVM_DOM_PAUSED) {
		snprintf(r->err, sizeof(r->err), "%s is %s at %s: reverse "
		    "protection protects a guest that runs", r->domain,
		    di->state_str, r->gw->conf->site);
		goto out;
	}
	snprintf(r->uuid, sizeof(r->uuid), "%s", di->uuid);
	for (i = 0; i < di->n_disks; i++) {
		const struct kvm_disk *d = &di->disks[i];

		if (d->readonly || strcmp(d->device, "disk") != 0 ||
		    d->path == NULL)
			continue;
		if (r->n_disks == DRC_DISKS_MAX) {
			snprintf(r->err, sizeof(r->err), "%s: more than %d "
			    "disks", r->domain, DRC_DISKS_MAX);
			goto out;
		}
		snprintf(r->disks[r->n_disks].target,
		    sizeof(r->disks[0].target), "%s", d->target);
		snprintf(r->disks[r->n_disks].path, sizeof(r->disks[0].path),
		    "%s", d->path);
		r->disks[r->n_disks].size = d->capacity;
		r->n_disks++;
	}
	if (r->n_disks == 0) {
		snprintf(r->err, sizeof(r->err), "%s: no disk to protect",
		    r->domain);
		goto out;
	}
	r->err[0] = '\0';
	r->exitcode = 0;
 out:
	kvm_domain_info_free(di);
	kvm_close(k);
}

static void
dr_rp_reversed(json_t *reply, const char *err, void *arg)
{
	struct dr_rp	*r = arg;
	json_t		*s;
	struct job	*j;
	char		 e[512];

	if (err != NULL) {
		snprintf(r->err, sizeof(r->err), "%s: %s did not take its old "
		    "copy over: %s", r->domain, r->home, err);
		r->exitcode = VMGW_EXIT_FAIL;
		dr_rp_fail(r);
		return;
	}
	/* the old home's settings, unless the request had its own */
	s = json_object_get(reply, "settings");
	if (!(r->given & DR_SET_RPO) && json_integer_value(json_object_get(s,
	    "rpo")) > 0)
		r->set.rpo = json_integer_value(json_object_get(s, "rpo"));
	if (!(r->given & DR_SET_KEEP) && json_integer_value(json_object_get(s,
	    "keep")) > 0)
		r->set.keep = (unsigned)json_integer_value(json_object_get(s,
		    "keep"));
	if (!(r->given & DR_SET_QUIESCE) && s != NULL)
		r->set.quiesce = json_is_true(json_object_get(s, "quiesce"));
	if (!(r->given & DR_SET_BANDWIDTH) && s != NULL)
		r->set.bandwidth = (uint64_t)json_integer_value(
		    json_object_get(s, "bandwidth"));
	if (dr_protect_reverse(r->gw, r->domain, &r->set, e, sizeof(e)) ==
	    -1 || (j = dr_job_for(r->gw, r->domain)) == NULL) {
		snprintf(r->err, sizeof(r->err), "%s: %s", r->domain, e);
		r->exitcode = VMGW_EXIT_FAIL;
		dr_rp_fail(r);
		return;
	}
	log_info("%s: reverse protection to %s: its first point compares "
	    "with the old copy there (%s)", r->domain, r->home,
	    json_string_value(json_object_get(reply, "dir")));
	if (r->ctl != NULL) {
		ctl_set_close_cb(r->ctl, NULL, NULL);
		ctl_event(r->ctl, "reprotect", json_pack("{s:s, s:s, s:s, s:I, "
		    "s:i}", "domain", r->domain, "to", r->home, "dir",
		    json_string_value(json_object_get(reply, "dir")) ?: "",
		    "rpo_s", (json_int_t)r->set.rpo, "keep", (int)r->set.keep));
		if (dr_sync(j, r->ctl) == -1)
			ctl_error(r->ctl, VMGW_EXIT_FAIL, "out of memory");
	}
	free(r);
}

static void
dr_rp_peer(struct peer *p, struct tunnel *t, const char *err, void *arg)
{
	struct dr_rp	*r = arg;
	json_t		*m, *disks;
	size_t		 i;

	if (t == NULL) {
		snprintf(r->err, sizeof(r->err), "%s does not answer (%s): "
		    "reverse protection needs %s's old home back", r->home,
		    err, r->domain);
		r->exitcode = VMGW_EXIT_PEER;
		dr_rp_fail(r);
		return;
	}
	disks = json_array();
	for (i = 0; i < r->n_disks; i++)
		json_array_append_new(disks, json_pack("{s:s, s:I}", "target",
		    r->disks[i].target, "size", (json_int_t)r->disks[i].size));
	m = json_pack("{s:s, s:s, s:s, s:s, s:o}", "op", PM_DR_REVERSE,
	    "guest", r->domain, "uuid", r->uuid, "source", r->disks[0].path,
	    "disks", disks);
	if (pmsg_request(p, m, DR_REV_TIMEOUT_S, dr_rp_reversed, r) == -1) {
		snprintf(r->err, sizeof(r->err), "tunnel to %s lost", r->home);
		r->exitcode = VMGW_EXIT_PEER;
		dr_rp_fail(r);
	}
	json_decref(m);
}

static void
dr_rp_found(void *arg)
{
	struct dr_rp	*r = arg;
	struct peer	*home;

	if (r->err[0] != '\0') {
		dr_rp_fail(r);
		return;
	}
	if ((home = peer_find(r->gw, r->home)) == NULL) {
		snprintf(r->err, sizeof(r->err), "%s failed over from %s, "
		    "which is not a peer of %s", r->domain, r->home,
		    r->gw->conf->site);
		r->exitcode = VMGW_EXIT_USAGE;
		dr_rp_fail(r);
		return;
	}
	snprintf(r->set.to, sizeof(r->set.to), "%s", r->home);
	if (r->ctl != NULL)
		ctl_event(r->ctl, "step", json_pack("{s:s, s:s}", "domain",
		    r->domain, "step", "old home"));
	if (peer_wait(home, DR_REV_WAIT_S, dr_rp_peer, r) == NULL) {
		snprintf(r->err, sizeof(r->err), "cannot wait for %s",
		    r->home);
		dr_rp_fail(r);
	}
}

static void
ctl_reprotect(struct ctl_conn *c, json_t *req)
{
	const char	*dom;
	struct dr_rp	*r;
	struct job	*j;

	if ((dom = dr_domain_arg(c, req)) == NULL)
		return;
	if ((j = dr_job_for(c->gw, dom)) != NULL) {
		ctl_error(c, VMGW_EXIT_REFUSED, "%s is protected to %s already",
		    dom, DR(j)->set.to);
		return;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		ctl_error(c, VMGW_EXIT_FAIL, "out of memory");
		return;
	}
	r->gw = c->gw;
	r->ctl = c;
	snprintf(r->domain, sizeof(r->domain), "%s", dom);
	r->set.rpo = DR_RPO_DEFAULT;
	r->set.keep = DR_KEEP_DEFAULT;
	if ((r->given = dr_settings_req(c, req, &r->set)) == -1) {
		free(r);
		return;
	}
	if (worker_run(c->gw, dr_rp_find_work, dr_rp_found, r) == -1) {
		free(r);
		ctl_error(c, VMGW_EXIT_FAIL, "cannot start a thread");
		return;
	}
	ctl_set_close_cb(c, dr_rp_closed, r);
}

int
dr_reverse_init(void)
{
	if (pmsg_register(PM_DR_REVERSE, dr_pm_reverse) == -1 ||
	    ctl_register(CTL_REPROTECT, ctl_reprotect) == -1)
		return -1;
	return 0;
}
