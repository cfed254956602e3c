/*
 * migrate.c - `vmgw migrate DOMAIN --to SITE` at the source gateway.
 *
 *  1. checks (worker): the domain exists and is running (shut off for
 *     --offline); every disk to copy and every network has a mapping for
 *     the peer; the XML is rewritten for the peer's names.
 *  2. prepare: the peer checks its side (no such domain, networks and pools
 *     exist, room on disk) and creates the target volumes.  --dry-run stops
 *     here with the plan.  Nothing has moved; a refusal is exit 6.
 *  3. live: UNIX sockets for the job (libvirt, mig, nbd) under
 *     <run_dir>/jobs/<id>/, each connection relayed through the tunnel, in
 *     the order opened, to the same path at the peer (QEMU and libvirtd
 *     there); libvirt's peer-to-peer migration runs on a worker thread;
 *     job statistics are polled every half second for the CLI.
 *     offline: each volume is streamed through its own channel.
 *  4. done: the peer confirms the guest runs there and reports the
 *     downtime.  Any failure or cancel before that: libvirt keeps the guest
 *     running here, and the peer removes what it made (job-abort).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "job.h"
#include "ctlproto.h"
#include "netplan.h"

#define MIG_TICK_MS	500

static const char *const job_socks[3] = { "libvirt", "mig", "nbd" };

struct mig_disk {			/* offline copy of one volume */
	struct job	*job;
	char		 target[32];
	char		 path[512];
	int		 fd;
	uint64_t	 bytes;
	int		 rc;
	char		 err[512];
};

static void	mig_prepare(struct job *);
static void	mig_finished(struct job *);
static void	mig_failed(struct job *, int exitcode);
static void	mig_prepare(struct job *);
static void	mig_premove_work(void *);
static void	mig_premove_done(void *);

/* ------------------------------------------------------------ helpers */

static void
mig_event(struct job *j, const char *type, json_t *fields)
{
	if (fields == NULL)
		fields = json_object();
	json_object_set_new(fields, "job", json_string(j->id));
	if (j->ctl != NULL)
		ctl_event(j->ctl, type, fields);
	else
		json_decref(fields);
}

static void
mig_ctl_closed(struct ctl_conn *c, void *arg)
{
	struct job	*j = arg;

	/* the CLI went away (not a cancel: that is `vmgw cancel`) */
	j->ctl = NULL;
	log_info("job %s: vmgw migrate detached; the job goes on", j->id);
}

static void
mig_detach_ctl(struct job *j)
{
	if (j->ctl != NULL)
		ctl_set_close_cb(j->ctl, NULL, NULL);
	j->ctl = NULL;
}

static void
mig_close_listeners(struct job *j)
{
	size_t	 i;

	for (i = 0; i < 3; i++) {
		if (j->lis[i] != NULL)
			evconnlistener_free(j->lis[i]);
		j->lis[i] = NULL;
	}
}

static void
mig_add_check(struct job *j, const char *what, int ok, const char *detail)
{
	json_t	*c = json_object_get(j->plan, "checks");

	json_array_append_new(c, json_pack("{s:s, s:b, s:s}", "check", what,
	    "ok", ok, "detail", detail ? detail : ""));
}

/* ------------------------------------------------------------ 1. checks */

static int
mig_plan_disks(struct job *j, char *err, size_t errlen)
{
	const struct vmgw_peer	*pc = j->peer->conf;
	struct kvm_domain_info	*di = j->info;
	json_t			*disks = json_array();
	char			*to, buf[1024], cap[32], alloc[32];
	size_t			 i;

	json_object_set_new(j->plan, "disks", disks);
	for (i = 0; i < di->n_disks; i++) {
		const struct kvm_disk *d = &di->disks[i];

		if (d->readonly || strcmp(d->device, "disk") != 0 ||
		    d->path == NULL)
			continue;	/* cdroms, read-only images: not copied */
		if (d->shareable) {
			snprintf(err, errlen, "%s: disk %s is shareable: vmgw "
			    "does not move shared disks", j->domain, d->target);
			return -1;
		}
		if (!d->is_file) {
			snprintf(err, errlen, "%s: disk %s is not a file or "
			    "volume: vmgw copies file-backed disks only",
			    j->domain, d->target);
			return -1;
		}
		if ((to = kvm_map_path(d->path, pc->storage, pc->n_storage)) ==
		    NULL) {
			snprintf(err, errlen, "%s: disk %s: no storage mapping "
			    "for %s on %s (peers.%s.storage)", j->domain,
			    d->target, d->path, pc->name, pc->name);
			return -1;
		}
		fmt_bytes(cap, sizeof(cap), d->capacity);
		fmt_bytes(alloc, sizeof(alloc), d->allocation);
		snprintf(buf, sizeof(buf), "%s -> %s (%s, %s, %s used)",
		    d->path, to, d->format ? d->format : "raw", cap, alloc);
		mig_add_check(j, "disk", 1, buf);
		json_array_append_new(disks, json_pack("{s:s, s:s, s:s, s:s, "
		    "s:I, s:I}", "target", d->target, "source", d->path,
		    "path", to, "format", d->format ? d->format : "raw",
		    "capacity", (json_int_t)d->capacity, "allocation",
		    (json_int_t)d->allocation));
		free(to);
	}
	return 0;
}

