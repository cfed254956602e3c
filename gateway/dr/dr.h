/*
 * dr.h - disaster recovery, part 1: continuous replication of protected
 * guests to a backup site.  Private to gateway/dr/.
 *
 *   dr_home.c    the home site: the "replication" job kind (one job per
 *                protected guest, its record the durable protection), the
 *                scheduler and the cycle of one point
 *   dr_ship.c    the home site's workers: take a point (freeze, pull-mode
 *                backup, thaw), ship it (NBD extents -> chunk frames), end
 *   dr_backup.c  the backup site: prepare a point (overlays, partial
 *                record), receive it (frames -> qemu-nbd), commit it
 *                (manifest), merge old points, list them
 *   dr_ctl.c     protect, unprotect, replication, sync, points
 *   dr_reverse.c reprotect: reverse protection after a failover
 *   dr_failover.c  failover (part 2), its optional TCP check
 *   dr_forec.c   failover.json: the guest runs here on its replica
 *   dr_test.c    failover tests: a throwaway copy on an isolated network
 *   dr_clone.c   clones: a new persistent guest from a point
 *   dr_plan.c    recovery plans: plan-check, plan-post, plan-report
 *
 * The building blocks (chunks, manifest, chains, NBD, scheduler,
 * retention) are gateway/dr/core; libvirt's side is kvm/kvm_backup.h.
 *
 * A point, from the home site's view:
 *   take (worker)   [freeze] backup-begin (incremental from the newest
 *                   checkpoint, creating the next) [thaw]
 *   dr-begin   -->  the backup site makes the point's overlays and says
 *                   from which frame to go on (a resumed point)
 *   ship (worker) => a "dr" channel: frames, DATA hashed; ACKs back
 *                   ACK of END_POINT: the manifest is committed there
 *   end (worker)    backup-end; on a failure the new checkpoint goes too,
 *                   so the next point is redone from the older one
 */
#ifndef VMGW_DR_H
#define VMGW_DR_H

#include "job.h"
#include "kvm.h"
#include "kvm_backup.h"
#include "drcore.h"

/* checkpoints: "vmgw-<job>-<point>" ("vmgw-j0123456789-p000017"); the job
 * makes them unique, since qcow2 v3 images carry the bitmaps of an older
 * protection through a migration but libvirt does not carry checkpoints */
#define DR_CHECKPOINT_PREFIX	"vmgw-"
/* the pin of the point a guest moved onto runs on (dr_move.c) */
#define DR_PIN_MOVED		"moved here at "
#define DR_ACK_EVERY		(4u << 20)	/* flush and ACK every 4 MiB */
#define DR_RETRY_S		10	/* a failed cycle is retried after */
#define DR_ACK_TIMEOUT_S	300	/* the backup site's final ACK */
#define DR_DIR			"vmgw-replica"	/* under the mapped storage dir */
#define DR_HASHES_PER_MSG	1024	/* block hashes per dr-hashes reply */
#define DR_KEEP_DEFAULT		24	/* protect's defaults */
#define DR_RPO_DEFAULT		60
#define DR_RPO_MIN		10	/* as config/protect.c and --rpo */
#define DR_RPO_MAX		(7 * 86400)
#define DR_KEEP_MAX		1000
#define DR_SECS_MAX		((int64_t)1 << 40)	/* a record's times */
#define DR_TEST_RECORD		"test.json"	/* in the chain dir: a test runs */
#define DR_TEST_DIR		"test"		/* ... its overlays, under it */
#define DR_CHECK_TIMEOUT_S	30	/* a check's default timeout */
#define DR_CHECK_TIMEOUT_MAX	3600

/* failover.json (dr_forec.c); a field "" when absent or damaged */
#define DR_FO_RECORD		"failover.json"
struct dr_forec {
	char		 domain[DRC_NAME_MAX + 1];
	char		 point[DRC_ID_MAX + 1];
	int64_t		 at;
	char		 site[DRC_NAME_MAX + 1];
	char		 kind[16];	/* "move", "": a failover */
	char		 from[DRC_NAME_MAX + 1];	/* a move's from */
	char		 checkpoint[64];
};
int	 dr_forec_parse(const char *what, const char *text, size_t len,
	    struct dr_forec *, char *err, size_t errlen);
