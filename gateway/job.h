/*
 * job.h - migration jobs, at the source gateway and at the destination.
 *
 * A job is born at the source (`vmgw migrate`), which picks its id; the
 * destination keeps a job of the same id for the same peer.  Every state
 * change is written to <state_dir>/jobs/<id>.json before anything else
 * happens, so a gateway that restarts can say what happened to a job and
 * undo what it left (volumes it created, a half-made domain).
 *
 * Source:      checking -> preparing -> running -> done
 *                                          \-> cleaning -> failed | cancelled
 * Destination: prepared -> running -> done
 *                  \-> cleaning -> failed | cancelled
 */
#ifndef VMGW_JOB_H
#define VMGW_JOB_H

#include <pthread.h>

#include "vmgwd.h"
#include "kvm.h"

#define JOB_ID_LEN	12		/* "j" + 10 hex + NUL */
#define JOB_KEEP	50		/* finished jobs kept for `vmgw jobs` */
#define JOB_PREPARE_TIMEOUT	120	/* seconds for the destination's checks */
#define JOB_ORPHAN_GRACE	5	/* seconds after losing the source */

enum job_role { JOB_SOURCE = 1, JOB_DEST = 2 };

enum job_state {
	JOB_CHECKING = 1,	/* source: inspecting the guest */
	JOB_PREPARING,		/* source: the destination checks and prepares */
	JOB_PREPARED,		/* destination: volumes made, waiting for bytes */
	JOB_RUNNING,		/* bytes moving */
	JOB_CLEANING,		/* undoing after a failure or a cancel */
	JOB_DONE,
	JOB_FAILED,
	JOB_CANCELLED,
	JOB_PLANNED		/* --dry-run finished */
};

struct job_conn;
TAILQ_HEAD(job_conn_list, job_conn);

struct job {
	TAILQ_ENTRY(job)	 entry;
	struct gw		*gw;
	char			 id[JOB_ID_LEN];
	enum job_role		 role;
	enum job_state		 state;
	char			 phase[32];	/* "memory copy", ... */
	char			 domain[128];
	char			 uuid[KVM_UUID_LEN + 1];
	char			 peer_name[CONFIG_NAME_MAX + 1];
	struct peer		*peer;

	/* options */
	int			 dry_run, offline, postcopy, keep_source;
	int			 parallel;
	unsigned		 max_downtime_ms;
	uint64_t		 bandwidth;	/* bytes/s, 0 = none */

	time_t			 created, finished;	/* wall clock */
	uint64_t		 t0_ns;
	char			 error[512];
	char			 where[64];	/* where the guest runs at the end */

	/* source */
	struct kvm_domain_info	*info;
	char			*dest_xml;
	json_t			*plan;		/* disks, nics, checks (dry run) */
	struct ctl_conn		*ctl;		/* the `vmgw migrate` asking */
	struct evconnlistener	*lis[3];	/* libvirt, mig, nbd */
	int			 cancel;	/* cancel requested */
	int			 busy;		/* a worker holds the job */
	int			 stats_busy;
	int			 postcopy_started;
	struct kvm_job_stats	 stats, final;
	int			 has_stats, has_final;
	struct event		*tick;
	int			 mig_rc;	/* kvm_migrate's result */
	char			 mig_err[512];	/* and its error */
	int			 exitcode;	/* for the CLI, when it fails */
	char			 conn_err[256];	/* first relay that broke */
	char			 conn_err_phase[32];
	struct kvm		*kstats;	/* statistics connection */
	int			 stats_rc;
	struct kvm_job_stats	 stats_tmp;
	int			 disks_left;	/* offline copy */
	uint32_t		 seq;		/* channel order */

	/* both */
	struct job_conn_list	 conns;		/* relays of this job */
	uint64_t		 tunnel_bytes;	/* through closed relays */
	json_t			*volumes;	/* destination: paths we created */
	struct bufferevent_rate_limit_group *rl;	/* destination: --bandwidth */
	struct ev_token_bucket_cfg *rlcfg;
	struct event		*orphan;	/* destination: source lost */
	int			 uploads_left;	/* destination: offline copy */
	char			 upload_err[512];
	json_int_t		 finish_req;	/* destination: pending job-finish */