static int
mig_plan_nics(struct job *j, char *err, size_t errlen)
{
	const struct vmgw_peer	*pc = j->peer->conf;
	struct kvm_domain_info	*di = j->info;
	json_t			*nets = json_array(), *nics = json_array();
	const char		*to;
	char			 buf[512];
	size_t			 i;

	json_object_set_new(j->plan, "networks", nets);
	json_object_set_new(j->plan, "nics", nics);
	for (i = 0; i < di->n_nics; i++) {
		const struct kvm_nic *n = &di->nics[i];

		if (n->type == NULL || strcmp(n->type, "network") != 0) {
			snprintf(buf, sizeof(buf), "%s: %s %s kept as is",
			    n->mac ? n->mac : "?", n->type ? n->type : "?",
			    n->source ? n->source : "");
			mig_add_check(j, "nic", 1, buf);
			json_array_append_new(nics, json_pack("{s:s?, s:s?, "
			    "s:s?}", "mac", n->mac, "type", n->type, "source",
			    n->source));
			continue;
		}
		if ((to = config_map_lookup(pc->networks, pc->n_networks,
		    n->source)) == NULL) {
			snprintf(err, errlen, "%s: interface %s: no network "
			    "mapping for '%s' on %s (peers.%s.networks)",
			    j->domain, n->mac, n->source, pc->name, pc->name);
			return -1;
		}
		snprintf(buf, sizeof(buf), "%s: network %s -> %s", n->mac,
		    n->source, to);
		mig_add_check(j, "nic", 1, buf);
		json_array_append_new(nets, json_string(to));
		json_array_append_new(nics, json_pack("{s:s, s:s, s:s, s:s}",
		    "mac", n->mac, "type", "network", "source", n->source,
		    "target", to));
	}
	return 0;
}

static void
mig_check_work(void *arg)
{
	struct job	*j = arg;
	struct kvm	*k = NULL;
	char		 err[512] = "", buf[256];
	int		 want = j->offline ? 5 /* VIR_DOMAIN_SHUTOFF */ : 1;

	j->plan = json_pack("{s:[]}", "checks");
	if (kvm_open(&k, j->gw->conf->libvirt, err, sizeof(err)) == -1 ||
	    kvm_domain_inspect(k, j->domain, &j->info, err, sizeof(err)) == -1)
		goto out;
	snprintf(j->uuid, sizeof(j->uuid), "%s", j->info->uuid);
	if (j->info->state != want) {
		snprintf(err, sizeof(err), "%s is %s: %s", j->domain,
		    j->info->state_str, j->offline ? "--offline moves shut-off "
		    "guests; omit it to move a running one" : "vmgw moves "
		    "running guests live (shut-off ones with --offline)");
		goto out;
	}
	snprintf(buf, sizeof(buf), "%s, %s, %llu MiB, %u vCPU, type %s",
	    j->domain, j->info->state_str, (unsigned long long)
	    j->info->memory_kib / 1024, j->info->vcpus,
	    j->info->virt_type ? j->info->virt_type : "?");
	mig_add_check(j, "domain", 1, buf);
	if (mig_plan_disks(j, err, sizeof(err)) == -1 ||
	    mig_plan_nics(j, err, sizeof(err)) == -1)
		goto out;
	if (kvm_xml_rewrite(j->info->xml, j->peer->conf->networks,
	    j->peer->conf->n_networks, j->peer->conf->storage,
	    j->peer->conf->n_storage, &j->dest_xml, err, sizeof(err)) == -1)
		goto out;
	if (netplan_source_check(j, k, err, sizeof(err)) == -1)
		goto out;
 out:
	if (err[0] != '\0')
		snprintf(j->error, sizeof(j->error), "%s", err);
	kvm_close(k);
}

/* pre-move hooks: any failure refuses the move before anything moved */
static void
mig_premove_work(void *arg)
{
	struct job	*j = arg;

	j->pre_hooks_ran = 1;
	netplan_run_hooks(j, "pre-move", j->hook_err, sizeof(j->hook_err));
}

static void
mig_premove_done(void *arg)
{
	struct job	*j = arg;

	j->busy = 0;
	if (j->hook_err[0] != '\0') {
		j->pre_hooks_ran = 0;	/* nothing to roll back */
		job_fail(j, JOB_FAILED, "%s", j->hook_err);
		mig_failed(j, VMGW_EXIT_REFUSED);
		return;
	}
	mig_prepare(j);
}

static void
mig_check_done(void *arg)
{
	struct job	*j = arg;

	j->busy = 0;
	if (j->cancel) {
		job_fail(j, JOB_CANCELLED, "cancelled before anything moved");
		mig_failed(j, VMGW_EXIT_CANCELLED);
		return;
	}
	if (j->error[0] != '\0') {
		job_set_state(j, JOB_FAILED, "checks");
		log_warnx("job %s: refused: %s", j->id, j->error);
		mig_failed(j, VMGW_EXIT_REFUSED);
		return;
	}
	if (!j->dry_run && j->np.hooks != NULL) {
		job_set_state(j, JOB_CHECKING, "pre-move hooks");
		if (worker_run(j->gw, mig_premove_work, mig_premove_done,
		    j) == 0) {
			j->busy = 1;
			return;
		}
	}
	mig_prepare(j);
}

/* ------------------------------------------------------------ 2. prepare */

static void mig_start_live(struct job *);
static void mig_start_offline(struct job *);

