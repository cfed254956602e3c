/*
 * mig_dst.c - a migration job at the destination gateway.
 *
 * job-prepare: checks this side (no domain of that name or UUID, mapped
 *   networks exist, a pool covers each target directory with room for the
 *   disks) and, unless it is a dry run, creates the target volumes, each
 *   recorded in the job's record before the next is made.
 * channels of kind "job": only for a prepared job of the peer asking, and
 *   only to this site's libvirt socket, the job's QEMU sockets under
 *   <run_dir>/jobs/<id>/ or (offline) a volume upload.
 * job-finish: the guest runs here (or, offline, is defined here), it
 *   answers its probe, the hooks ran: done.
 * job-abort, or the source lost: remove what the job made — never a
 *   domain that runs, never a volume it did not create.
 *
 * Every request is worked on through a struct dst_op of its own; the
 * worker writes only there (and the job's record, from a copy taken for
 * it), and the op's done() hands the results to the job on the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/statvfs.h>

#include <event2/bufferevent.h>

#include "migrate.h"
#include "kvm_backup.h"

#define DST_SPACE_MARGIN	(16ull * 1024 * 1024)
#define DST_INCOMING_WAIT_MS	10000
#define DST_CLEANUP_RETRY_S	3	/* libvirt unreachable: try again */

struct dst_op {			/* a job-* request being worked on */
	struct job	*job;
	struct peer	*peer;
	json_int_t	 id;
	json_t		*req;
	json_t		*reply;
	char		 err[1024];
	int		 source_running;
	int		 orphan;
	int		 no_libvirt;	/* cleanup: libvirt did not answer */
	/* the worker's own copies of what it changes, and of the record */
	json_t		*volumes;
	json_t		*dhcp;
	json_t		*rec;
	char		 recpath[600];
	struct kvm_job_stats stats;	/* finish */
};

struct mig_finish {			/* job-finish after the copy */
	struct dst_op	*op;
};

static void	dst_replica_settled(struct job *);
static void	dst_cleanup(struct job *, struct peer *, json_int_t, json_t *,
		    int orphan);

struct dst_upload {
	struct job	*job;
	char		 path[512];
	int		 fd;
	uint64_t	 expect;	/* a state's size (0: a volume) */
	uint64_t	 bytes;
	int		 rc;
	char		 err[512];
};

static struct dst_op *
dst_op_new(struct job *j, struct peer *p, json_int_t id, json_t *req)
{
	struct mig	*m = MIG(j);
	struct dst_op	*op = calloc(1, sizeof(*op));

	if (op == NULL)
		return NULL;
	op->job = j;
	op->peer = p;
	op->id = id;
	op->req = json_incref(req);
	op->volumes = json_deep_copy(m->volumes);
	op->dhcp = m->g.dhcp != NULL ? json_deep_copy(m->g.dhcp) : json_array();
	op->rec = job_json(j);
	job_record_path(j, op->recpath, sizeof(op->recpath));
	return op;
}

static void
dst_op_free(struct dst_op *op)
{
	json_decref(op->req);
	json_decref(op->reply);
	json_decref(op->volumes);
	json_decref(op->dhcp);
	json_decref(op->rec);
	free(op);
}

/* (worker) what the op made so far, in the job's record, before the next */
static void
dst_op_record(void *arg)
{
	struct dst_op	*op = arg;
	char		*s;

	if (op->rec == NULL)
		return;
	json_object_set(op->rec, "volumes", op->volumes);
	json_object_set(op->rec, "dhcp", op->dhcp);
	if ((s = json_dumps(op->rec, JSON_INDENT(1) | JSON_SORT_KEYS)) ==
	    NULL)
		return;
	if (write_file_atomic(op->recpath, s, strlen(s), 0600) == -1)
		log_warn("job %s: cannot write its record %s", op->job->id,
		    op->recpath);
	free(s);
}

/* (loop) the op's copies are the job's now */
static void
dst_op_adopt(struct dst_op *op)
{
	struct mig	*m = MIG(op->job);

	json_decref(m->volumes);
	m->volumes = op->volumes;
	op->volumes = NULL;
	json_decref(m->g.dhcp);
	m->g.dhcp = op->dhcp;
	op->dhcp = NULL;
}

static void	dst_check(json_t *, const char *, const char *, ...)
		    LOG_FMT(3, 4);

static void
dst_check(json_t *checks, const char *what, const char *fmt, ...)
{
	char	 buf[512];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_array_append_new(checks, json_pack("{s:s, s:b, s:s}", "check",
	    what, "ok", 1, "detail", buf));
}

/* ------------------------------------------------------------ prepare */

struct dst_pool {
	char		 name[128];
	uint64_t	 avail, need;
};

static int
dst_check_disks(struct kvm *k, json_t *disks, int over, json_t *checks,
    char *err, size_t errlen)
{
	struct dst_pool	 pools[16];
	size_t		 npools = 0, i, p;
	json_t		*d;
	char		 pool[128], a[32], n[32];
	uint64_t	 avail, cap, alloc, need;
	const char	*path;

	json_array_foreach(disks, i, d) {
		path = json_string_value(json_object_get(d, "path"));
		cap = (uint64_t)json_integer_value(json_object_get(d,
		    "capacity"));
		alloc = (uint64_t)json_integer_value(json_object_get(d,
		    "allocation"));
		if (path == NULL || path[0] != '/') {
			snprintf(err, errlen, "disk %s: bad target path",
			    json_string_value(json_object_get(d, "target")));
			return -1;
		}
		if (kvm_pool_for_path(k, path, pool, sizeof(pool), &avail, err,
		    errlen) == -1)
			return -1;
		/* what QEMU will write: the used bytes, and a margin (over a
		 * replica: what the guest writes after its final point) */
		need = (over ? 0 : alloc) + DST_SPACE_MARGIN;
		if (need > cap + DST_SPACE_MARGIN)
			need = cap + DST_SPACE_MARGIN;
		for (p = 0; p < npools; p++)
			if (strcmp(pools[p].name, pool) == 0)
				break;
		if (p == npools) {
			if (npools == 16) {
				snprintf(err, errlen, "too many pools");
				return -1;
			}
			snprintf(pools[p].name, sizeof(pools[p].name), "%s",
			    pool);
			pools[p].avail = avail;
			pools[p].need = 0;
			npools++;
		}
		pools[p].need += need;
		if (kvm_volume_info(k, path, &cap, &alloc, a, sizeof(a), err,
		    errlen) == 0) {
			snprintf(err, errlen, "%s already exists in pool %s",
			    path, pool);
			return -1;
		}
		err[0] = '\0';
	}
	for (p = 0; p < npools; p++) {
		fmt_bytes(a, sizeof(a), pools[p].avail);
		fmt_bytes(n, sizeof(n), pools[p].need);
		if (pools[p].avail < pools[p].need) {
			snprintf(err, errlen, "pool %s: %s free, %s needed",
			    pools[p].name, a, n);
			return -1;
		}
		dst_check(checks, "pool", "%s: %s free, %s needed",
		    pools[p].name, a, n);
	}
	return 0;
}

