/*
 * dr_move.c - a live move that rides on the replica (issue 10, item 2).
 *
 * A guest protected to site B has its disks at B already, but for what it
 * wrote since the newest point.  `vmgw migrate` of it to B (migrate/,
 * through the job kind's replica_at and final_point):
 *
 *   home (here)                              backup site B
 *   final point: the disks on new overlays (one atomic snapshot); the
 *   images under them, frozen, read through qemu-nbd with the newest
 *   checkpoint's bitmap, shipped as a point -----> committed to the chain
 *   job-prepare "replica": point ------------>  each disk an overlay on its
 *                                               image in that point (backing)
 *   live migration, libvirt's NON_SHARED_INC: the mirror copies only the
 *   overlays here (what the guest wrote after the final point)
 *                                               settled: failover.json says
 *                                               the guest runs on the chain
 *   moved: the overlays committed into the images under them (their
 *   content is the guest's at the switchover), which become the base of
 *   the replica from B (dr_takeover); B protects it back here, its first
 *   point compared with that copy
 *
 * A move that fails after the final point: the guest runs here on the
 * overlays; the resume commits them back into its images (active commit,
 * pivot), and protection goes on from the newest checkpoint (its bitmap
 * recorded every write, so the next point holds all that changed).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dr.h"

/* a move to `to` can ride on the replica there */
int
dr_replica_at(struct job *j, const char *to, char *point, size_t len)
{
	struct dr_prot	*p = DR(j);

	if (p->fenced || p->stopping || p->unprot != NULL || p->resync_first ||
	    p->seq == 0 || p->checkpoint[0] == '\0' || p->n_disks == 0 ||
	    p->n_tops > 0 || p->undoing || j->peer == NULL ||
	    strcmp(p->set.to, to) != 0 || p->last_point[0] == '\0')
		return 0;
	snprintf(point, len, "%s", p->last_point);
	return 1;
}

void
dr_final_point(struct job *j, const char *to,
    void (*done)(void *, const char *, const char *, uint64_t), void *arg)
{
	struct dr_prot	*p = DR(j);
	char		 point[DRC_ID_MAX + 1];

	if (dr_replica_at(j, to, point, sizeof(point)) != 1 ||
	    p->fin_done != NULL) {
		done(arg, "its protection cannot take a final point now", NULL,
		    0);
		return;
	}
	p->fin_done = done;
	p->fin_arg = arg;
	log_info("%s: a move to %s rides on its replica: final point after %s",
	    j->domain, to, point);
	if (dr_final_cycle(j) == -1) {
		p->fin_done = NULL;
		done(arg, "its final point could not start", NULL, 0);
	}
}

/* (loop) the final point's cycle is over: tell the mover */
void
dr_final_over(struct job *j, struct dr_cycle *c)
{
	struct dr_prot	*p = DR(j);
	void		(*done)(void *, const char *, const char *, uint64_t) =
			    p->fin_done;
	void		*arg = p->fin_arg;
	size_t		 i;

	p->fin_done = NULL;
	p->fin_arg = NULL;
	/* the overlays stay (success, or a commit back that failed) */
	for (i = 0; i < c->n_tops; i++)
		snprintf(p->tops[i], sizeof(p->tops[i]), "%s", c->tops[i]);
	p->n_tops = c->n_tops;
	job_save(j);
	snprintf(p->status, sizeof(p->status), "paused");
	snprintf(p->reason, sizeof(p->reason), "the guest is being migrated");
	if (c->rc == 0)
		log_info("%s: final point %s at %s (%llu bytes): its disks run "
		    "on overlays until the move ends", j->domain, c->id,
		    p->set.to, (unsigned long long)c->bytes);
	if (done != NULL)
		done(arg, c->rc == 0 ? NULL : c->err[0] ? c->err :
		    "the final point failed", c->rc == 0 ? c->id : NULL,
		    c->bytes);
	else if (!dr_tops_undo(j))	/* nobody waits: back on its images */
		dr_schedule_resume(j);
}

/* ------------------------------------------------------------ undo */

struct dr_undo {
	struct job	*job;
	struct dr_disk	 disks[DRC_DISKS_MAX];
	size_t		 n_disks;
	char		 tops[DRC_DISKS_MAX][600];
	size_t		 n_tops;
	int		 rc;
	char		 err[512];
};