static void
mig_prepared(json_t *reply, const char *err, void *arg)
{
	struct job	*j = arg;
	json_t		*c, *v;
	size_t		 i;

	if (err != NULL) {
		job_fail(j, JOB_FAILED, "%s: %s", j->peer_name, err);
		mig_failed(j, VMGW_EXIT_REFUSED);
		return;
	}
	json_array_foreach(json_object_get(reply, "checks"), i, v) {
		c = json_deep_copy(v);
		json_object_set_new(c, "site", json_string(j->peer_name));
		json_array_append_new(json_object_get(j->plan, "checks"), c);
	}
	if (j->dry_run) {
		job_set_state(j, JOB_PLANNED, "dry run");
		if (j->ctl != NULL) {
			ctl_ok(j->ctl, json_pack("{s:s, s:O, s:s}", "job",
			    j->id, "plan", j->plan, "state", "planned"));
			mig_detach_ctl(j);
		}
		return;
	}
	if (j->cancel) {
		job_fail(j, JOB_CANCELLED, "cancelled before anything moved");
		mig_failed(j, VMGW_EXIT_CANCELLED);
		return;
	}
	job_set_state(j, JOB_RUNNING, j->offline ? "disk copy" : "starting");
	if (j->offline)
		mig_start_offline(j);
	else
		mig_start_live(j);
}

static void
mig_peer_ready(struct peer *p, struct tunnel *t, const char *err, void *arg)
{
	struct job	*j = arg;
	json_t		*m;

	if (t == NULL) {
		job_fail(j, JOB_FAILED, "%s", err);
		mig_failed(j, VMGW_EXIT_PEER);
		return;
	}
	m = json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:I, s:O, s:O, s:s}",
	    "op", "job-prepare", "job", j->id, "domain", j->domain, "uuid",
	    j->uuid, "dry_run", j->dry_run, "offline", j->offline,
	    "bandwidth", (json_int_t)j->bandwidth,
	    "disks", json_object_get(j->plan, "disks"),
	    "networks", json_object_get(j->plan, "networks"),
	    "xml", j->dest_xml);
	json_object_set_new(m, "plan", netplan_request(j));
	if (pmsg_request(p, m, JOB_PREPARE_TIMEOUT, mig_prepared, j) == -1) {
		job_fail(j, JOB_FAILED, "tunnel to %s lost", p->conf->name);
		mig_failed(j, VMGW_EXIT_PEER);
	}
	json_decref(m);
}

static void
mig_prepare(struct job *j)
{
	job_set_state(j, JOB_PREPARING, "prepare");
	mig_event(j, "phase", json_pack("{s:s}", "phase", "prepare"));
	if (peer_wait(j->peer, 10, mig_peer_ready, j) == NULL) {
		job_fail(j, JOB_FAILED, "out of memory");
		mig_failed(j, VMGW_EXIT_FAIL);
	}
}

/* ------------------------------------------------------------ 3. live */

static void
mig_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int socklen, void *arg)
{
	struct job	*j = arg;
	struct tunnel	*t = j->peer->tunnel;
	struct relay	*r;
	struct channel	*ch;
	const char	*sock = "?";
	char		 what[128];
	json_t		*req;
	size_t		 i;

	for (i = 0; i < 3; i++)
		if (j->lis[i] == l)
			sock = job_socks[i];
	if ((r = relay_new(j->gw, fd, NULL)) == NULL) {
		close(fd);
		return;
	}
	snprintf(what, sizeof(what), "job %s %s", j->id, sock);
	job_conn_add(j, r, sock);
	if (t == NULL || t->state != TUN_ESTABLISHED || job_terminal(j)) {
		relay_abort(r, "no tunnel");
		return;
	}
	req = json_pack("{s:s, s:s, s:s, s:i}", "kind", "job", "job", j->id,
	    "sock", sock, "seq", (int)j->seq++);
	ch = chan_open(t, req, &relay_ops, r, what);
	json_decref(req);
	if (ch == NULL) {
		relay_abort(r, "cannot open a channel");
		return;
	}
	relay_set_channel(r, ch);
}

static int
mig_listen(struct job *j, char *err, size_t errlen)
{
	struct sockaddr_un	 sun;
	char			 dir[512];
	size_t			 i;

	job_rundir(j, dir, sizeof(dir));
	if (mkdir_p(dir, 0700) == -1) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < 3; i++) {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s.sock",
		    dir, job_socks[i]) >= (int)sizeof(sun.sun_path)) {
			snprintf(err, errlen, "%s: run_dir too long for a "
			    "socket path", dir);
			return -1;
		}
		unlink(sun.sun_path);
		if ((j->lis[i] = evconnlistener_new_bind(j->gw->base,
		    mig_accept, j, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
		    64, (struct sockaddr *)&sun, sizeof(sun))) == NULL) {
			snprintf(err, errlen, "listen %s: %s", sun.sun_path,
			    strerror(errno));
			return -1;
		}
	}
	return 0;
}

static void
mig_migrate_work(void *arg)
{
	struct job		*j = arg;
	struct kvm		*k = NULL;
	struct kvm_migrate_opts	 o;
	const char		*disks[64];
	char			 dir[512], duri[600], muri[600], nuri[600];
	char			 err[512] = "";
	json_t			*d;
	size_t			 i, n = 0;

	job_rundir(j, dir, sizeof(dir));
	snprintf(duri, sizeof(duri), "qemu+unix:///system?socket=%s/"
	    "libvirt.sock", dir);
	snprintf(muri, sizeof(muri), "unix://%s/mig.sock", dir);
	snprintf(nuri, sizeof(nuri), "unix://%s/nbd.sock", dir);
	json_array_foreach(json_object_get(j->plan, "disks"), i, d)
		if (n < 63)
			disks[n++] = json_string_value(json_object_get(d,
			    "target"));
	disks[n] = NULL;
	memset(&o, 0, sizeof(o));
	o.dest_uri = duri;
	o.migrate_uri = muri;
	o.disks_uri = n > 0 ? nuri : NULL;
	o.dest_xml = j->dest_xml;
	o.dest_persist_xml = j->dest_xml;
	o.copy_disks = n > 0 ? disks : NULL;
	o.live = 1;
	o.postcopy = j->postcopy;
	o.parallel = j->parallel;
	o.max_downtime_ms = j->max_downtime_ms;
	o.keep_source = j->keep_source;
	j->mig_rc = -1;
	if (kvm_open(&k, j->gw->conf->libvirt, err, sizeof(err)) == 0)
		j->mig_rc = kvm_migrate(k, j->domain, &o, err, sizeof(err));
	snprintf(j->mig_err, sizeof(j->mig_err), "%s", err);
	kvm_close(k);
}