int	 dr_forec_load(const char *path, struct dr_forec *, char *err,
	    size_t errlen);
int	 dr_forec_write(const char *path, const struct dr_forec *, char *err,
	    size_t errlen);

/* What protection is asked for (config or `vmgw protect`). */
struct dr_settings {
	char		 to[CONFIG_NAME_MAX + 1];
	int64_t		 rpo;		/* seconds */
	unsigned	 keep;		/* points kept at the backup site */
	int		 quiesce;
	uint64_t	 bandwidth;	/* bytes/s, 0: none */
};

/* One disk of a point, as both sites agree on it. */
struct dr_disk {
	char		 target[DRC_TARGET_MAX + 1];
	char		 path[512];	/* home: the image; backup: the chain dir */
	uint64_t	 size;
};

/* The priv of a replication job at the home site. */
struct dr_prot {
	struct job		*job;
	struct dr_settings	 set;
	struct drc_sched	 sched;
	uint64_t		 seq;		/* newest complete point (0: none) */
	char			 checkpoint[64];/* its checkpoint ("": none) */
	char			*checkpoint_xml;/* its definition, kept to redefine
						 * it when libvirt forgot it */
	int64_t			 newest_start;	/* of the newest complete point */
	int64_t			 last_start;	/* of the last cycle */
	char			 status[16];	/* seeding ok warning violation
						 * resync paused error */
	char			 reason[512];
	uint64_t		 last_bytes;	/* shipped by the last point */
	uint64_t		 last_changed;	/* bytes the bitmap called dirty */
	int64_t			 last_duration;
	char			 last_consistency[8];
	char			 last_point[DRC_ID_MAX + 1];
	unsigned		 points_kept;
	uint64_t		 violations;	/* for the metrics */
	char			 source[512];	/* the first disk's image */
	struct event		*timer;
	int			 cycling;	/* a cycle runs */
	int			 stopping;	/* unprotect: end after the cycle */
	int			 paused;	/* gave way to a migration */
	struct dr_disk		 disks[DRC_DISKS_MAX];	/* of the newest point */
	size_t			 n_disks;
	int			 disks_claimed;	/* a move keeps them for the
						 * replica (dr_keeps_disks) */
	int			 claim_chain;	/* ... they are overlays on the
						 * chain here: a new point */
	int			 resync_first;	/* reverse protection: the first
						 * point compares (dr_reverse.c) */
	int			 on_base;	/* ... or is incremental on the
						 * old home's copy (dr_move.c) */
	int			 fenced;	/* it failed over: its copy here
						 * stays off */
	void			(*yield_ready)(void *);
	void			*yield_arg;
	struct dr_cycle		*cur;
	struct dr_unprot	*unprot;	/* an unprotect under way */
	/* a move rides on the replica (dr_move.c): the overlays its final
	 * point put the disks on (the images under them are that point) */
	char			 tops[DRC_DISKS_MAX][600];
	size_t			 n_tops;
	int			 undoing;	/* committing them back */
	/* it runs here on its chain (after a move or a failover): images
	 * under its disk, and the chain's merge (dr_upkeep_*) */
	unsigned		 depth;
	int			 upkeep_due;
	void			(*fin_done)(void *, const char *, const char *,
			    uint64_t);
	void			*fin_arg;
	TAILQ_HEAD(, dr_waiter)	 waiters;	/* `vmgw sync` */
};

#define DR(j)	((struct dr_prot *)(j)->priv)

