/*
 * dr_backup.c - the backup site of replication: a chain of qcow2 overlays
 * per protected guest, in <mapped storage dir>/vmgw-replica/<guest>/, with
 * its manifest (dr/core manifest.c).
 *
 *   dr-begin   (worker) the chain directory (from this site's own storage
 *              mapping for the peer: a peer cannot name a directory),
 *              the manifest (a new chain: empty bases), and the point's
 *              overlays on the newest point, recorded in partial.json; a
 *              resumed point keeps its overlays and goes on at next_seq
 *   "dr"       (worker) frames from the channel: each DATA's BLAKE2b is
 *              checked before it is written (qemu-nbd on the overlay, one
 *              per disk); flushed and acknowledged every DR_ACK_EVERY and
 *              at each disk's end; END_POINT: flush, the manifest commit,
 *              the last ACK, then the oldest points merged beyond keep
 *   dr-points  the complete points
 *   dr-drop    the chain removed (unprotect), unless it is in use
 *
 * A bad frame ends the channel (reset) and nothing of it is written; a
 * half-received point stays in partial.json, never in the manifest.
 */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "dr.h"

#define DR_RECV_BUF	(2 * DRC_CHUNK_FRAME_MAX)

struct dr_recv {
	TAILQ_ENTRY(dr_recv)	 entry;
	struct gw		*gw;
	struct peer		*peer;
	char			 guest[128];
	char			 uuid[DRC_UUID_LEN + 1];
	char			 point[DRC_ID_MAX + 1];
	uint64_t		 seq;
	int64_t			 start;
	int			 app;
	char			 reason[DRC_TEXT_MAX + 1];
	char			*xml;
	struct dr_disk		 disks[DRC_DISKS_MAX];
	size_t			 n_disks;
	unsigned		 keep;
	int			 incremental, resume, resync;
	int			 on_base;	/* incremental on a base with no point */
	char			 dir[512];
	struct drc_hashes	 hashes[DRC_DISKS_MAX];	/* resync: newest point */
	int			 hashed;
	int			 failed_over;	/* the guest runs here now */
	/* the calls' results */
	int			 prepared;
	uint64_t		 next_seq;
	unsigned		 next_disk;
	unsigned		 points;
	uint64_t		 newest_seq;
	uint64_t		 bytes;
	int			 committed;
	int			 busy;
	int			 fd;
	struct relay		*relay;
	json_int_t		 req_id;
	/* a dr-begin for the guest that came while this one was still on a
	 * worker (its tunnel died, the home site began again on the next):
	 * answered once this one is over */
	json_t			*next_req;
	json_int_t		 next_id;
	char			 err[512];
};

static TAILQ_HEAD(, dr_recv) dr_recvs = TAILQ_HEAD_INITIALIZER(dr_recvs);

static void
dr_recv_free(struct dr_recv *r)
{
	size_t	 i;

	for (i = 0; i < DRC_DISKS_MAX; i++)
		drc_hashes_free(&r->hashes[i]);
	free(r->xml);
	if (r->relay != NULL)	/* still draining: it must not call back */
		relay_set_done(r->relay, NULL, NULL);
	if (r->next_req != NULL) {
		pmsg_reply_error(r->peer, r->next_id, "%s: the point before "
		    "was not over", r->guest);
		json_decref(r->next_req);
	}
	free(r);
}

static struct dr_recv *
dr_recv_find(struct peer *p, const char *guest)
{
	struct dr_recv	*r;

	TAILQ_FOREACH(r, &dr_recvs, entry)
		if (r->peer == p && strcmp(r->guest, guest) == 0)
			return r;
	return NULL;
}

static void
dr_path(char *out, size_t len, const char *dir, const char *file)
{
	snprintf(out, len, "%s/%s", dir, file);
}

/* The socket of a local qemu-nbd for one disk: run_dir/dr/PEER-GUEST-DISK */
static int
dr_sock(struct dr_recv *r, const char *target, const char *tag, char *out,
    size_t len)
{
	snprintf(out, len, "%s/dr", r->gw->conf->run_dir);
	if (mkdir_p(out, 0700) == -1) {
		snprintf(r->err, sizeof(r->err), "%s: %s", out,
		    strerror(errno));
		return -1;
	}
	snprintf(out, len, "%s/dr/%.20s-%.40s-%s%s.sock", r->gw->conf->run_dir,
	    r->peer->conf->name, r->guest, target, tag);
	return 0;
}

/*
 * The chain directory for guest, from the home site's image path and this
 * site's own storage mapping for that peer (from: a directory here, to:
 * the peer's): <ours>/vmgw-replica/<guest>.
 */
int
dr_chain_dir(const struct gw *gw, const struct vmgw_peer *pc,
    const char *guest, const char *image, char *out, size_t outlen,
    char *err, size_t errlen)
{
	char	 tmp[512], d[512];
	size_t	 i, n;

	snprintf(tmp, sizeof(tmp), "%s", image);
	snprintf(d, sizeof(d), "%s", dirname(tmp));
	for (i = 0; i < pc->n_storage; i++) {
		n = strlen(pc->storage[i].to);
		if (strncmp(d, pc->storage[i].to, n) == 0 &&
		    (d[n] == '\0' || d[n] == '/')) {
			snprintf(out, outlen, "%s%s/%s/%s", pc->storage[i].from,
			    d + n, DR_DIR, guest);
			return 0;
		}
	}
	snprintf(err, errlen, "%s: no storage mapping here for %s's %s "
	    "(peers.%s.storage at %s)", guest, pc->name, d, pc->name,
	    gw->conf->site);
	return -1;
}

/*
 * (worker) the chain of guest under any of this site's storage
 * directories: 1 with *m loaded and dir set, 0 when there is none, -1 when
 * its manifest cannot be read (err).
 */
