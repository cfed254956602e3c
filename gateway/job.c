/*
 * job.c - the table of migration jobs, their durable records, and the CLI
 * commands that act on jobs (migrate, jobs, cancel, set-bandwidth).
 *
 * Records: <state_dir>/jobs/<id>.json (source) and <id>@<peer>.json
 * (destination), replaced atomically at every state change.  At start the
 * daemon reads them back: a job that was not finished is reported as
 * interrupted and what it left is cleaned up (migrate_recover,
 * jobdst_recover).
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "job.h"
#include "ctlproto.h"

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

/* ------------------------------------------------------------ table */

int
jobs_init(struct gw *gw)
{
	char	 dir[512];

	if ((gw->jobs = calloc(1, sizeof(*gw->jobs))) == NULL)
		return -1;
	TAILQ_INIT(gw->jobs);
	snprintf(dir, sizeof(dir), "%s/jobs", gw->conf->state_dir);
	if (mkdir_p(dir, 0700) == -1) {
		log_warn("jobs: %s", dir);
		return -1;
	}
	accept_register("job", jobdst_accept);
	return jobs_load(gw);
}

static void
job_free(struct job *j)
{
	job_conns_abort(j, "gateway shutting down");
	if (j->tick != NULL)
		event_free(j->tick);
	if (j->orphan != NULL)
		event_free(j->orphan);
	if (j->rl != NULL)
		bufferevent_rate_limit_group_free(j->rl);
	if (j->rlcfg != NULL)
		ev_token_bucket_cfg_free(j->rlcfg);
	kvm_domain_info_free(j->info);
	kvm_close(j->kstats);
	free(j->dest_xml);
	json_decref(j->plan);
	json_decref(j->volumes);
	json_decref(j->addrs);
	json_decref(j->macs);
	json_decref(j->dhcp);
	json_decref(j->reach);
	if (j->announce != NULL)
		event_free(j->announce);
	free(j);
}

void
jobs_free(struct gw *gw)
{
	struct job	*j;

	if (gw->jobs == NULL)
		return;
	while ((j = TAILQ_FIRST(gw->jobs)) != NULL) {
		TAILQ_REMOVE(gw->jobs, j, entry);
		if (j->busy)
			continue;	/* a worker still holds it: leak, we exit */
		job_free(j);
	}
	free(gw->jobs);
	gw->jobs = NULL;
}

static void	job_record_path(const struct job *, char *, size_t);

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
			if (job_terminal(j) && !j->busy &&
			    TAILQ_EMPTY(&j->conns) && __atomic_load_n(
			    &j->verify_state, __ATOMIC_ACQUIRE) != 1 &&
			    (old == NULL || j->created < old->created))
				old = j;
		if (old == NULL)
			return;
		job_record_path(old, path, sizeof(path));
		unlink(path);
		TAILQ_REMOVE(gw->jobs, old, entry);
		job_free(old);
		n--;
	}
}

struct job *
job_new(struct gw *gw, enum job_role role, const char *id, const char *peer,
    const char *domain)
{
	struct job	*j;
	uint8_t		 r[5];

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	j->gw = gw;
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
	j->volumes = json_array();
	TAILQ_INIT(&j->conns);
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
		if (!job_terminal(j) && strcmp(j->domain, domain) == 0)
			return j;
	return NULL;
}

/* ------------------------------------------------------------ records */

static void
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

	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, "
	    "s:I, s:s, s:s, s:O}",
	    "id", j->id, "role", j->role == JOB_SOURCE ? "source" :
	    "destination", "state", job_state_name(j->state), "phase",
	    j->phase, "domain", j->domain, "uuid", j->uuid, "peer",
	    j->peer_name, "created", (json_int_t)j->created, "finished",
	    (json_int_t)j->finished, "seconds", (json_int_t)(end - j->created),
	    "tunnel_bytes", (json_int_t)job_bytes(j), "error", j->error,
	    "where", j->where, "volumes", j->volumes);
	if (o == NULL)
		return NULL;
	json_object_set_new(o, "options", json_pack("{s:b, s:b, s:b, s:b, "
	    "s:i, s:i, s:I}", "dry_run", j->dry_run, "offline", j->offline,
	    "postcopy", j->postcopy, "keep_source", j->keep_source,
	    "parallel", j->parallel, "max_downtime_ms",
	    (int)j->max_downtime_ms, "bandwidth", (json_int_t)j->bandwidth));
	json_object_set_new(o, "switched", json_boolean(j->switched));
	if (j->addrs != NULL)
		json_object_set(o, "addresses", j->addrs);
	if (j->dhcp != NULL)
		json_object_set(o, "dhcp", j->dhcp);
	if (j->reach != NULL)
		json_object_set(o, "reach", j->reach);
	if (j->has_final)
		json_object_set_new(o, "result", json_pack("{s:I, s:I, s:I, "
		    "s:I}", "downtime_ms", (json_int_t)j->final.downtime_ms,
		    "memory_bytes", (json_int_t)j->final.mem_processed,
		    "disk_bytes", (json_int_t)j->final.disk_processed,
		    "elapsed_ms", (json_int_t)j->final.time_elapsed_ms));
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

