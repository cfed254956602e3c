/*
 * dr_home.c - protection at the home site: the "replication" job kind.
 *
 * One job per protected guest, role source, running for as long as the
 * guest is protected: its record (state_dir/jobs/) is the durable
 * protection, so a restarted gateway protects the same guests from the
 * same point on.  The scheduler (dr/core sched.c) starts each cycle early
 * enough to hold the target RPO; a cycle takes one point and ships it:
 *
 *   take (worker) -> dr-begin -> "dr" channel + ship (worker) -> end (worker)
 *
 * A channel lost while shipping: the export stays open, and once the
 * tunnel is back the same point goes on from the last acknowledged frame
 * (dr-begin with resume).  Any other failure ends the export and deletes
 * the point's checkpoint, and the next cycle redoes it from the previous
 * checkpoint, which has recorded every write since.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "dr.h"
#include "metrics.h"

#define DR_UNPROT_WAIT_S	5	/* for the backup site to answer */
#define DR_UNPROT_DROP_S	120	/* ... and to remove the replica */

#define DR_RESUME_TRIES		5
#define DR_RESUME_WAIT_S	30

struct dr_waiter {
	TAILQ_ENTRY(dr_waiter)	 entry;
	struct ctl_conn		*ctl;
	struct job		*job;
	uint64_t		 after;		/* a point with seq > after */
};

static void	dr_cycle_start(struct job *);
static void	dr_schedule(struct job *);
static void	dr_unprotected(struct job *);
static void	dr_unprot_drop(struct job *);
static void	dr_unprot_free(struct dr_unprot *);

/* `vmgw unprotect` under way (see dr_unprotect) */
struct dr_unprot {
	struct gw	*gw;
	struct job	*job;		/* until the job is done */
	struct ctl_conn	*ctl;		/* NULL: the CLI went away */
	char		 domain[128];
	char		 to[CONFIG_NAME_MAX + 1];
	char		 prefix[80];	/* of this job's checkpoints */
	char		 source[512];	/* its first disk (the backup maps it) */
	int		 drop;		/* the replica goes */
	int		 ready;		/* the backup site answered */
	json_t		*dropped;	/* its reply */
	unsigned	 checkpoints;	/* deleted here */
	char		 warn[512];	/* checkpoints not deleted: why */
};

static void	dr_begin_point(struct job *, int resume);
static void	dr_domain_idle(struct job *, int retry);
static void	dr_hashes_next(struct job *);
static void	dr_update_status(struct job *);

/* Cycles no closer than this: a short RPO may start every half of it
 * (0: the scheduler's default floor). */
static int64_t
dr_floor(int64_t rpo)
{
	return rpo < 2 * DRC_SCHED_FLOOR_S ? rpo / 2 + 1 : 0;
}
static void	dr_fence(struct job *, const char *);

/* ------------------------------------------------------------ the kind */

static int
dr_init_priv(struct job *j)
{
	struct dr_prot	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return -1;
	p->job = j;
	TAILQ_INIT(&p->waiters);
	snprintf(p->status, sizeof(p->status), "seeding");
	j->priv = p;
	return 0;
}

static void
dr_save(const struct job *j, json_t *o)
{
	const struct dr_prot	*p = DR(j);
	json_t			*disks, *tops;
	size_t			 i;

	json_object_set_new(o, "protect", json_pack("{s:s, s:I, s:i, s:b, "
	    "s:I}", "to", p->set.to, "rpo", (json_int_t)p->set.rpo, "keep",
	    (int)p->set.keep, "quiesce", p->set.quiesce, "bandwidth",
	    (json_int_t)p->set.bandwidth));
	json_object_set_new(o, "replication", json_pack("{s:I, s:s, s:I, "
	    "s:I, s:s, s:s, s:I, s:I, s:I, s:s, s:s, s:i, s:s}", "seq",
	    (json_int_t)p->seq, "checkpoint", p->checkpoint, "newest_start",
	    (json_int_t)p->newest_start, "last_start",
	    (json_int_t)p->last_start, "status", p->status, "reason",
	    p->reason, "last_bytes", (json_int_t)p->last_bytes,
	    "last_changed", (json_int_t)p->last_changed, "last_duration",
	    (json_int_t)p->last_duration, "last_consistency",
	    p->last_consistency, "last_point", p->last_point, "points_kept",
	    (int)p->points_kept, "source", p->source));
	json_object_set_new(json_object_get(o, "replication"), "fenced",
	    json_boolean(p->fenced));
	json_object_set_new(json_object_get(o, "replication"), "resync_first",
	    json_boolean(p->resync_first));
	json_object_set_new(json_object_get(o, "replication"), "on_base",
	    json_boolean(p->on_base));
	if (p->checkpoint_xml != NULL)
		json_object_set_new(json_object_get(o, "replication"),
		    "checkpoint_xml", json_string(p->checkpoint_xml));
	/* the newest point's disks (a move over the replica, the disks a
	 * move keeps) and a move's overlays, which a restart commits back */
	disks = json_array();
	for (i = 0; i < p->n_disks; i++)
		json_array_append_new(disks, json_pack("{s:s, s:s, s:I}",
		    "target", p->disks[i].target, "path", p->disks[i].path,
		    "size", (json_int_t)p->disks[i].size));
	json_object_set_new(json_object_get(o, "replication"), "disks", disks);
	if (p->n_tops > 0) {
		tops = json_array();
		for (i = 0; i < p->n_tops; i++)
			json_array_append_new(tops, json_string(p->tops[i]));
		json_object_set_new(json_object_get(o, "replication"),
		    "move_overlays", tops);
	}
}

/* A time or a duration of a record in seconds, 0 when it cannot be one
 * (the scheduler adds and multiplies them: drc_sched_next) */
static int64_t
dr_rec_secs(json_t *v)
{
	json_int_t	 s = json_integer_value(v);

	return s >= 0 && s <= DR_SECS_MAX ? (int64_t)s : 0;
}

static int
dr_load(struct job *j, json_t *o)
{
	struct dr_prot	*p = DR(j);
	json_t		*s = json_object_get(o, "protect");
	json_t		*r = json_object_get(o, "replication");
	json_t		*d;
	const char	*v;
	json_int_t	 k;
	size_t		 i;

	if (!json_is_object(s) || !json_is_object(r))
		return -1;
	snprintf(p->set.to, sizeof(p->set.to), "%s",
	    json_string_value(json_object_get(s, "to")) ?: "");
	p->set.rpo = json_integer_value(json_object_get(s, "rpo"));
	k = json_integer_value(json_object_get(s, "keep"));
	p->set.quiesce = json_is_true(json_object_get(s, "quiesce"));
	p->set.bandwidth = (uint64_t)json_integer_value(json_object_get(s,
	    "bandwidth"));
	/* the ranges a protection can be given (the scheduler's arithmetic
	 * counts on them) */
	if (p->set.rpo < DR_RPO_MIN || p->set.rpo > DR_RPO_MAX || k < 1 ||
	    k > DR_KEEP_MAX)
		return -1;
	p->set.keep = (unsigned)k;
	p->seq = (uint64_t)json_integer_value(json_object_get(r, "seq"));
	if ((v = json_string_value(json_object_get(r, "checkpoint"))) != NULL)
		snprintf(p->checkpoint, sizeof(p->checkpoint), "%s", v);
	p->newest_start = dr_rec_secs(json_object_get(r, "newest_start"));
	p->last_bytes = (uint64_t)json_integer_value(json_object_get(r,
	    "last_bytes"));
	p->last_duration = dr_rec_secs(json_object_get(r, "last_duration"));
	if ((v = json_string_value(json_object_get(r, "last_point"))) != NULL)
		snprintf(p->last_point, sizeof(p->last_point), "%s", v);
	if ((v = json_string_value(json_object_get(r, "last_consistency"))) !=
	    NULL)
		snprintf(p->last_consistency, sizeof(p->last_consistency),
		    "%s", v);
	p->points_kept = (unsigned)json_integer_value(json_object_get(r,
	    "points_kept"));
	if ((v = json_string_value(json_object_get(r, "source"))) != NULL)
		snprintf(p->source, sizeof(p->source), "%s", v);
	if ((v = json_string_value(json_object_get(r, "checkpoint_xml"))) !=
	    NULL)
		p->checkpoint_xml = strdup(v);
	p->resync_first = json_is_true(json_object_get(r, "resync_first"));
	p->on_base = json_is_true(json_object_get(r, "on_base"));
	json_array_foreach(json_object_get(r, "disks"), i, d) {
		const char *t = json_string_value(json_object_get(d, "target"));
		const char *pa = json_string_value(json_object_get(d, "path"));

		if (p->n_disks == DRC_DISKS_MAX || t == NULL || pa == NULL ||
		    strlen(t) >= sizeof(p->disks[0].target) ||
		    strlen(pa) >= sizeof(p->disks[0].path))
			break;
		snprintf(p->disks[p->n_disks].target,
		    sizeof(p->disks[0].target), "%s", t);
		snprintf(p->disks[p->n_disks].path, sizeof(p->disks[0].path),
		    "%s", pa);
		p->disks[p->n_disks].size = (uint64_t)json_integer_value(
		    json_object_get(d, "size"));
		p->n_disks++;
	}
	json_array_foreach(json_object_get(r, "move_overlays"), i, d)
		if (p->n_tops < DRC_DISKS_MAX && json_is_string(d) &&
		    strlen(json_string_value(d)) < sizeof(p->tops[0]))
			snprintf(p->tops[p->n_tops++], sizeof(p->tops[0]), "%s",
			    json_string_value(d));
	if (p->n_tops != p->n_disks)	/* one per disk, or none */
		p->n_tops = 0;
	if (json_is_true(json_object_get(r, "fenced"))) {
		p->fenced = p->paused = 1;
		snprintf(p->status, sizeof(p->status), "failed-over");
		snprintf(p->reason, sizeof(p->reason), "failed over to %s: the "
		    "copy here is kept off", p->set.to);
	}
	return 0;
}