int
dr_local_chain(const struct vmgw_config *conf, const char *guest, char *dir,
    size_t dirlen, struct drc_manifest **m, char *err, size_t errlen)
{
	char	 path[700];
	size_t	 i, k;

	*m = NULL;
	for (i = 0; i < conf->n_peers; i++)
		for (k = 0; k < conf->peers[i].n_storage; k++) {
			snprintf(dir, dirlen, "%s/%s/%s",
			    conf->peers[i].storage[k].from, DR_DIR, guest);
			snprintf(path, sizeof(path), "%s/manifest.json", dir);
			if (access(path, F_OK) == 0)
				return drc_manifest_load(path, m, err,
				    errlen) == 0 ? 1 : -1;
		}
	return 0;
}

/* ------------------------------------------------------------ dr-begin */

static int
dr_new_chain(struct dr_recv *r, const char *mpath, struct drc_manifest **out)
{
	struct drc_manifest	*m;
	size_t			 i;

	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->base = calloc(r->n_disks, sizeof(*m->base))) == NULL) {
		free(m);
		snprintf(r->err, sizeof(r->err), "out of memory");
		return -1;
	}
	snprintf(m->guest, sizeof(m->guest), "%s", r->guest);
	snprintf(m->uuid, sizeof(m->uuid), "%s", r->uuid);
	snprintf(m->source_site, sizeof(m->source_site), "%s",
	    r->peer->conf->name);
	m->n_base = r->n_disks;
	for (i = 0; i < r->n_disks; i++) {
		snprintf(m->base[i].target, sizeof(m->base[i].target), "%s",
		    r->disks[i].target);
		m->base[i].size = r->disks[i].size;
		/* no manifest, no chain: a base left by an attempt that did
		 * not get as far as its manifest is garbage */
		if (drc_overlay_name(m->base[i].file, sizeof(m->base[i].file),
		    r->disks[i].target, "base") == -1 ||
		    drc_chain_remove(r->dir, m->base[i].file, r->err,
		    sizeof(r->err)) == -1 ||
		    drc_chain_create_base(r->dir, m->base[i].file,
		    r->disks[i].size, r->err, sizeof(r->err)) == -1)
			goto fail;
	}
	if (drc_manifest_save(mpath, m, r->err, sizeof(r->err)) == -1)
		goto fail;
	*out = m;
	return 0;
 fail:
	drc_manifest_free(m);
	return -1;
}

/* The file of target in the newest point (or the base). */
static const char *
dr_top_file(const struct drc_manifest *m, const char *target)
{
	size_t	 i, k;

	for (k = m->n_points; k > 0; k--)
		for (i = 0; i < m->points[k - 1].n_disks; i++)
			if (strcmp(m->points[k - 1].disks[i].target, target) ==
			    0)
				return m->points[k - 1].disks[i].file;
	for (i = 0; i < m->n_base; i++)
		if (strcmp(m->base[i].target, target) == 0)
			return m->base[i].file;
	return NULL;
}

static int
dr_check_chain(struct dr_recv *r, const struct drc_manifest *m)
{
	size_t	 i;

	if (m->n_base != r->n_disks)
		goto changed;
	for (i = 0; i < r->n_disks; i++)
		if (strcmp(m->base[i].target, r->disks[i].target) != 0 ||
		    m->base[i].size != r->disks[i].size)
			goto changed;
	return 0;
 changed:
	snprintf(r->err, sizeof(r->err), "%s: the guest's disks are not the "
	    "chain's any more: a full point is needed", r->guest);
	return -1;
}

/* A partial point that will not go on: its overlays and its record go. */
static void
dr_discard_partial(struct dr_recv *r, struct drc_partial *pt,
    const char *ppath)
{
	char	 e[256];
	size_t	 i;

	for (i = 0; i < pt->n_disks; i++)
		if (drc_chain_remove(r->dir, pt->disks[i].file, e,
		    sizeof(e)) == -1)
			log_warnx("%s: %s", r->guest, e);
	if (drc_partial_remove(ppath, e, sizeof(e)) == -1)
		log_warnx("%s: %s", r->guest, e);
	log_info("%s: half-received point %s discarded", r->guest, pt->id);
}

/*
 * (resync) block hashes of each disk of the chain's newest point, read
 * through a read-only qemu-nbd: the home site ships only what differs.
 */
static int
dr_hash_chain(struct dr_recv *r, const struct drc_manifest *m)
{
	struct drc_nbd	*nbd = NULL;
	char		 sock[600], img[1024], e[256];
	const char	*top;
	size_t		 i;

	for (i = 0; i < r->n_disks; i++) {
		if (dr_sock(r, r->disks[i].target, "-h", sock,
		    sizeof(sock)) == -1)
			return -1;
		if ((top = dr_top_file(m, r->disks[i].target)) == NULL) {
			snprintf(r->err, sizeof(r->err), "%s: disk %s not in "
			    "the chain", r->guest, r->disks[i].target);
			return -1;
		}
		dr_path(img, sizeof(img), r->dir, top);
		if (drc_nbd_serve(&nbd, img, sock, 0, NULL, r->err,
		    sizeof(r->err)) == -1)
			return -1;
		if (drc_hash_disk(nbd, &r->hashes[i], r->err,
		    sizeof(r->err)) == -1) {
			drc_nbd_close(nbd, e, sizeof(e));
			return -1;
		}
		if (drc_nbd_close(nbd, r->err, sizeof(r->err)) == -1)
			return -1;
	}
	r->hashed = 1;
	return 0;
}