static void
job_from_record(struct gw *gw, json_t *o, const char *file)
{
	struct job	*j;
	const char	*role = json_string_value(json_object_get(o, "role"));
	const char	*id = json_string_value(json_object_get(o, "id"));
	const char	*peer = json_string_value(json_object_get(o, "peer"));
	const char	*dom = json_string_value(json_object_get(o, "domain"));
	int		 st = job_state_from_name(json_string_value(
			    json_object_get(o, "state")));
	json_t		*opt = json_object_get(o, "options");

	if (role == NULL || id == NULL || peer == NULL || dom == NULL ||
	    st == -1 || strlen(id) >= JOB_ID_LEN) {
		log_warnx("jobs: %s: not a job record, ignored", file);
		return;
	}
	if ((j = job_new(gw, strcmp(role, "source") == 0 ? JOB_SOURCE :
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
	j->offline = json_is_true(json_object_get(opt, "offline"));
	j->dry_run = json_is_true(json_object_get(opt, "dry_run"));
	j->switched = json_is_true(json_object_get(o, "switched"));
	if (json_is_array(json_object_get(o, "addresses")))
		j->addrs = json_incref(json_object_get(o, "addresses"));
	if (json_is_array(json_object_get(o, "dhcp")))
		j->dhcp = json_incref(json_object_get(o, "dhcp"));
	if (json_is_array(json_object_get(o, "volumes"))) {
		json_decref(j->volumes);
		j->volumes = json_incref(json_object_get(o, "volumes"));
	}
	if (job_terminal(j))
		return;
	/* this gateway stopped while the job ran: find out, clean up */
	log_warnx("job %s (%s %s %s): interrupted by a gateway restart while "
	    "%s", j->id, j->domain, j->role == JOB_SOURCE ? "to" : "from",
	    j->peer_name, j->phase[0] ? j->phase : job_state_name(j->state));
	if (j->role == JOB_SOURCE)
		migrate_recover(j);
	else
		jobdst_recover(j);
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
job_set_state(struct job *j, enum job_state s, const char *phase)
{
	j->state = s;
	if (phase != NULL)
		snprintf(j->phase, sizeof(j->phase), "%s", phase);
	if (job_terminal(j) && j->finished == 0)
		j->finished = time(NULL);
	job_save(j);
	log_info("job %s (%s %s %s): %s%s%s", j->id, j->domain,
	    j->role == JOB_SOURCE ? "to" : "from", j->peer_name,
	    job_state_name(s), j->phase[0] ? ": " : "", j->phase);
}

void
job_fail(struct job *j, enum job_state s, const char *fmt, ...)
{
	va_list	 ap;

	if (j->error[0] == '\0') {	/* the first reason is the real one */
		va_start(ap, fmt);
		vsnprintf(j->error, sizeof(j->error), fmt, ap);
		va_end(ap);
	}
	job_set_state(j, s, NULL);
	log_warnx("job %s (%s): %s", j->id, j->domain, j->error);
}

void
job_rundir(const struct job *j, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s/jobs/%s", j->gw->conf->run_dir, j->id);
}

/* Remove the job's socket directory (and the sockets in it). */
void
job_rmdir(struct job *j)
{
	static const char *const names[] = { "libvirt.sock", "mig.sock",
	    "nbd.sock" };
	char	 dir[512], p[600];
	size_t	 i;

	job_rundir(j, dir, sizeof(dir));
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
}

/* ------------------------------------------------------------ relays */

struct job_conn {
	TAILQ_ENTRY(job_conn)	 entry;
	struct job		*job;
	struct relay		*relay;
	char			 what[64];
};

static void
job_conn_done(struct relay *r, const char *reason, void *arg)
{
	struct job_conn	*jc = arg;
	uint64_t	 up, down;

	relay_counts(r, &up, &down);
	jc->job->tunnel_bytes += up + down;
	if (reason != NULL) {
		log_debug("job %s: %s: %s", jc->job->id, jc->what, reason);
		if (jc->job->conn_err[0] == '\0' && !job_terminal(jc->job)) {
			snprintf(jc->job->conn_err, sizeof(jc->job->conn_err),
			    "%s", reason);
			snprintf(jc->job->conn_err_phase,
			    sizeof(jc->job->conn_err_phase), "%s",
			    jc->job->phase);
		}
	}
	TAILQ_REMOVE(&jc->job->conns, jc, entry);
	free(jc);
}

void
job_conn_add(struct job *j, struct relay *r, const char *what)
{
	struct job_conn	*jc;

	if ((jc = calloc(1, sizeof(*jc))) == NULL) {
		relay_abort(r, "out of memory");
		return;
	}
	jc->job = j;
	jc->relay = r;
	snprintf(jc->what, sizeof(jc->what), "%s", what);
	TAILQ_INSERT_TAIL(&j->conns, jc, entry);
	relay_set_done(r, job_conn_done, jc);
	if (j->rl != NULL)
		bufferevent_add_to_rate_limit_group(relay_bev(r), j->rl);
}

void
job_conns_abort(struct job *j, const char *why)
{
	struct job_conn	*jc;

	while ((jc = TAILQ_FIRST(&j->conns)) != NULL)
		relay_abort(jc->relay, why);	/* job_conn_done frees jc */
}

uint64_t
job_bytes(const struct job *j)
{
	const struct job_conn	*jc;
	uint64_t		 n = j->tunnel_bytes, up, down;

	TAILQ_FOREACH(jc, &j->conns, entry) {
		relay_counts(jc->relay, &up, &down);
		n += up + down;
	}
	return n;
}

/* ------------------------------------------------------------ commands */

static int
job_cmp_created(const void *a, const void *b)
{
	const struct job	*x = *(struct job *const *)a;
	const struct job	*y = *(struct job *const *)b;

	return (x->created > y->created) - (x->created < y->created);
}

/* Oldest first, so that the newest is at the bottom of `vmgw jobs`. */
void
ctl_jobs(struct ctl_conn *c, json_t *req)
{
	json_t		*a = json_array();
	struct job	*j, **v;
	size_t		 n = 0, i;

	TAILQ_FOREACH(j, c->gw->jobs, entry)
		n++;
	if ((v = calloc(n + 1, sizeof(*v))) == NULL) {
		json_decref(a);
		ctl_error(c, VMGW_EXIT_FAIL, "out of memory");
		return;
	}
	n = 0;
	TAILQ_FOREACH(j, c->gw->jobs, entry)
		v[n++] = j;
	qsort(v, n, sizeof(*v), job_cmp_created);
	for (i = 0; i < n; i++)
		json_array_append_new(a, job_json(v[i]));
	free(v);
	ctl_ok(c, json_pack("{s:o}", "jobs", a));
}

void
ctl_cancel(struct ctl_conn *c, json_t *req)
{
	const char	*id = json_string_value(json_object_get(req, "job"));
	struct job	*j;

	if (id == NULL || (j = job_find(c->gw, id)) == NULL ||
	    j->role != JOB_SOURCE) {
		ctl_error(c, VMGW_EXIT_USAGE, "%s: no such job at %s (see vmgw "
		    "jobs)", id ? id : "(none)", c->gw->conf->site);
		return;
	}
	if (job_terminal(j)) {
		ctl_error(c, VMGW_EXIT_FAIL, "job %s is already %s", j->id,
		    job_state_name(j->state));
		return;
	}
	migrate_cancel(j);
	ctl_ok(c, json_pack("{s:s, s:s}", "job", j->id, "state",
	    "cancelling"));
}

void
ctl_set_bandwidth(struct ctl_conn *c, json_t *req)
{
	const char	*id = json_string_value(json_object_get(req, "job"));
	const char	*rate = json_string_value(json_object_get(req, "rate"));
	struct job	*j;
	uint64_t	 bw;

	if (id == NULL || (j = job_find(c->gw, id)) == NULL ||
	    j->role != JOB_SOURCE || job_terminal(j)) {
		ctl_error(c, VMGW_EXIT_USAGE, "%s: no running job of that id "
		    "at %s", id ? id : "(none)", c->gw->conf->site);
		return;
	}
	if (rate == NULL || size_parse(&bw, rate) == -1) {
		ctl_error(c, VMGW_EXIT_USAGE, "%s: not a rate (bytes/s with "
		    "K/M/G, 0 for none)", rate ? rate : "(none)");
		return;
	}
	migrate_set_bandwidth(j, bw);
	ctl_ok(c, json_pack("{s:s, s:I}", "job", j->id, "bandwidth",
	    (json_int_t)bw));
}