static int
dst_make_volumes(struct kvm *k, struct dst_op *op, json_t *disks, char *err,
    size_t errlen)
{
	json_t		*d;
	size_t		 i;
	const char	*path, *fmt, *back;
	uint64_t	 cap;

	json_array_foreach(disks, i, d) {
		path = json_string_value(json_object_get(d, "path"));
		fmt = json_string_value(json_object_get(d, "format"));
		back = json_string_value(json_object_get(d, "backing"));
		cap = (uint64_t)json_integer_value(json_object_get(d,
		    "capacity"));
		if ((back != NULL ? kvm_volume_create_over(k, path, back, cap,
		    err, errlen) : kvm_volume_create(k, path, fmt ? fmt : "raw",
		    cap, err, errlen)) == -1)
			return -1;
		json_array_append_new(op->volumes, json_string(path));
		dst_op_record(op);	/* recorded before the next is made */
		if (back != NULL)
			log_info("job %s: %s made on %s", op->job->id, path,
			    back);
	}
	return 0;
}

static void
dst_delete_volumes(struct kvm *k, struct dst_op *op, char *note,
    size_t notelen)
{
	json_t		*v;
	size_t		 i;
	char		 err[512];

	json_array_foreach(op->volumes, i, v) {
		if (kvm_volume_delete(k, json_string_value(v), err,
		    sizeof(err)) == -1) {
			log_warnx("job %s: %s", op->job->id, err);
			snprintf(note, notelen, "%s", err);
		} else
			log_info("job %s: deleted %s", op->job->id,
			    json_string_value(v));
	}
	json_array_clear(op->volumes);
}

/* (worker) what the job added here to the network goes */
static void
dst_net_undo(struct kvm *k, struct dst_op *op)
{
	struct mig	*m = MIG(op->job);

	np_dhcp_undo(k, op->dhcp, m->g.tag);
	if (m->switched)
		np_guest_unroute(&m->g);
}

/*
 * (worker) A move over the replica here: each disk is an overlay on its
 * image in the final point, the newest of the guest's chain from the
 * source ("backing" in the disk's entry, for dst_make_volumes).
 */
static int
dst_replica(struct job *j, json_t *req, json_t *checks, char *err,
    size_t errlen)
{
	const struct job_replica_ops *ro = job_replica_ops();
	json_t		*rep = json_object_get(req, "replica"), *d;
	const char	*point, *from, *target;
	char		 path[1024];
	size_t		 i;

	if (rep == NULL)
		return 0;
	point = json_string_value(json_object_get(rep, "point"));
	from = json_string_value(json_object_get(rep, "from"));
	if (point == NULL || from == NULL || strcmp(from, j->peer_name) != 0) {
		snprintf(err, errlen, "malformed replica in job-prepare");
		return -1;
	}
	if (ro == NULL) {
		snprintf(err, errlen, "%s: no replica here to move over",
		    j->domain);
		return -1;
	}
	json_array_foreach(json_object_get(req, "disks"), i, d) {
		target = json_string_value(json_object_get(d, "target"));
		if (target == NULL || ro->backing(j->gw, from, j->domain, point,
		    target, (uint64_t)json_integer_value(json_object_get(d,
		    "capacity")), path, sizeof(path), err, errlen) == -1) {
			if (target == NULL)
				snprintf(err, errlen, "disk without a target");
			return -1;
		}
		json_object_set_new(d, "backing", json_string(path));
		dst_check(checks, "replica", "disk %s: over point %s (%s)",
		    target, point, path);
	}
	return 0;
}

static void
dst_prepare_work(void *arg)
{
	struct dst_op	*op = arg;
	struct job	*j = op->job;
	struct mig	*m = MIG(j);
	struct kvm	*k = NULL;
	json_t		*checks = json_array(), *nets, *n;
	char		 found[128], note[512] = "";
	const char	*xml;
	size_t		 i;
	int		 r;

	op->reply = json_pack("{s:o}", "checks", checks);
	if (kvm_open(&k, j->gw->conf->libvirt, op->err, sizeof(op->err)) == -1)
		goto out;
	r = kvm_domain_exists(k, j->domain, j->uuid[0] ? j->uuid : NULL,
	    found, sizeof(found), op->err, sizeof(op->err));
	if (r != 0) {
		if (r == 1)
			snprintf(op->err, sizeof(op->err), "a domain %s (%s) "
			    "already exists here", found, j->uuid);
		goto out;
	}
	dst_check(checks, "domain", "no domain %s or UUID %s here", j->domain,
	    j->uuid);
	nets = json_object_get(op->req, "networks");
	json_array_foreach(nets, i, n) {
		if (kvm_network_exists(k, json_string_value(n), op->err,
		    sizeof(op->err)) == -1)
			goto out;
		dst_check(checks, "network", "%s exists and is active",
		    json_string_value(n));
	}
	if (dst_replica(j, op->req, checks, op->err, sizeof(op->err)) == -1 ||
	    dst_check_disks(k, json_object_get(op->req, "disks"),
	    json_object_get(op->req, "replica") != NULL, checks, op->err,
	    sizeof(op->err)) == -1)
		goto out;
	xml = json_string_value(json_object_get(op->req, "xml"));
	if (m->o.offline && (xml == NULL || xml[0] == '\0')) {
		snprintf(op->err, sizeof(op->err), "no domain XML to define");
		goto out;
	}
	if (mig_net_dest_check(j, checks, op->err, sizeof(op->err)) == -1 ||
	    (!m->o.dry_run && np_dhcp_add(k, op->dhcp, m->g.tag, dst_op_record,
	    op, op->err, sizeof(op->err)) == -1)) {
		dst_net_undo(k, op);
		goto out;
	}
	if (m->o.dry_run)
		goto out;
	if (dst_make_volumes(k, op, json_object_get(op->req, "disks"),
	    op->err, sizeof(op->err)) == -1) {
		dst_delete_volumes(k, op, note, sizeof(note));
		dst_net_undo(k, op);
		goto out;
	}
	dst_check(checks, "volumes", "%zu created",
	    json_array_size(op->volumes));
 out:
	kvm_close(k);
}

static void
dst_prepare_done(void *arg)
{
	struct dst_op	*op = arg;
	struct job	*j = op->job;
	struct mig	*m = MIG(j);
	char		 dir[512];

	j->busy = 0;
	dst_op_adopt(op);
	if (op->err[0] == '\0' && !m->o.dry_run && !m->o.offline) {
		job_mkrundir(j, dir, sizeof(dir), op->err, sizeof(op->err));
	}
	if (op->err[0] != '\0') {
		job_fail(j, JOB_FAILED, "refused: %s", op->err);
		pmsg_reply_error(op->peer, op->id, "%s", op->err);
	} else {
		job_set_state(j, m->o.dry_run ? JOB_PLANNED : JOB_PREPARED,
		    m->o.dry_run ? "dry run" : "prepared");
		if (!m->o.dry_run && !m->o.offline)
			netplan_events_ensure(j->gw);	/* to see the switchover */
		pmsg_reply(op->peer, op->id, json_incref(op->reply));
	}
	dst_op_free(op);
	if (m->d.abort_pending && !job_terminal(j))
		dst_cleanup(j, j->peer, 0, NULL, 1);
}

/*
 * The job's rate group, which every paced relay joins (dst_conn_add): at
 * --bandwidth, or unlimited without one, so that a set-bandwidth later
 * caps, changes or lifts the rate of copies already running (libevent
 * ignores a group's cfg of NULL: 0 is an unlimited bucket, not NULL).
 */