static void
dr_prepare_work(void *arg)
{
	struct dr_recv		*r = arg;
	struct drc_manifest	*m = NULL;
	struct drc_partial	*pt = NULL, np;
	struct drc_disk		 pd[DRC_DISKS_MAX];
	char			 mpath[600], ppath[600], e[256];
	const char		*back;
	size_t			 i;
	int			 got, chk;

	dr_path(mpath, sizeof(mpath), r->dir, "manifest.json");
	dr_path(ppath, sizeof(ppath), r->dir, "partial.json");
	if (mkdir_passable(r->dir, 2) == -1) {	/* DIR/vmgw-replica/GUEST */
		snprintf(r->err, sizeof(r->err), "%s: %s", r->dir,
		    strerror(errno));
		return;
	}
	dr_path(ppath, sizeof(ppath), r->dir, "failover.json");
	if (access(ppath, F_OK) == 0) {
		/* the guest failed over to here: its home site must keep its
		 * old copy off (split brain), and no point stacks on this */
		snprintf(r->err, sizeof(r->err), "%s failed over to %s (%s): "
		    "it runs here now, its old copy at %s must stay off",
		    r->guest, r->gw->conf->site, ppath, r->peer->conf->name);
		r->failed_over = 1;
		return;
	}
	dr_path(ppath, sizeof(ppath), r->dir, "partial.json");
	if (drc_manifest_load(mpath, &m, r->err, sizeof(r->err)) == -1) {
		if (errno != ENOENT)
			return;
		r->err[0] = '\0';
		if (r->incremental) {
			snprintf(r->err, sizeof(r->err), "no chain of %s here "
			    "(%s): a full point is needed", r->guest, r->dir);
			return;
		}
		if (dr_new_chain(r, mpath, &m) == -1)
			return;
	} else if (dr_check_chain(r, m) == -1)
		goto out;
	r->points = (unsigned)m->n_points;
	r->newest_seq = m->n_points > 0 ? m->points[m->n_points - 1].seq : 0;
	/* on_base: the base is the old home's copy, which a replicated move
	 * left equal to the new home's checkpoint */
	if (r->incremental && m->n_points == 0 && !r->on_base) {
		snprintf(r->err, sizeof(r->err), "the chain of %s has no point "
		    "yet: a full point is needed", r->guest);
		goto out;
	}
	if (r->seq <= r->newest_seq) {
		snprintf(r->err, sizeof(r->err), "point %s is not newer than "
		    "the chain's newest (seq %llu): a full point is needed",
		    r->point, (unsigned long long)r->newest_seq);
		goto out;
	}
	if ((got = drc_partial_load(ppath, &pt, e, sizeof(e))) == 1) {
		chk = drc_partial_check(m, pt, e, sizeof(e));
		if (chk == 0 && r->resume && strcmp(pt->id, r->point) == 0) {
			r->next_seq = pt->next_seq;
			r->next_disk = pt->disk;
			r->prepared = 1;
			goto out;
		}
		if (chk == 0)
			dr_discard_partial(r, pt, ppath);
		else {
			/* stale (the manifest has it) or contradicting it:
			 * the record goes, every file stays */
			log_warnx("%s: partial record of %s dropped: %s",
			    r->guest, pt->id, chk == 1 ? "the point is complete"
			    : e);
			if (drc_partial_remove(ppath, e, sizeof(e)) == -1)
				log_warnx("%s: %s", r->guest, e);
		}
	} else if (got == -1) {
		log_warnx("%s: %s: ignored", r->guest, e);
		if (drc_partial_remove(ppath, e, sizeof(e)) == -1)
			log_warnx("%s: %s", r->guest, e);
	}
	/* (a chain with no point yet hashes its base: reverse protection
	 * made it of the old home's copy) */
	if (r->resync && dr_hash_chain(r, m) == -1)
		goto out;
	memset(&np, 0, sizeof(np));
	memset(pd, 0, sizeof(pd));
	snprintf(np.id, sizeof(np.id), "%s", r->point);
	np.seq = r->seq;
	np.start = r->start;
	np.disks = pd;
	np.n_disks = r->n_disks;
	for (i = 0; i < r->n_disks; i++) {
		snprintf(pd[i].target, sizeof(pd[i].target), "%s",
		    r->disks[i].target);
		pd[i].size = r->disks[i].size;
		if ((back = dr_top_file(m, r->disks[i].target)) == NULL ||
		    drc_overlay_name(pd[i].file, sizeof(pd[i].file),
		    r->disks[i].target, r->point) == -1) {
			snprintf(r->err, sizeof(r->err), "%s: disk %s not in "
			    "the chain", r->guest, r->disks[i].target);
			goto out;
		}
		if (drc_chain_remove(r->dir, pd[i].file, r->err,
		    sizeof(r->err)) == -1 ||
		    drc_chain_create_overlay(r->dir, pd[i].file, back, r->err,
		    sizeof(r->err)) == -1)
			goto out;
	}
	if (drc_partial_save(ppath, &np, r->err, sizeof(r->err)) == -1)
		goto out;
	r->next_seq = 0;
	r->next_disk = 0;
	r->prepared = 1;
 out:
	drc_partial_free(pt);
	drc_manifest_free(m);
}

/* A dr-begin waited for this receive to end: now. */
static void
dr_recv_next(struct dr_recv *r)
{
	json_t		*q = r->next_req;
	json_int_t	 id = r->next_id;

	if (q == NULL)
		return;
	r->next_req = NULL;
	dr_pm_begin(r->peer, id, q);	/* frees r */
	json_decref(q);
}

static void
dr_prepare_done(void *arg)
{
	struct dr_recv	*r = arg;

	r->busy = 0;
	if (r->err[0] != '\0') {
		log_warnx("%s: point %s from %s refused: %s", r->guest,
		    r->point, r->peer->conf->name, r->err);
		pmsg_reply(r->peer, r->req_id, json_pack("{s:s, s:I, s:b}",
		    "error", r->err, "newest_seq", (json_int_t)r->newest_seq,
		    "failed_over", r->failed_over));
		dr_recv_next(r);
		return;
	}
	log_info("%s: point %s from %s %s (%s)", r->guest, r->point,
	    r->peer->conf->name, r->next_seq ? "resumes" : "comes", r->dir);
	pmsg_reply(r->peer, r->req_id, json_pack("{s:s, s:I, s:i, s:b}", "dir",
	    r->dir, "next_seq", (json_int_t)r->next_seq, "points",
	    (int)r->points, "hashed", r->hashed));
	dr_recv_next(r);
}