static void
dr_free(struct job *j)
{
	struct dr_prot		*p = DR(j);
	struct dr_waiter	*w;

	if (p == NULL)
		return;
	while ((w = TAILQ_FIRST(&p->waiters)) != NULL) {
		TAILQ_REMOVE(&p->waiters, w, entry);
		ctl_set_close_cb(w->ctl, NULL, NULL);
		free(w);
	}
	if (p->unprot != NULL)	/* the daemon ends with an unprotect waiting */
		dr_unprot_free(p->unprot);
	if (p->timer != NULL)
		event_free(p->timer);
	free(p->checkpoint_xml);
	free(p);
	j->priv = NULL;
}

/* A restart: protection goes on.  A backup job of ours left running ends
 * (the point is redone from the previous checkpoint). */
static void
dr_recover(struct job *j)
{
	struct dr_prot	*p = DR(j);

	log_info("%s: protection to %s goes on after the restart (newest point "
	    "%s)", j->domain, p->set.to, p->last_point[0] ? p->last_point :
	    "none");
	drc_sched_init(&p->sched, p->set.rpo, dr_floor(p->set.rpo));
	if (p->last_duration > 0)
		drc_sched_record(&p->sched, p->last_duration);
	p->cycling = 0;
	if (!p->fenced && p->seq > 0)
		snprintf(p->status, sizeof(p->status), "ok");
	dr_update_status(j);
	if (p->n_tops > 0) {	/* a move over the replica was cut short */
		log_warnx("%s: a move's overlays were left (%s): committed back",
		    j->domain, p->tops[0]);
		p->paused = 1;
		if (dr_tops_undo(j))
			return;
		p->paused = 0;
	}
	dr_schedule(j);
}

/* A migration of the guest: no new point; the one being taken ends first. */
static void
dr_yield(struct job *j, void (*ready)(void *), void *arg)
{
	struct dr_prot	*p = DR(j);

	p->paused = 1;
	if (p->timer != NULL)
		evtimer_del(p->timer);
	snprintf(p->status, sizeof(p->status), "paused");
	snprintf(p->reason, sizeof(p->reason), "the guest is being migrated");
	if (!p->cycling) {
		ready(arg);
		return;
	}
	log_info("%s: a migration waits for point %s to end", j->domain,
	    p->cur != NULL ? p->cur->id : "?");
	p->yield_ready = ready;
	p->yield_arg = arg;
}

static void
dr_resume(struct job *j)
{
	struct dr_prot	*p = DR(j);

	if (!p->paused || p->fenced)
		return;
	if (dr_tops_undo(j))	/* a failed move's overlays go first */
		return;
	dr_schedule_resume(j);
}

void
dr_schedule_resume(struct job *j)
{
	struct dr_prot	*p = DR(j);

	if (!p->paused || p->fenced || job_terminal(j))
		return;
	p->paused = 0;
	snprintf(p->status, sizeof(p->status), "ok");
	p->reason[0] = '\0';
	dr_update_status(j);
	dr_schedule(j);
}

/*
 * The guest moved to site `to`: its protection goes with it.  Before the
 * new home takes it up (dr-adopt):
 *   - it had failed over to here: that failover is over (failover.json
 *     retired, its pin lifted), so that a point of the new home is not
 *     refused here as from a fenced copy;
 *   - it moved to its backup site: the replica there is obsolete (the guest
 *     runs there from the migrated disks), so it goes (dr-drop).
 */
struct dr_move {
	struct gw		*gw;
	char			 domain[128];
	char			 to[CONFIG_NAME_MAX + 1];
	char			 target[CONFIG_NAME_MAX + 1];	/* protects to */
	char			 source[512];
	struct dr_settings	 set;
	int			 drop;
	char			 retired[700];	/* the failover record, ended */
	/* the disks here stayed (dr_keeps_disks): they become the replica */
	int			 takeover;
	char			 uuid[KVM_UUID_LEN + 1];
	struct dr_disk		 disks[DRC_DISKS_MAX];
	size_t			 n_disks;
	char			 chain[600];	/* ... in that directory */
	/* its disks here are overlays on its chain here: a new point */
	int			 append;
	uint64_t		 chain_seq;	/* the chain's newest point then */
	/* it rode on the replica there: the overlays of its final point */
	char			 tops[DRC_DISKS_MAX][600];
	size_t			 n_tops;
	char			 err[512];
};

static void
dr_adopt_reply(json_t *reply, const char *err, void *arg)
{
	char	*guest = arg;

	(void)reply;
	if (err != NULL)
		log_warnx("%s: its new home did not take up its protection: %s",
		    guest, err);
	free(guest);
}

static void
dr_move_adopt(struct dr_move *mv)
{
	struct peer	*peer = peer_find(mv->gw, mv->to);
	json_t		*m;
	char		*g;

	/* a chain of the guest is where it will protect it to (the disks
	 * here, or the replica of its failover): its first point compares
	 * (or starts from a replicated move's checkpoint), numbered after
	 * that chain's newest point (seq) */
	m = json_pack("{s:s, s:s, s:s, s:I, s:I, s:i, s:b, s:I, s:b}", "op",
	    PM_DR_ADOPT, "guest", mv->domain, "to", mv->target, "seq",
	    (json_int_t)mv->chain_seq, "rpo",
	    (json_int_t)mv->set.rpo, "keep", (int)mv->set.keep, "quiesce",
	    mv->set.quiesce, "bandwidth", (json_int_t)mv->set.bandwidth,
	    "resync_first", mv->chain[0] != '\0' || mv->retired[0] != '\0');
	g = peer != NULL ? strdup(mv->domain) : NULL;
	if (g == NULL || pmsg_request(peer, m, 60, dr_adopt_reply, g) == -1) {
		log_warnx("%s: could not hand its protection to %s: protect "
		    "it there", mv->domain, mv->to);
		free(g);	/* the reply callback runs only when sent */
	}
	json_decref(m);
	free(mv);
}

static void
dr_move_dropped(json_t *reply, const char *err, void *arg)
{
	struct dr_move	*mv = arg;

	(void)reply;
	if (err != NULL)
		log_warnx("%s: its old replica at %s stays: %s", mv->domain,
		    mv->to, err);
	else
		log_info("%s: its old replica at %s is removed (it runs there "
		    "now)", mv->domain, mv->to);
	dr_move_adopt(mv);
}

/*
 * (worker) It rode on the replica: what it wrote after the final point is
 * in the overlays here; committed into the images under them, these hold
 * its disks at the switchover, the copy the new home's first point is
 * compared with.  Without a takeover they just go.
 */
static void
dr_move_tops(struct dr_move *mv)
{
	const char	*argv[5];
	char		 msg[512];
	size_t		 i;

	for (i = 0; i < mv->n_tops; i++) {
		argv[0] = "qemu-img"; argv[1] = "commit"; argv[2] = "-q";
		argv[3] = mv->tops[i]; argv[4] = NULL;
		if ((mv->takeover || mv->append) && drc_run(argv, msg,
		    sizeof(msg)) != 0) {
			log_warnx("%s: %s: qemu-img commit: %s (its old copy "
			    "is as at the final point)", mv->domain,
			    mv->tops[i], msg);
			continue;
		}
		if (unlink(mv->tops[i]) == -1 && errno != ENOENT)
			log_warnx("%s: %s: %s", mv->domain, mv->tops[i],
			    strerror(errno));
	}
}

/*
 * (worker) The guest left this site: a chain it ran on here (after a
 * failover, or a move over the replica) is no longer its disk.  Its record
 * is retired (retired: the new name, "" when there was none), the pins of
 * its point lifted, and the chain is a replica again.
 */