/* "tunnel to site-b lost: why" -> "tunnel to site-b lost during PHASE: why" */
static void
mig_fail_conn(struct job *j)
{
	const char	*lost = strstr(j->conn_err, " lost: ");

	if (strncmp(j->conn_err, "tunnel to ", 10) == 0 && lost != NULL)
		job_fail(j, JOB_FAILED, "%.*s during %s: %s",
		    (int)(lost + 5 - j->conn_err), j->conn_err,
		    j->conn_err_phase, lost + 7);
	else
		job_fail(j, JOB_FAILED, "%s (during %s)", j->conn_err,
		    j->conn_err_phase);
}

static void
mig_migrate_done(void *arg)
{
	struct job	*j = arg;

	j->busy = 0;
	if (j->tick != NULL)
		evtimer_del(j->tick);
	if (j->mig_rc == 0) {
		netplan_source_switched(j);	/* if job-switched did not come */
		mig_finished(j);
		return;
	}
	if (j->cancel)
		job_fail(j, JOB_CANCELLED, "cancelled during %s", j->phase);
	else if (j->conn_err[0] != '\0')
		mig_fail_conn(j);
	else
		job_fail(j, JOB_FAILED, "%s", j->mig_err);
	mig_failed(j, j->cancel ? VMGW_EXIT_CANCELLED : VMGW_EXIT_FAIL);
}

/* statistics, every MIG_TICK_MS */

static void
mig_stats_work(void *arg)
{
	struct job	*j = arg;
	char		 err[512];

	if (j->kstats == NULL && kvm_open(&j->kstats, j->gw->conf->libvirt,
	    err, sizeof(err)) == -1)
		return;
	j->stats_rc = kvm_job_stats(j->kstats, j->domain, 0, &j->stats_tmp,
	    err, sizeof(err));
}

static void mig_postcopy(struct job *);

static void
mig_stats_done(void *arg)
{
	struct job		*j = arg;
	struct kvm_job_stats	*s = &j->stats;
	const char		*phase;
	double			 pct_m = 0, pct_d = 0;
	uint64_t		 eta = 0;

	j->stats_busy = 0;
	if (j->state != JOB_RUNNING) {
		kvm_close(j->kstats);	/* the job is over */
		j->kstats = NULL;
		return;
	}
	if (j->stats_rc != 0 || j->cancel)
		return;		/* after a cancel the phase stays the one cancelled */
	j->stats = j->stats_tmp;
	j->has_stats = 1;
	if (s->mem_total > 0)
		pct_m = 100.0 * (double)s->mem_processed / (double)s->mem_total;
	if (pct_m > 100)
		pct_m = 100;
	if (s->disk_total > 0)
		pct_d = 100.0 * (double)s->disk_processed /
		    (double)s->disk_total;
	if (s->postcopy)
		phase = "post-copy";
	else if (s->disk_total > 0 && s->disk_remaining > 0 &&
	    s->mem_processed == 0)
		phase = "disk copy";
	else if (s->mem_total > 0)
		phase = "memory copy";
	else
		phase = "starting";
	snprintf(j->phase, sizeof(j->phase), "%s", phase);
	if (s->mem_bps > 0)
		eta = (s->mem_remaining + s->disk_remaining) / s->mem_bps;
	mig_event(j, "progress", json_pack("{s:s, s:f, s:f, s:I, s:I, s:I, "
	    "s:I, s:I, s:I, s:I, s:I}", "phase", phase, "memory_pct", pct_m,
	    "disk_pct", pct_d, "bytes_per_s", (json_int_t)(s->mem_bps +
	    s->disk_bps), "dirty_pages_per_s", (json_int_t)s->mem_dirty_rate,
	    "page_size", (json_int_t)s->mem_page_size, "remaining",
	    (json_int_t)(s->mem_remaining + s->disk_remaining), "eta_s",
	    (json_int_t)eta, "elapsed_ms", (json_int_t)s->time_elapsed_ms,
	    "tunnel_bytes", (json_int_t)job_bytes(j), "iteration",
	    (json_int_t)s->mem_iteration));
	/* --postcopy: switch once the first pass is over */
	if (j->postcopy && !j->postcopy_started && s->mem_iteration >= 2)
		mig_postcopy(j);
}

static void
mig_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct job	*j = arg;
	struct timeval	 tv = { 0, MIG_TICK_MS * 1000 };

	if (j->state != JOB_RUNNING)
		return;
	if (!j->stats_busy && worker_run(j->gw, mig_stats_work,
	    mig_stats_done, j) == 0)
		j->stats_busy = 1;
	evtimer_add(j->tick, &tv);
}

static void
mig_postcopy_work(void *arg)
{
	struct job	*j = arg;
	struct kvm	*k = NULL;
	char		 err[512];

	if (kvm_open(&k, j->gw->conf->libvirt, err, sizeof(err)) == 0 &&
	    kvm_postcopy_start(k, j->domain, err, sizeof(err)) == 0)
		log_info("job %s: switched to post-copy", j->id);
	else
		log_warnx("job %s: post-copy switch: %s", j->id, err);
	kvm_close(k);
}