/* One cycle (one point), the calls' own data. */
struct dr_cycle {
	struct job		*job;
	uint64_t		 seq;		/* the point's */
	char			 id[DRC_ID_MAX + 1];
	char			 uuid[KVM_UUID_LEN + 1];
	char			 from[64];	/* incremental from ("": full) */
	char			 checkpoint[64];/* created by this point */
	char			*from_xml;	/* the definition of from, kept */
	char			*cp_xml;	/* the definition of checkpoint */
	char			 sock[512];	/* the export's socket */
	int64_t			 start;
	int			 app;		/* app-consistent */
	char			 reason[256];	/* why not, when asked */
	int			 resync;	/* tracking lost: full again */
	struct dr_disk		 disks[DRC_DISKS_MAX];
	size_t			 n_disks;
	char			*xml;		/* as mapped for the backup site */
	uint64_t		 next_seq;	/* the backup site resumes here */
	unsigned		 next_disk;
	int			 fd;		/* the worker's end of the channel */
	uint64_t		 bytes;		/* frames written */
	uint64_t		 changed;	/* extents' bytes */
	int			 began;		/* backup-begin succeeded */
	/* resync: the backup site's block hashes of its newest point, per
	 * disk, fetched before shipping (dr-hashes) */
	struct drc_hashes	 remote[DRC_DISKS_MAX];
	unsigned		 hash_disk;
	size_t			 hash_next;
	unsigned		 resumes;	/* after lost channels */
	int			 retry_now;	/* the chain there wants a full
						 * point: again at once */
	/* a move's final point (dr_move.c): the disks go on overlays, and
	 * the frozen images under them are read through qemu-nbd with the
	 * bitmap of checkpoint `from` (no backup job, no new checkpoint) */
	int			 final;
	char			 tops[DRC_DISKS_MAX][600];
	size_t			 n_tops;
	unsigned		 depth;		/* images under the disk */
	int			 upkeep;	/* its chain wants a merge */
	int			 rc;
	char			 err[512];
};

/* dr_home.c */
extern const struct job_kind dr_kind;
int	 dr_init(struct gw *);
struct job *dr_job_for(struct gw *, const char *domain);
int	 dr_protect(struct gw *, const char *domain,
	    const struct dr_settings *, char *err, size_t errlen);
int	 dr_unprotect(struct job *, int keep_replica, struct ctl_conn *,
	    char *err, size_t errlen);	/* the reply comes later */
json_t	*dr_status_json(const struct job *);
int	 dr_sync(struct job *, struct ctl_conn *);
int	 dr_protect_reverse(struct gw *, const char *domain,
	    const struct dr_settings *, char *err, size_t errlen);
void	 dr_reversed(struct job *, const char *by);

/* dr_conf.c: the config's protect: entries, at start and on a reload */
int	 dr_start(struct gw *);
int	 dr_conf_init(void);

/* dr_ship.c (workers) */
void	 dr_take_work(void *);
void	 dr_ship_work(void *);
void	 dr_end_work(void *);
void	 dr_final_take_work(void *);	/* a move's final point */
void	 dr_final_end_work(void *);
int	 dr_tops_commit(struct kvm *, const char *domain,
	    const struct dr_disk *, size_t n, char tops[][600], size_t n_tops,
	    char *err, size_t errlen);

/* dr_move.c: moves that ride on the replica */
int	 dr_replica_at(struct job *, const char *to, char *point, size_t len);
void	 dr_final_point(struct job *, const char *to,
	    void (*done)(void *, const char *, const char *, uint64_t),
	    void *arg);
int	 dr_final_cycle(struct job *);	/* dr_home.c */
void	 dr_schedule_resume(struct job *);	/* dr_home.c */
void	 dr_final_over(struct job *, struct dr_cycle *);
int	 dr_tops_undo(struct job *);	/* 1: the resume waits for it */
void	 dr_move_init(void);
void	 dr_chain_depth(const struct gw *, const char *domain,
	    unsigned *depth, int *upkeep);	/* (worker) */
int	 dr_upkeep_run(const struct gw *, const char *domain,
	    uint64_t bandwidth, unsigned *depth, char *err,
	    size_t errlen);			/* (worker) */
int	 dr_retire_run(const struct gw *, const char *domain, char *retired,
	    size_t retlen, char *err, size_t errlen);	/* dr_home.c */
int	 dr_append_old_copy(const struct gw *, const char *domain,
	    const struct dr_disk *, size_t n, const char *site, uint64_t *seq,
	    char *err, size_t errlen);
int	 dr_image_bitmaps_drop(const char *img, int standalone, char *err,
	    size_t errlen);		/* dr_reverse.c */

/* dr_backup.c */
void	 dr_pm_begin(struct peer *, json_int_t id, json_t *req);
void	 dr_pm_points(struct peer *, json_int_t id, json_t *req);
void	 dr_pm_hashes(struct peer *, json_int_t id, json_t *req);
void	 dr_pm_adopt(struct peer *, json_int_t id, json_t *req);
void	 dr_pm_drop(struct peer *, json_int_t id, json_t *req);
void	 dr_accept(struct channel *, json_t *req);
json_t	*dr_points_json(const struct drc_manifest *, const char *dir);
ssize_t	 dr_point_pick(const struct drc_manifest *, const char *want,
	    const char *domain, const char *site, char *err, size_t errlen);
