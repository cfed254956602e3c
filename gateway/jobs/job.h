/*
 * job.h - the job framework: the table of jobs, their durable records, the
 * states, the relays a job owns, and the control commands on jobs.  A job
 * kind (migration today, replication and failover next) plugs in through
 * struct job_kind and keeps its own state behind job->priv.
 *
 * A job lives at one gateway, in a role: the source (or home) that started
 * it, or the destination (or backup) that serves a peer's job of the same
 * id.  Every state change is written to <state_dir>/jobs/<id>.json (a
 * destination's: <id>@<peer>.json) before anything else happens, so that a
 * gateway that restarts can say what happened and have the kind undo what
 * it left (job_kind.recover).
 *
 *   checking -> preparing -> running -> done            (source)
 *   prepared -> running -> done                         (destination)
 *   ... any -> cleaning -> failed | cancelled;  planned: a dry run ended
 */
#ifndef VMGW_JOB_H
#define VMGW_JOB_H

#include <jansson.h>

#include "transport.h"
#include "worker.h"

#define JOB_ID_LEN	12		/* "j" + 10 hex + NUL */
#define JOB_UUID_LEN	37		/* a domain UUID + NUL */
#define JOB_KEEP	50		/* finished jobs kept for `vmgw jobs` */
#define JOB_PREPARE_TIMEOUT	120	/* seconds for the destination's checks */
#define JOB_ORPHAN_GRACE	5	/* seconds after losing the source */
#define JOB_STREAMS	8		/* kinds of relay counted apart ("what") */

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

struct job;

/* What a kind of job brings to the framework.  Every op runs on the loop. */
struct job_kind {
	const char	*name;		/* the records' "kind": "migration" */
	/* a job of this kind runs beside the others on its domain (a
	 * protection), not in their way (job_active_for_domain skips it) */
	int		 background;
	/* make job->priv for a new job (or one a record is loaded into) */
	int		(*init)(struct job *);
	/* add the kind's fields to the job's record (and `vmgw jobs`) */
	void		(*save)(const struct job *, json_t *rec);
	/* a record read back at start: make job->priv from it (-1: ignored) */
	int		(*load)(struct job *, json_t *rec);
	/* this gateway restarted while the job ran: find out, clean up */
	void		(*recover)(struct job *);
	/* `vmgw cancel` of a running job (source role) */
	/* -1: refused, err says why */
	int		(*cancel)(struct job *, char *err, size_t errlen);
	/* `vmgw set-bandwidth` (source role), bytes/s, 0 = none */
	void		(*set_bandwidth)(struct job *, uint64_t);
	/* free job->priv and all it holds (the job is going) */
	void		(*free)(struct job *);
	/* its record's "result" has downtime_ms: vmgw_<name>_downtime_seconds */
	int		 reports_downtime;
	/*
	 * A background job gives way to another job on its domain (a
	 * migration, which libvirt's job lock does not let run beside a
	 * backup): call ready(arg) once nothing of it holds the domain, and
	 * start nothing new until resume.  moved: the domain now runs at
	 * site `to` (the other job succeeded).
	 */
	void		(*yield)(struct job *, void (*ready)(void *), void *arg);
	void		(*resume)(struct job *);
	void		(*moved)(struct job *, const char *to);
	/*
	 * The domain is about to be moved to site `to` and the mover would
	 * delete its disks here: 1 keeps them (moved() then takes them
	 * over: a protection's old home turns them into the replica).
	 */
	int		(*keeps_disks)(struct job *, const char *to);
	/*
	 * A live move to site `to` may ride on the domain's replica there
	 * (the mirror then copies only what changed after its final point):
	 * 1, with the newest point's id in point.
	 */
	int		(*replica_at)(struct job *, const char *to, char *point,
			    size_t len);
	/*
	 * The move's final point (the job has yielded): the disks go on
	 * overlays here, and the images under them, frozen, are the point,
	 * shipped to `to`.  done(arg, NULL, id): it is there, and the overlays
	 * stay (resume commits them back, moved takes them over);
	 * done(arg, err, NULL): nothing changed here.
	 */
	void		(*final_point)(struct job *, const char *to,
			    void (*done)(void *, const char *err,
			    const char *point, uint64_t bytes), void *arg);
};

/*
 * The destination's side of a move over a replica (dr/ registers it; the
 * calls block: workers only).  backing: the image of disk `target` (of
 * `size` bytes) in point `point`, the newest complete one of the guest's
 * chain from site `from` here.  settled: the guest runs here on that chain
 * now (it is its disk, no longer a replica); checkpoint: one made before
 * it ran here ("": none), which its first point here can start from.
 */
struct job_replica_ops {
	int	(*backing)(struct gw *, const char *from, const char *guest,
		    const char *point, const char *target, uint64_t size,
		    char *path, size_t len, char *err, size_t errlen);
	int	(*settled)(struct gw *, const char *from, const char *guest,
		    const char *point, const char *checkpoint, char *err,
		    size_t errlen);
	/* (loop) the guest left this site with a move: a chain it ran on
	 * here is no longer its disk (its record is retired) */
	void	(*left)(struct gw *, const char *guest);
};
void	 job_replica_register(const struct job_replica_ops *);
const struct job_replica_ops *job_replica_ops(void);	/* NULL: none */