static void
mig_worker_none(void *arg)
{
}

static void
mig_postcopy(struct job *j)
{
	j->postcopy_started = 1;
	mig_event(j, "phase", json_pack("{s:s}", "phase", "post-copy"));
	worker_run(j->gw, mig_postcopy_work, mig_worker_none, j);
}

static void
mig_start_live(struct job *j)
{
	struct timeval	 tv = { 0, MIG_TICK_MS * 1000 };
	char		 err[512];

	if (mig_listen(j, err, sizeof(err)) == -1) {
		job_fail(j, JOB_FAILED, "%s", err);
		mig_failed(j, VMGW_EXIT_FAIL);
		return;
	}
	if ((j->tick = evtimer_new(j->gw->base, mig_tick, j)) != NULL)
		evtimer_add(j->tick, &tv);
	mig_event(j, "phase", json_pack("{s:s}", "phase", "migrating"));
	if (worker_run(j->gw, mig_migrate_work, mig_migrate_done, j) == -1) {
		job_fail(j, JOB_FAILED, "cannot start a thread: %s",
		    strerror(errno));
		mig_failed(j, VMGW_EXIT_FAIL);
		return;
	}
	j->busy = 1;
}

/* ------------------------------------------------------------ 3'. offline */

static void
mig_download_work(void *arg)
{
	struct mig_disk	*md = arg;
	struct kvm	*k = NULL;

	md->rc = -1;
	if (kvm_open(&k, md->job->gw->conf->libvirt, md->err,
	    sizeof(md->err)) == 0)
		md->rc = kvm_volume_download_fd(k, md->path, md->fd, &md->bytes,
		    md->err, sizeof(md->err));
	shutdown(md->fd, SHUT_WR);	/* the relay sends the channel's EOF */
	close(md->fd);
	kvm_close(k);
}

static void mig_offline_finish(struct job *);

static void
mig_download_done(void *arg)
{
	struct mig_disk	*md = arg;
	struct job	*j = md->job;

	if (md->rc == -1 && j->mig_err[0] == '\0')
		snprintf(j->mig_err, sizeof(j->mig_err), "%s", md->err);
	j->stats.disk_processed += md->bytes;
	log_info("job %s: disk %s: %llu bytes read", j->id, md->target,
	    (unsigned long long)md->bytes);
	free(md);
	if (--j->disks_left == 0) {
		j->busy = 0;
		mig_offline_finish(j);
	}
}

static void
mig_start_offline(struct job *j)
{
	struct tunnel	*t = j->peer->tunnel;
	struct mig_disk	*md;
	struct relay	*r;
	struct channel	*ch;
	json_t		*d, *req;
	size_t		 i;
	int		 sv[2];

	j->disks_left = (int)json_array_size(json_object_get(j->plan, "disks"));
	if (j->disks_left == 0) {
		mig_offline_finish(j);
		return;
	}
	j->busy = 1;
	json_array_foreach(json_object_get(j->plan, "disks"), i, d) {
		md = calloc(1, sizeof(*md));
		if (md == NULL || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC,
		    0, sv) == -1) {
			free(md);
			snprintf(j->mig_err, sizeof(j->mig_err), "disk copy: %s",
			    strerror(errno));
			if (--j->disks_left == 0) {
				j->busy = 0;
				mig_offline_finish(j);
			}
			continue;
		}
		md->job = j;
		md->fd = sv[0];
		snprintf(md->target, sizeof(md->target), "%s",
		    json_string_value(json_object_get(d, "target")));
		snprintf(md->path, sizeof(md->path), "%s",
		    json_string_value(json_object_get(d, "source")));
		set_nonblock_cloexec(sv[1]);
		r = relay_new(j->gw, sv[1], NULL);
		if (r != NULL)
			job_conn_add(j, r, md->target);
		req = json_pack("{s:s, s:s, s:s, s:s, s:i}", "kind", "job",
		    "job", j->id, "sock", "disk", "disk", md->target, "seq",
		    (int)j->seq++);
		ch = (r != NULL && t != NULL) ? chan_open(t, req, &relay_ops, r,
		    md->target) : NULL;
		json_decref(req);
		if (ch != NULL)
			relay_set_channel(r, ch);
		else if (r != NULL)
			relay_abort(r, "cannot open a channel");
		if (worker_run(j->gw, mig_download_work, mig_download_done,
		    md) == -1) {
			close(md->fd);
			free(md);
			if (--j->disks_left == 0) {
				j->busy = 0;
				mig_offline_finish(j);
			}
		}
	}
}

/*
 * After a confirmed move: the DHCP reservations here go (they moved), the
 * post-move hooks run, and (without --keep-source) the guest's old
 * definition (offline; libvirt undefines it itself after a live move) and
 * the copied volumes here, stale copies, go too: nothing here can be
 * started by mistake and the guest can come back later.
 */
static void
mig_source_cleanup_work(void *arg)
{
	struct job	*j = arg;
	struct kvm	*k = NULL;
	char		 err[512];
	json_t		*d;
	size_t		 i;

	if (kvm_open(&k, j->gw->conf->libvirt, err, sizeof(err)) == -1) {
		snprintf(j->mig_err, sizeof(j->mig_err), "%s", err);
		return;
	}
	netplan_source_done(j, k);
	if (netplan_run_hooks(j, "post-move", err, sizeof(err)) == -1)
		snprintf(j->hook_err, sizeof(j->hook_err), "%s", err);
	if (j->keep_source) {
		kvm_close(k);
		return;
	}
	if (j->offline && kvm_domain_undefine(k, j->domain, err,
	    sizeof(err)) == -1)
		snprintf(j->mig_err, sizeof(j->mig_err), "undefining %s here "
		    "failed: %s", j->domain, err);
	json_array_foreach(json_object_get(j->plan, "disks"), i, d) {
		if (kvm_volume_delete(k, json_string_value(json_object_get(d,
		    "source")), err, sizeof(err)) == -1)
			snprintf(j->mig_err, sizeof(j->mig_err), "removing the "
			    "old copy failed: %s", err);
		else
			log_info("job %s: removed the old copy %s", j->id,
			    json_string_value(json_object_get(d, "source")));
	}
	kvm_close(k);
}

