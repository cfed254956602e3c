/*
 * migrate.h - the migration kind of job, private to migrate/: its state,
 * and the functions its files share.
 *
 *   mig.c          the kind (ops table, records) and its registration
 *   mig_src.c      the source side: `vmgw migrate`, checks, prepare, the
 *                  live move, the end, failures, cancel
 *   mig_offline.c  the source side of --offline: volumes through channels
 *   mig_dst.c      the destination side: prepare, the job's channels,
 *                  finish, abort, a lost source
 *   mig_net.c      the guest's network plan for a move (netplan/guest.h)
 *   mig_progress.c the progress line's arithmetic (mig_progress.h)
 *
 * The phases, and the peer messages each sends (peerproto.h):
 *
 *   source                                   destination
 *   checks (worker), pre-move hooks
 *   prepare        -- job-prepare ------>    checks, volumes, DHCP
 *   live: sockets, libvirt's migration  ==>  "job" channels to libvirt, QEMU
 *                  <----- job-switched --    guest resumed: routes, announce
 *   finishing      -- job-finish ------->    running? probe, hooks: summary
 *   cleanup: old copy, post-move hooks
 *   failure:       -- job-abort -------->    what the job made goes
 */
#ifndef VMGW_MIGRATE_H
#define VMGW_MIGRATE_H

#include "job.h"
#include "kvm.h"
#include "guest.h"

#define MIG_SOCKS	3		/* libvirt, mig, nbd */
#define MIG_HELD_MAX	64		/* multifd streams that may wait */

struct mig_opts {
	int		 dry_run, offline, postcopy, keep_source;
	int		 full_copy;	/* not over a replica, even when one is */
	int		 replicated;	/* paused: final point, saved state */
	int		 parallel;
	unsigned	 max_downtime_ms;
	uint64_t	 bandwidth;	/* bytes/s, 0 = none */
};

/* The source's own. */
struct mig_src {
	struct kvm_domain_info	*info;
	char			*dest_xml;
	struct ctl_conn		*ctl;		/* the `vmgw migrate` asking */
	struct evconnlistener	*lis[MIG_SOCKS];
	int			 cancel;	/* cancel requested */
	int			 stats_busy;
	int			 postcopy_started;
	struct kvm_job_stats	 stats, final;	/* the last reading; the end's */
	/* libvirt gives no rate for the disk mirror, and updates its bytes
	 * in steps seconds apart: the rate between the last two steps,
	 * shown until the next one */
	uint64_t		 disk_step_bytes, disk_step_ms, disk_rate;
	uint64_t		 disk_seen;	/* the most disk_processed read:
						 * the mirror's figures go when
						 * it ends, before the job does */
	uint64_t		 mem_total;	/* the guest's, once read */
	int			 has_final;
	int			 migrated;	/* libvirt's live migration
						 * returned: it runs at the peer */
	int			 unconfirmed;	/* ... and the peer's word on it
						 * was lost with the tunnel */
	struct event		*tick;
	struct kvm		*kstats;	/* statistics connection */
	int			 exitcode;	/* for the CLI, when it fails */
	int			 disks_left;	/* offline copy */
	uint32_t		 seq;		/* channel order */
	uint32_t		 nconn[MIG_SOCKS];	/* connections to each */
	char			 mig_err[512];	/* libvirt's (or a copy's) error */
	int			 pre_hooks_ran;
	char			 hook_err[512];
	/* over the replica at the peer: its point under the disks there
	 * (the final one, or for a dry run the newest); the mirror copies
	 * only what the guest wrote after it */
	int			 replica;
	char			 replica_point[32];
	uint64_t		 replica_bytes;	/* the final point shipped */
	char			 replica_note[512];	/* why not, when not */
	/* --replicated: paused here, the state saved to state_file and
	 * shipped; job-finish has the peer restore it */
	int			 paused;
	uint64_t		 pause_ns;
	int			 saved;
	int			 finish_sent;
	uint64_t		 state_bytes;
	char			 state_file[600];
	/* post-copy broken off with its connection: the guest waits paused
	 * at both sites, and the migration is resumed once the tunnel is back
	 * (libvirt's post-copy recovery) */
	int			 pc_paused;
	unsigned		 pc_resumes;	/* attempts so far */
	struct event		*pc_timer;	/* looks for the tunnel */
	char			 pc_why[512];	/* what broke it off */
};