static void
dst_ratelimit(struct job *j)
{
	struct mig_dst		*d = &MIG(j)->d;
	uint64_t		 bw = MIG(j)->o.bandwidth;
	struct timeval		 tick = { 0, 100000 };
	struct ev_token_bucket_cfg *cfg;
	size_t			 rate;

	/* only these have paced copies (a group ticks 10 times a second
	 * while its job is kept) */
	if (!MIG(j)->o.offline && !MIG(j)->o.replicated)
		return;
	/*
	 * What it writes toward the disk, a tenth of a second's worth per
	 * tick, exactly even for a small rate.  The tick stays 100 ms in
	 * every cfg: libevent numbers a bucket's ticks by the tick's length,
	 * and a group whose tick changes waits for its numbering to wrap (a
	 * lifted cap stalled the copy).
	 */
	if (bw == 0)
		rate = EV_RATE_LIMIT_MAX;
	else
		rate = bw / 10 > 0 ? (size_t)(bw / 10) : 1;
	cfg = ev_token_bucket_cfg_new(EV_RATE_LIMIT_MAX, EV_RATE_LIMIT_MAX,
	    rate, rate, &tick);
	if (cfg == NULL) {
		log_warnx("job %s: out of memory for its rate", j->id);
		return;
	}
	if (d->rl == NULL) {
		if ((d->rl = bufferevent_rate_limit_group_new(j->gw->base,
		    cfg)) == NULL)
			log_warnx("job %s: no rate group: --bandwidth not "
			    "kept by this site", j->id);
	} else
		bufferevent_rate_limit_group_set_cfg(d->rl, cfg);
	ev_token_bucket_cfg_free(cfg);		/* the group keeps a copy */
}

/*
 * A relay of the job.  paced: a copy this gateway drives (an offline disk,
 * a replicated move's state), which only the job's --bandwidth paces: it
 * goes under the job's rate group (the source opens it "paced", on the
 * tunnel: the main loop, where the group is).  QEMU paces its own
 * streams (memory, the disk mirror) at --bandwidth, and libvirt's RPC must
 * never wait behind a bucket: a second limit on them would only hold back
 * what QEMU sends at full speed on purpose, its stop-and-copy, and the
 * switchover's calls (the downtime).
 */
static void
dst_conn_add(struct job *j, struct relay *r, const char *what, int paced)
{
	struct mig_dst	*d = &MIG(j)->d;

	job_conn_add(j, r, what);
	if (paced && d->rl != NULL && relay_pace(r, d->rl) == -1)
		log_warnx("job %s: %s: not under the job's --bandwidth (not on "
		    "the tunnel)", j->id, what);
}

/* A job of ours for this peer and id, or NULL. */
static struct job *
dst_job(struct peer *p, const char *jid)
{
	struct job	*j;

	if (jid == NULL || (j = job_find_peer(p->gw, p->conf->name, jid)) ==
	    NULL || j->kind != &mig_kind)
		return NULL;
	return j;
}

void
mig_pm_prepare(struct peer *p, json_int_t id, json_t *req)
{
	const char	*jid = json_string_value(json_object_get(req, "job"));
	const char	*dom = json_string_value(json_object_get(req, "domain"));
	const char	*uuid = json_string_value(json_object_get(req, "uuid"));
	struct job	*j, *other;
	struct mig	*m;
	struct dst_op	*op;
	char		 err[1024];
	size_t		 i;

	if (jid == NULL || strlen(jid) >= JOB_ID_LEN || jid[0] != 'j' ||
	    dom == NULL || dom[0] == '\0' || strlen(dom) > 127 ||
	    strchr(dom, '/') != NULL || !json_is_array(json_object_get(req,
	    "disks"))) {
		pmsg_reply_error(p, id, "malformed job-prepare");
		return;
	}
	for (i = 1; jid[i] != '\0'; i++)
		if (!strchr("0123456789abcdef", jid[i])) {
			pmsg_reply_error(p, id, "malformed job id");
			return;
		}
	if (job_find_peer(p->gw, p->conf->name, jid) != NULL) {
		pmsg_reply_error(p, id, "job %s exists already", jid);
		return;
	}
	if ((other = job_active_for_domain(p->gw, dom)) != NULL) {
		pmsg_reply_error(p, id, "%s: job %s is already moving it",
		    dom, other->id);
		return;
	}
	if ((j = job_new(p->gw, &mig_kind, JOB_DEST, jid, p->conf->name,
	    dom)) == NULL) {
		pmsg_reply_error(p, id, "out of memory");
		return;
	}
	m = MIG(j);
	snprintf(j->uuid, sizeof(j->uuid), "%s", uuid ? uuid : "");
	m->o.dry_run = json_is_true(json_object_get(req, "dry_run"));
	m->o.offline = json_is_true(json_object_get(req, "offline"));
	m->o.replicated = json_is_true(json_object_get(json_object_get(req,
	    "replica"), "replicated"));
	m->o.bandwidth = (uint64_t)json_integer_value(json_object_get(req,
	    "bandwidth"));
	m->plan = json_incref(req);	/* disks and XML for offline */
	dst_ratelimit(j);
	if (mig_net_dest_prepare(j, req, err, sizeof(err)) == -1) {
		job_fail(j, JOB_FAILED, "refused: %s", err);
		pmsg_reply_error(p, id, "%s", err);
		return;
	}
	job_set_state(j, JOB_CHECKING, "prepare");
	if ((op = dst_op_new(j, p, id, req)) == NULL ||
	    job_work(j, dst_prepare_work, dst_prepare_done, op) == -1) {
		if (op != NULL)
			dst_op_free(op);
		job_fail(j, JOB_FAILED, "cannot start a thread");
		pmsg_reply_error(p, id, "cannot start a thread");
		return;
	}
	j->busy = 1;
}

void
mig_pm_bandwidth(struct peer *p, json_int_t id, json_t *req)
{
	const char	*jid = json_string_value(json_object_get(req, "job"));
	struct job	*j;

	if ((j = dst_job(p, jid)) == NULL) {
		pmsg_reply_error(p, id, "no job %s here", jid ? jid : "");
		return;
	}
	MIG(j)->o.bandwidth = (uint64_t)json_integer_value(json_object_get(req,
	    "bandwidth"));
	dst_ratelimit(j);
	log_info("job %s: bandwidth now %llu bytes/s", j->id,
	    (unsigned long long)MIG(j)->o.bandwidth);
	pmsg_reply(p, id, json_object());
}

/* ------------------------------------------------------------ channels */

/*
 * (worker) A failed write of path: libvirt's upload says only "client
 * socket is closed" when its helper met a full disk.  When the filesystem
 * holding path has less than 1 MiB left, err says so.
 */
static void
dst_full_note(struct job *j, const char *path, char *err, size_t errlen)
{
	struct statvfs	 sv;
	char		 dir[512], *slash;
	size_t		 n = strlen(err);

	if (strstr(err, "No space left") != NULL || n + 1 >= errlen)
		return;		/* said already, or no room to say it */
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		return;
	slash[slash == dir ? 1 : 0] = '\0';	/* "/x" -> "/" */
	if (statvfs(dir, &sv) == -1 ||
	    (uint64_t)sv.f_bavail * sv.f_frsize >= 1024 * 1024)
		return;
	snprintf(err + n, errlen - n, ": the filesystem of %s at %s is full "
	    "(No space left on device)", path, j->gw->conf->site);
}

static void
dst_upload_work(void *arg)
{
	struct dst_upload	*u = arg;
	struct kvm		*k = NULL;

	u->rc = -1;
	if (kvm_open(&k, u->job->gw->conf->libvirt, u->err, sizeof(u->err)) ==
	    0)
		u->rc = kvm_volume_upload_fd(k, u->path, u->fd, &u->bytes,
		    u->err, sizeof(u->err));
	kvm_close(k);		/* u->fd: dst_upload_done */
	if (u->rc == -1)
		dst_full_note(u->job, u->path, u->err, sizeof(u->err));
}

static void dst_define(struct job *);
static void dst_restore(struct job *);