struct job_conn;
TAILQ_HEAD(job_conn_list, job_conn);

/* The bytes of one kind of relay of a job ("libvirt", "mig", "nbd", "vda"). */
struct job_stream {
	char		 what[64];	/* "": a free slot (as job_conn's) */
	uint64_t	 bytes;		/* both ways, through its closed relays */
};

/* What every kind shares.  The kind's own state is behind priv. */
struct job {
	TAILQ_ENTRY(job)	 entry;
	struct gw		*gw;
	const struct job_kind	*kind;
	void			*priv;
	char			 id[JOB_ID_LEN];
	enum job_role		 role;
	enum job_state		 state;
	char			 phase[32];	/* "memory copy", ... */
	char			 domain[128];
	char			 uuid[JOB_UUID_LEN];
	char			 peer_name[CONFIG_NAME_MAX + 1];
	struct peer		*peer;		/* NULL: no longer configured */
	time_t			 created, finished;	/* wall clock */
	uint64_t		 t0_ns;
	uint64_t		 conf_epoch;	/* gw->conf_epoch when created (reload.h) */
	char			 error[512];	/* the first reason it failed */
	char			 where[64];	/* where the guest runs at the end */
	int			 busy;		/* a step of the kind is on a worker */
	unsigned		 holds;		/* workers holding the job (job_work) */
	/* relays of this job (jobconn.c) */
	struct job_conn_list	 conns;
	uint64_t		 tunnel_bytes;	/* through closed relays */
	struct job_stream	 streams[JOB_STREAMS];	/* the same, per what;
						 * the last slot takes what
						 * does not fit, as "other" */
	char			 conn_err[256];	/* the first relay that broke */
	char			 conn_err_phase[32];	/* ... and when */
};

TAILQ_HEAD(job_list, job);

/* job.c: kinds, the table, records, states */
int	 job_kind_register(const struct job_kind *);
const struct job_kind *job_kind_at(size_t);	/* NULL past the last */
/*
 * Observers of a job that ends (done, failed, cancelled, planned), called
 * once, after its record is written; -1: table full.
 */
typedef void (*job_end_fn)(struct job *);
int	 job_observe_end(job_end_fn);
void	 job_log_ctx(const struct job *, struct log_ctx *);
int	 jobs_init(struct gw *);	/* the table and its directory */
int	 jobs_load(struct gw *);	/* records back (kinds registered first) */
void	 job_from_record(struct gw *, json_t *, const char *file);
void	 jobs_free(struct gw *);
struct job *job_new(struct gw *, const struct job_kind *, enum job_role,
	    const char *id, const char *peer, const char *domain);
void	 job_discard(struct job *);	/* a job that never started */
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
void	 job_record_path(const struct job *, char *out, size_t outlen);
/*
 * worker_run for a job: the job is held (never freed or trimmed) until
 * done(arg) has run.  work() writes only into arg.
 */
int	 job_work(struct job *, void (*work)(void *), void (*done)(void *),
	    void *arg);
void	 job_rundir(const struct job *, char *out, size_t outlen);
/*
 * Make the job's socket directory, run_dir/jobs/ID (0700, ours), usable by
 * QEMU when it runs as another user: that user gets rwx on it and rw on
 * every socket in it (POSIX ACLs); run_dir and run_dir/jobs let it pass.
 * 0 with dir set, or -1 with err naming the directory and why.
 */
int	 job_mkrundir(struct job *, char *dir, size_t dirlen, char *err,
	    size_t errlen);
void	 job_rmdir(struct job *);

/* jobconn.c: the relays a job owns, its bytes */
void	 job_conn_add(struct job *, struct relay *, const char *what);
void	 job_conns_abort(struct job *, const char *why);
uint64_t job_bytes(const struct job *);
/* {"libvirt": bytes, "mig": bytes, ...}: per what, closed and open relays;
 * its values add up to job_bytes() */
json_t	*job_streams(const struct job *);

/* jobdomain.c: the background jobs of a domain, for a job that needs it */
/* 0: none holds it (go on now); 1: ready(arg) comes when they all gave way */
int	 job_yield_domain(struct gw *, const char *domain,
	    void (*ready)(void *), void *arg);
void	 job_resume_domain(struct gw *, const char *domain);
void	 job_moved_domain(struct gw *, const char *domain, const char *to);
/* A background job of the domain that a move to `to` can ride on (its
 * replica there), and the newest point's id; NULL: none. */
struct job *job_replica_domain(struct gw *, const char *domain,
	    const char *to, char *point, size_t len);
/* 1: a background job of the domain keeps its disks here after a move */
int	 job_keeps_disks_domain(struct gw *, const char *domain,
	    const char *to);

/* jobctl.c: `vmgw jobs`, `vmgw cancel`, `vmgw set-bandwidth` */
int	 jobctl_init(void);

/* jobmetrics.c: jobs by kind and state, histograms of ended jobs */
int	 job_metrics_init(void);

/* jobreload.c: a reload never takes a running job's peer away */
int	 job_reload_init(void);

#endif /* VMGW_JOB_H */