/* The destination's own. */
struct mig_dst {
	struct bufferevent_rate_limit_group *rl;	/* --bandwidth */
	struct event		*orphan;	/* the source was lost */
	struct event		*retry;		/* cleanup: libvirt was down */
	int			 cleanup_waits;	/* ... and that was logged */
	int			 source_running; /* job-abort said so */
	int			 not_defined;	/* an offline define failed: a
						 * domain of its name is not
						 * the job's, it stays */
	int			 uploads_left;	/* offline copy */
	char			 upload_err[512];
	json_int_t		 finish_req;	/* a pending job-finish */
	int			 abort_pending;	/* abort when the step ends */
	struct np_probe		*probe;		/* started at the switchover */
	int			 probing;	/* its worker runs */
	struct mig_finish	*finishing;	/* job-finish waits for it */
	char			 hook_err[512];
	char			 state_file[600];	/* --replicated */
	char			 checkpoint[96];	/* ... made at the restore */
	int			 postcopy;	/* resumed here in post-copy */
	int			 pc_paused;	/* ... and the source was lost */
	int			 pc_interrupted; /* that happened once */
	int			 reprobed;	/* ... and the probe asked again */
	int			 mig_main;	/* QEMU's first stream is connected */
	struct chan_held	*mig_held[MIG_HELD_MAX];	/* multifd before it */
	size_t			 nmig_held;
};

struct mig {
	struct job		*job;
	struct mig_opts		 o;
	struct np_guest		 g;		/* the guest's plan at this site */
	json_t			*plan;		/* source: disks, nics, checks,
						 * steps; destination: the
						 * job-prepare request */
	json_t			*volumes;	/* destination: paths we made */
	json_t			*reach;		/* the verification's result */
	int			 switched;	/* resumed at the destination */
	uint64_t		 switch_ns;
	struct mig_src		 s;		/* role JOB_SOURCE */
	struct mig_dst		 d;		/* role JOB_DEST */
};

#define MIG(j)	((struct mig *)(j)->priv)

/* mig.c */
extern const struct job_kind mig_kind;
int	 migrate_init(struct gw *);

/* mig_src.c */
void	 ctl_migrate(struct ctl_conn *, json_t *req);
int	 mig_src_cancel(struct job *, char *err, size_t errlen);
void	 mig_src_set_bandwidth(struct job *, uint64_t);
void	 mig_src_recover(struct job *);
void	 mig_src_failed(struct job *, int exitcode);
void	 mig_src_finish(struct job *);	/* ask the peer, after the copy */
void	 mig_src_event(struct job *, const char *type, json_t *fields);
void	 mig_pm_switched(struct peer *, json_int_t id, json_t *req);

/* mig_offline.c */
void	 mig_src_start_offline(struct job *);

/* mig_replicated.c */
void	 mig_rep_pause(struct job *);	/* then mig_final_go */
void	 mig_src_start_replicated(struct job *);
int	 mig_rep_undo(struct job *, struct kvm *, char *err, size_t errlen);
void	 mig_final_go(void *);		/* mig_src.c */

/* mig_dst.c */
void	 mig_pm_prepare(struct peer *, json_int_t id, json_t *req);
void	 mig_pm_finish(struct peer *, json_int_t id, json_t *req);
void	 mig_pm_abort(struct peer *, json_int_t id, json_t *req);
void	 mig_pm_bandwidth(struct peer *, json_int_t id, json_t *req);
void	 mig_dst_accept(struct channel *, json_t *req);
void	 mig_dst_tunnel_down(struct peer *, struct tunnel *, const char *);
void	 mig_dst_recover(struct job *);
void	 mig_dst_event(struct gw *, const char *domain, enum kvm_event,
	    void *);
void	 mig_dst_free(struct job *);
void	 mig_dst_probed(struct job *);	/* the switchover's probe ended */

/* mig_net.c */
void	 mig_net_init(struct job *);
int	 mig_net_source_check(struct job *, struct np_guest *,
	    const struct kvm_domain_info *, json_t *plan, struct kvm *,
	    char *err, size_t errlen);
json_t	*mig_net_request(const struct job *);
int	 mig_net_dest_prepare(struct job *, json_t *req, char *err,
	    size_t errlen);
int	 mig_net_dest_check(struct job *, json_t *checks, char *err,
	    size_t errlen);
int	 mig_net_hooks(struct job *, const char *phase, char *err,
	    size_t errlen);
void	 mig_net_source_switched(struct job *);
void	 mig_net_source_restore(struct job *);
void	 mig_net_dest_switched(struct job *);
void	 mig_net_probe_start(struct job *);

#endif /* VMGW_MIGRATE_H */