static void
dst_upload_done(void *arg)
{
	struct dst_upload	*u = arg;
	struct job		*j = u->job;
	struct mig_dst		*d = &MIG(j)->d;

	if (u->rc == -1 && d->upload_err[0] == '\0')
		snprintf(d->upload_err, sizeof(d->upload_err), "%s", u->err);
	log_info("job %s: %s: %llu bytes written%s%s", j->id, u->path,
	    (unsigned long long)u->bytes, u->rc ? ": " : "", u->rc ? u->err :
	    "");
	/*
	 * A copy that failed here ends the job's channels with its reason
	 * before its socket closes (which would reset them with a mere
	 * "Broken pipe"): the source says what went wrong, and where.
	 */
	if (u->rc == -1)
		job_conns_abort(j, d->upload_err);
	close(u->fd);
	free(u);
	if (--d->uploads_left == 0 && d->finish_req != 0)
		(MIG(j)->o.replicated ? dst_restore : dst_define)(j);
}

static void
dst_state_work(void *arg)
{
	struct dst_upload	*u = arg;
	char			 buf[1 << 16];
	ssize_t			 n, w, off;
	int			 out;

	u->rc = -1;
	if ((out = open(u->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1) {
		snprintf(u->err, sizeof(u->err), "%s: %s", u->path,
		    strerror(errno));
		return;
	}
	for (;;) {
		if ((n = read(u->fd, buf, sizeof(buf))) == -1) {
			if (errno == EINTR)
				continue;
			snprintf(u->err, sizeof(u->err), "the state's channel: "
			    "%s", strerror(errno));
			break;
		}
		if (n == 0) {
			u->rc = 0;
			break;
		}
		for (off = 0; off < n; off += w)
			if ((w = write(out, buf + off, (size_t)(n - off))) ==
			    -1) {
				snprintf(u->err, sizeof(u->err), "%s: %s",
				    u->path, strerror(errno));
				goto out;
			}
		u->bytes += (uint64_t)n;
	}
 out:
	if (u->rc == 0 && u->bytes != u->expect) {
		snprintf(u->err, sizeof(u->err), "the state came cut short: "
		    "%llu of %llu bytes", (unsigned long long)u->bytes,
		    (unsigned long long)u->expect);
		u->rc = -1;
	}
	if (u->rc == 0 && fsync(out) == -1) {
		snprintf(u->err, sizeof(u->err), "%s: %s", u->path,
		    strerror(errno));
		u->rc = -1;
	}
	if (close(out) == -1 && u->rc == 0) {
		snprintf(u->err, sizeof(u->err), "%s: %s", u->path,
		    strerror(errno));
		u->rc = -1;
	}
}

/*
 * One copy into this site through channel ch: a socket pair, its relay as
 * the channel's endpoint (counted as `what`), and work (dst_upload_work or
 * dst_state_work) on a worker writing u->path from its end, which
 * dst_upload_done closes.  0, or -1 with the channel refused and u freed.
 */
static int
dst_upload_start(struct channel *ch, struct job *j, struct dst_upload *u,
    const char *what, void (*work)(void *), const char *phase)
{
	struct relay	*r;
	int		 sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		free(u);
		chan_accept_fail(ch, "out of resources");
		return -1;
	}
	u->job = j;
	u->fd = sv[0];
	set_nonblock_cloexec(sv[1]);
	if ((r = relay_new(j->gw, sv[1], ch)) == NULL) {
		close(sv[0]);
		close(sv[1]);
		free(u);
		chan_accept_fail(ch, "out of memory");
		return -1;
	}
	dst_conn_add(j, r, what, 1);
	chan_set_endpoint(ch, &relay_ops, r);
	if (job_work(j, work, dst_upload_done, u) == -1) {
		close(u->fd);
		free(u);
		chan_accept_fail(ch, "cannot start a thread");
		return -1;
	}
	MIG(j)->d.uploads_left++;
	if (j->state == JOB_PREPARED)
		job_set_state(j, JOB_RUNNING, phase);
	chan_accept_ok(ch);
	return 0;
}

/* a replicated move's saved state, beside the guest's first disk */
static void
dst_accept_state(struct channel *ch, struct job *j, json_t *req)
{
	struct mig		*m = MIG(j);
	struct dst_upload	*u;
	const char		*disk;

	disk = json_string_value(json_object_get(json_array_get(
	    json_object_get(m->plan, "disks"), 0), "path"));
	if (!m->o.replicated || m->d.state_file[0] != '\0' || disk == NULL ||
	    strlen(disk) > 400 ||
	    json_integer_value(json_object_get(req, "size")) <= 0) {
		chan_accept_fail(ch, "no state expected in this job");
		return;
	}
	if ((u = calloc(1, sizeof(*u))) == NULL) {
		chan_accept_fail(ch, "out of resources");
		return;
	}
	u->expect = (uint64_t)json_integer_value(json_object_get(req, "size"));
	/* beside the first disk (not in /run, a tmpfs the size of a guest's
	 * memory could fill) */
	snprintf(u->path, sizeof(u->path), "%s.vmgw-state-%s", disk, j->id);
	snprintf(m->d.state_file, sizeof(m->d.state_file), "%s", u->path);
	/* with the volumes it made: a cleanup (a restart's too) removes it */
	json_array_append_new(m->volumes, json_string(u->path));
	job_save(j);
	(void)dst_upload_start(ch, j, u, "state", dst_state_work,
	    "state copy");
}

static void
dst_accept_disk(struct channel *ch, struct job *j, json_t *req)
{
	struct mig		*m = MIG(j);
	const char		*target = json_string_value(json_object_get(req,
				    "disk"));
	const char		*path = NULL;
	struct dst_upload	*u;
	json_t			*d;
	size_t			 i;

	json_array_foreach(json_object_get(m->plan, "disks"), i, d)
		if (target != NULL && strcmp(target, json_string_value(
		    json_object_get(d, "target"))) == 0)
			path = json_string_value(json_object_get(d, "path"));
	if (!m->o.offline || path == NULL) {
		chan_accept_fail(ch, "no such disk in this job");
		return;
	}
	if ((u = calloc(1, sizeof(*u))) == NULL) {
		chan_accept_fail(ch, "out of resources");
		return;
	}
	snprintf(u->path, sizeof(u->path), "%s", path);
	(void)dst_upload_start(ch, j, u, target, dst_upload_work,
	    "disk copy");
}

/* Connect ch to the job's socket a (QEMU's or libvirtd's) and count it. */
static void
dst_connect(struct channel *ch, struct job *j, const struct vmgw_addr *a,
    const char *sock)
{
	char	 err[400];

	if (relay_connect(j->gw, ch, a, err, sizeof(err)) == -1) {
		chan_accept_fail(ch, err);
		return;
	}
	/* relay_connect made the relay; it is the channel's endpoint */
	dst_conn_add(j, ch->arg, sock, 0);
}

struct dst_held_arg {
	struct job		*job;
	const struct vmgw_addr	*a;
};

static void
dst_held_connect(struct channel *ch, void *arg)
{
	struct dst_held_arg	*h = arg;

	snprintf(ch->what, sizeof(ch->what), "job %s mig", h->job->id);
	dst_connect(ch, h->job, h->a, "mig");
}

/*
 * QEMU takes the first connection to its migration socket as the main
 * stream and the later ones as multifd streams (--parallel).  With more
 * than one connection to the peer they may come in another order than the
 * source's QEMU made them: a later stream ("n" > 0) waits for the first.
 * (A post-copy recovery's new connections come after it: they never wait.)
 */
static void
dst_mig_order(struct channel *ch, struct job *j, const struct vmgw_addr *a,
    json_int_t n)
{
	struct mig_dst		*d = &MIG(j)->d;
	struct dst_held_arg	 h = { j, a };
	size_t			 i;

	if (n > 0 && !d->mig_main) {
		if (d->nmig_held == MIG_HELD_MAX ||
		    (d->mig_held[d->nmig_held] = chan_hold(ch)) == NULL) {
			chan_accept_fail(ch, "too many migration streams");
			return;
		}
		d->nmig_held++;
		return;
	}
	dst_connect(ch, j, a, "mig");
	if (n != 0 || d->mig_main)
		return;
	d->mig_main = 1;
	for (i = 0; i < d->nmig_held; i++)
		chan_held_run(d->mig_held[i], dst_held_connect, &h);
	d->nmig_held = 0;
}

void
mig_dst_accept(struct channel *ch, json_t *req)
{
	struct gw		*gw = ch->tunnel->gw;
	struct peer		*p = ch->tunnel->peer;
	const char		*jid = json_string_value(json_object_get(req,
				    "job"));
	const char		*sock = json_string_value(json_object_get(req,
				    "sock"));
	struct job		*j;
	struct vmgw_addr	 a;
	char			 dir[512];

	if (jid == NULL || sock == NULL || (j = dst_job(p, jid)) == NULL ||
	    (j->state != JOB_PREPARED && j->state != JOB_RUNNING)) {
		chan_accept_fail(ch, "no prepared job of that id from you");
		return;
	}
	snprintf(ch->what, sizeof(ch->what), "job %s %s", j->id, sock);
	if (strcmp(sock, "disk") == 0) {
		dst_accept_disk(ch, j, req);
		return;
	}
	if (strcmp(sock, "state") == 0) {
		dst_accept_state(ch, j, req);
		return;
	}
	memset(&a, 0, sizeof(a));
	a.kind = ADDR_UNIX;
	job_rundir(j, dir, sizeof(dir));
	if (strcmp(sock, "libvirt") == 0)
		kvm_daemon_socket(gw->conf->libvirt, a.path, sizeof(a.path));
	else if (strcmp(sock, "mig") == 0 || strcmp(sock, "nbd") == 0)
		snprintf(a.path, sizeof(a.path), "%s/%s.sock", dir, sock);
	else {
		chan_accept_fail(ch, "unknown job socket");
		return;
	}
	snprintf(a.text, sizeof(a.text), "unix:%s", a.path);
	if (j->state == JOB_PREPARED)
		job_set_state(j, JOB_RUNNING, "migrating");
	else if (MIG(j)->d.pc_paused) {
		MIG(j)->d.pc_paused = 0;
		log_info("job %s: %s resumes post-copy", j->id, j->peer_name);
		job_set_state(j, JOB_RUNNING, "post-copy");
	}
	if (strcmp(sock, "mig") == 0)
		dst_mig_order(ch, j, &a, json_integer_value(json_object_get(req,
		    "n")));
	else
		dst_connect(ch, j, &a, sock);
}

/* ------------------------------------------------------------ finish */

/*
 * job-finish of a live move, in three steps, the job busy throughout:
 * the guest runs here and its statistics (worker); its probe, started at
 * the switchover, has an answer; the post-move (or rollback) hooks ran
 * (worker).  Then the reply.
 */
static void
dst_finish_work(void *arg)
{
	struct dst_op		*op = arg;
	struct job		*j = op->job;
	struct kvm		*k = NULL;
	int			 st = -1, reason, i;

	if (kvm_open(&k, j->gw->conf->libvirt, op->err, sizeof(op->err)) ==
	    -1)
		return;
	/* the guest may take a moment to be reported running */
	for (i = 0; i < 50; i++) {
		if (kvm_domain_state(k, j->domain, &st, &reason, op->err,
		    sizeof(op->err)) == 0 && st == KVM_DOM_RUNNING)
			break;
		usleep(100000);
	}
	if (st != KVM_DOM_RUNNING) {
		snprintf(op->err, sizeof(op->err), "%s is %s here, not "
		    "running", j->domain, st < 0 ? "absent" :
		    kvm_state_name(st));
		goto out;
	}
	op->err[0] = '\0';
	memset(&op->stats, 0, sizeof(op->stats));
	if (kvm_job_stats(k, j->domain, 1, &op->stats, op->err,
	    sizeof(op->err)) == -1)
		op->err[0] = '\0';	/* no statistics: not an error */
	dst_replica_settled(j);
 out:
	kvm_close(k);
}

/* (worker) it runs here over the replica: that chain is its disk now */
static void
dst_replica_settled(struct job *j)
{
	const struct job_replica_ops *ro = job_replica_ops();
	json_t		*rep = json_object_get(MIG(j)->plan, "replica");
	char		 e[512];

	if (rep == NULL || ro == NULL)
		return;
	if (ro->settled(j->gw, j->peer_name, j->domain, json_string_value(
	    json_object_get(rep, "point")), MIG(j)->d.checkpoint, e,
	    sizeof(e)) == -1)
		log_warnx("job %s: %s: %s", j->id, j->domain, e);
}

static void
dst_finish_reply(struct dst_op *op)
{
	struct job	*j = op->job;
	struct mig	*m = MIG(j);

	j->busy = 0;
	if (op->err[0] != '\0') {
		pmsg_reply_error(op->peer, op->id, "%s", op->err);
		job_fail(j, JOB_FAILED, "%s", op->err);
	} else {
		op->reply = json_pack("{s:s, s:I, s:I, s:I, s:I, s:O, s:s}",
		    "state", "running", "downtime_ms",
		    (json_int_t)op->stats.downtime_ms, "memory_bytes",
		    (json_int_t)op->stats.mem_processed, "disk_bytes",
		    (json_int_t)op->stats.disk_processed, "elapsed_ms",
		    (json_int_t)op->stats.time_elapsed_ms, "reach", m->reach,
		    "hooks", m->d.hook_err);
		snprintf(j->where, sizeof(j->where), "%s", j->gw->conf->site);
		json_array_clear(m->volumes);	/* they are the guest's now */
		if (json_is_true(json_object_get(m->reach, "ok")))
			job_set_state(j, JOB_DONE, "done");
		else
			job_fail(j, JOB_FAILED, "%s", json_string_value(
			    json_object_get(m->reach, "detail")));
		pmsg_reply(op->peer, op->id, json_incref(op->reply));
	}
	job_rmdir(j);
	dst_op_free(op);
}

static void
dst_finish_hooks_work(void *arg)
{
	struct dst_op	*op = arg;
	struct job	*j = op->job;
	struct mig	*m = MIG(j);
	const char	*phase = json_is_true(json_object_get(m->reach, "ok")) ?
			    "post-move" : "rollback";

	if (mig_net_hooks(j, phase, op->err, sizeof(op->err)) == -1)
		log_warnx("job %s: %s", j->id, op->err);
}

static void
dst_finish_hooks_done(void *arg)
{
	struct dst_op	*op = arg;
	struct mig	*m = MIG(op->job);

	snprintf(m->d.hook_err, sizeof(m->d.hook_err), "%s", op->err);
	op->err[0] = '\0';
	dst_finish_reply(op);
}

/* The probe has its answer: the hooks, then the reply. */
static void
dst_finish_verified(struct job *j)
{
	struct mig	*m = MIG(j);
	struct dst_op	*op = m->d.finishing->op;
	json_t		*r = m->d.probe != NULL ? m->d.probe->result : NULL;

	free(m->d.finishing);
	m->d.finishing = NULL;
	json_decref(m->reach);
	m->reach = r != NULL ? json_incref(r) : json_pack("{s:b, s:s}", "ok",
	    0, "detail", "the guest's probe could not run");
	if (job_work(j, dst_finish_hooks_work, dst_finish_hooks_done, op) ==
	    -1)
		dst_finish_reply(op);
}

/*
 * A probe that failed while post-copy was paused (the guest could not
 * answer) asks again, once, in a window of its own: 1 if it runs.
 */
static int
dst_reprobe(struct job *j)
{
	struct mig	*m = MIG(j);

	if (!m->d.pc_interrupted || m->d.reprobed || m->d.probe == NULL ||
	    json_is_true(json_object_get(m->d.probe->result, "ok")))
		return 0;
	m->d.reprobed = 1;
	np_probe_free(m->d.probe);
	m->d.probe = NULL;
	log_info("job %s: probing %s again after its post-copy pause", j->id,
	    j->domain);
	mig_net_probe_start(j);
	return m->d.probing;
}

void
mig_dst_probed(struct job *j)
{
	if (MIG(j)->d.finishing != NULL && !dst_reprobe(j))
		dst_finish_verified(j);
}

static void
dst_finish_done(void *arg)
{
	struct dst_op	*op = arg;
	struct job	*j = op->job;
	struct mig	*m = MIG(j);

	if (op->err[0] != '\0') {
		dst_finish_reply(op);
		return;
	}
	if ((m->d.finishing = calloc(1, sizeof(*m->d.finishing))) == NULL) {
		snprintf(op->err, sizeof(op->err), "out of memory");
		dst_finish_reply(op);
		return;
	}
	m->d.finishing->op = op;
	if (!m->d.probing && dst_reprobe(j))
		return;		/* mig_dst_probed() goes on */
	/* probes started at the switchover; if none could, now */
	if (m->d.probe == NULL)
		mig_net_probe_start(j);
	if (!m->d.probing)
		dst_finish_verified(j);
	/* else mig_dst_probed() goes on */
}

static void
dst_define_work(void *arg)
{
	struct dst_op	*op = arg;
	struct job	*j = op->job;
	struct mig	*m = MIG(j);
	struct kvm	*k = NULL;

	if (m->d.upload_err[0] != '\0') {
		snprintf(op->err, sizeof(op->err), "disk copy: %s",
		    m->d.upload_err);
		return;
	}
	if (kvm_open(&k, j->gw->conf->libvirt, op->err, sizeof(op->err)) ==
	    -1 || kvm_domain_define(k, json_string_value(json_object_get(
	    m->plan, "xml")), op->err, sizeof(op->err)) == -1) {
		kvm_close(k);
		return;
	}
	op->reply = json_pack("{s:s}", "state", "defined");
	kvm_close(k);
}

static void
dst_define_done(void *arg)
{
	struct dst_op	*op = arg;
	struct job	*j = op->job;
	struct mig	*m = MIG(j);
	struct log_ctx	 lc;

	j->busy = 0;
	m->d.finish_req = 0;
	if (op->err[0] != '\0') {
		/*
		 * Not ended here, but undone: the volumes it wrote go (the
		 * source's job-abort that follows would find the job ended
		 * and leave them).
		 */
		pmsg_reply_error(op->peer, op->id, "%s", op->err);
		if (j->error[0] == '\0')
			snprintf(j->error, sizeof(j->error), "%s", op->err);
		job_log_ctx(j, &lc);
		log_ctx_warnx(&lc, "job %s (%s): %s", j->id, j->domain,
		    op->err);
		m->d.not_defined = 1;
		dst_op_free(op);
		dst_cleanup(j, j->peer, 0, NULL, 1);
		return;
	}
	snprintf(j->where, sizeof(j->where), "%s (shut off)",
	    j->gw->conf->site);
	json_array_clear(m->volumes);
	job_set_state(j, JOB_DONE, "defined");
	pmsg_reply(op->peer, op->id, json_incref(op->reply));
	dst_op_free(op);
}

static void
dst_define(struct job *j)
{
	struct mig	*m = MIG(j);
	struct dst_op	*op;

	if ((op = dst_op_new(j, j->peer, m->d.finish_req, NULL)) == NULL ||
	    job_work(j, dst_define_work, dst_define_done, op) == -1) {
		pmsg_reply_error(j->peer, m->d.finish_req, "out of resources");
		if (op != NULL)
			dst_op_free(op);
		return;
	}
	j->busy = 1;
}

void
mig_pm_finish(struct peer *p, json_int_t id, json_t *req)
{
	const char	*jid = json_string_value(json_object_get(req, "job"));
	struct job	*j;
	struct mig	*m;
	struct dst_op	*op;

	if ((j = dst_job(p, jid)) == NULL || job_terminal(j) || j->busy) {
		pmsg_reply_error(p, id, "no running job %s here", jid ? jid :
		    "");
		return;
	}
	m = MIG(j);
	if (m->o.offline || m->o.replicated) {
		m->d.finish_req = id;
		if (m->d.uploads_left == 0)
			(m->o.replicated ? dst_restore : dst_define)(j);
		return;		/* dst_upload_done goes on when the last ends */
	}
	/* the switchover's event was missed (no events): act now */
	if (!m->switched)
		mig_net_dest_switched(j);
	if ((op = dst_op_new(j, p, id, req)) == NULL ||
	    job_work(j, dst_finish_work, dst_finish_done, op) == -1) {
		pmsg_reply_error(p, id, "out of resources");
		if (op != NULL)
			dst_op_free(op);
		return;
	}
	j->busy = 1;
}

/*
 * A replicated move's end: the guest defined here, restored paused from its
 * state on the disks' overlays, a checkpoint made before it runs (the new
 * home's first point is incremental from it: the old home's copy is the
 * final point exactly), resumed.  Then as for a live move: the switchover,
 * the probe, the hooks, the reply.
 */
static void
dst_restore_work(void *arg)
{
	struct dst_op		*op = arg;
	struct job		*j = op->job;
	struct mig		*m = MIG(j);
	struct kvm		*k = NULL;
	struct kvm_backup_disk	 bd[64];
	const char		*xml = json_string_value(json_object_get(
				    m->plan, "xml"));
	json_t			*d;
	size_t			 i, n = 0;
	int			 defined = 0, restored = 0;
	char			 e[512];

	if (m->d.upload_err[0] != '\0' || m->d.state_file[0] == '\0') {
		snprintf(op->err, sizeof(op->err), "the state's copy: %s",
		    m->d.upload_err[0] ? m->d.upload_err : "it never came");
		return;
	}
	json_array_foreach(json_object_get(m->plan, "disks"), i, d)
		if (n < 64) {
			bd[n].target = json_string_value(json_object_get(d,
			    "target"));
			bd[n++].scratch = NULL;
		}
	snprintf(m->d.checkpoint, sizeof(m->d.checkpoint), "vmgw-moved-%s",
	    j->id);
	if (kvm_open(&k, j->gw->conf->libvirt, op->err, sizeof(op->err)) ==
	    -1)
		return;
	if (xml == NULL || kvm_domain_define(k, xml, op->err,
	    sizeof(op->err)) == -1)
		goto out;
	defined = 1;
	if (kvm_domain_restore(k, m->d.state_file, xml, 1, op->err,
	    sizeof(op->err)) == -1)
		goto out;
	restored = 1;
	if (kvm_checkpoint_create(k, j->domain, m->d.checkpoint, bd, n, e,
	    sizeof(e)) == -1) {
		log_warnx("job %s: %s (its first point compares)", j->id, e);
		m->d.checkpoint[0] = '\0';
	}
	if (kvm_domain_resume(k, j->domain, op->err, sizeof(op->err)) == -1)
		goto out;
	log_info("job %s: %s restored here and running", j->id, j->domain);
 out:
	if (op->err[0] != '\0' && (defined || restored) &&
	    kvm_domain_remove(k, j->domain, e, sizeof(e)) == -1)
		log_warnx("job %s: %s", j->id, e);
	unlink(m->d.state_file);
	kvm_close(k);
}

static void
dst_restore_done(void *arg)
{
	struct dst_op	*op = arg;
	struct job	*j = op->job;
	struct mig	*m = MIG(j);

	m->d.finish_req = 0;
	if (op->err[0] != '\0') {
		j->busy = 0;
		pmsg_reply_error(op->peer, op->id, "%s", op->err);
		job_fail(j, JOB_FAILED, "%s", op->err);
		dst_op_free(op);
		return;
	}
	mig_net_dest_switched(j);
	if (job_work(j, dst_finish_work, dst_finish_done, op) == -1) {
		j->busy = 0;
		pmsg_reply_error(op->peer, op->id, "out of resources");
		dst_op_free(op);
	}
}

static void
dst_restore(struct job *j)
{
	struct mig	*m = MIG(j);
	struct dst_op	*op;

	job_set_state(j, JOB_RUNNING, "restoring");
	if ((op = dst_op_new(j, j->peer, m->d.finish_req, NULL)) == NULL ||
	    job_work(j, dst_restore_work, dst_restore_done, op) == -1) {
		pmsg_reply_error(j->peer, m->d.finish_req, "out of resources");
		m->d.finish_req = 0;
		if (op != NULL)
			dst_op_free(op);
		return;
	}
	j->busy = 1;
}

/* ------------------------------------------------------------ undo */

/*
 * What the job made here goes; a domain that runs stays.  libvirt removes
 * an incoming domain itself when its migration fails or its source's
 * connection drops: wait for that first.
 */
static void
dst_cleanup_work(void *arg)
{
	struct dst_op	*op = arg;
	struct job	*j = op->job;
	struct kvm	*k = NULL;
	char		 note[512] = "";
	int		 st = -1, reason = 0, waited;

	if (kvm_open(&k, j->gw->conf->libvirt, op->err, sizeof(op->err)) ==
	    -1) {
		/* nothing undone: the loop tries again (dst_cleanup_done) */
		op->no_libvirt = 1;
		op->reply = json_pack("{s:s}", "note", "libvirt does not "
		    "answer here: cleaning up when it is back");
		return;
	}
	for (waited = 0; waited < DST_INCOMING_WAIT_MS &&
	    !MIG(j)->d.not_defined; waited += 200) {
		if (kvm_domain_state(k, j->domain, &st, &reason, op->err,
		    sizeof(op->err)) == -1) {
			st = -1;	/* gone */
			break;
		}
		if (st == KVM_DOM_RUNNING || st == KVM_DOM_SHUTOFF)
			break;
		usleep(200000);
	}
	op->err[0] = '\0';
	if (st == KVM_DOM_RUNNING || (st == KVM_DOM_PAUSED &&
	    (reason == KVM_PAUSED_POSTCOPY ||
	    reason == KVM_PAUSED_POSTCOPY_FAILED || !op->source_running))) {
		snprintf(note, sizeof(note), "%s is %s at %s: left alone with "
		    "its volumes", j->domain, kvm_state_name(st),
		    j->gw->conf->site);
		log_warnx("job %s: %s", j->id, note);
	} else {
		if (st != -1 && kvm_domain_remove(k, j->domain, op->err,
		    sizeof(op->err)) == -1)
			snprintf(note, sizeof(note), "%s", op->err);
		else if (st != -1)
			log_info("job %s: removed the half-made %s (%s)",
			    j->id, j->domain, kvm_state_name(st));
		dst_delete_volumes(k, op, note, sizeof(note));
		dst_net_undo(k, op);
		if (MIG(j)->d.state_file[0] != '\0')
			unlink(MIG(j)->d.state_file);
	}
	op->reply = json_pack("{s:s}", "note", note);
	op->err[0] = '\0';
	kvm_close(k);
}

/*
 * The cleanup could not reach libvirt (its daemon is down or restarting):
 * what the job made stays in its record, the job stays "cleaning up", and
 * the loop tries again every DST_CLEANUP_RETRY_S until libvirt answers.
 */
static void
dst_cleanup_retry(evutil_socket_t fd, short ev, void *arg)
{
	struct job	*j = arg;

	struct timeval	 tv = { DST_CLEANUP_RETRY_S, 0 };

	if (j->state != JOB_CLEANING)
		return;
	if (j->busy)	/* a job-abort's cleanup runs: its end decides */
		evtimer_add(MIG(j)->d.retry, &tv);
	else
		dst_cleanup(j, j->peer, 0, NULL, 1);
}

static void
dst_cleanup_later(struct job *j, struct dst_op *op)
{
	struct mig_dst	*d = &MIG(j)->d;
	struct timeval	 tv = { DST_CLEANUP_RETRY_S, 0 };

	if (!d->cleanup_waits)
		log_warnx("job %s: cannot clean up: %s; trying again every "
		    "%d s", j->id, op->err, DST_CLEANUP_RETRY_S);
	d->cleanup_waits = 1;
	job_set_state(j, JOB_CLEANING, "cleanup: waiting for libvirt");
	if (d->retry == NULL &&
	    (d->retry = evtimer_new(j->gw->base, dst_cleanup_retry, j)) ==
	    NULL) {
		log_warnx("job %s: no timer to clean up later: it cleans up "
		    "at the next start", j->id);
		return;
	}
	evtimer_add(d->retry, &tv);
}

static void
dst_cleanup_done(void *arg)
{
	struct dst_op	*op = arg;
	struct job	*j = op->job;
	const char	*reason = op->req != NULL ? json_string_value(
			    json_object_get(op->req, "reason")) : NULL;

	j->busy = 0;
	dst_op_adopt(op);
	if (op->no_libvirt) {
		dst_cleanup_later(j, op);
		if (!op->orphan)
			pmsg_reply(op->peer, op->id, json_incref(op->reply));
		dst_op_free(op);
		return;
	}
	job_rmdir(j);
	if (j->error[0] == '\0')
		snprintf(j->error, sizeof(j->error), "%s", reason ? reason :
		    "the source is gone");
	job_set_state(j, strstr(j->error, "cancel") ? JOB_CANCELLED :
	    JOB_FAILED, "cleaned up");
	if (!op->orphan)
		pmsg_reply(op->peer, op->id, json_incref(op->reply));
	dst_op_free(op);
}

static void
dst_cleanup(struct job *j, struct peer *p, json_int_t id, json_t *req,
    int orphan)
{
	struct dst_op	*op;

	if (j->busy)
		return;	/* the worker's own end decides */
	job_conns_abort(j, "job aborted");
	job_set_state(j, JOB_CLEANING, "cleanup");
	if ((op = dst_op_new(j, p, id, req)) == NULL)
		return;
	op->orphan = orphan;
	if (req != NULL)
		MIG(j)->d.source_running = json_is_true(json_object_get(req,
		    "source_running"));
	op->source_running = MIG(j)->d.source_running;
	if (job_work(j, dst_cleanup_work, dst_cleanup_done, op) == -1) {
		dst_op_free(op);
		return;
	}
	j->busy = 1;
}

void
mig_pm_abort(struct peer *p, json_int_t id, json_t *req)
{
	const char	*jid = json_string_value(json_object_get(req, "job"));
	struct job	*j;

	if ((j = dst_job(p, jid)) == NULL) {
		pmsg_reply(p, id, json_pack("{s:s}", "note", "no such job"));
		return;
	}
	if (job_terminal(j)) {
		pmsg_reply(p, id, json_pack("{s:s}", "note", "already ended"));
		return;
	}
	snprintf(j->error, sizeof(j->error), "%s", json_string_value(
	    json_object_get(req, "reason")) ?: "aborted by the source");
	if (j->busy) {
		/* a step (prepare, finish) is running: undo when it ends */
		MIG(j)->d.abort_pending = 1;
		pmsg_reply(p, id, json_pack("{s:s}", "note", "cleaning up when "
		    "the current step ends"));
		return;
	}
	dst_cleanup(j, p, id, req, 0);
}

static void	dst_pc_check(struct job *);
static void	dst_orphaned(struct job *);

/* The source's tunnel is gone: its jobs here will get no word from it. */
static void
dst_orphan(evutil_socket_t fd, short ev, void *arg)
{
	struct job	*j = arg;

	if (job_terminal(j) || j->state == JOB_CLEANING)
		return;
	if (j->peer->tunnel != NULL && j->state == JOB_PREPARED)
		return;	/* back in time: the source may still go on */
	if (j->busy) {
		struct timeval	 tv = { 1, 0 };

		evtimer_add(MIG(j)->d.orphan, &tv);
		return;
	}
	/* libvirt's word, not only its events: the tunnel may have gone
	 * before the guest was resumed here in post-copy */
	if (j->state == JOB_RUNNING) {
		dst_pc_check(j);
		return;
	}
	dst_orphaned(j);
}

static void
dst_orphaned(struct job *j)
{
	snprintf(j->error, sizeof(j->error), "tunnel to %s lost during %s",
	    j->peer_name, j->phase);
	dst_cleanup(j, j->peer, 0, NULL, 1);
}

/*
 * The source was lost during a live move.  While a post-copy
 * migration is not complete the guest's memory is split between the sites:
 * neither copy may go.  QEMU pauses it here until the source resumes the
 * migration over a new tunnel (its channels come back to this job); the
 * state is looked at again every JOB_ORPHAN_GRACE seconds meanwhile.  A
 * migration that completed as the tunnel went is an orphan like any other.
 */
struct dst_pc_call {
	struct job	*job;
	int		 postcopy;	/* kvm_domain_postcopy() */
	char		 err[512];
};

static void
dst_pc_check_work(void *arg)
{
	struct dst_pc_call	*c = arg;
	struct kvm		*k = NULL;

	c->postcopy = -2;	/* libvirt did not answer */
	if (kvm_open(&k, c->job->gw->conf->libvirt, c->err,
	    sizeof(c->err)) == 0)
		c->postcopy = kvm_domain_postcopy(k, c->job->domain, c->err,
		    sizeof(c->err));
	kvm_close(k);
}

static void
dst_pc_check_done(void *arg)
{
	struct dst_pc_call	*c = arg;
	struct job		*j = c->job;
	struct mig_dst		*d = &MIG(j)->d;
	struct timeval		 tv = { JOB_ORPHAN_GRACE, 0 };
	int			 pc = c->postcopy;

	free(c);
	j->busy = 0;
	if (job_terminal(j) || j->state != JOB_RUNNING)
		return;
	if (d->abort_pending) {		/* the source's job-abort came */
		dst_cleanup(j, j->peer, 0, NULL, 1);
		return;
	}
	if (pc == 0 || pc == -1 || (pc == -2 && !d->postcopy)) {
		/* not (or no longer) in post-copy: an orphan as before, unless
		 * a paused post-copy was resumed over a tunnel that is back */
		d->pc_paused = 0;
		if (!d->pc_interrupted || j->peer->tunnel == NULL)
			dst_orphaned(j);
		return;
	}
	d->postcopy = 1;
	if (j->peer->tunnel == NULL || d->pc_paused) {
		if (!d->pc_paused)
			log_warnx("job %s: the tunnel to %s went during "
			    "post-copy: %s waits here for %s to resume it",
			    j->id, j->peer_name, j->domain, j->peer_name);
		if (!d->pc_paused || strcmp(j->phase, "post-copy paused") != 0)
			job_set_state(j, JOB_RUNNING, "post-copy paused");
		d->pc_paused = 1;
		d->pc_interrupted = 1;
	}
	if (d->pc_paused)
		evtimer_add(d->orphan, &tv);
}

static void
dst_pc_check(struct job *j)
{
	struct dst_pc_call	*c;
	struct timeval		 tv = { 1, 0 };

	if ((c = calloc(1, sizeof(*c))) != NULL)
		c->job = j;
	if (c == NULL ||
	    job_work(j, dst_pc_check_work, dst_pc_check_done, c) == -1) {
		free(c);
		evtimer_add(MIG(j)->d.orphan, &tv);	/* again soon */
		return;
	}
	j->busy = 1;
}

void
mig_dst_tunnel_down(struct peer *p, struct tunnel *t, const char *why)
{
	struct gw	*gw = p->gw;
	struct job	*j;
	struct mig_dst	*d;
	struct timeval	 tv = { JOB_ORPHAN_GRACE, 0 };

	if (gw->jobs == NULL)
		return;
	TAILQ_FOREACH(j, gw->jobs, entry) {
		if (j->kind != &mig_kind || j->role != JOB_DEST ||
		    j->peer != p || job_terminal(j))
			continue;
		d = &MIG(j)->d;
		if (d->orphan == NULL &&
		    (d->orphan = evtimer_new(gw->base, dst_orphan, j)) == NULL)
			continue;
		evtimer_add(d->orphan, &tv);
	}
}

void
mig_dst_recover(struct job *j)
{
	if (j->peer == NULL) {
		log_warnx("job %s: peer %s is no longer configured; cleaning "
		    "up", j->id, j->peer_name);
	}
	snprintf(j->error, sizeof(j->error), "interrupted: vmgwd restarted "
	    "during %s", j->phase[0] ? j->phase : job_state_name(j->state));
	dst_cleanup(j, j->peer, 0, NULL, 1);
}

/* libvirt's lifecycle events: a guest we receive resumed here. */
void
mig_dst_event(struct gw *gw, const char *domain, enum kvm_event ev,
    void *arg)
{
	struct job	*j;

	if (ev != KVM_EV_RESUMED_MIGRATED && ev != KVM_EV_RESUMED_POSTCOPY)
		return;
	TAILQ_FOREACH(j, gw->jobs, entry)
		if (j->kind == &mig_kind && j->role == JOB_DEST &&
		    j->state == JOB_RUNNING && strcmp(j->domain, domain) == 0) {
			if (ev == KVM_EV_RESUMED_POSTCOPY)
				MIG(j)->d.postcopy = 1;
			mig_net_dest_switched(j);
		}
}

void
mig_dst_free(struct job *j)
{
	struct mig_dst	*d = &MIG(j)->d;

	if (d->orphan != NULL)
		event_free(d->orphan);
	if (d->retry != NULL)
		event_free(d->retry);
	if (d->rl != NULL)
		bufferevent_rate_limit_group_free(d->rl);
	while (d->nmig_held > 0)
		chan_held_fail(d->mig_held[--d->nmig_held], "the job ended");
	np_probe_free(d->probe);
	if (d->finishing != NULL) {
		dst_op_free(d->finishing->op);
		free(d->finishing);
	}
}