#define DR_UNDO_WAIT_S	60	/* for the guest to run here again */

static void
dr_undo_work(void *arg)
{
	struct dr_undo	*u = arg;
	struct job	*j = u->job;
	struct kvm	*k = NULL;
	int		 st = -1, reason, i;

	u->rc = -1;
	if (kvm_open(&k, j->gw->conf->libvirt, u->err, sizeof(u->err)) == -1)
		return;
	/* after a restart the move's own recovery may be restoring it */
	for (i = 0; i < DR_UNDO_WAIT_S; i++) {
		if (kvm_domain_state(k, j->domain, &st, &reason, u->err,
		    sizeof(u->err)) == 0 && st == KVM_DOM_RUNNING)
			break;		/* (paused: a restore is still under way) */
		sleep(1);
	}
	if (kvm_domain_state(k, j->domain, &st, &reason, u->err,
	    sizeof(u->err)) == -1 || st != KVM_DOM_RUNNING) {
		if (u->err[0] == '\0')
			snprintf(u->err, sizeof(u->err), "%s is %s here",
			    j->domain, kvm_state_name(st));
	} else if (dr_tops_commit(k, j->domain, u->disks, u->n_disks,
	    u->tops, u->n_tops, u->err, sizeof(u->err)) == 0)
		u->rc = 0;
	kvm_close(k);
}

static void
dr_undo_done(void *arg)
{
	struct dr_undo	*u = arg;
	struct job	*j = u->job;
	struct dr_prot	*p = DR(j);

	j->busy = 0;
	p->undoing = 0;
	if (u->rc == 0)
		log_info("%s: its disks are back on their images (the move's "
		    "overlays committed)", j->domain);
	else
		log_warnx("%s: its disks stay on the move's overlays (%s): %s; "
		    "protection goes on over them", j->domain, u->tops[0],
		    u->err);
	/* either way vmgw is done with them: on them, libvirt keeps the
	 * checkpoint's bitmap going in the overlay */
	p->n_tops = 0;
	job_save(j);
	free(u);
	if (p->paused)
		dr_schedule_resume(j);
}

/* The move failed and the guest runs here: back on its own images. */
int
dr_tops_undo(struct job *j)
{
	struct dr_prot	*p = DR(j);
	struct dr_undo	*u;
	size_t		 i;

	if (p->n_tops == 0 || p->undoing)
		return p->undoing;
	if ((u = calloc(1, sizeof(*u))) == NULL)
		return 0;
	u->job = j;
	memcpy(u->disks, p->disks, sizeof(u->disks));
	u->n_disks = p->n_disks;
	for (i = 0; i < p->n_tops; i++)
		snprintf(u->tops[i], sizeof(u->tops[i]), "%s", p->tops[i]);
	u->n_tops = p->n_tops;
	p->undoing = 1;
	if (job_work(j, dr_undo_work, dr_undo_done, u) == -1) {
		p->undoing = 0;
		free(u);
		return 0;
	}
	j->busy = 1;
	return 1;
}

/* ------------------------------------------------------------ old home */

/*
 * (worker) Is img an overlay on want (qemu-img info's full backing file,
 * read beside a running QEMU)?  1, 0, or -1 with err (qemu-img failed).
 */
static int
dr_backing_is(const char *img, const char *want, char *err, size_t errlen)
{
	const char	*argv[6], *b;
	char		*out = NULL, msg[256];
	json_t		*info;
	int		 ret;

	argv[0] = "qemu-img"; argv[1] = "info"; argv[2] = "-U";
	argv[3] = "--output=json"; argv[4] = img; argv[5] = NULL;
	if (drc_run_out(argv, &out, 1u << 20, msg, sizeof(msg)) != 0) {
		snprintf(err, errlen, "%s: %s", img, msg);
		return -1;
	}
	info = json_loads(out, 0, NULL);
	free(out);
	b = json_string_value(json_object_get(info, "full-backing-filename"));
	ret = b != NULL && strcmp(b, want) == 0;
	json_decref(info);
	return ret;
}

/*
 * (worker) The guest moved away from a site where it ran on its chain (a
 * failover, a move over the replica): its disks there are overlays on the
 * chain's newest point.  Renamed into the chain as a new point (its
 * bitmaps dropped), they make the replica equal the guest's disks at the
 * switchover, so the new home's first point ships only what differs.  On
 * any doubt (not on the newest point, another filesystem) they are left
 * as they are: -1, and the caller removes them.  *seq: the new point's.
 */