static int
dr_begin_parse(struct dr_recv *r, json_t *req)
{
	const char	*s;
	json_t		*d;
	size_t		 i;

#define STR(dst, key) do {						\
	if ((s = json_string_value(json_object_get(req, key))) == NULL ||	\
	    strlen(s) >= sizeof(dst))					\
		return -1;						\
	snprintf(dst, sizeof(dst), "%s", s);				\
} while (0)
	STR(r->guest, "guest");
	STR(r->uuid, "uuid");
	STR(r->point, "point");
	STR(r->reason, "reason");
#undef STR
	if (r->guest[0] == '\0' || strchr(r->guest, '/') != NULL ||
	    r->guest[0] == '.' || r->point[0] == '\0' ||
	    !drc_file_name_ok(r->point))
		return -1;
	r->seq = (uint64_t)json_integer_value(json_object_get(req, "seq"));
	r->start = json_integer_value(json_object_get(req, "start"));
	s = json_string_value(json_object_get(req, "consistency"));
	r->app = s != NULL && strcmp(s, "app") == 0;
	r->incremental = json_is_true(json_object_get(req, "incremental"));
	r->resume = json_is_true(json_object_get(req, "resume"));
	r->resync = json_is_true(json_object_get(req, "resync"));
	r->on_base = json_is_true(json_object_get(req, "on_base"));
	r->keep = (unsigned)json_integer_value(json_object_get(req, "keep"));
	if (r->seq == 0 || r->keep == 0 || r->start <= 0)
		return -1;
	s = json_string_value(json_object_get(req, "xml"));
	if (s == NULL || (r->xml = strdup(s)) == NULL)
		return -1;
	d = json_object_get(req, "disks");
	if (!json_is_array(d) || json_array_size(d) == 0 ||
	    json_array_size(d) > DRC_DISKS_MAX)
		return -1;
	for (i = 0; i < json_array_size(d); i++) {
		json_t *x = json_array_get(d, i);
		const char *t = json_string_value(json_object_get(x, "target"));
		const char *src = json_string_value(json_object_get(x,
		    "source"));

		if (t == NULL || src == NULL || strlen(t) > DRC_TARGET_MAX ||
		    !drc_file_name_ok(t) || src[0] != '/' ||
		    strlen(src) >= sizeof(r->disks[i].path))
			return -1;
		snprintf(r->disks[i].target, sizeof(r->disks[i].target), "%s",
		    t);
		snprintf(r->disks[i].path, sizeof(r->disks[i].path), "%s", src);
		r->disks[i].size = (uint64_t)json_integer_value(
		    json_object_get(x, "size"));
		if (r->disks[i].size == 0 || r->disks[i].size >
		    DRC_DISK_SIZE_MAX)
			return -1;
	}
	r->n_disks = json_array_size(d);
	return 0;
}

void
dr_pm_begin(struct peer *p, json_int_t id, json_t *req)
{
	const char	*guest = json_string_value(json_object_get(req, "guest"));
	struct dr_recv	*r;
	char		 err[512];

	if (guest == NULL) {
		pmsg_reply_error(p, id, "malformed dr-begin");
		return;
	}
	if ((r = dr_recv_find(p, guest)) != NULL) {
		if (r->busy && r->next_req == NULL) {
			log_info("%s: point %s from %s: a new dr-begin waits "
			    "for the one being received to end", guest,
			    r->point, p->conf->name);
			r->next_req = json_incref(req);
			r->next_id = id;
			return;
		}
		if (r->busy) {
			pmsg_reply_error(p, id, "%s: a point is being received "
			    "already", guest);
			return;
		}
		TAILQ_REMOVE(&dr_recvs, r, entry);
		dr_recv_free(r);
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		pmsg_reply_error(p, id, "out of memory");
		return;
	}
	r->gw = p->gw;
	r->peer = p;
	r->fd = -1;
	r->req_id = id;
	if (dr_begin_parse(r, req) == -1) {
		dr_recv_free(r);
		pmsg_reply_error(p, id, "malformed dr-begin");
		return;
	}
	if (dr_chain_dir(p->gw, p->conf, r->guest, r->disks[0].path, r->dir,
	    sizeof(r->dir), err, sizeof(err)) == -1) {
		dr_recv_free(r);
		pmsg_reply_error(p, id, "%s", err);
		return;
	}
	TAILQ_INSERT_TAIL(&dr_recvs, r, entry);
	r->busy = 1;
	if (worker_run(p->gw, dr_prepare_work, dr_prepare_done, r) == -1) {
		/* nothing was prepared: nothing of it stays listed */
		TAILQ_REMOVE(&dr_recvs, r, entry);
		dr_recv_free(r);
		pmsg_reply_error(p, id, "cannot start a thread");
	}
}

/* ------------------------------------------------------------ receive */

struct dr_in {
	struct dr_recv		*r;
	struct drc_nbd		*nbd[DRC_DISKS_MAX];
	struct drc_partial	 pt;
	struct drc_disk		 pd[DRC_DISKS_MAX];
	char			 ppath[600], mpath[600];
	uint64_t		 since_ack;
};

/* Everything up to seq flushed and recorded (the partial record; not
 * after the commit, which removed it), then its ACK. */
static int
dr_ack(struct dr_in *in, uint64_t seq, unsigned disk)
{
	struct dr_recv	*r = in->r;
	struct drc_chunk ck;
	uint8_t		 hdr[DRC_CHUNK_HDR];
	size_t		 i;
	ssize_t		 w;

	for (i = 0; i < r->n_disks; i++)
		if (in->nbd[i] != NULL && drc_nbd_flush(in->nbd[i], r->err,
		    sizeof(r->err)) == -1)
			return -1;
	in->pt.next_seq = seq + 1;
	in->pt.disk = disk;
	if (!r->committed && drc_partial_save(in->ppath, &in->pt, r->err,
	    sizeof(r->err)) == -1)
		return -1;
	memset(&ck, 0, sizeof(ck));
	ck.type = DRC_CHUNK_ACK;
	ck.seq = seq;
	if (drc_chunk_encode(hdr, &ck, r->err, sizeof(r->err)) == -1)
		return -1;
	do
		w = write(r->fd, hdr, sizeof(hdr));
	while (w == -1 && errno == EINTR);
	in->since_ack = 0;
	return 0;	/* a lost ACK: the home site resumes a little earlier */
}