int
dr_retire_run(const struct gw *gw, const char *domain, char *retired,
    size_t retlen, char *err, size_t errlen)
{
	struct drc_manifest	*m = NULL;
	char			 dir[600], path[700], mpath[700];
	size_t			 i;
	int			 got, changed = 0, ret = -1;

	retired[0] = '\0';
	drc_manifest_lock();
	if ((got = dr_local_chain(gw->conf, domain, dir, sizeof(dir), &m, err,
	    errlen)) != 1) {
		ret = got == 0 ? 0 : -1;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/failover.json", dir);
	if (access(path, F_OK) != 0) {
		ret = 0;
		goto out;
	}
	for (i = 0; i < m->n_points; i++)
		if (m->points[i].pinned && (strncmp(m->points[i].pin_reason,
		    "failover at ", 12) == 0 || strncmp(m->points[i].pin_reason,
		    DR_PIN_MOVED, strlen(DR_PIN_MOVED)) == 0)) {
			char	 who[80];

			/* a linked clone on it keeps it pinned */
			if (dr_clone_holder(gw->conf, dir, m->points[i].id,
			    NULL, who, sizeof(who)) == 1)
				snprintf(m->points[i].pin_reason,
				    sizeof(m->points[i].pin_reason), "clone %s",
				    who);
			else {
				m->points[i].pinned = 0;
				m->points[i].pin_reason[0] = '\0';
			}
			changed = 1;
		}
	snprintf(mpath, sizeof(mpath), "%s/manifest.json", dir);
	if (changed && drc_manifest_save(mpath, m, err, errlen) == -1)
		goto out;
	snprintf(retired, retlen, "%s/failover-ended-%lld.json", dir,
	    (long long)time(NULL));
	if (rename(path, retired) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		retired[0] = '\0';
		goto out;
	}
	ret = 0;
 out:
	drc_manifest_unlock();
	drc_manifest_free(m);
	return ret;
}

/* (worker) the guest moved away: what it ran on here, its old copy */
static void
dr_move_work(void *arg)
{
	struct dr_move		*mv = arg;
	char			 dir[600];
	size_t			 i;

	dr_move_tops(mv);
	if (mv->append) {
		char	 e[512] = "";

		if (dr_append_old_copy(mv->gw, mv->domain, mv->disks,
		    mv->n_disks, mv->gw->conf->site, &mv->chain_seq, e,
		    sizeof(e)) == -1) {
			log_warnx("%s: its old copy here does not become a "
			    "point of its replica (%s): removed", mv->domain,
			    e);
			mv->chain_seq = 0;
			for (i = 0; i < mv->n_disks; i++)
				if (unlink(mv->disks[i].path) == -1 &&
				    errno != ENOENT)
					log_warnx("%s: %s: %s", mv->domain,
					    mv->disks[i].path, strerror(errno));
		}
	}
	(void)dr_retire_run(mv->gw, mv->domain, mv->retired,
	    sizeof(mv->retired), mv->err, sizeof(mv->err));
	if (mv->takeover) {
		const struct vmgw_config *conf = mv->gw->conf;
		const struct vmgw_peer	 *pc = NULL;
		char			 e[512], *there;

		for (i = 0; i < conf->n_peers; i++)
			if (strcmp(conf->peers[i].name, mv->to) == 0)
				pc = &conf->peers[i];
		if (pc == NULL || (there = kvm_map_path(mv->disks[0].path,
		    pc->storage, pc->n_storage)) == NULL) {
			log_warnx("%s: its old copy %s is not under a storage "
			    "mapping of %s: it stays as it is", mv->domain,
			    mv->disks[0].path, mv->to);
			return;
		}
		if (dr_chain_dir(mv->gw, pc, mv->domain, there, dir,
		    sizeof(dir), e, sizeof(e)) == -1 ||
		    dr_takeover(mv->gw->conf->site, dir, mv->domain, mv->uuid,
		    mv->to, mv->disks, mv->n_disks, e, sizeof(e)) == -1)
			log_warnx("%s: its old copy here does not become the "
			    "replica (the new home's first point is a full "
			    "one): %s", mv->domain, e);
		else
			snprintf(mv->chain, sizeof(mv->chain), "%s", dir);
		free(there);
	}
}

static void
dr_move_worked(void *arg)
{
	struct dr_move	*mv = arg;
	struct peer	*peer;
	json_t		*m;

	if (mv->err[0] != '\0')
		log_warnx("%s: %s", mv->domain, mv->err);
	if (mv->retired[0] != '\0')
		log_info("%s: its failover to here is over: it left for %s (%s)",
		    mv->domain, mv->to, mv->retired);
	if (mv->chain[0] != '\0')
		log_info("%s: its old copy here is its replica from %s now (%s)",
		    mv->domain, mv->to, mv->chain);
	if (!mv->drop || mv->source[0] == '\0' ||
	    (peer = peer_find(mv->gw, mv->to)) == NULL) {
		dr_move_adopt(mv);
		return;
	}
	m = json_pack("{s:s, s:s, s:s}", "op", PM_DR_DROP, "guest", mv->domain,
	    "source", mv->source);
	if (pmsg_request(peer, m, 60, dr_move_dropped, mv) == -1)
		dr_move_adopt(mv);
	json_decref(m);
}

/*
 * Moved to its backup site, the guest's disks here equal its disks there
 * at the switchover: kept (the mover does not delete them), they become
 * the base of its replica here, and the new home's first point ships only
 * what differs.  Not when the guest ran here from a failover (its disks
 * are overlays on the replica of that failover) or vmgw never saw them.
 */
static int
dr_keeps_disks(struct job *j, const char *to)
{
	struct dr_prot			*p = DR(j);
	const struct vmgw_config	*conf = j->gw->conf;
	char				 path[700];
	size_t				 i, k;

	if (p->fenced || p->n_disks == 0 || p->seq == 0 ||
	    strcmp(p->set.to, to) != 0 || strlen(j->uuid) != KVM_UUID_LEN)
		return 0;
	p->claim_chain = 0;
	for (i = 0; i < conf->n_peers; i++)
		for (k = 0; k < conf->peers[i].n_storage; k++) {
			snprintf(path, sizeof(path), "%s/%s/%s/failover.json",
			    conf->peers[i].storage[k].from, DR_DIR, j->domain);
			if (access(path, F_OK) == 0)
				p->claim_chain = 1;	/* overlays on it */
		}
	p->disks_claimed = 1;	/* dr_moved takes them over */
	return 1;
}

static void
dr_moved(struct job *j, const char *to)
{
	struct dr_prot	*p = DR(j);
	struct dr_move	*mv;

	p->stopping = 1;
	if (p->timer != NULL)
		evtimer_del(p->timer);
	job_set_state(j, JOB_DONE, "moved: protected from its new home");
	if ((mv = calloc(1, sizeof(*mv))) == NULL) {
		log_warnx("%s: could not hand its protection to %s: protect "
		    "it there", j->domain, to);
		return;
	}
	mv->gw = j->gw;
	snprintf(mv->domain, sizeof(mv->domain), "%s", j->domain);
	snprintf(mv->to, sizeof(mv->to), "%s", to);
	/* protected to the site it moved to: from there back to here */
	mv->drop = strcmp(p->set.to, to) == 0;
	snprintf(mv->target, sizeof(mv->target), "%s", mv->drop ?
	    j->gw->conf->site : p->set.to);
	snprintf(mv->source, sizeof(mv->source), "%s", p->source);
	mv->set = p->set;
	if (mv->drop && p->disks_claimed) {	/* the mover kept them for us */
		mv->takeover = !p->claim_chain;
		mv->append = p->claim_chain;
		snprintf(mv->uuid, sizeof(mv->uuid), "%s", j->uuid);
		memcpy(mv->disks, p->disks, sizeof(mv->disks));
		mv->n_disks = p->n_disks;
	}
	if (p->n_tops > 0) {	/* it rode on the replica: that is its disk */
		memcpy(mv->tops, p->tops, sizeof(mv->tops));
		mv->n_tops = p->n_tops;
		p->n_tops = 0;
		mv->drop = 0;
	}
	log_info("%s: moved to %s: it protects it to %s from now on",
	    j->domain, to, mv->target);
	if (worker_run(j->gw, dr_move_work, dr_move_worked, mv) == -1)
		dr_move_worked(mv);
}

void
dr_pm_adopt(struct peer *peer, json_int_t id, json_t *req)
{
	struct dr_settings	 s;
	const char		*guest = json_string_value(json_object_get(req,
				    "guest"));
	const char		*to = json_string_value(json_object_get(req,
				    "to"));
	struct job		*j;
	json_int_t		 seq;
	char			 err[512];

	memset(&s, 0, sizeof(s));
	if (guest == NULL || to == NULL || strchr(guest, '/') != NULL ||
	    strlen(to) >= sizeof(s.to)) {
		pmsg_reply_error(peer, id, "malformed dr-adopt");
		return;
	}
	if (strcmp(to, peer->gw->conf->site) == 0 || peer_find(peer->gw, to) ==
	    NULL) {
		pmsg_reply_error(peer, id, "%s: %s is not a peer of %s", guest,
		    to, peer->gw->conf->site);
		return;
	}
	snprintf(s.to, sizeof(s.to), "%s", to);
	s.rpo = json_integer_value(json_object_get(req, "rpo"));
	s.keep = (unsigned)json_integer_value(json_object_get(req, "keep"));
	s.quiesce = json_is_true(json_object_get(req, "quiesce"));
	s.bandwidth = (uint64_t)json_integer_value(json_object_get(req,
	    "bandwidth"));
	if (s.rpo < 10 || s.rpo > 7 * 86400 || s.keep < 1 || s.keep > 1000) {
		pmsg_reply_error(peer, id, "malformed dr-adopt");
		return;
	}
	if ((json_is_true(json_object_get(req, "resync_first")) &&
	    dr_job_for(peer->gw, guest) == NULL ? dr_protect_reverse(peer->gw,
	    guest, &s, err, sizeof(err)) : dr_protect(peer->gw, guest, &s, err,
	    sizeof(err))) == -1) {
		pmsg_reply_error(peer, id, "%s", err);
		return;
	}
	seq = json_integer_value(json_object_get(req, "seq"));
	if (seq > 0 && (j = dr_job_for(peer->gw, guest)) != NULL &&
	    DR(j)->seq == 0 && DR(j)->cur == NULL) {
		DR(j)->seq = (uint64_t)seq;	/* the old home's chain's newest */
		DR(j)->on_base = 0;
		job_save(j);
	}
	pmsg_reply(peer, id, json_object());
}

const struct job_kind dr_kind = {
	.name = "replication",
	.background = 1,
	.init = dr_init_priv,
	.save = dr_save,
	.load = dr_load,
	.recover = dr_recover,
	.free = dr_free,
	.keeps_disks = dr_keeps_disks,
	.yield = dr_yield,
	.resume = dr_resume,
	.moved = dr_moved,
	.replica_at = dr_replica_at,
	.final_point = dr_final_point,
};

struct job *
dr_job_for(struct gw *gw, const char *domain)
{
	struct job	*j;

	TAILQ_FOREACH(j, gw->jobs, entry)
		if (j->kind == &dr_kind && !job_terminal(j) &&
		    strcmp(j->domain, domain) == 0)
			return j;
	return NULL;
}

/* ------------------------------------------------------------ status */

static void
dr_update_status(struct job *j)
{
	struct dr_prot		*p = DR(j);
	struct drc_sched_out	 so;

	drc_sched_next(&p->sched, p->newest_start, p->last_start,
	    (int64_t)time(NULL), &so);
	if (p->fenced)
		;
	else if (p->seq == 0)
		snprintf(p->status, sizeof(p->status), "seeding");
	else if (strcmp(p->status, "error") == 0 ||
	    strcmp(p->status, "resync") == 0 ||
	    strcmp(p->status, "paused") == 0)
		;
	else
		snprintf(p->status, sizeof(p->status), "%s",
		    drc_rpo_state_str(so.state));
}

json_t *
dr_status_json(const struct job *j)
{
	const struct dr_prot	*p = DR(j);
	struct drc_sched_out	 so;
	int64_t			 now = (int64_t)time(NULL);
	const char		*st = p->status;
	json_t			*o;

	drc_sched_next(&p->sched, p->newest_start, p->last_start, now, &so);
	if (p->seq > 0 && (strcmp(st, "ok") == 0 || strcmp(st, "warning") ==
	    0 || strcmp(st, "violation") == 0))
		st = drc_rpo_state_str(so.state);
	o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:f, "
	    "s:i, s:s, s:s, s:b, s:i, s:I, s:I}", "domain", j->domain, "to",
	    p->set.to, "state", st, "reason", p->reason, "rpo_s",
	    (json_int_t)(p->seq > 0 ? now - p->newest_start : -1),
	    "target_rpo_s", (json_int_t)p->set.rpo, "last_bytes",
	    (json_int_t)p->last_bytes, "last_changed",
	    (json_int_t)p->last_changed, "last_duration_s",
	    (json_int_t)p->last_duration, "throughput_bps",
	    p->last_duration > 0 ? (double)p->last_bytes /
	    (double)p->last_duration : 0.0, "points_kept",
	    (int)p->points_kept, "newest_point", p->last_point,
	    "consistency", p->last_consistency, "quiesce", p->set.quiesce,
	    "keep", (int)p->set.keep, "next_cycle",
	    (json_int_t)(p->cycling ? 0 : so.next_start), "job",
	    (json_int_t)0);
	/* images under its disks (1: its own; on its chain: more) */
	if (o != NULL)
		json_object_set_new(o, "chain_depth",
		    json_integer(p->depth ? p->depth : 1));
	return o;
}