	/* network plan (netplan.c) */
	struct vmgw_plan	 np;		/* this site's effective plan */
	json_t			*addrs;		/* the guest's addresses */
	json_t			*macs;
	json_t			*dhcp;		/* reservations that move */
	json_t			*reach;		/* verification result */
	int			 switched;	/* the guest resumed at the destination */
	uint64_t		 switch_ns;
	struct event		*announce;
	int			 announced;
	int			 pre_hooks_ran;
	int			 verify_state;	/* 0 not started, 1 probing, 2 done */
	int			 abort_pending;	/* destination: abort when not busy */
	char			 hook_err[512];
};

TAILQ_HEAD(job_list, job);

/* job.c: the table, records, the CLI's commands */
int	 jobs_load(struct gw *);
struct job *job_new(struct gw *, enum job_role, const char *id,
	    const char *peer, const char *domain);
struct job *job_find(struct gw *, const char *id);
struct job *job_find_peer(struct gw *, const char *peer, const char *id);
struct job *job_active_for_domain(struct gw *, const char *domain);
void	 job_set_state(struct job *, enum job_state, const char *phase);
void	 job_fail(struct job *, enum job_state, const char *fmt, ...)
	    LOG_FMT(3, 4);
int	 job_save(struct job *);
const char *job_state_name(enum job_state);
int	 job_terminal(const struct job *);
json_t	*job_json(const struct job *);
void	 job_conn_add(struct job *, struct relay *, const char *what);
void	 job_conns_abort(struct job *, const char *why);
uint64_t job_bytes(const struct job *);
void	 job_rundir(const struct job *, char *out, size_t outlen);
void	 job_rmdir(struct job *);
void	 ctl_migrate(struct ctl_conn *, json_t *req);
void	 ctl_jobs(struct ctl_conn *, json_t *req);
void	 ctl_cancel(struct ctl_conn *, json_t *req);
void	 ctl_set_bandwidth(struct ctl_conn *, json_t *req);

/* migrate.c: the source side */
void	 migrate_start(struct job *);
void	 migrate_cancel(struct job *);
void	 migrate_set_bandwidth(struct job *, uint64_t);
void	 migrate_recover(struct job *);

/* jobdst.c: the destination side */
void	 job_pm_prepare(struct peer *, json_int_t id, json_t *req);
void	 job_pm_finish(struct peer *, json_int_t id, json_t *req);
void	 job_pm_abort(struct peer *, json_int_t id, json_t *req);
void	 job_pm_bandwidth(struct peer *, json_int_t id, json_t *req);
void	 jobdst_accept(struct channel *, json_t *req);
void	 jobdst_tunnel_gone(struct gw *, struct peer *);
void	 jobdst_recover(struct job *);

/* netplan.c */
const char *netplan_mode_name(enum plan_mode);
void	 netplan_job_plan(struct job *);
int	 netplan_source_check(struct job *, struct kvm *, char *err,
	    size_t errlen);
json_t	*netplan_request(const struct job *);
char	**netplan_hook_env(const struct job *, const char *phase);
void	 netplan_env_free(char **);
int	 netplan_run_hooks(struct job *, const char *phase, char *err,
	    size_t errlen);
void	 netplan_source_switched(struct job *);
void	 netplan_source_restore(struct job *);
void	 netplan_source_done(struct job *, struct kvm *);
int	 netplan_dest_prepare(struct job *, json_t *req, char *err,
	    size_t errlen);
int	 netplan_dest_check(struct job *, struct kvm *, json_t *checks,
	    char *err, size_t errlen);
void	 netplan_dest_undo(struct job *, struct kvm *);
void	 netplan_dest_switched(struct job *);
void	 netplan_dest_verify(struct job *);
void	 netplan_dest_verified(struct job *);
void	 netplan_events_ensure(struct gw *);
void	 netplan_events_free(struct gw *);
void	 job_pm_switched(struct peer *, json_int_t id, json_t *req);

/* worker.c */
int	 worker_run(struct gw *, void (*work)(void *), void (*done)(void *),
	    void *arg);

#endif /* VMGW_JOB_H */