static void
mig_source_cleanup_done(void *arg)
{
	struct job	*j = arg;

	j->busy = 0;
	if (j->mig_err[0] != '\0')
		log_warnx("job %s: %s moved, but: %s", j->id, j->domain,
		    j->mig_err);
	job_set_state(j, JOB_DONE, "done");
	mig_finished(j);
}

static void mig_finish_reply(json_t *, const char *, void *);

static void
mig_offline_finish(struct job *j)
{
	json_t	*m;

	if (j->mig_err[0] != '\0' || j->conn_err[0] != '\0' || j->cancel) {
		if (j->cancel)
			job_fail(j, JOB_CANCELLED, "cancelled during the disk "
			    "copy");
		else
			job_fail(j, JOB_FAILED, "%s", j->mig_err[0] ?
			    j->mig_err : j->conn_err);
		mig_failed(j, j->cancel ? VMGW_EXIT_CANCELLED : VMGW_EXIT_FAIL);
		return;
	}
	job_set_state(j, JOB_RUNNING, "defining");
	m = json_pack("{s:s, s:s}", "op", "job-finish", "job", j->id);
	if (pmsg_request(j->peer, m, JOB_PREPARE_TIMEOUT, mig_finish_reply,
	    j) == -1) {
		job_fail(j, JOB_FAILED, "tunnel to %s lost", j->peer_name);
		mig_failed(j, VMGW_EXIT_FAIL);
	}
	json_decref(m);
}

/* ------------------------------------------------------------ 4. the end */

static void
mig_summary(struct job *j)
{
	double	 secs = (double)(mono_ns() - j->t0_ns) / 1e9;

	if (j->ctl == NULL)
		return;
	ctl_ok(j->ctl, json_pack("{s:s, s:s, s:s, s:f, s:I, s:I, s:I, s:I, "
	    "s:s, s:b, s:O, s:s, s:s}", "job", j->id, "state",
	    job_state_name(j->state), "where", j->where, "seconds", secs,
	    "downtime_ms", (json_int_t)(j->has_final ? j->final.downtime_ms :
	    0), "memory_bytes", (json_int_t)(j->has_final ?
	    j->final.mem_processed : j->stats.mem_processed),
	    "disk_bytes", (json_int_t)(j->has_final ? j->final.disk_processed :
	    j->stats.disk_processed), "tunnel_bytes", (json_int_t)job_bytes(j),
	    "domain", j->domain, "offline", j->offline, "reach", j->reach ?
	    j->reach : json_null(), "plan_mode", netplan_mode_name(j->np.mode),
	    "warning", j->hook_err));
	mig_detach_ctl(j);
}

static void
mig_finish_reply(json_t *reply, const char *err, void *arg)
{
	struct job	*j = arg;

	if (err != NULL) {
		/* libvirt said yes, the peer says something is wrong */
		job_fail(j, JOB_FAILED, "%s after the move: %s", j->peer_name,
		    err);
		mig_failed(j, VMGW_EXIT_FAIL);
		return;
	}
	j->final.downtime_ms = (uint64_t)json_integer_value(json_object_get(
	    reply, "downtime_ms"));
	j->final.mem_processed = (uint64_t)json_integer_value(json_object_get(
	    reply, "memory_bytes"));
	j->final.disk_processed = (uint64_t)json_integer_value(
	    json_object_get(reply, "disk_bytes"));
	j->final.time_elapsed_ms = (uint64_t)json_integer_value(
	    json_object_get(reply, "elapsed_ms"));
	/* the destination does not see the disk mirror: our last figures */
	if (j->final.disk_processed < j->stats.disk_processed)
		j->final.disk_processed = j->stats.disk_processed;
	if (j->final.mem_processed < j->stats.mem_processed)
		j->final.mem_processed = j->stats.mem_processed;
	j->has_final = 1;
	snprintf(j->where, sizeof(j->where), "%s%s", j->peer_name,
	    j->offline ? " (defined, shut off)" : "");
	json_decref(j->reach);
	j->reach = json_incref(json_object_get(reply, "reach"));
	if (j->reach != NULL && !json_is_true(json_object_get(j->reach,
	    "ok"))) {
		/* it runs there but does not answer: say so, roll back hooks */
		job_fail(j, JOB_FAILED, "%s", json_string_value(
		    json_object_get(j->reach, "detail")));
		mig_failed(j, VMGW_EXIT_FAIL);
		return;
	}
	if (worker_run(j->gw, mig_source_cleanup_work,
	    mig_source_cleanup_done, j) == 0) {
		j->busy = 1;
		return;
	}
	job_set_state(j, JOB_DONE, "done");
	mig_finished(j);
}

static void
mig_finished(struct job *j)
{
	json_t	*m;

	mig_close_listeners(j);
	if (j->state == JOB_DONE) {
		job_rmdir(j);
		mig_summary(j);
		return;
	}
	/* libvirt's migration returned: ask the peer what it has */
	job_set_state(j, JOB_RUNNING, "finishing");
	m = json_pack("{s:s, s:s}", "op", "job-finish", "job", j->id);
	if (pmsg_request(j->peer, m, 60, mig_finish_reply, j) == -1) {
		/* libvirt confirmed the move; the peer's answer is lost */
		snprintf(j->where, sizeof(j->where), "%s", j->peer_name);
		job_set_state(j, JOB_DONE, "done (peer unreachable to confirm)");
		job_rmdir(j);
		mig_summary(j);
	}
	json_decref(m);
}