int	 dr_local_chain(const struct vmgw_config *, const char *guest,
	    char *dir, size_t dirlen, struct drc_manifest **, char *err,
	    size_t errlen);
int	 dr_chain_dir(const struct gw *, const struct vmgw_peer *,
	    const char *guest, const char *image, char *out, size_t outlen,
	    char *err, size_t errlen);

/* The check of a failover request ("check": {"tcp": N, "timeout": S}):
 * after the probe answered, a TCP connection to port tcp of the guest's
 * first address, from where the probe ran, until it succeeds or timeout
 * seconds passed.  tcp 0: no check. */
struct dr_tcp_check {
	unsigned	 tcp;
	unsigned	 timeout_s;
};

/* dr_failover.c */
int	 dr_failover_init(void);
void	 dr_pm_status(struct peer *, json_int_t id, json_t *req);
int	 dr_tcp_check_parse(json_t *req, struct dr_tcp_check *, char *err,
	    size_t errlen);
/* (worker) -> {tcp, address, ok, ms, detail}; NULL when no check */
json_t	*dr_tcp_check_run(const struct dr_tcp_check *, const char *name,
	    json_t *addrs);
/* The result, refusing or failing with the report when err is set. */
void	 dr_reply(struct ctl_conn *, int exitcode, const char *err,
	    json_t *report);

struct np_probe;
/* dr_probe_ns.c: (worker) probe p, then run ck if it answered, from a
 * probe helper's namespace on bridge (netns.c); 0 with p->result,
 * *answered_ns and *check (NULL: none), or -1 with err.  _helper: the
 * helper's main (vmgwd NETNS_HELPER_ARG), its exit status. */
int	 dr_probe_ns_run(const char *bridge, const char *hostif,
	    const char *cidr, struct np_probe *p, const struct dr_tcp_check *ck,
	    uint64_t *answered_ns, json_t **check, char *err, size_t errlen);
int	 dr_probe_ns_helper(void);

/* dr_test.c (the request is dr_failover.c's "failover" with "test") */
void	 dr_test_start(struct ctl_conn *, const char *domain,
	    const char *point, const struct dr_tcp_check *);
void	 dr_test_end(struct ctl_conn *, const char *domain);
/* a test record's text as --end reads it (for the fuzz harness) */
int	 dr_test_record_check(struct gw *, const char *domain,
	    const char *dir, const char *text, size_t len,
	    char overlays[][700], size_t *n, char *err, size_t errlen);

/* dr_clone.c */
int	 dr_clone_init(void);
/* 1 when a linked clone other than except (NULL: none) stands on point of
 * the chain in dir (its name in who): a pin lifted there is handed over
 * to "clone <who>" instead */
int	 dr_clone_holder(const struct vmgw_config *, const char *dir,
	    const char *point, const char *except, char *who, size_t wholen);

/* dr_reverse.c */
int	 dr_reverse_init(void);
void	 dr_pm_reverse(struct peer *, json_int_t id, json_t *req);
/* (worker) images here (disks[].path) become the base of a new chain in
 * dir, of guest from site from: renamed, bitmaps removed, manifest */
int	 dr_takeover(const char *site, const char *dir, const char *guest,
	    const char *uuid, const char *from, const struct dr_disk *,
	    size_t n, char *err, size_t errlen);

/* dr_ctl.c */
int	 dr_ctl_init(void);
#define DR_SET_RPO		0x1
#define DR_SET_KEEP		0x2
#define DR_SET_QUIESCE		0x4
#define DR_SET_BANDWIDTH	0x8
int	 dr_settings_req(struct ctl_conn *, json_t *req, struct dr_settings *);
const char *dr_domain_arg(struct ctl_conn *, json_t *req);
const char *dr_point_arg(struct ctl_conn *, json_t *req);

/* dr_plan.c: recovery plans' plan-check, plan-post, plan-report */
int	 dr_plan_init(void);

#endif /* VMGW_DR_H */
