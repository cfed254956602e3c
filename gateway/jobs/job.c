/*
 * job.c - the job framework: the registered kinds, the table of jobs,
 * their durable records and their states.
 *
 * Records: <state_dir>/jobs/<id>.json (source) and <id>@<peer>.json
 * (destination), replaced atomically at every state change: the fields
 * every job has, and the kind's own (job_kind.save).  At start the daemon
 * reads them back: a job that was not finished is reported as interrupted
 * and its kind cleans up what it left (job_kind.recover).  A record without
 * a "kind" is a migration's (written before kinds existed).
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/acl.h>
#include <sys/stat.h>

#include "job.h"
#include "reload.h"

#define JOB_KINDS_MAX	8
#define JOB_OBSERVERS_MAX 8

static const struct job_kind	*job_kinds[JOB_KINDS_MAX];
static size_t			 njob_kinds;
static job_end_fn		 job_end_observers[JOB_OBSERVERS_MAX];
static size_t			 njob_end_observers;

static const char *const job_state_names[] = {
	[JOB_CHECKING] = "checking",
	[JOB_PREPARING] = "preparing",
	[JOB_PREPARED] = "prepared",
	[JOB_RUNNING] = "running",
	[JOB_CLEANING] = "cleaning up",
	[JOB_DONE] = "done",
	[JOB_FAILED] = "failed",
	[JOB_CANCELLED] = "cancelled",
	[JOB_PLANNED] = "planned",
};

const char *
job_state_name(enum job_state s)
{
	if ((size_t)s < sizeof(job_state_names) / sizeof(job_state_names[0]) &&
	    job_state_names[s] != NULL)
		return job_state_names[s];
	return "unknown";
}

static int
job_state_from_name(const char *n)
{
	size_t	 i;

	for (i = 1; i < sizeof(job_state_names) / sizeof(job_state_names[0]);
	    i++)
		if (n != NULL && strcmp(job_state_names[i], n) == 0)
			return (int)i;
	return -1;
}

int
job_terminal(const struct job *j)
{
	return j->state == JOB_DONE || j->state == JOB_FAILED ||
	    j->state == JOB_CANCELLED || j->state == JOB_PLANNED;
}

/* ------------------------------------------------------------ kinds */

int
job_kind_register(const struct job_kind *k)
{
	size_t	 i;

	for (i = 0; i < njob_kinds; i++)
		if (job_kinds[i] == k)
			return 0;
	if (njob_kinds == JOB_KINDS_MAX)
		return -1;
	job_kinds[njob_kinds++] = k;
	return 0;
}

const struct job_kind *
job_kind_at(size_t i)
{
	return i < njob_kinds ? job_kinds[i] : NULL;
}

int
job_observe_end(job_end_fn fn)
{
	size_t	 i;

	for (i = 0; i < njob_end_observers; i++)
		if (job_end_observers[i] == fn)
			return 0;
	if (njob_end_observers == JOB_OBSERVERS_MAX)
		return -1;
	job_end_observers[njob_end_observers++] = fn;
	return 0;
}

static const struct job_kind *
job_kind_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < njob_kinds; i++)
		if (strcmp(job_kinds[i]->name, name) == 0)
			return job_kinds[i];
	return NULL;
}

/* ------------------------------------------------------------ table */

/*
 * The oldest configuration epoch a job may point into: its own, since it
 * may hold plan strings and run workers that read the config of then.
 */
static uint64_t
jobs_conf_held(struct gw *gw)
{
	struct job	*j;
	uint64_t	 e = UINT64_MAX;

	if (gw->jobs == NULL)
		return e;
	TAILQ_FOREACH(j, gw->jobs, entry)
		if (j->conf_epoch < e)
			e = j->conf_epoch;
	return e;
}

int
jobs_init(struct gw *gw)
{
	char	 dir[512];

	if (conf_hold_register(jobs_conf_held) == -1 ||
	    job_reload_init() == -1 || job_metrics_init() == -1)
		return -1;
	if ((gw->jobs = calloc(1, sizeof(*gw->jobs))) == NULL)
		return -1;
	TAILQ_INIT(gw->jobs);
	snprintf(dir, sizeof(dir), "%s/jobs", gw->conf->state_dir);
	if (mkdir_p(dir, 0700) == -1) {
		log_warn("jobs: %s", dir);
		return -1;
	}
	return jobctl_init();
}

static void
job_free(struct job *j)
{
	job_conns_abort(j, "gateway shutting down");
	if (j->kind->free != NULL)
		j->kind->free(j);
	free(j);
}

/* A job that never started (its options were refused): gone, no record. */
void
job_discard(struct job *j)
{
	struct gw	*gw = j->gw;

	TAILQ_REMOVE(gw->jobs, j, entry);
	job_free(j);
	conf_gc(gw);
}