/* where the guest runs after a failure, then the peer cleans up */

static void
mig_state_work(void *arg)
{
	struct job	*j = arg;
	struct kvm	*k = NULL;
	char		 err[512];
	int		 st = -1, reason;

	if (kvm_open(&k, j->gw->conf->libvirt, err, sizeof(err)) == 0 &&
	    kvm_domain_state(k, j->domain, &st, &reason, err,
	    sizeof(err)) == 0 && st == 1 /* VIR_DOMAIN_RUNNING */)
		snprintf(j->where, sizeof(j->where), "%s",
		    j->gw->conf->site);
	else if (st == 5 && j->offline)	/* shut off: where it was */
		snprintf(j->where, sizeof(j->where), "%s (shut off)",
		    j->gw->conf->site);
	else if (j->has_final || j->switched)
		snprintf(j->where, sizeof(j->where), "%s", j->peer_name);
	else
		snprintf(j->where, sizeof(j->where), "unknown (%s is %s here)",
		    j->domain, st < 0 ? "gone" : kvm_state_name(st));
	kvm_close(k);
	if (j->pre_hooks_ran && netplan_run_hooks(j, "rollback", err,
	    sizeof(err)) == -1)
		snprintf(j->hook_err, sizeof(j->hook_err), "%s", err);
}

static void
mig_report_failure(struct job *j)
{
	double	 secs = (double)(mono_ns() - j->t0_ns) / 1e9;

	if (j->ctl == NULL)
		return;
	ctl_send(j->ctl, json_pack("{s:s, s:b, s:s, s:i, s:s, s:s, s:s, s:s, "
	    "s:f, s:O}", "type", "result", "ok", 0, "error", j->error, "exit",
	    j->exitcode, "job", j->id, "domain", j->domain, "state",
	    j->exitcode == VMGW_EXIT_REFUSED ? "refused" :
	    job_state_name(j->state), "where", j->where, "seconds", secs,
	    "plan", j->plan ? j->plan : json_null()));
	ctl_done(j->ctl);
	mig_detach_ctl(j);
}

static void
mig_abort_reply(json_t *reply, const char *err, void *arg)
{
	struct job	*j = arg;

	if (err != NULL)
		log_warnx("job %s: %s could not confirm its cleanup: %s (it "
		    "cleans up on its own when the tunnel is back)", j->id,
		    j->peer_name, err);
	else if (json_string_value(json_object_get(reply, "note")) != NULL)
		log_warnx("job %s: %s: %s", j->id, j->peer_name,
		    json_string_value(json_object_get(reply, "note")));
	mig_report_failure(j);
}

static void
mig_state_done(void *arg)
{
	struct job	*j = arg;
	json_t		*m;

	j->busy = 0;
	job_save(j);
	log_info("job %s: %s runs at %s", j->id, j->domain, j->where);
	if (strcmp(j->where, j->gw->conf->site) == 0)
		netplan_source_restore(j);	/* routed here, as before */
	if (j->has_final) {		/* it moved: nothing to undo there */
		mig_report_failure(j);
		return;
	}
	m = json_pack("{s:s, s:s, s:s, s:b}", "op", "job-abort", "job", j->id,
	    "reason", j->error, "source_running",
	    strcmp(j->where, j->gw->conf->site) == 0);
	if (pmsg_request(j->peer, m, 60, mig_abort_reply, j) == -1)
		mig_report_failure(j);	/* the peer cleans up by itself */
	json_decref(m);
}

/* A job ended without success: find the guest, have the peer clean up. */
static void
mig_failed(struct job *j, int exitcode)
{
	j->exitcode = exitcode;
	mig_close_listeners(j);
	job_conns_abort(j, j->error);
	job_rmdir(j);
	if (j->tick != NULL)
		evtimer_del(j->tick);
	/* before anything moved: nothing to look at or undo */
	if (exitcode == VMGW_EXIT_REFUSED || exitcode == VMGW_EXIT_PEER ||
	    j->info == NULL || (j->state == JOB_CANCELLED &&
	    j->phase[0] != '\0' && strcmp(j->phase, "checks") == 0)) {
		snprintf(j->where, sizeof(j->where), "%s",
		    j->gw->conf->site);
		job_save(j);
		mig_report_failure(j);
		return;
	}
	if (worker_run(j->gw, mig_state_work, mig_state_done, j) == 0)
		j->busy = 1;
	else
		mig_report_failure(j);
}

/* The destination saw the guest resume: let go of it here now. */
void
job_pm_switched(struct peer *p, json_int_t id, json_t *req)
{
	const char	*jid = json_string_value(json_object_get(req, "job"));
	struct job	*j = jid != NULL ? job_find(p->gw, jid) : NULL;

	if (j != NULL && j->role == JOB_SOURCE && j->peer == p &&
	    !job_terminal(j))
		netplan_source_switched(j);
	pmsg_reply(p, id, json_object());
}

/* ------------------------------------------------------------ cancel */

static void
mig_abort_work(void *arg)
{
	struct job	*j = arg;
	struct kvm	*k = NULL;
	char		 err[512];

	if (kvm_open(&k, j->gw->conf->libvirt, err, sizeof(err)) == -1 ||
	    kvm_job_abort(k, j->domain, err, sizeof(err)) == -1)
		log_warnx("job %s: abort: %s", j->id, err);
	kvm_close(k);
}