int
dr_append_old_copy(const struct gw *gw, const char *domain,
    const struct dr_disk *disks, size_t n, const char *site, uint64_t *seq,
    char *err, size_t errlen)
{
	struct drc_manifest	*m = NULL;
	struct drc_point	 p, *nw;
	struct drc_disk		 pd[DRC_DISKS_MAX];
	char			 dir[600], path[700], to[DRC_DISKS_MAX][700];
	size_t			 i, k, moved = 0;
	int			 ret = -1, rc;

	memset(&p, 0, sizeof(p));
	drc_manifest_lock();
	if (dr_local_chain(gw->conf, domain, dir, sizeof(dir), &m, err,
	    errlen) != 1 || m->n_points == 0 || n == 0 || n > DRC_DISKS_MAX) {
		if (err[0] == '\0')
			snprintf(err, errlen, "no chain with a point");
		goto out;
	}
	nw = &m->points[m->n_points - 1];
	snprintf(path, sizeof(path), "%s/failover.json", dir);
	if (access(path, F_OK) != 0) {
		snprintf(err, errlen, "%s: it did not run on it", dir);
		goto out;
	}
	drc_point_id(p.id, nw->seq + 1);
	for (i = 0; i < n; i++) {
		for (k = 0; k < nw->n_disks; k++)
			if (strcmp(nw->disks[k].target, disks[i].target) == 0)
				break;
		if (k == nw->n_disks) {
			snprintf(err, errlen, "%s: not in the newest point",
			    disks[i].path);
			goto out;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, nw->disks[k].file);
		if ((rc = dr_backing_is(disks[i].path, path, err, errlen)) !=
		    1) {
			if (rc == 0)
				snprintf(err, errlen, "%s is not an overlay on "
				    "%s", disks[i].path, path);
			goto out;
		}
		snprintf(pd[i].target, sizeof(pd[i].target), "%s",
		    disks[i].target);
		pd[i].size = nw->disks[k].size;
		if (drc_overlay_name(pd[i].file, sizeof(pd[i].file),
		    disks[i].target, p.id) == -1) {
			snprintf(err, errlen, "disk %s: no file name",
			    disks[i].target);
			goto out;
		}
		snprintf(to[i], sizeof(to[i]), "%s/%s", dir, pd[i].file);
		if (access(to[i], F_OK) == 0) {
			snprintf(err, errlen, "%s exists", to[i]);
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		if (rename(disks[i].path, to[i]) == -1) {
			snprintf(err, errlen, "%s -> %s: %s", disks[i].path,
			    to[i], strerror(errno));
			goto undo;
		}
		moved++;
		if (dr_image_bitmaps_drop(to[i], 0, err, errlen) == -1)
			goto undo;
	}
	p.seq = nw->seq + 1;
	p.start = p.end = (int64_t)time(NULL);
	p.consistency = DRC_CRASH;
	snprintf(p.reason, sizeof(p.reason), "its disks at %s until it moved",
	    site);
	if ((p.disks = calloc(n, sizeof(*p.disks))) == NULL ||
	    (p.domain_xml = strdup(nw->domain_xml ? nw->domain_xml : "")) ==
	    NULL) {
		snprintf(err, errlen, "out of memory");
		goto undo;
	}
	memcpy(p.disks, pd, n * sizeof(*pd));
	p.n_disks = n;
	*seq = p.seq;
	snprintf(path, sizeof(path), "%s", p.id);	/* p is cleared */
	if (drc_manifest_add(m, &p, err, errlen) == -1)
		goto undo;
	log_info("%s: its disks here are point %s of its replica now (%s)",
	    domain, path, dir);
	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	if (drc_manifest_save(path, m, err, errlen) == -1)
		goto undo;
	ret = 0;
	goto out;
 undo:
	for (i = 0; i < moved; i++)
		if (rename(to[i], disks[i].path) == -1)
			log_warnx("%s: %s -> %s: %s", domain, to[i],
			    disks[i].path, strerror(errno));
 out:
	drc_manifest_unlock();
	drc_point_clear(&p);
	drc_manifest_free(m);
	return ret;
}

/* ------------------------------------------------------------ upkeep */

#define DR_UPKEEP_POINTS	2	/* merged from this many points on */

/*
 * (worker) The images under the guest's disks here: 1 on its own image;
 * on its chain here (it moved over the replica or failed over), its
 * overlay, the chain's points and the base; upkeep: that chain has points
 * below the newest to merge.
 */
void
dr_chain_depth(const struct gw *gw, const char *domain, unsigned *depth,
    int *upkeep)
{
	struct drc_manifest	*m = NULL;
	char			 dir[600], path[700], e[256];

	*depth = 1;
	*upkeep = 0;
	drc_manifest_lock();
	if (dr_local_chain(gw->conf, domain, dir, sizeof(dir), &m, e,
	    sizeof(e)) == 1) {
		struct dr_forec	 rec;

		snprintf(path, sizeof(path), "%s/%s", dir, DR_FO_RECORD);
		if (dr_forec_load(path, &rec, e, sizeof(e)) == 0) {
			/* it runs on the point the record names: merged only
			 * when that is the newest (a failover to an older
			 * point keeps its chain as it is) */
			*depth = (unsigned)m->n_points + 2;
			*upkeep = m->n_points >= DR_UPKEEP_POINTS &&
			    rec.point[0] != '\0' && strcmp(rec.point,
			    m->points[m->n_points - 1].id) == 0;
		}
	}
	drc_manifest_unlock();
	drc_manifest_free(m);
}

/*
 * (worker) The guest runs on its chain here: the points under the newest
 * are merged into the base by QEMU (a live commit, capped at bandwidth),
 * so that it runs on its overlay, the newest point and the base.  The
 * merged points leave the manifest and their files go; the newest stays
 * (a move away appends the guest's disks to it).
 */
int
dr_upkeep_run(const struct gw *gw, const char *domain, uint64_t bandwidth,
    unsigned *depth, char *err, size_t errlen)
{
	struct drc_manifest	*m = NULL;
	struct kvm		*k = NULL;
	char			 dir[600], path[700], ids[DRC_ID_MAX + 1];
	char			 top[DRC_DISKS_MAX][700], base[DRC_DISKS_MAX][700];
	char			 above[DRC_DISKS_MAX][700];
	char			 tg[DRC_DISKS_MAX][DRC_TARGET_MAX + 1];
	char			 msg[256];
	size_t			 i, k2, n = 0, cut = 0;
	int			 ret = -1, rc;

	drc_manifest_lock();
	if (dr_local_chain(gw->conf, domain, dir, sizeof(dir), &m, err,
	    errlen) != 1 || m->n_points < DR_UPKEEP_POINTS) {
		drc_manifest_unlock();
		ret = m != NULL ? 0 : -1;
		goto out;
	}
	cut = m->n_points - 2;		/* the newest merged */
	snprintf(ids, sizeof(ids), "%s", m->points[cut].id);
	for (i = 0; i < m->n_base && n < DRC_DISKS_MAX; i++) {
		const struct drc_point *pt = &m->points[cut], *nx =
		    &m->points[cut + 1];

		for (k2 = 0; k2 < pt->n_disks; k2++)
			if (strcmp(pt->disks[k2].target, m->base[i].target) == 0)
				break;
		if (k2 == pt->n_disks || k2 >= nx->n_disks)
			continue;
		snprintf(tg[n], sizeof(tg[n]), "%s", m->base[i].target);
		snprintf(top[n], sizeof(top[n]), "%s/%s", dir,
		    pt->disks[k2].file);
		snprintf(base[n], sizeof(base[n]), "%s/%s", dir,
		    m->base[i].file);
		snprintf(above[n], sizeof(above[n]), "%s/%s", dir,
		    nx->disks[k2].file);
		n++;
	}
	drc_manifest_unlock();
	drc_manifest_free(m);
	m = NULL;
	if (kvm_open(&k, gw->conf->libvirt, err, errlen) == -1)
		goto out;
	for (i = 0; i < n; i++) {
		if (kvm_disk_commit_below(k, domain, tg[i], top[i], base[i],
		    bandwidth, err, errlen) == -1)
			goto out;
		/* it worked when the image above points at the base now */
		if ((rc = dr_backing_is(above[i], base[i], err, errlen)) != 1) {
			if (rc == 0)
				snprintf(err, errlen, "disk %s: after the "
				    "commit %s is not on %s", tg[i], above[i],
				    base[i]);
			goto out;
		}
	}
	/* the merged points go: from the manifest first, then their files */
	drc_manifest_lock();
	if (dr_local_chain(gw->conf, domain, dir, sizeof(dir), &m, err,
	    errlen) != 1 || m->n_points < cut + 2 ||
	    strcmp(m->points[cut].id, ids) != 0) {
		drc_manifest_unlock();
		if (err[0] == '\0')
			snprintf(err, errlen, "its chain changed meanwhile");
		goto out;
	}
	{
		struct drc_manifest	 view = *m;
		struct drc_disk		 nb[DRC_DISKS_MAX];

		for (i = 0; i < m->n_base && i < DRC_DISKS_MAX; i++) {
			nb[i] = m->base[i];
			for (k2 = 0; k2 <= cut; k2++)
				if (i < m->points[k2].n_disks &&
				    m->points[k2].disks[i].size > nb[i].size)
					nb[i].size = m->points[k2].disks[i].size;
		}
		view.base = nb;
		view.points = m->points + cut + 1;
		view.n_points = m->n_points - cut - 1;
		snprintf(path, sizeof(path), "%s/manifest.json", dir);
		if (drc_manifest_save(path, &view, err, errlen) == -1) {
			drc_manifest_unlock();
			goto out;
		}
	}
	for (k2 = 0; k2 <= cut; k2++)
		for (i = 0; i < m->points[k2].n_disks; i++)
			if (drc_chain_remove(dir, m->points[k2].disks[i].file,
			    msg, sizeof(msg)) == -1)
				log_warnx("%s: %s", domain, msg);
	drc_manifest_unlock();
	*depth = 3;
	log_info("%s: %zu points under its newest merged into the base of "
	    "its chain here (%s): its disks are 3 images deep", domain, cut + 1,
	    dir);
	ret = 0;
 out:
	kvm_close(k);
	drc_manifest_free(m);
	return ret;
}

/* ------------------------------------------------------------ destination */

/* (worker) the guest's chain from site `from` here, its newest point `point` */
static int
dr_rep_chain(struct gw *gw, const char *from, const char *guest,
    const char *point, char *dir, size_t dirlen, struct drc_manifest **m,
    char *err, size_t errlen)
{
	char	 path[700];
	int	 got;

	if ((got = dr_local_chain(gw->conf, guest, dir, dirlen, m, err,
	    errlen)) != 1) {
		if (got == 0)
			snprintf(err, errlen, "%s: no replica of it at %s",
			    guest, gw->conf->site);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/failover.json", dir);
	if (strcmp((*m)->source_site, from) != 0) {
		snprintf(err, errlen, "%s: its replica at %s (%s) comes from "
		    "%s, not %s", guest, gw->conf->site, dir,
		    (*m)->source_site, from);
		return -1;
	}
	if (access(path, F_OK) == 0) {
		snprintf(err, errlen, "%s: it runs at %s on that replica (%s)",
		    guest, gw->conf->site, path);
		return -1;
	}
	if ((*m)->n_points == 0 || strcmp((*m)->points[(*m)->n_points -
	    1].id, point) != 0) {
		snprintf(err, errlen, "%s: the newest point of its replica at "
		    "%s is %s, not %s", guest, gw->conf->site,
		    (*m)->n_points ? (*m)->points[(*m)->n_points - 1].id :
		    "none", point);
		return -1;
	}
	return 0;
}

static int
dr_rep_backing(struct gw *gw, const char *from, const char *guest,
    const char *point, const char *target, uint64_t size, char *path,
    size_t len, char *err, size_t errlen)
{
	struct drc_manifest	*m = NULL;
	const struct drc_point	*pt;
	char			 dir[600];
	size_t			 k;
	int			 ret = -1;

	drc_manifest_lock();
	if (dr_rep_chain(gw, from, guest, point, dir, sizeof(dir), &m, err,
	    errlen) == -1)
		goto out;
	pt = &m->points[m->n_points - 1];
	for (k = 0; k < pt->n_disks; k++)
		if (strcmp(pt->disks[k].target, target) == 0)
			break;
	if (k == pt->n_disks) {
		snprintf(err, errlen, "%s: disk %s is not in point %s of its "
		    "replica", guest, target, point);
		goto out;
	}
	if (pt->disks[k].size != size) {
		snprintf(err, errlen, "%s: disk %s is %llu bytes, in point %s "
		    "%llu", guest, target, (unsigned long long)size, point,
		    (unsigned long long)pt->disks[k].size);
		goto out;
	}
	if ((size_t)snprintf(path, len, "%s/%s", dir, pt->disks[k].file) >=
	    len) {
		snprintf(err, errlen, "%s: path too long", dir);
		goto out;
	}
	ret = 0;
 out:
	drc_manifest_unlock();
	drc_manifest_free(m);
	return ret;
}

/* (worker) the guest runs here on its chain: its point pinned, the record */
static int
dr_rep_settled(struct gw *gw, const char *from, const char *guest,
    const char *point, const char *checkpoint, char *err, size_t errlen)
{
	struct drc_manifest	*m = NULL;
	struct drc_point	*pt;
	char			 dir[600], mpath[700];
	struct dr_forec		 rec;
	int64_t			 now = (int64_t)time(NULL);
	int			 ret = -1;

	drc_manifest_lock();
	if (dr_rep_chain(gw, from, guest, point, dir, sizeof(dir), &m, err,
	    errlen) == -1)
		goto out;
	pt = &m->points[m->n_points - 1];
	pt->pinned = 1;
	snprintf(pt->pin_reason, sizeof(pt->pin_reason), "%s%lld",
	    DR_PIN_MOVED, (long long)now);
	snprintf(mpath, sizeof(mpath), "%s/manifest.json", dir);
	if (drc_manifest_save(mpath, m, err, errlen) == -1)
		goto out;
	/* as after a failover: its disk now, no replica; it leaves it with
	 * a move, which retires the record (dr_move_work) */
	memset(&rec, 0, sizeof(rec));
	snprintf(rec.domain, sizeof(rec.domain), "%s", guest);
	snprintf(rec.point, sizeof(rec.point), "%s", point);
	rec.at = (int64_t)now;
	snprintf(rec.site, sizeof(rec.site), "%s", gw->conf->site);
	snprintf(rec.kind, sizeof(rec.kind), "move");
	snprintf(rec.from, sizeof(rec.from), "%s", from);
	snprintf(rec.checkpoint, sizeof(rec.checkpoint), "%s",
	    checkpoint ? checkpoint : "");
	snprintf(mpath, sizeof(mpath), "%s/%s", dir, DR_FO_RECORD);
	if (dr_forec_write(mpath, &rec, err, errlen) == -1)
		goto out;
	log_info("%s: it runs here over its replica from %s (point %s): that "
	    "chain is its disk now", guest, from, point);
	ret = 0;
 out:
	drc_manifest_unlock();
	drc_manifest_free(m);
	return ret;
}

/* the guest left without a protection that follows it */
struct dr_left {
	struct gw	*gw;
	char		 domain[128];
	char		 retired[700];
	char		 err[512];
};

static void
dr_left_work(void *arg)
{
	struct dr_left	*l = arg;

	if (dr_retire_run(l->gw, l->domain, l->retired, sizeof(l->retired),
	    l->err, sizeof(l->err)) == -1)
		log_warnx("%s: %s", l->domain, l->err);
}

static void
dr_left_done(void *arg)
{
	struct dr_left	*l = arg;

	if (l->retired[0] != '\0')
		log_info("%s: it left: the chain it ran on here is a replica "
		    "again (%s)", l->domain, l->retired);
	free(l);
}

static void
dr_rep_left(struct gw *gw, const char *guest)
{
	struct dr_left	*l;

	if (dr_job_for(gw, guest) != NULL)	/* its protection does it */
		return;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return;
	l->gw = gw;
	snprintf(l->domain, sizeof(l->domain), "%s", guest);
	if (worker_run(gw, dr_left_work, dr_left_done, l) == -1) {
		dr_left_work(l);
		dr_left_done(l);
	}
}

static const struct job_replica_ops dr_replica_ops = {
	.backing = dr_rep_backing,
	.settled = dr_rep_settled,
	.left = dr_rep_left,
};

void
dr_move_init(void)
{
	job_replica_register(&dr_replica_ops);
}