/* END_POINT: everything flushed; the point into the manifest. */
static int
dr_commit(struct dr_in *in)
{
	struct dr_recv		*r = in->r;
	struct drc_manifest	*m = NULL;
	struct drc_point	 p;
	size_t			 i;
	int			 ret = -1;

	for (i = 0; i < r->n_disks; i++) {
		if (drc_nbd_flush(in->nbd[i], r->err, sizeof(r->err)) == -1 ||
		    drc_nbd_close(in->nbd[i], r->err, sizeof(r->err)) == -1) {
			in->nbd[i] = NULL;
			return -1;
		}
		in->nbd[i] = NULL;
	}
	memset(&p, 0, sizeof(p));
	drc_manifest_lock();
	if (drc_manifest_load(in->mpath, &m, r->err, sizeof(r->err)) == -1)
		goto out;
	snprintf(p.id, sizeof(p.id), "%s", r->point);
	p.seq = r->seq;
	p.start = r->start;
	p.end = (int64_t)time(NULL);
	p.consistency = r->app ? DRC_APP : DRC_CRASH;
	snprintf(p.reason, sizeof(p.reason), "%s", r->reason);
	p.bytes = r->bytes;
	if ((p.disks = calloc(r->n_disks, sizeof(*p.disks))) == NULL ||
	    (p.domain_xml = strdup(r->xml)) == NULL) {
		snprintf(r->err, sizeof(r->err), "out of memory");
		goto out;
	}
	memcpy(p.disks, in->pd, r->n_disks * sizeof(*p.disks));
	p.n_disks = r->n_disks;
	if (drc_manifest_commit(in->mpath, m, &p, in->ppath, r->err,
	    sizeof(r->err)) == -1)
		goto out;
	r->points = (unsigned)m->n_points;
	ret = 0;
 out:
	drc_manifest_unlock();
	drc_point_clear(&p);
	drc_manifest_free(m);
	return ret;
}

/* Oldest points beyond keep, merged into the base (pinned ones stay). */
static void
dr_retain(struct dr_in *in)
{
	struct dr_recv		*r = in->r;
	struct drc_manifest	*m = NULL;
	int			 pinned[DRC_POINTS_MAX];
	size_t			 i, n;
	char			 e[512], tpath[700];

	drc_manifest_lock();
	if (drc_manifest_load(in->mpath, &m, e, sizeof(e)) == -1) {
		drc_manifest_unlock();
		return;
	}
	for (i = 0; i < m->n_points; i++)
		pinned[i] = m->points[i].pinned;
	/* a failover test runs on this chain: its QEMU has every image under
	 * the tested point open, so none of them merges until it ends */
	dr_path(tpath, sizeof(tpath), r->dir, DR_TEST_RECORD);
	if (access(tpath, F_OK) == 0)
		for (i = m->n_points; i > 0; i--)
			if (pinned[i - 1]) {
				while (i > 0)
					pinned[--i] = 1;
				break;
			}
	n = drc_retain_plan(pinned, m->n_points, r->keep, NULL);
	for (i = 0; i < n; i++) {
		if (drc_chain_merge_oldest(r->dir, in->mpath, m, e,
		    sizeof(e)) == -1) {
			log_warnx("%s: merging the oldest point: %s", r->guest,
			    e);
			break;
		}
	}
	if (n > 0)
		log_info("%s: %zu old point%s merged into the base, %zu kept",
		    r->guest, i, i == 1 ? "" : "s", m->n_points);
	r->points = (unsigned)m->n_points;
	drc_manifest_unlock();
	drc_manifest_free(m);
}

static int
dr_frame_in(struct dr_in *in, struct drc_chunk_dec *dec,
    const struct drc_chunk *ck)
{
	struct dr_recv	*r = in->r;
	struct drc_nbd	*nbd = ck->disk < r->n_disks ? in->nbd[ck->disk] : NULL;

	switch (ck->type) {
	case DRC_CHUNK_DATA:
		if (drc_nbd_pwrite(nbd, ck->payload, ck->length, ck->offset,
		    r->err, sizeof(r->err)) == -1)
			return -1;
		r->bytes += ck->length;
		in->since_ack += ck->length;
		break;
	case DRC_CHUNK_ZERO:
		if (drc_nbd_zero(nbd, ck->length, ck->offset, r->err,
		    sizeof(r->err)) == -1)
			return -1;
		in->since_ack += 4096;
		break;
	case DRC_CHUNK_END_DISK:
		return dr_ack(in, ck->seq, dec->disk);
	case DRC_CHUNK_END_POINT:
		if (dr_commit(in) == -1)
			return -1;
		r->committed = 1;
		return dr_ack(in, ck->seq, dec->disk);
	}
	if (in->since_ack >= DR_ACK_EVERY)
		return dr_ack(in, ck->seq, dec->disk);
	return 0;
}

static int
dr_serve(struct dr_in *in)
{
	struct dr_recv	*r = in->r;
	char		 sock[600], e[1024];
	size_t		 i;
	int		 got;
	struct drc_partial *pt = NULL;

	dr_path(in->ppath, sizeof(in->ppath), r->dir, "partial.json");
	dr_path(in->mpath, sizeof(in->mpath), r->dir, "manifest.json");
	if ((got = drc_partial_load(in->ppath, &pt, r->err,
	    sizeof(r->err))) != 1) {
		if (got == 0)
			snprintf(r->err, sizeof(r->err), "%s: no point in "
			    "progress", r->dir);
		return -1;
	}
	in->pt = *pt;
	memcpy(in->pd, pt->disks, pt->n_disks * sizeof(*pt->disks));
	in->pt.disks = in->pd;
	free(pt->disks);
	free(pt);
	for (i = 0; i < r->n_disks; i++) {
		if (dr_sock(r, in->pd[i].target, "", sock, sizeof(sock)) == -1)
			return -1;
		dr_path(e, sizeof(e), r->dir, in->pd[i].file);
		if (drc_nbd_serve(&in->nbd[i], e, sock, 1, NULL, r->err,
		    sizeof(r->err)) == -1)
			return -1;
	}
	return 0;
}