/* ------------------------------------------------------------ scheduler */

static void
dr_timer(evutil_socket_t fd, short ev, void *arg)
{
	dr_cycle_start(arg);
}

static void
dr_schedule(struct job *j)
{
	struct dr_prot		*p = DR(j);
	struct drc_sched_out	 so;
	struct timeval		 tv = { 0, 0 };
	int64_t			 now = (int64_t)time(NULL);

	if (p->stopping || p->paused || job_terminal(j))
		return;
	if (p->timer == NULL &&
	    (p->timer = evtimer_new(j->gw->base, dr_timer, j)) == NULL)
		return;
	drc_sched_next(&p->sched, p->newest_start, p->last_start, now, &so);
	if (strcmp(p->status, "error") == 0 && so.next_start < now + DR_RETRY_S)
		so.next_start = now + DR_RETRY_S;
	if (!TAILQ_EMPTY(&p->waiters) || p->seq == 0)
		so.next_start = strcmp(p->status, "error") == 0 ?
		    now + DR_RETRY_S : now;
	tv.tv_sec = so.next_start > now ? so.next_start - now : 0;
	evtimer_add(p->timer, &tv);
}

/* ------------------------------------------------------------ a cycle */

static void
dr_waiters_done(struct job *j, const char *err)
{
	struct dr_prot		*p = DR(j);
	struct dr_waiter	*w, *next;

	for (w = TAILQ_FIRST(&p->waiters); w != NULL; w = next) {
		next = TAILQ_NEXT(w, entry);
		if (err == NULL && p->seq <= w->after)
			continue;
		TAILQ_REMOVE(&p->waiters, w, entry);
		ctl_set_close_cb(w->ctl, NULL, NULL);
		if (err != NULL)
			ctl_error(w->ctl, VMGW_EXIT_FAIL, "%s: %s", j->domain,
			    err);
		else
			ctl_ok(w->ctl, json_pack("{s:s, s:s, s:s, s:s, s:I, "
			    "s:I, s:I}", "domain", j->domain, "point",
			    p->last_point, "consistency", p->last_consistency,
			    "reason", p->reason, "bytes",
			    (json_int_t)p->last_bytes, "changed",
			    (json_int_t)p->last_changed, "seconds",
			    (json_int_t)p->last_duration));
		free(w);
	}
}

static void
dr_cycle_free(struct dr_cycle *c)
{
	size_t	 i;

	if (c == NULL)
		return;
	for (i = 0; i < DRC_DISKS_MAX; i++)
		drc_hashes_free(&c->remote[i]);
	free(c->from_xml);
	free(c->cp_xml);
	if (c->fd != -1)
		close(c->fd);
	free(c->xml);
	free(c);
}

/* The cycle is over (its end worker ran): the state, the next one. */
static int	dr_upkeep_start(struct job *);

static void
dr_cycle_over(void *arg)
{
	struct dr_cycle	*c = arg;
	struct job	*j = c->job;
	struct dr_prot	*p = DR(j);
	int64_t		 now = (int64_t)time(NULL);
	int		 retry;

	j->busy = 0;
	p->cycling = 0;
	p->cur = NULL;
	job_rmdir(j);
	if (c->final && c->rc == 0) {
		/* no checkpoint of its own: the next point (after a failed
		 * move) is again from the newest, whose bitmap records all */
		snprintf(c->checkpoint, sizeof(c->checkpoint), "%s", c->from);
		free(c->cp_xml);
		c->cp_xml = c->from_xml;
		c->from_xml = NULL;
	}
	if (c->rc == 0) {
		p->resync_first = 0;
		p->on_base = 0;
		if (!c->final) {
			p->depth = c->depth;
			p->upkeep_due = c->upkeep;
		}
		memcpy(p->disks, c->disks, sizeof(p->disks));
		p->n_disks = c->n_disks;
		p->seq = c->seq;
		snprintf(p->checkpoint, sizeof(p->checkpoint), "%s",
		    c->checkpoint);
		free(p->checkpoint_xml);
		p->checkpoint_xml = c->cp_xml;
		c->cp_xml = NULL;
		snprintf(p->last_point, sizeof(p->last_point), "%s", c->id);
		snprintf(p->last_consistency, sizeof(p->last_consistency),
		    "%s", c->app ? "app" : "crash");
		/* the RPO peaked just now: since the previous point's start */
		if (p->newest_start > 0 && now - p->newest_start > p->set.rpo)
			p->violations++;
		p->newest_start = c->start;
		p->last_bytes = c->bytes;
		p->last_changed = c->changed;
		p->last_duration = now - c->start;
		drc_sched_record(&p->sched, p->last_duration);
		snprintf(p->reason, sizeof(p->reason), "%s", c->reason);
		snprintf(p->status, sizeof(p->status), "ok");
		dr_update_status(j);
		job_set_state(j, JOB_RUNNING, "protected");
		log_info("%s: point %s (%s) complete at %s: %llu bytes shipped "
		    "in %llds%s%s", j->domain, c->id, p->last_consistency,
		    p->set.to, (unsigned long long)c->bytes,
		    (long long)p->last_duration, c->reason[0] ? "; " : "",
		    c->reason);
		if (p->last_duration * 2 > p->set.rpo)
			log_warnx("%s: the cycle took %llds, more than half the "
			    "target RPO (%llds)", j->domain,
			    (long long)p->last_duration, (long long)p->set.rpo);
		dr_waiters_done(j, NULL);
	} else if (p->fenced) {
		job_save(j);
		dr_waiters_done(j, c->err);
	} else if (c->retry_now) {
		log_info("%s: point %s: %s; again as a full point", j->domain,
		    c->id, c->err);
		job_save(j);
	} else {
		snprintf(p->status, sizeof(p->status), "error");
		snprintf(p->reason, sizeof(p->reason), "%s", c->err);
		snprintf(j->phase, sizeof(j->phase), "error");
		p->violations++;
		job_save(j);
		log_warnx("%s: point %s failed: %s", j->domain, c->id, c->err);
		dr_waiters_done(j, c->err);
	}
	if (c->final) {
		dr_final_over(j, c);
		dr_cycle_free(c);
		return;
	}
	retry = c->retry_now;
	dr_cycle_free(c);
	dr_domain_idle(j, retry);
}