void
jobs_free(struct gw *gw)
{
	struct job	*j;

	if (gw->jobs == NULL)
		return;
	while ((j = TAILQ_FIRST(gw->jobs)) != NULL) {
		TAILQ_REMOVE(gw->jobs, j, entry);
		if (j->busy || j->holds > 0)
			continue;	/* a worker still holds it: leak, we exit */
		job_free(j);
	}
	free(gw->jobs);
	gw->jobs = NULL;
}

/*
 * Keep the newest JOB_KEEP jobs: the oldest finished ones beyond that are
 * forgotten, with their records (a record of an unfinished job stays).
 */
static void
jobs_trim(struct gw *gw)
{
	struct job	*j, *old;
	char		 path[600];
	size_t		 n = 0;

	TAILQ_FOREACH(j, gw->jobs, entry)
		n++;
	while (n > JOB_KEEP) {
		old = NULL;
		TAILQ_FOREACH(j, gw->jobs, entry)
			if (job_terminal(j) && !j->busy && j->holds == 0 &&
			    TAILQ_EMPTY(&j->conns) &&
			    (old == NULL || j->created < old->created))
				old = j;
		if (old == NULL)
			return;
		job_record_path(old, path, sizeof(path));
		unlink(path);
		TAILQ_REMOVE(gw->jobs, old, entry);
		job_free(old);
		conf_gc(gw);
		n--;
	}
}

struct job *
job_new(struct gw *gw, const struct job_kind *kind, enum job_role role,
    const char *id, const char *peer, const char *domain)
{
	struct job	*j;
	uint8_t		 r[5];

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	j->gw = gw;
	j->kind = kind;
	j->role = role;
	if (id != NULL)
		snprintf(j->id, sizeof(j->id), "%s", id);
	else {
		randombytes_buf(r, sizeof(r));
		snprintf(j->id, sizeof(j->id), "j%02x%02x%02x%02x%02x", r[0],
		    r[1], r[2], r[3], r[4]);
	}
	snprintf(j->peer_name, sizeof(j->peer_name), "%s", peer);
	snprintf(j->domain, sizeof(j->domain), "%s", domain);
	j->peer = peer_find(gw, peer);
	j->created = time(NULL);
	j->t0_ns = mono_ns();
	j->conf_epoch = gw->conf_epoch;
	TAILQ_INIT(&j->conns);
	if (kind->init != NULL && kind->init(j) == -1) {
		free(j);
		return NULL;
	}
	TAILQ_INSERT_TAIL(gw->jobs, j, entry);
	jobs_trim(gw);
	return j;
}

struct job *
job_find(struct gw *gw, const char *id)
{
	struct job	*j;

	TAILQ_FOREACH(j, gw->jobs, entry)
		if (strcmp(j->id, id) == 0)
			return j;
	return NULL;
}

struct job *
job_find_peer(struct gw *gw, const char *peer, const char *id)
{
	struct job	*j;

	TAILQ_FOREACH(j, gw->jobs, entry)
		if (j->role == JOB_DEST && strcmp(j->id, id) == 0 &&
		    strcmp(j->peer_name, peer) == 0)
			return j;
	return NULL;
}

struct job *
job_active_for_domain(struct gw *gw, const char *domain)
{
	struct job	*j;

	TAILQ_FOREACH(j, gw->jobs, entry)
		if (!job_terminal(j) && !j->kind->background &&
		    strcmp(j->domain, domain) == 0)
			return j;
	return NULL;
}

/* ------------------------------------------------------------ records */

void
job_record_path(const struct job *j, char *out, size_t outlen)
{
	if (j->role == JOB_SOURCE)
		snprintf(out, outlen, "%s/jobs/%s.json", j->gw->conf->state_dir,
		    j->id);
	else
		snprintf(out, outlen, "%s/jobs/%s@%s.json",
		    j->gw->conf->state_dir, j->id, j->peer_name);
}

json_t *
job_json(const struct job *j)
{
	json_t	*o;
	time_t	 end = j->finished ? j->finished : time(NULL);

	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, "
	    "s:I, s:I, s:s, s:s}",
	    "id", j->id, "kind", j->kind->name, "role", j->role == JOB_SOURCE ?
	    "source" : "destination", "state", job_state_name(j->state),
	    "phase", j->phase, "domain", j->domain, "uuid", j->uuid, "peer",
	    j->peer_name, "created", (json_int_t)j->created, "finished",
	    (json_int_t)j->finished, "seconds", (json_int_t)(end - j->created),
	    "tunnel_bytes", (json_int_t)job_bytes(j), "error", j->error,
	    "where", j->where);
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "tunnel_streams", job_streams(j));
	if (j->kind->save != NULL)
		j->kind->save(j, o);
	return o;
}