static void
dr_recv_work(void *arg)
{
	struct dr_recv		*r = arg;
	struct dr_in		 in;
	struct drc_chunk_dec	 dec;
	struct drc_chunk	 ck;
	uint64_t		 sizes[DRC_DISKS_MAX];
	uint8_t			*buf = NULL;
	size_t			 len = 0, used, i;
	ssize_t			 n;
	char			 e[256];
	int			 d;

	memset(&in, 0, sizeof(in));
	in.r = r;
	r->err[0] = '\0';
	if (dr_serve(&in) == -1)
		goto out;
	for (i = 0; i < r->n_disks; i++)
		sizes[i] = r->disks[i].size;
	drc_chunk_dec_init(&dec, 0, r->next_seq, r->next_disk, sizes,
	    r->n_disks);
	if ((buf = malloc(DR_RECV_BUF)) == NULL) {
		snprintf(r->err, sizeof(r->err), "out of memory");
		goto out;
	}
	while (!r->committed) {
		n = read(r->fd, buf + len, DR_RECV_BUF - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(r->err, sizeof(r->err), "point %s stopped at "
			    "frame %llu: the home site's channel closed",
			    r->point, (unsigned long long)dec.next_seq);
			goto out;
		}
		len += (size_t)n;
		for (;;) {
			d = drc_chunk_decode(&dec, buf, len, &ck, &used, r->err,
			    sizeof(r->err));
			if (d == -1)
				goto out;	/* nothing of it written */
			if (d == 0)
				break;
			if (dr_frame_in(&in, &dec, &ck) == -1)
				goto out;
			memmove(buf, buf + used, len - used);
			len -= used;
			if (r->committed)
				break;
		}
	}
	shutdown(r->fd, SHUT_WR);
	dr_retain(&in);
 out:
	for (i = 0; i < r->n_disks; i++)
		if (in.nbd[i] != NULL && drc_nbd_close(in.nbd[i], e,
		    sizeof(e)) == -1 && r->err[0] == '\0')
			snprintf(r->err, sizeof(r->err), "%s", e);
	free(buf);
	/* on a failure the fd stays open until dr_recv_done has reset the
	 * channel with the reason (else the relay's broken pipe wins) */
	if (r->committed) {
		close(r->fd);
		r->fd = -1;
	}
}

static void
dr_recv_done(void *arg)
{
	struct dr_recv	*r = arg;

	r->busy = 0;
	if (r->committed) {
		log_info("%s: point %s from %s complete (%llu bytes), %u points "
		    "kept in %s", r->guest, r->point, r->peer->conf->name,
		    (unsigned long long)r->bytes, r->points, r->dir);
		r->prepared = 0;
		dr_recv_next(r);
		return;
	}
	log_warnx("%s: point %s from %s: %s", r->guest, r->point,
	    r->peer->conf->name, r->err);
	if (r->relay != NULL)
		relay_abort(r->relay, r->err);
	if (r->fd != -1)
		close(r->fd);
	r->fd = -1;
	dr_recv_next(r);
}

static void
dr_relay_gone(struct relay *rl, const char *reason, void *arg)
{
	struct dr_recv	*r = arg;

	r->relay = NULL;
}

void
dr_accept(struct channel *ch, json_t *req)
{
	struct peer	*p = ch->tunnel->peer;
	const char	*guest = json_string_value(json_object_get(req, "guest"));
	const char	*point = json_string_value(json_object_get(req, "point"));
	struct dr_recv	*r;
	struct relay	*rl;
	int		 sv[2];

	if (guest == NULL || point == NULL || (r = dr_recv_find(p, guest)) ==
	    NULL || !r->prepared || r->busy || strcmp(r->point, point) != 0) {
		chan_accept_fail(ch, "no point of that guest is expected from "
		    "you");
		return;
	}
	snprintf(ch->what, sizeof(ch->what), "dr %s %s", guest, point);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		chan_accept_fail(ch, "out of resources");
		return;
	}
	set_nonblock_cloexec(sv[1]);
	if ((rl = relay_new(p->gw, sv[1], ch)) == NULL) {
		close(sv[0]);
		close(sv[1]);
		chan_accept_fail(ch, "out of memory");
		return;
	}
	r->fd = sv[0];
	r->relay = rl;
	r->bytes = 0;
	relay_set_done(rl, dr_relay_gone, r);
	chan_set_endpoint(ch, &relay_ops, rl);
	r->busy = 1;
	if (worker_run(p->gw, dr_recv_work, dr_recv_done, r) == -1) {
		r->busy = 0;
		close(sv[0]);
		r->fd = -1;
		chan_accept_fail(ch, "cannot start a thread");
		return;
	}
	chan_accept_ok(ch);
}

/* ------------------------------------------------------------ dr-hashes */