void
migrate_cancel(struct job *j)
{
	if (j->cancel)
		return;
	j->cancel = 1;
	log_info("job %s: cancel requested during %s", j->id, j->phase);
	mig_event(j, "phase", json_pack("{s:s}", "phase", "cancelling"));
	if (j->state == JOB_RUNNING && !j->offline)
		worker_run(j->gw, mig_abort_work, mig_worker_none, j);
	else if (j->state == JOB_RUNNING && j->offline)
		job_conns_abort(j, "cancelled");
	/* checking / preparing: the next step sees j->cancel */
}

void
migrate_set_bandwidth(struct job *j, uint64_t bw)
{
	json_t	*m;

	j->bandwidth = bw;
	job_save(j);
	m = json_pack("{s:s, s:s, s:I}", "op", "job-bandwidth", "job", j->id,
	    "bandwidth", (json_int_t)bw);
	if (j->peer->tunnel != NULL)
		pmsg_request(j->peer, m, 10, NULL, NULL);
	json_decref(m);
	log_info("job %s: bandwidth %llu bytes/s", j->id,
	    (unsigned long long)bw);
}

/* after a restart of this gateway: where is the guest? */
static void
mig_recover_done(void *arg)
{
	struct job	*j = arg;

	j->busy = 0;
	job_fail(j, JOB_FAILED, "interrupted: vmgwd restarted during %s; %s "
	    "runs at %s", j->phase, j->domain, j->where);
}

void
migrate_recover(struct job *j)
{
	job_rmdir(j);
	if (worker_run(j->gw, mig_state_work, mig_recover_done, j) == 0)
		j->busy = 1;
}

/* ------------------------------------------------------------ the command */

static int
mig_options(struct job *j, json_t *req, char *err, size_t errlen)
{
	json_t		*v;
	const char	*bw;

	j->dry_run = json_is_true(json_object_get(req, "dry_run"));
	j->offline = json_is_true(json_object_get(req, "offline"));
	j->postcopy = json_is_true(json_object_get(req, "postcopy"));
	j->keep_source = json_is_true(json_object_get(req, "keep_source"));
	if ((v = json_object_get(req, "parallel")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 32) {
			snprintf(err, errlen, "--parallel: between 0 and 32");
			return -1;
		}
		j->parallel = (int)json_integer_value(v);
	}
	if ((v = json_object_get(req, "max_downtime_ms")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 600000) {
			snprintf(err, errlen, "--max-downtime: between 1 and "
			    "600000 ms");
			return -1;
		}
		j->max_downtime_ms = (unsigned)json_integer_value(v);
	}
	if ((bw = json_string_value(json_object_get(req, "bandwidth"))) !=
	    NULL && size_parse(&j->bandwidth, bw) == -1) {
		snprintf(err, errlen, "--bandwidth %s: not a rate (bytes/s "
		    "with K/M/G)", bw);
		return -1;
	}
	if (j->offline && (j->postcopy || j->parallel || j->max_downtime_ms)) {
		snprintf(err, errlen, "--offline moves a shut-off guest: "
		    "--postcopy, --parallel and --max-downtime do not apply");
		return -1;
	}
	return 0;
}

void
ctl_migrate(struct ctl_conn *c, json_t *req)
{
	struct gw	*gw = c->gw;
	const char	*dom = json_string_value(json_object_get(req, "domain"));
	const char	*to = json_string_value(json_object_get(req, "to"));
	struct job	*j, *other;
	char		 err[512];

	if (dom == NULL || dom[0] == '\0' || strlen(dom) > 127) {
		ctl_error(c, VMGW_EXIT_USAGE, "which domain? (vmgw migrate "
		    "DOMAIN --to SITE)");
		return;
	}
	if (to == NULL || strcmp(to, gw->conf->site) == 0) {
		ctl_error(c, VMGW_EXIT_USAGE, "--to %s: %s", to ? to : "",
		    to ? "that is this gateway's own site" : "missing");
		return;
	}
	if (peer_find(gw, to) == NULL) {
		ctl_error(c, VMGW_EXIT_USAGE, "--to %s: not a peer of %s (see "
		    "peers in %s)", to, gw->conf->site, gw->conf->path);
		return;
	}
	if ((other = job_active_for_domain(gw, dom)) != NULL) {
		ctl_error(c, VMGW_EXIT_REFUSED, "%s: job %s is already %s it",
		    dom, other->id, other->role == JOB_SOURCE ? "moving" :
		    "receiving");
		return;
	}
	if ((j = job_new(gw, JOB_SOURCE, NULL, to, dom)) == NULL) {
		ctl_error(c, VMGW_EXIT_FAIL, "out of memory");
		return;
	}
	if (mig_options(j, req, err, sizeof(err)) == -1) {
		TAILQ_REMOVE(gw->jobs, j, entry);
		json_decref(j->volumes);
		free(j);
		ctl_error(c, VMGW_EXIT_USAGE, "%s", err);
		return;
	}
	j->ctl = c;
	ctl_set_close_cb(c, mig_ctl_closed, j);
	job_set_state(j, JOB_CHECKING, "checks");
	mig_event(j, "job", json_pack("{s:s, s:s, s:s}", "domain", dom, "to",
	    to, "from", gw->conf->site));
	if (worker_run(gw, mig_check_work, mig_check_done, j) == -1) {
		job_fail(j, JOB_FAILED, "cannot start a thread: %s",
		    strerror(errno));
		mig_failed(j, VMGW_EXIT_FAIL);
		return;
	}
	j->busy = 1;
}