/*
 * A cycle or a chain's merge ended: the domain is free again for what
 * waited (an unprotect, a migration), else the next step (a point at once
 * when retry, a merge that is due, the next point when it is time).
 */
static void
dr_domain_idle(struct job *j, int retry)
{
	struct dr_prot	*p = DR(j);

	if (p->unprot != NULL && !p->stopping) {	/* unprotect waits */
		if (p->unprot->ready)
			dr_unprot_drop(j);
		return;
	}
	if (p->stopping) {
		dr_unprotected(j);
		return;
	}
	if (retry && p->yield_ready == NULL && p->timer != NULL) {
		struct timeval	 now0 = { 0, 0 };

		evtimer_add(p->timer, &now0);
		return;
	}
	if (p->yield_ready != NULL) {	/* a migration waits for the domain */
		void	(*ready)(void *) = p->yield_ready;

		p->yield_ready = NULL;
		ready(p->yield_arg);
		return;
	}
	if (p->upkeep_due && dr_upkeep_start(j) == 0)
		return;
	dr_schedule(j);
}

/* ------------------------------------------------------------ upkeep */

#define DR_UPKEEP_BPS	(64ull << 20)	/* the merge's cap, unless --bandwidth */

struct dr_upkeep {
	struct job	*job;
	uint64_t	 bandwidth;
	unsigned	 depth;
	int		 rc;
	char		 err[512];
};

static void
dr_upkeep_work(void *arg)
{
	struct dr_upkeep	*u = arg;

	u->rc = dr_upkeep_run(u->job->gw, u->job->domain, u->bandwidth,
	    &u->depth, u->err, sizeof(u->err));
}

static void
dr_upkeep_done(void *arg)
{
	struct dr_upkeep	*u = arg;
	struct job		*j = u->job;
	struct dr_prot		*p = DR(j);

	j->busy = 0;
	p->cycling = 0;
	if (u->rc == 0 && u->depth != 0)
		p->depth = u->depth;
	else if (u->rc == -1)
		log_warnx("%s: its chain here stays as it is: %s", j->domain,
		    u->err);
	free(u);
	/* an unprotect that came meanwhile waited for it too */
	dr_domain_idle(j, 0);
}

/*
 * Between two points (libvirt lets one block job hold a disk), the chain
 * under a guest that runs on it here is merged: it does not run on a long
 * chain (dr_upkeep_run).  Counted as a cycle: a migration waits for it.
 */
static int
dr_upkeep_start(struct job *j)
{
	struct dr_prot		*p = DR(j);
	struct dr_upkeep	*u;

	p->upkeep_due = 0;
	if (p->stopping || p->paused || p->unprot != NULL ||
	    (u = calloc(1, sizeof(*u))) == NULL)
		return -1;
	u->job = j;
	u->bandwidth = p->set.bandwidth ? p->set.bandwidth : DR_UPKEEP_BPS;
	p->cycling = 1;
	snprintf(j->phase, sizeof(j->phase), "merging its chain");
	if (job_work(j, dr_upkeep_work, dr_upkeep_done, u) == -1) {
		p->cycling = 0;
		free(u);
		return -1;
	}
	j->busy = 1;
	return 0;
}

static void
dr_cycle_end(struct dr_cycle *c)
{
	struct job	*j = c->job;

	job_conns_abort(j, c->rc == 0 ? "point done" : c->err);
	j->conn_err[0] = '\0';		/* that was us: no reason for the next */
	if (!c->began) {
		dr_cycle_over(c);
		return;
	}
	if (job_work(j, c->final ? dr_final_end_work : dr_end_work,
	    dr_cycle_over, c) == -1)
		dr_cycle_over(c);
}

static void
dr_fail(struct dr_cycle *c, const char *fmt, ...) LOG_FMT(2, 3);

static void
dr_fail(struct dr_cycle *c, const char *fmt, ...)
{
	va_list	 ap;

	c->rc = -1;
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(c->err, sizeof(c->err), fmt, ap);
		va_end(ap);
	}
	dr_cycle_end(c);
}

static void
dr_ship_done(void *arg)
{
	struct dr_cycle	*c = arg;
	struct job	*j = c->job;

	if (c->rc == 0) {
		dr_cycle_end(c);
		return;
	}
	/* the channel was lost, and the export is still open: go on from
	 * the last acknowledged frame once the tunnel is back */
	/* a reset by the backup site carries its reason (a full disk, a bad
	 * chunk): that point fails; a lost channel is resumed */
	if ((j->conn_err[0] != '\0' || strstr(c->err, "channel") != NULL) &&
	    strstr(j->conn_err, "reset by") == NULL &&
	    c->resumes++ < DR_RESUME_TRIES && !DR(j)->stopping) {
		log_warnx("%s: point %s: %s%s%s; resuming from the last "
		    "acknowledged frame when %s is back", j->domain, c->id,
		    c->err, j->conn_err[0] ? ": " : "", j->conn_err,
		    j->peer_name);
		job_conns_abort(j, "resuming");
		j->conn_err[0] = '\0';
		c->err[0] = '\0';
		dr_begin_point(j, 1);
		return;
	}
	if (j->conn_err[0] != '\0' && strstr(c->err, "channel") != NULL)
		snprintf(c->err, sizeof(c->err), "%s", j->conn_err);
	dr_fail(c, NULL);
}

/* The backup site is ready: the channel, its relay, the ship worker. */
static void
dr_ship(struct dr_cycle *c)
{
	struct job	*j = c->job;
	struct tunnel	*t = j->peer->tunnel;
	struct relay	*r;
	json_t		*req;
	int		 sv[2], rc;

	if (t == NULL || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv) == -1) {
		dr_fail(c, "no tunnel to %s", j->peer_name);
		return;
	}
	set_nonblock_cloexec(sv[1]);
	if ((r = relay_new(j->gw, sv[1], NULL)) == NULL) {
		close(sv[0]);
		close(sv[1]);
		dr_fail(c, "out of memory");
		return;
	}
	c->fd = sv[0];
	job_conn_add(j, r, "dr");
	req = json_pack("{s:s, s:s, s:s}", "kind", CHAN_KIND_DR, "guest",
	    j->domain, "point", c->id);
	rc = relay_open(r, j->peer, req, "dr point");
	json_decref(req);
	if (rc == -1) {
		relay_abort(r, "cannot open a channel");
		dr_fail(c, "cannot open a channel to %s", j->peer_name);
		return;
	}
	snprintf(j->phase, sizeof(j->phase), "shipping %s", c->id);
	if (job_work(j, dr_ship_work, dr_ship_done, c) == -1)
		dr_fail(c, "cannot start a thread");
}