int
job_save(struct job *j)
{
	char	 path[600], *s;
	json_t	*o;
	int	 r;

	if ((o = job_json(j)) == NULL)
		return -1;
	s = json_dumps(o, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(o);
	if (s == NULL)
		return -1;
	job_record_path(j, path, sizeof(path));
	if ((r = write_file_atomic(path, s, strlen(s), 0600)) == -1)
		log_warn("job %s: cannot write its record %s", j->id, path);
	free(s);
	return r;
}

/* "j" + hex, as job_new makes them and a job-prepare must carry: the id
 * (and the peer) name the record's file */
static int
job_id_ok(const char *id)
{
	size_t	 i;

	if (id[0] != 'j' || id[1] == '\0' || strlen(id) >= JOB_ID_LEN)
		return 0;
	for (i = 1; id[i] != '\0'; i++)
		if (strchr("0123456789abcdef", id[i]) == NULL)
			return 0;
	return 1;
}

/* One record read back (file: its name in messages); jobs_load and the
 * fuzz harness tests/fuzz/fuzz_drrec.c. */
void
job_from_record(struct gw *gw, json_t *o, const char *file)
{
	struct job		*j;
	const struct job_kind	*kind;
	const char		*kname = json_string_value(json_object_get(o,
				    "kind"));
	const char	*role = json_string_value(json_object_get(o, "role"));
	const char	*id = json_string_value(json_object_get(o, "id"));
	const char	*peer = json_string_value(json_object_get(o, "peer"));
	const char	*dom = json_string_value(json_object_get(o, "domain"));
	int		 st = job_state_from_name(json_string_value(
			    json_object_get(o, "state")));

	if (role == NULL || id == NULL || peer == NULL || dom == NULL ||
	    st == -1 || !job_id_ok(id) || peer[0] == '\0' || peer[0] == '.' ||
	    strchr(peer, '/') != NULL) {
		log_warnx("jobs: %s: not a job record, ignored", file);
		return;
	}
	if ((kind = job_kind_find(kname != NULL ? kname : "migration")) ==
	    NULL) {
		log_warnx("jobs: %s: a job of kind '%s' this vmgwd does not "
		    "know, ignored", file, kname);
		return;
	}
	if ((j = job_new(gw, kind, strcmp(role, "source") == 0 ? JOB_SOURCE :
	    JOB_DEST, id, peer, dom)) == NULL)
		return;
	j->state = (enum job_state)st;
	snprintf(j->phase, sizeof(j->phase), "%s", json_string_value(
	    json_object_get(o, "phase")) ?: "");
	snprintf(j->uuid, sizeof(j->uuid), "%s", json_string_value(
	    json_object_get(o, "uuid")) ?: "");
	snprintf(j->error, sizeof(j->error), "%s", json_string_value(
	    json_object_get(o, "error")) ?: "");
	snprintf(j->where, sizeof(j->where), "%s", json_string_value(
	    json_object_get(o, "where")) ?: "");
	j->created = (time_t)json_integer_value(json_object_get(o, "created"));
	j->finished = (time_t)json_integer_value(json_object_get(o,
	    "finished"));
	if (kind->load != NULL && kind->load(j, o) == -1) {
		log_warnx("jobs: %s: not a %s record, ignored", file,
		    kind->name);
		job_discard(j);
		return;
	}
	if (job_terminal(j))
		return;
	/* this gateway stopped while the job ran: find out, clean up */
	log_warnx("job %s (%s %s %s): interrupted by a gateway restart while "
	    "%s", j->id, j->domain, j->role == JOB_SOURCE ? "to" : "from",
	    j->peer_name, j->phase[0] ? j->phase : job_state_name(j->state));
	if (kind->recover != NULL)
		kind->recover(j);
}

int
jobs_load(struct gw *gw)
{
	char		 dir[512], path[1024];
	DIR		*d;
	struct dirent	*de;
	json_error_t	 jerr;
	json_t		*o;
	size_t		 n;

	snprintf(dir, sizeof(dir), "%s/jobs", gw->conf->state_dir);
	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (n < 6 || strcmp(de->d_name + n - 5, ".json") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((o = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr)) ==
		    NULL) {
			log_warnx("jobs: %s:%d: %s: record ignored", path,
			    jerr.line, jerr.text);
			continue;
		}
		job_from_record(gw, o, path);
		json_decref(o);
	}
	closedir(d);
	return 0;
}

/* ------------------------------------------------------------ state */

void
job_log_ctx(const struct job *j, struct log_ctx *lc)
{
	lc->peer = j->peer_name;
	lc->job = j->id;
	lc->guest = j->domain;
}