void
dr_pm_hashes(struct peer *p, json_int_t id, json_t *req)
{
	const char		*guest = json_string_value(json_object_get(req,
				    "guest"));
	const char		*point = json_string_value(json_object_get(req,
				    "point"));
	json_int_t		 disk = json_integer_value(json_object_get(req,
				    "disk"));
	json_int_t		 from = json_integer_value(json_object_get(req,
				    "from"));
	json_int_t		 count = json_integer_value(json_object_get(req,
				    "count"));
	struct dr_recv		*r;
	const struct drc_hashes	*h;
	char			*b64;
	size_t			 len;

	if (guest == NULL || point == NULL || (r = dr_recv_find(p, guest)) ==
	    NULL || !r->hashed || strcmp(r->point, point) != 0) {
		pmsg_reply_error(p, id, "no hashes of that point here");
		return;
	}
	if (disk < 0 || (size_t)disk >= r->n_disks || from < 0 ||
	    count < 1 || count > DR_HASHES_PER_MSG) {
		pmsg_reply_error(p, id, "malformed dr-hashes");
		return;
	}
	h = &r->hashes[disk];
	if ((size_t)from > h->n)
		from = (json_int_t)h->n;
	if ((size_t)(from + count) > h->n)
		count = (json_int_t)h->n - from;
	len = sodium_base64_encoded_len((size_t)count * DRC_HASH_LEN,
	    sodium_base64_VARIANT_ORIGINAL);
	if ((b64 = malloc(len)) == NULL) {
		pmsg_reply_error(p, id, "out of memory");
		return;
	}
	sodium_bin2base64(b64, len, count > 0 ? h->h[from] : (const uint8_t *)"",
	    (size_t)count * DRC_HASH_LEN, sodium_base64_VARIANT_ORIGINAL);
	pmsg_reply(p, id, json_pack("{s:I, s:I, s:I, s:I, s:s}", "size",
	    (json_int_t)h->size, "n", (json_int_t)h->n, "block",
	    (json_int_t)DRC_HASH_BLOCK, "from", from, "hashes", b64));
	free(b64);
}

/* ------------------------------------------------------------ dr-points */

struct dr_list {
	struct peer	*peer;
	json_int_t	 id;
	char		 dir[512];
	json_t		*reply;
	char		 err[512];
};

/*
 * The point a failover, a test or a clone asks for: want is a point id,
 * "latest" or "latest-app".  Its index, or -1 with err saying what there
 * is not.
 */
ssize_t
dr_point_pick(const struct drc_manifest *m, const char *want,
    const char *domain, const char *site, char *err, size_t errlen)
{
	ssize_t	 i;
	int	 app = strcmp(want, "latest-app") == 0;

	if (app || strcmp(want, "latest") == 0) {
		for (i = (ssize_t)m->n_points - 1; i >= 0; i--)
			if (!app || m->points[i].consistency == DRC_APP)
				return i;
		snprintf(err, errlen, "%s: no %spoint at %s", domain, app ?
		    "app-consistent " : "", site);
		return -1;
	}
	if ((i = drc_manifest_find(m, want)) < 0)
		snprintf(err, errlen, "%s: no point %s at %s (vmgw points %s)",
		    domain, want, site, domain);
	return i;
}

/* The points of a manifest, as `vmgw points` shows them. */
json_t *
dr_points_json(const struct drc_manifest *m, const char *dir)
{
	json_t	*a = json_array(), *d;
	size_t	 i, k;
	char	 path[800];

	for (i = 0; i < m->n_points; i++) {
		const struct drc_point *p = &m->points[i];

		d = json_array();
		for (k = 0; k < p->n_disks; k++) {
			dr_path(path, sizeof(path), dir, p->disks[k].file);
			json_array_append_new(d, json_pack("{s:s, s:s, s:I}",
			    "target", p->disks[k].target, "file", path, "size",
			    (json_int_t)p->disks[k].size));
		}
		json_array_append_new(a, json_pack("{s:s, s:I, s:I, s:I, s:s, "
		    "s:s, s:I, s:b, s:s, s:I, s:s, s:o}", "id", p->id, "seq",
		    (json_int_t)p->seq, "start", (json_int_t)p->start, "end",
		    (json_int_t)p->end, "consistency", p->consistency ==
		    DRC_APP ? "app" : "crash", "reason", p->reason, "bytes",
		    (json_int_t)p->bytes, "pinned", p->pinned, "pin_reason",
		    p->pin_reason, "tested_at", (json_int_t)p->tested_at,
		    "test_result", p->test_result, "disks", d));
	}
	return a;
}

static void
dr_list_work(void *arg)
{
	struct dr_list		*l = arg;
	struct drc_manifest	*m = NULL;
	char			 mpath[600];

	dr_path(mpath, sizeof(mpath), l->dir, "manifest.json");
	if (drc_manifest_load(mpath, &m, l->err, sizeof(l->err)) == -1) {
		if (errno == ENOENT)
			snprintf(l->err, sizeof(l->err), "no replica here (%s)",
			    l->dir);
		return;
	}
	l->reply = json_pack("{s:o, s:s, s:s}", "points", dr_points_json(m,
	    l->dir), "dir", l->dir, "source_site", m->source_site);
	drc_manifest_free(m);
}

static void
dr_list_done(void *arg)
{
	struct dr_list	*l = arg;

	if (l->err[0] != '\0')
		pmsg_reply_error(l->peer, l->id, "%s", l->err);
	else
		pmsg_reply(l->peer, l->id, l->reply);
	free(l);
}

void
dr_pm_points(struct peer *p, json_int_t id, json_t *req)
{
	const char	*guest = json_string_value(json_object_get(req, "guest"));
	const char	*src = json_string_value(json_object_get(req, "source"));
	struct dr_list	*l;
	char		 err[512];

	if (guest == NULL || src == NULL || strchr(guest, '/') != NULL ||
	    guest[0] == '.' || src[0] != '/') {
		pmsg_reply_error(p, id, "malformed dr-points");
		return;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		pmsg_reply_error(p, id, "out of memory");
		return;
	}
	l->peer = p;
	l->id = id;
	if (dr_chain_dir(p->gw, p->conf, guest, src, l->dir, sizeof(l->dir),
	    err, sizeof(err)) == -1) {
		free(l);
		pmsg_reply_error(p, id, "%s", err);
		return;
	}
	if (worker_run(p->gw, dr_list_work, dr_list_done, l) == -1) {
		free(l);
		pmsg_reply_error(p, id, "cannot start a thread");
	}
}

/*
 * dr-drop (home -> backup): `vmgw unprotect DOMAIN` without --keep-replica.
 * The guest's chain directory here goes, with every file in it, unless the
 * chain is in use: the guest failed over to here (failover.json), a point
 * is pinned (a test failover runs on it), or a point is being received.  A
 * chain another site shipped is never touched.
 */