/* (resync) the backup site's block hashes, page by page, then the ship */
static void
dr_hashes_reply(json_t *reply, const char *err, void *arg)
{
	struct job		*j = arg;
	struct dr_cycle		*c = DR(j)->cur;
	struct drc_hashes	*h;
	const char		*b64;
	size_t			 n, got;

	if (c == NULL)
		return;
	if (err != NULL) {
		dr_fail(c, "%s: hashes: %s", j->peer_name, err);
		return;
	}
	h = &c->remote[c->hash_disk];
	n = (size_t)json_integer_value(json_object_get(reply, "n"));
	b64 = json_string_value(json_object_get(reply, "hashes"));
	if (h->h == NULL) {
		h->size = (uint64_t)json_integer_value(json_object_get(reply,
		    "size"));
		h->n = n;
		if (n > 0 && (h->h = calloc(n, sizeof(*h->h))) == NULL) {
			dr_fail(c, "out of memory");
			return;
		}
	}
	if (b64 == NULL || n != h->n || json_integer_value(json_object_get(
	    reply, "block")) != DRC_HASH_BLOCK || sodium_base642bin(
	    (uint8_t *)h->h[c->hash_next], (h->n - c->hash_next) *
	    DRC_HASH_LEN, b64, strlen(b64), NULL, &got, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || got % DRC_HASH_LEN != 0) {
		dr_fail(c, "%s: malformed block hashes", j->peer_name);
		return;
	}
	c->hash_next += got / DRC_HASH_LEN;
	if (c->hash_next >= h->n) {
		c->hash_disk++;
		c->hash_next = 0;
	}
	if (got == 0 && c->hash_next < h->n) {
		dr_fail(c, "%s: no block hashes", j->peer_name);
		return;
	}
	dr_hashes_next(j);
}

static void
dr_hashes_next(struct job *j)
{
	struct dr_cycle	*c = DR(j)->cur;
	json_t		*m;

	if (c->hash_disk >= c->n_disks) {
		log_info("%s: point %s: block hashes of %s's copy fetched: "
		    "comparing", j->domain, c->id, j->peer_name);
		dr_ship(c);
		return;
	}
	m = json_pack("{s:s, s:s, s:s, s:i, s:I, s:i}", "op", PM_DR_HASHES,
	    "guest", j->domain, "point", c->id, "disk", (int)c->hash_disk,
	    "from", (json_int_t)c->hash_next, "count", DR_HASHES_PER_MSG);
	if (pmsg_request(j->peer, m, 60, dr_hashes_reply, j) == -1)
		dr_fail(c, "tunnel to %s lost", j->peer_name);
	json_decref(m);
}

/* (worker) the copy here stays off: destroyed if it runs, no autostart */
static void
dr_fence_work(void *arg)
{
	struct job	*j = arg;
	struct kvm	*k = NULL;
	char		 err[512];
	int		 ran = 0;

	if (kvm_open(&k, j->gw->conf->libvirt, err, sizeof(err)) == -1 ||
	    kvm_domain_fence(k, j->domain, &ran, err, sizeof(err)) == -1)
		log_warnx("%s: fence: %s", j->domain, err);
	else if (ran)
		log_warnx("%s: its old copy here was running: destroyed (it "
		    "runs at %s since its failover)", j->domain, j->peer_name);
	kvm_close(k);
}

static void
dr_fence_done(void *arg)
{
}

/*
 * The backup site says the guest failed over to it: this site's copy
 * stays off (never started, destroyed if it runs) and no point is taken,
 * until reverse protection (part 2) takes the disk over.
 */
static void
dr_fence(struct job *j, const char *why)
{
	struct dr_prot	*p = DR(j);

	if (!p->fenced)
		log_warnx("%s: %s: its copy here is kept off", j->domain, why);
	p->fenced = 1;
	p->paused = 1;
	snprintf(p->status, sizeof(p->status), "failed-over");
	snprintf(p->reason, sizeof(p->reason), "failed over to %s: the copy "
	    "here is kept off", j->peer_name);
	if (job_work(j, dr_fence_work, dr_fence_done, j) == -1)
		log_warnx("%s: cannot start a thread to fence it", j->domain);
}

static void
dr_begun(json_t *reply, const char *err, void *arg)
{
	struct job	*j = arg;
	struct dr_prot	*p = DR(j);
	struct dr_cycle	*c = p->cur;
	const char	*dir;

	if (c == NULL)
		return;
	if (err != NULL && reply == NULL && c->began && !p->stopping &&
	    c->resumes++ < DR_RESUME_TRIES) {
		/* no answer (the tunnel went, or crossed dials replaced it):
		 * ask again once the tunnel is back; the export stays open */
		log_warnx("%s: point %s: %s; asking %s again", j->domain, c->id,
		    err, j->peer_name);
		dr_begin_point(j, 1);
		return;
	}
	if (err != NULL && json_is_true(json_object_get(reply,
	    "failed_over"))) {
		dr_fence(j, err);
		dr_fail(c, "%s: %s", j->peer_name, err);
		return;
	}
	if (err != NULL) {
		if (strstr(err, "full point") != NULL && p->checkpoint[0] !=
		    '\0') {
			/* the backup site has no chain (any more), or a newer
			 * one: a full point, numbered after its newest */
			p->checkpoint[0] = '\0';
			c->retry_now = 1;
		}
		if (strstr(err, "full point") != NULL) {
			uint64_t newest = (uint64_t)json_integer_value(
			    json_object_get(reply, "newest_seq"));

			if (newest > p->seq) {
				p->seq = newest;
				c->retry_now = 1;
			}
		}
		dr_fail(c, "%s: %s", j->peer_name, err);
		return;
	}
	c->next_seq = (uint64_t)json_integer_value(json_object_get(reply,
	    "next_seq"));
	/* after this point, and the merges beyond keep */
	p->points_kept = (unsigned)json_integer_value(json_object_get(reply,
	    "points")) + 1;
	if (p->points_kept > p->set.keep)
		p->points_kept = p->set.keep;
	if ((dir = json_string_value(json_object_get(reply, "dir"))) != NULL)
		log_debug("%s: point %s goes to %s:%s from frame %llu",
		    j->domain, c->id, j->peer_name, dir,
		    (unsigned long long)c->next_seq);
	if (c->resync && json_is_true(json_object_get(reply, "hashed")) &&
	    c->remote[0].h == NULL) {
		dr_hashes_next(j);	/* then dr_ship */
		return;
	}
	dr_ship(c);
}

static void
dr_peer_up(struct peer *peer, struct tunnel *t, const char *err, void *arg)
{
	struct job	*j = arg;
	struct dr_prot	*p = DR(j);
	struct dr_cycle	*c = p->cur;
	json_t		*m, *disks;
	size_t		 i;

	if (c == NULL)
		return;
	if (t == NULL) {
		dr_fail(c, "%s", err);
		return;
	}
	disks = json_array();
	for (i = 0; i < c->n_disks; i++)
		json_array_append_new(disks, json_pack("{s:s, s:s, s:I}",
		    "target", c->disks[i].target, "source", c->disks[i].path,
		    "size", (json_int_t)c->disks[i].size));
	m = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:o, s:s, "
	    "s:b, s:i, s:b, s:b}", "op", PM_DR_BEGIN, "guest", j->domain, "uuid",
	    j->uuid, "point", c->id, "seq", (json_int_t)c->seq, "start",
	    (json_int_t)c->start, "consistency", c->app ? "app" : "crash",
	    "reason", c->app ? "" : c->reason, "disks", disks, "xml",
	    c->xml ? c->xml : "",
	    "incremental", c->from[0] != '\0', "keep", (int)p->set.keep,
	    "resume", c->next_seq != 0 || c->bytes != 0, "resync", c->resync);
	if (p->on_base && c->from[0] != '\0')
		json_object_set_new(m, "on_base", json_true());
	if (pmsg_request(peer, m, JOB_PREPARE_TIMEOUT, dr_begun, j) == -1)
		dr_fail(c, "tunnel to %s lost", j->peer_name);
	json_decref(m);
}

static void
dr_begin_point(struct job *j, int resume)
{
	struct dr_prot	*p = DR(j);

	if (peer_wait(j->peer, resume ? DR_RESUME_WAIT_S : 10, dr_peer_up,
	    j) == NULL)
		dr_fail(p->cur, "out of memory");
}

static void
dr_taken(void *arg)
{
	struct dr_cycle	*c = arg;
	struct job	*j = c->job;
	struct dr_prot	*p = DR(j);

	if (c->uuid[0] != '\0')
		snprintf(j->uuid, sizeof(j->uuid), "%s", c->uuid);
	if (!c->began) {
		dr_fail(c, NULL);
		return;
	}
	if (c->resync) {
		snprintf(p->status, sizeof(p->status), "resync");
		snprintf(p->reason, sizeof(p->reason), "%s", c->reason);
		log_warnx("%s: %s", j->domain, c->reason);
	}
	snprintf(j->phase, sizeof(j->phase), "point %s taken", c->id);
	snprintf(p->source, sizeof(p->source), "%s", c->disks[0].path);
	dr_begin_point(j, 0);
}