void
job_set_state(struct job *j, enum job_state s, const char *phase)
{
	struct log_ctx	 lc;
	int		 ended = 0;
	size_t		 i;

	j->state = s;
	if (phase != NULL)
		snprintf(j->phase, sizeof(j->phase), "%s", phase);
	if (job_terminal(j) && j->finished == 0) {
		j->finished = time(NULL);
		ended = 1;
	}
	job_save(j);
	job_log_ctx(j, &lc);
	log_ctx_info(&lc, "job %s (%s %s %s): %s%s%s", j->id, j->domain,
	    j->role == JOB_SOURCE ? "to" : "from", j->peer_name,
	    job_state_name(s), j->phase[0] ? ": " : "", j->phase);
	for (i = 0; ended && i < njob_end_observers; i++)
		job_end_observers[i](j);
}

void
job_fail(struct job *j, enum job_state s, const char *fmt, ...)
{
	struct log_ctx	 lc;
	va_list		 ap;

	if (j->error[0] == '\0') {	/* the first reason is the real one */
		va_start(ap, fmt);
		vsnprintf(j->error, sizeof(j->error), fmt, ap);
		va_end(ap);
	}
	job_set_state(j, s, NULL);
	job_log_ctx(j, &lc);
	log_ctx_warnx(&lc, "job %s (%s): %s", j->id, j->domain, j->error);
}

void
job_rundir(const struct job *j, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s/jobs/%s", j->gw->conf->run_dir, j->id);
}

int
job_mkrundir(struct job *j, char *dir, size_t dirlen, char *err,
    size_t errlen)
{
	struct gw	*gw = j->gw;
	char		 jobs[512], text[160] = "libvirt not asked";
	acl_t		 acl = NULL;
	long		 quid = gw->qemu_uid, me = (long)geteuid();
	const char	*what;

	snprintf(jobs, sizeof(jobs), "%s/jobs", gw->conf->run_dir);
	job_rundir(j, dir, dirlen);
	if (mkdir_passable(jobs, 2) == -1) {	/* run_dir/jobs and run_dir */
		snprintf(err, errlen, "%s: %s", jobs, strerror(errno));
		return -1;
	}
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (quid < 0 && gw->qemu_owner != NULL &&
	    gw->qemu_owner(gw, &quid, text, sizeof(text)) == 0)
		gw->qemu_uid = quid;
	if (quid < 0) {
		snprintf(err, errlen, "%s: which user QEMU runs as is not "
		    "known (%s)", dir, text);
		return -1;
	}
	/* root passes anyway; the same user owns the directory */
	if (quid == 0 || quid == me)
		return 0;
	/*
	 * QEMU (another user) makes sockets here and connects to ours: it
	 * gets rwx on the directory, and every socket made in it is rw for
	 * both of us (the default ACL; a socket's mode is then not cut by
	 * either process's umask).  Nobody else gets anything.
	 */
	what = "access";
	snprintf(text, sizeof(text), "u::rwx,u:%ld:rwx,g::---,m::rwx,o::---",
	    quid);
	if ((acl = acl_from_text(text)) == NULL ||
	    acl_set_file(dir, ACL_TYPE_ACCESS, acl) == -1)
		goto fail;
	acl_free(acl);
	what = "default";
	snprintf(text, sizeof(text), "u::rwx,u:%ld:rwx,u:%ld:rwx,g::---,"
	    "m::rwx,o::---", quid, me);
	if ((acl = acl_from_text(text)) == NULL ||
	    acl_set_file(dir, ACL_TYPE_DEFAULT, acl) == -1)
		goto fail;
	acl_free(acl);
	return 0;
 fail:
	snprintf(err, errlen, "%s: cannot give QEMU's user (uid %ld) the job's "
	    "sockets (%s ACL): %s%s", dir, quid, what, strerror(errno),
	    errno == EOPNOTSUPP ? " (run_dir must be on a filesystem with "
	    "POSIX ACLs, such as tmpfs)" : "");
	if (acl != NULL)
		acl_free(acl);
	return -1;
}

/* Remove the job's socket directory and the sockets in it. */
void
job_rmdir(struct job *j)
{
	char		 dir[512], p[1024];
	DIR		*d;
	struct dirent	*de;

	job_rundir(j, dir, sizeof(dir));
	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") ==
		    0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

/* ------------------------------------------------------------ workers */

struct job_call {
	struct job	*job;
	void		(*work)(void *);
	void		(*done)(void *);
	void		*arg;
};

static void
job_call_work(void *p)
{
	struct job_call	*c = p;

	c->work(c->arg);
}

static void
job_call_done(void *p)
{
	struct job_call	*c = p;

	c->job->holds--;
	c->done(c->arg);
	free(c);
}

int
job_work(struct job *j, void (*work)(void *), void (*done)(void *),
    void *arg)
{
	struct job_call	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	c->job = j;
	c->work = work;
	c->done = done;
	c->arg = arg;
	if (worker_run(j->gw, job_call_work, job_call_done, c) == -1) {
		free(c);
		return -1;
	}
	j->holds++;
	return 0;
}