struct dr_drop {
	struct peer	*peer;
	json_int_t	 id;
	char		 guest[128];
	char		 dir[512];
	uint64_t	 bytes;		/* what the removed files held */
	unsigned	 files;
	char		 err[512];
};

static void
dr_drop_work(void *arg)
{
	struct dr_drop		*d = arg;
	struct drc_manifest	*m = NULL;
	char			 path[700];
	struct stat		 st;
	size_t			 i;
	DIR			*dp;
	struct dirent		*de;

	dr_path(path, sizeof(path), d->dir, "manifest.json");
	if (drc_manifest_load(path, &m, d->err, sizeof(d->err)) == -1) {
		if (errno == ENOENT)
			snprintf(d->err, sizeof(d->err), "no replica of %s "
			    "here (%s)", d->guest, d->dir);
		return;
	}
	if (strcmp(m->source_site, d->peer->conf->name) != 0) {
		snprintf(d->err, sizeof(d->err), "the replica of %s in %s "
		    "comes from %s, not %s: it stays", d->guest, d->dir,
		    m->source_site, d->peer->conf->name);
		goto out;
	}
	for (i = 0; i < m->n_points; i++)
		if (m->points[i].pinned) {
			snprintf(d->err, sizeof(d->err), "point %s of %s is "
			    "pinned (%s): the replica stays", m->points[i].id,
			    d->guest, m->points[i].pin_reason);
			goto out;
		}
	dr_path(path, sizeof(path), d->dir, "failover.json");
	if (access(path, F_OK) == 0) {
		snprintf(d->err, sizeof(d->err), "%s failed over to here (%s): "
		    "its replica is its disk now and stays", d->guest, path);
		goto out;
	}
	/* only regular files directly in the chain directory */
	if ((dp = opendir(d->dir)) == NULL) {
		snprintf(d->err, sizeof(d->err), "%s: %s", d->dir,
		    strerror(errno));
		goto out;
	}
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.' && (de->d_name[1] == '\0' ||
		    (de->d_name[1] == '.' && de->d_name[2] == '\0')))
			continue;
		dr_path(path, sizeof(path), d->dir, de->d_name);
		if (lstat(path, &st) == -1 || !S_ISREG(st.st_mode)) {
			snprintf(d->err, sizeof(d->err), "%s is not a file "
			    "vmgw made: the replica stays", path);
			break;
		}
		d->bytes += (uint64_t)st.st_blocks * 512;
		d->files++;
	}
	closedir(dp);
	if (d->err[0] != '\0')
		goto out;
	/* the manifest first (from then on no point is listed: a crash
	 * half-way leaves files that are never shown as a replica), the
	 * other files, then the directory unless it is a mount point (EBUSY) */
	dr_path(path, sizeof(path), d->dir, "manifest.json");
	if (unlink(path) == -1 && errno != ENOENT) {
		snprintf(d->err, sizeof(d->err), "removing %s: %s", path,
		    strerror(errno));
		goto out;
	}
	if ((dp = opendir(d->dir)) == NULL) {
		snprintf(d->err, sizeof(d->err), "%s: %s", d->dir,
		    strerror(errno));
		goto out;
	}
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") ==
		    0)
			continue;
		dr_path(path, sizeof(path), d->dir, de->d_name);
		if (unlink(path) == -1 && errno != ENOENT) {
			snprintf(d->err, sizeof(d->err), "removing %s: %s",
			    path, strerror(errno));
			break;
		}
	}
	closedir(dp);
	if (d->err[0] == '\0' && rmdir(d->dir) == -1 && errno != EBUSY)
		snprintf(d->err, sizeof(d->err), "removing %s: %s", d->dir,
		    strerror(errno));
	if (d->err[0] == '\0')
		log_info("%s: replica from %s removed (%s: %u files, %llu "
		    "bytes)", d->guest, d->peer->conf->name, d->dir, d->files,
		    (unsigned long long)d->bytes);
out:
	drc_manifest_free(m);
}

static void
dr_drop_done(void *arg)
{
	struct dr_drop	*d = arg;

	if (d->err[0] != '\0')
		pmsg_reply_error(d->peer, d->id, "%s", d->err);
	else
		pmsg_reply(d->peer, d->id, json_pack("{s:s, s:I, s:i}", "dir",
		    d->dir, "bytes", (json_int_t)d->bytes, "files",
		    (int)d->files));
	free(d);
}

void
dr_pm_drop(struct peer *p, json_int_t id, json_t *req)
{
	const char	*guest = json_string_value(json_object_get(req, "guest"));
	const char	*src = json_string_value(json_object_get(req, "source"));
	struct dr_recv	*r;
	struct dr_drop	*d;
	char		 err[512];

	if (guest == NULL || src == NULL || strchr(guest, '/') != NULL ||
	    guest[0] == '.' || guest[0] == '\0' || strlen(guest) >=
	    sizeof(d->guest) || src[0] != '/') {
		pmsg_reply_error(p, id, "malformed dr-drop");
		return;
	}
	if ((r = dr_recv_find(p, guest)) != NULL) {
		if (r->busy || r->relay != NULL) {
			pmsg_reply_error(p, id, "a point of %s is being "
			    "received: the replica stays", guest);
			return;
		}
		/* a point the home site gave up (it asks for the drop) */
		TAILQ_REMOVE(&dr_recvs, r, entry);
		dr_recv_free(r);
	}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		pmsg_reply_error(p, id, "out of memory");
		return;
	}
	d->peer = p;
	d->id = id;
	snprintf(d->guest, sizeof(d->guest), "%s", guest);
	if (dr_chain_dir(p->gw, p->conf, guest, src, d->dir, sizeof(d->dir),
	    err, sizeof(err)) == -1) {
		free(d);
		pmsg_reply_error(p, id, "%s", err);
		return;
	}
	if (worker_run(p->gw, dr_drop_work, dr_drop_done, d) == -1) {
		free(d);
		pmsg_reply_error(p, id, "cannot start a thread");
	}
}