static void
dr_cycle_start(struct job *j)
{
	struct dr_prot	*p = DR(j);
	struct dr_cycle	*c;
	char		 dir[512];

	if (p->cycling || p->stopping || p->paused || p->unprot != NULL ||
	    job_terminal(j))
		return;
	if (j->peer == NULL) {
		snprintf(p->status, sizeof(p->status), "error");
		snprintf(p->reason, sizeof(p->reason), "%s is not a peer of "
		    "this site", j->peer_name);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return;
	c->job = j;
	c->fd = -1;
	c->seq = p->seq + 1;
	drc_point_id(c->id, c->seq);
	snprintf(c->from, sizeof(c->from), "%s", p->checkpoint);
	if (p->checkpoint[0] != '\0' && p->checkpoint_xml != NULL)
		c->from_xml = strdup(p->checkpoint_xml);
	if (p->resync_first) {	/* reverse protection: compare with the old
				 * home's copy, ship what differs */
		c->from[0] = '\0';
		c->resync = 1;
		snprintf(c->reason, sizeof(c->reason), "reverse protection: "
		    "compared with the old copy at %s", p->set.to);
	}
	snprintf(c->checkpoint, sizeof(c->checkpoint), "%s%s-%s",
	    DR_CHECKPOINT_PREFIX, j->id, c->id);
	if (job_mkrundir(j, dir, sizeof(dir), c->err, sizeof(c->err)) == -1 ||
	    snprintf(c->sock, sizeof(c->sock), "%s/%s.sock", dir, c->id) >=
	    KVM_BACKUP_SOCK_MAX) {
		snprintf(p->status, sizeof(p->status), "error");
		snprintf(p->reason, sizeof(p->reason), "the export's socket "
		    "directory: %s", c->err[0] != '\0' ? c->err :
		    "its path is too long");
		free(c);
		dr_schedule(j);
		return;
	}
	unlink(c->sock);
	p->cycling = 1;
	p->cur = c;
	p->last_start = (int64_t)time(NULL);
	j->busy = 1;
	snprintf(j->phase, sizeof(j->phase), "taking %s", c->id);
	j->conn_err[0] = '\0';
	if (job_work(j, dr_take_work, dr_taken, c) == -1) {
		snprintf(c->err, sizeof(c->err), "cannot start a thread");
		dr_cycle_over(c);
	}
}

/* A move's final point (dr_move.c): as a cycle, while the job has yielded. */
int
dr_final_cycle(struct job *j)
{
	struct dr_prot	*p = DR(j);
	struct dr_cycle	*c;
	char		 dir[512];

	if (p->cycling || p->stopping || p->unprot != NULL || p->fenced ||
	    job_terminal(j) || j->peer == NULL || p->checkpoint[0] == '\0')
		return -1;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	c->job = j;
	c->fd = -1;
	c->final = 1;
	c->seq = p->seq + 1;
	drc_point_id(c->id, c->seq);
	snprintf(c->from, sizeof(c->from), "%s", p->checkpoint);
	if (p->checkpoint_xml != NULL)
		c->from_xml = strdup(p->checkpoint_xml);
	snprintf(c->checkpoint, sizeof(c->checkpoint), "%s", c->from);
	if (job_mkrundir(j, dir, sizeof(dir), c->err, sizeof(c->err)) == -1 ||
	    snprintf(c->sock, sizeof(c->sock), "%s/%s.sock", dir, c->id) >=
	    KVM_BACKUP_SOCK_MAX - 4) {
		log_warnx("%s: final point: %s", j->domain, c->err[0] != '\0' ?
		    c->err : "the export's socket path is too long");
		free(c->from_xml);
		free(c);
		return -1;
	}
	p->cycling = 1;
	p->cur = c;
	p->last_start = (int64_t)time(NULL);
	j->busy = 1;
	snprintf(j->phase, sizeof(j->phase), "final point %s", c->id);
	j->conn_err[0] = '\0';
	if (job_work(j, dr_final_take_work, dr_taken, c) == -1) {
		p->cycling = 0;
		p->cur = NULL;
		j->busy = 0;
		free(c->from_xml);
		free(c);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ commands */

int
dr_protect(struct gw *gw, const char *domain, const struct dr_settings *s,
    char *err, size_t errlen)
{
	struct job	*j;
	struct dr_prot	*p;

	if ((j = dr_job_for(gw, domain)) != NULL) {
		/* new settings for a protected guest */
		p = DR(j);
		if (strcmp(p->set.to, s->to) != 0) {
			snprintf(err, errlen, "%s is protected to %s: unprotect "
			    "it first", domain, p->set.to);
			return -1;
		}
		if (p->fenced) {
			snprintf(err, errlen, "%s failed over to %s: its copy "
			    "here stays off (vmgw reprotect %s, at %s, protects "
			    "it from there to here)", domain, p->set.to, domain,
			    p->set.to);
			return -1;
		}
		p->set = *s;
		drc_sched_init(&p->sched, s->rpo, dr_floor(s->rpo));
		job_save(j);
		dr_schedule(j);
		return 0;
	}
	if ((j = job_new(gw, &dr_kind, JOB_SOURCE, NULL, s->to, domain)) ==
	    NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	p = DR(j);
	p->set = *s;
	drc_sched_init(&p->sched, s->rpo, dr_floor(s->rpo));
	job_set_state(j, JOB_RUNNING, "seeding");
	log_info("%s: protected to %s (rpo %llds, keep %u%s)", domain, s->to,
	    (long long)s->rpo, s->keep, s->quiesce ? ", quiesced" : "");
	dr_schedule(j);
	return 0;
}

/* Reverse protection (dr_reverse.c): a new job whose first point is a
 * resync against the old home's copy, which is that site's chain now. */
static void	dr_moved_checkpoint(struct job *);

int
dr_protect_reverse(struct gw *gw, const char *domain,
    const struct dr_settings *s, char *err, size_t errlen)
{
	struct job	*j;

	if (dr_job_for(gw, domain) != NULL) {
		snprintf(err, errlen, "%s is protected already", domain);
		return -1;
	}
	if (dr_protect(gw, domain, s, err, errlen) == -1)
		return -1;
	if ((j = dr_job_for(gw, domain)) == NULL) {
		snprintf(err, errlen, "its protection did not start");
		return -1;
	}
	DR(j)->resync_first = 1;	/* before its timer fires */
	dr_moved_checkpoint(j);
	job_save(j);
	return 0;
}

/*
 * A replicated move made a checkpoint here before the guest ran (the old
 * home's copy equals the point it was restored on, exactly): the first
 * point is incremental from it, not a compare.
 */
static void
dr_moved_checkpoint(struct job *j)
{
	struct dr_prot		*p = DR(j);
	struct drc_manifest	*m = NULL;
	char			 dir[600], path[700], e[256];
	struct dr_forec		 rec;

	if (dr_local_chain(j->gw->conf, j->domain, dir, sizeof(dir), &m, e,
	    sizeof(e)) != 1) {
		drc_manifest_free(m);
		return;
	}
	drc_manifest_free(m);
	snprintf(path, sizeof(path), "%s/%s", dir, DR_FO_RECORD);
	if (dr_forec_load(path, &rec, e, sizeof(e)) == -1)
		return;
	if (strcmp(rec.kind, "move") == 0 && rec.checkpoint[0] != '\0') {
		snprintf(p->checkpoint, sizeof(p->checkpoint), "%s",
		    rec.checkpoint);
		p->resync_first = 0;
		p->on_base = 1;
		log_info("%s: its first point to %s is incremental from %s (the "
		    "checkpoint of its replicated move)", j->domain, p->set.to,
		    rec.checkpoint);
	}
}

/* The old home (dr_reverse.c): its fenced job ends, its copy is the
 * replica of the guest's new home now. */
void
dr_reversed(struct job *j, const char *by)
{
	struct dr_prot	*p = DR(j);
	char		 phase[32];

	p->stopping = 1;
	if (p->timer != NULL)
		evtimer_del(p->timer);
	snprintf(phase, sizeof(phase), "reversed to %s", by);
	log_info("%s: %s protects it to here from now on: its protection "
	    "from here ends", j->domain, by);
	job_set_state(j, JOB_DONE, phase);
}

/*
 * `vmgw unprotect DOMAIN [--keep-replica]`.  No new cycle starts.  Without
 * --keep-replica the backup site removes the replica first (dr-drop, once
 * the running cycle is over): when it does not answer, or keeps the
 * replica because it is in use there, unprotect is refused and protection
 * goes on, so that no replica is left behind unseen.  Then the job is done
 * and this job's checkpoints are deleted here (their bitmaps cost every
 * write).
 */

static void
dr_unprot_closed(struct ctl_conn *c, void *arg)
{
	(void)c;
	((struct dr_unprot *)arg)->ctl = NULL;
}

static void
dr_unprot_free(struct dr_unprot *u)
{
	if (u->ctl != NULL)
		ctl_set_close_cb(u->ctl, NULL, NULL);
	json_decref(u->dropped);
	free(u);
}

static void	dr_unprot_refused(struct dr_unprot *, const char *, ...)
		    LOG_FMT(2, 3);

/* The replica stays and so does protection: why. */
static void
dr_unprot_refused(struct dr_unprot *u, const char *fmt, ...)
{
	struct job	*j = u->job;
	char		 why[512];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	log_warnx("%s: unprotect refused: %s", u->domain, why);
	if (u->ctl != NULL)
		ctl_error(u->ctl, VMGW_EXIT_FAIL, "%s: %s; it stays protected "
		    "(vmgw unprotect %s --keep-replica ends protection and "
		    "leaves the replica there)", u->domain, why, u->domain);
	DR(j)->unprot = NULL;
	dr_unprot_free(u);
	dr_schedule(j);
}

/* (worker) this job's checkpoints, children first */
static void
dr_unprot_work(void *arg)
{
	struct dr_unprot	*u = arg;
	struct kvm		*k = NULL;
	struct kvm_checkpoint	*cp = NULL;
	size_t			 n = 0, i;
	int			 st;
	char			 e[256];

	if (kvm_open(&k, u->gw->conf->libvirt, u->warn, sizeof(u->warn)) == -1)
		return;
	if ((st = kvm_domain_exists(k, u->domain, NULL, e, sizeof(e),
	    u->warn, sizeof(u->warn))) != 1) {
		if (st == 0)		/* not here (any more): nothing to do */
			u->warn[0] = '\0';
		goto out;
	}
	if (kvm_checkpoint_list(k, u->domain, &cp, &n, u->warn,
	    sizeof(u->warn)) == -1)
		goto out;
	for (i = n; i-- > 0; ) {
		if (strncmp(cp[i].name, u->prefix, strlen(u->prefix)) != 0)
			continue;
		if (kvm_checkpoint_delete(k, u->domain, cp[i].name, 0, u->warn,
		    sizeof(u->warn)) == -1)
			break;
		u->checkpoints++;
	}
	kvm_checkpoint_list_free(cp, n);
out:
	kvm_close(k);
}

static void
dr_unprot_worked(void *arg)
{
	struct dr_unprot	*u = arg;
	json_t			*r;

	if (u->warn[0] != '\0')
		log_warnx("%s: its checkpoints here were not all deleted: %s",
		    u->domain, u->warn);
	else
		log_info("%s: %u checkpoints of its protection deleted",
		    u->domain, u->checkpoints);
	if (u->ctl != NULL) {
		r = json_pack("{s:s, s:s, s:b, s:i}", "domain", u->domain, "to",
		    u->to, "kept_replica", u->dropped == NULL,
		    "checkpoints_deleted", (int)u->checkpoints);
		if (u->dropped != NULL)
			json_object_update(r, u->dropped);
		if (u->warn[0] != '\0')
			json_object_set_new(r, "warning", json_string(u->warn));
		ctl_set_close_cb(u->ctl, NULL, NULL);
		ctl_ok(u->ctl, r);
		u->ctl = NULL;
	}
	dr_unprot_free(u);
}

/* The job is done (unprotect, after the cycle that ran). */
static void
dr_unprotected(struct job *j)
{
	struct dr_prot		*p = DR(j);
	struct dr_unprot	*u = p->unprot;

	job_set_state(j, JOB_DONE, "unprotected");
	if (u == NULL)
		return;
	p->unprot = NULL;
	u->job = NULL;
	if (worker_run(u->gw, dr_unprot_work, dr_unprot_worked, u) == -1) {
		snprintf(u->warn, sizeof(u->warn), "cannot start a thread");
		dr_unprot_worked(u);
	}
}

/* Protection ends: now, or once the running cycle is over. */
static void
dr_unprot_stop(struct dr_unprot *u)
{
	struct job	*j = u->job;
	struct dr_prot	*p = DR(j);

	p->stopping = 1;
	if (p->timer != NULL)
		evtimer_del(p->timer);
	log_info("%s: protection to %s ends; its replica there %s", j->domain,
	    p->set.to, u->dropped != NULL ? "is removed" : "stays");
	if (!p->cycling)
		dr_unprotected(j);
}

static void
dr_unprot_dropped(json_t *reply, const char *err, void *arg)
{
	struct dr_unprot	*u = arg;

	if (err != NULL) {
		dr_unprot_refused(u, "its replica at %s was not removed: %s",
		    u->to, err);
		return;
	}
	u->dropped = json_incref(reply);
	dr_unprot_stop(u);
}

/* No cycle runs and the backup site answered: the replica goes first. */
static void
dr_unprot_drop(struct job *j)
{
	struct dr_unprot	*u = DR(j)->unprot;
	struct peer		*peer;
	json_t			*m;

	if (u->source[0] == '\0') {	/* it never took a point */
		dr_unprot_stop(u);
		return;
	}
	m = json_pack("{s:s, s:s, s:s}", "op", PM_DR_DROP, "guest", u->domain,
	    "source", u->source);
	if ((peer = peer_find(u->gw, u->to)) == NULL ||
	    pmsg_request(peer, m, DR_UNPROT_DROP_S, dr_unprot_dropped, u) == -1)
		dr_unprot_refused(u, "%s does not answer: the tunnel went down",
		    u->to);
	json_decref(m);
}

static void
dr_unprot_peer(struct peer *peer, struct tunnel *t, const char *err,
    void *arg)
{
	struct dr_unprot	*u = arg;

	(void)peer;
	if (t == NULL) {
		dr_unprot_refused(u, "%s does not answer (%s): its replica "
		    "there cannot be removed", u->to, err);
		return;
	}
	u->ready = 1;
	if (!DR(u->job)->cycling)
		dr_unprot_drop(u->job);
	/* else dr_cycle_over goes on */
}

int
dr_unprotect(struct job *j, int keep, struct ctl_conn *ctl, char *err,
    size_t errlen)
{
	struct dr_prot		*p = DR(j);
	struct dr_unprot	*u;
	struct peer		*peer = NULL;

	if (p->unprot != NULL || p->stopping) {
		snprintf(err, errlen, "the protection of %s is ending already",
		    j->domain);
		return -1;
	}
	if (!keep && (peer = peer_find(j->gw, p->set.to)) == NULL) {
		snprintf(err, errlen, "%s is not a peer of %s: its replica "
		    "cannot be removed (--keep-replica)", p->set.to,
		    j->gw->conf->site);
		return -1;
	}
	if ((u = calloc(1, sizeof(*u))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	u->gw = j->gw;
	u->job = j;
	u->ctl = ctl;
	u->drop = !keep;
	snprintf(u->domain, sizeof(u->domain), "%s", j->domain);
	snprintf(u->to, sizeof(u->to), "%s", p->set.to);
	snprintf(u->prefix, sizeof(u->prefix), "%s%s-", DR_CHECKPOINT_PREFIX,
	    j->id);
	snprintf(u->source, sizeof(u->source), "%s", p->source);
	if (ctl != NULL)
		ctl_set_close_cb(ctl, dr_unprot_closed, u);
	p->unprot = u;
	if (keep) {
		dr_unprot_stop(u);
		return 0;
	}
	if (p->timer != NULL)	/* no new cycle meanwhile */
		evtimer_del(p->timer);
	if (peer_wait(peer, DR_UNPROT_WAIT_S, dr_unprot_peer, u) == NULL) {
		p->unprot = NULL;
		dr_unprot_free(u);
		snprintf(err, errlen, "cannot wait for %s", p->set.to);
		dr_schedule(j);
		return -1;
	}
	return 0;
}

static void
dr_waiter_closed(struct ctl_conn *ctl, void *arg)
{
	struct dr_waiter	*w = arg;

	TAILQ_REMOVE(&DR(w->job)->waiters, w, entry);
	free(w);
}

/* `vmgw sync`: a point now; the answer when it is complete there. */
int
dr_sync(struct job *j, struct ctl_conn *ctl)
{
	struct dr_prot		*p = DR(j);
	struct dr_waiter	*w;

	if (p->fenced || p->unprot != NULL || p->stopping) {
		ctl_error(ctl, VMGW_EXIT_FAIL, "%s: %s", j->domain, p->fenced ?
		    p->reason : "its protection is ending");
		return 0;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -1;
	w->ctl = ctl;
	w->job = j;
	/* a point that starts from now: after the one running, if any */
	w->after = p->seq + (p->cycling ? 1 : 0);
	TAILQ_INSERT_TAIL(&p->waiters, w, entry);
	ctl_set_close_cb(ctl, dr_waiter_closed, w);
	if (!p->cycling)
		dr_schedule(j);
	return 0;
}

/* Per protected guest: RPO now and target, the last cycle, violations. */
static void
dr_metrics(struct gw *gw, struct evbuffer *out)
{
	static const struct {
		const char	*name, *type, *help;
	} fam[] = {
		{ "vmgw_replication_rpo_seconds", "gauge", "Now minus the start "
		    "of the newest complete point (-1: none yet)." },
		{ "vmgw_replication_target_rpo_seconds", "gauge", "The target "
		    "RPO of the protection." },
		{ "vmgw_replication_last_cycle_bytes", "gauge", "Bytes the last "
		    "point shipped." },
		{ "vmgw_replication_last_cycle_seconds", "gauge", "How long the "
		    "last point took." },
		{ "vmgw_replication_points", "gauge", "Points kept at the "
		    "backup site." },
		{ "vmgw_replication_violations_total", "counter", "Points that "
		    "completed with the RPO past its target, or failed." },
	};
	struct job	*j;
	struct dr_prot	*p;
	int64_t		 now = (int64_t)time(NULL);
	size_t		 f;
	double		 v;

	for (f = 0; f < sizeof(fam) / sizeof(fam[0]); f++) {
		metrics_family(out, fam[f].name, fam[f].type, fam[f].help);
		TAILQ_FOREACH(j, gw->jobs, entry) {
			if (j->kind != &dr_kind || job_terminal(j))
				continue;
			p = DR(j);
			switch (f) {
			case 0: v = p->seq > 0 ? (double)(now -
				    p->newest_start) : -1; break;
			case 1: v = (double)p->set.rpo; break;
			case 2: v = (double)p->last_bytes; break;
			case 3: v = (double)p->last_duration; break;
			case 4: v = p->points_kept; break;
			default: v = (double)p->violations; break;
			}
			metrics_dbl(out, fam[f].name, v, "guest", j->domain,
			    "to", p->set.to, NULL);
		}
	}
}

/* The backup site's answer: does the guest run there (it failed over)? */
struct dr_ask_home {
	struct gw	*gw;
	char		 id[JOB_ID_LEN];	/* the job, found again on reply */
};

static void
dr_peer_status(json_t *reply, const char *err, void *arg)
{
	struct dr_ask_home	*a = arg;
	struct job		*j = job_find(a->gw, a->id);

	free(a);
	if (j == NULL || j->kind != &dr_kind || job_terminal(j) ||
	    reply == NULL || err != NULL)
		return;
	if (json_is_true(json_object_get(reply, "running")))
		dr_fence(j, "it runs at its backup site (a failover)");
}

/* A tunnel came up: is any guest protected to that peer running there? */
static void
dr_peer_up_cb(struct peer *peer, struct tunnel *t)
{
	struct dr_ask_home	*a;
	struct job		*j;
	json_t			*m;

	TAILQ_FOREACH(j, peer->gw->jobs, entry) {
		if (j->kind != &dr_kind || job_terminal(j) || j->peer != peer ||
		    DR(j)->fenced || (a = calloc(1, sizeof(*a))) == NULL)
			continue;
		a->gw = peer->gw;
		snprintf(a->id, sizeof(a->id), "%s", j->id);
		m = json_pack("{s:s, s:s}", "op", PM_DR_STATUS, "guest",
		    j->domain);
		if (pmsg_request(peer, m, 30, dr_peer_status, a) == -1)
			free(a);
		json_decref(m);
	}
}

int
dr_init(struct gw *gw)
{
	if (job_kind_register(&dr_kind) == -1 ||
	    pmsg_register(PM_DR_BEGIN, dr_pm_begin) == -1 ||
	    pmsg_register(PM_DR_POINTS, dr_pm_points) == -1 ||
	    pmsg_register(PM_DR_HASHES, dr_pm_hashes) == -1 ||
	    pmsg_register(PM_DR_ADOPT, dr_pm_adopt) == -1 ||
	    pmsg_register(PM_DR_DROP, dr_pm_drop) == -1 ||
	    accept_register(CHAN_KIND_DR, dr_accept, 1) == -1 ||
	    metrics_register(dr_metrics) == -1 ||
	    peer_observe(dr_peer_up_cb, NULL) == -1)
		return -1;
	dr_move_init();
	if (dr_failover_init() == -1 || dr_plan_init() == -1 ||
	    dr_reverse_init() == -1 || dr_clone_init() == -1 ||
	    dr_conf_init() == -1)
		return -1;
	return dr_ctl_init();
}
