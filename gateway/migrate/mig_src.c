/*
 * mig_src.c - `vmgw migrate DOMAIN --to SITE` at the source gateway.
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
 *     offline: each volume is streamed through its own channel
 *     (mig_offline.c).
 *  4. done: the peer confirms the guest runs there and reports the
 *     downtime.  Any failure or cancel before that: libvirt keeps the guest
 *     running here, and the peer removes what it made (job-abort).
 *
 * Every worker gets a struct made for its call and writes its results
 * there; the call's done() hands them to the job on the loop.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "migrate.h"
#include "mig_progress.h"

#define MIG_TICK_MS	500

static const char *const mig_socks[MIG_SOCKS] = { "libvirt", "mig", "nbd" };

static void	mig_prepare(struct job *);
static void	mig_finished(struct job *);
static void	mig_old_copy_go(struct job *);
static int	mig_peer_lost(const struct job *, const char *);
static void	mig_unconfirmed(struct job *, const char *);
static void	mig_report_failure(struct job *);

/* A worker's call that returns nothing but an error text. */
struct mig_call {
	struct job	*job;
	int		 keep_disks;	/* its protection takes them over */
	char		 err[512];
	char		 err2[512];
};

static struct mig_call *
mig_call_new(struct job *j)
{
	struct mig_call	*c = calloc(1, sizeof(*c));

	if (c != NULL)
		c->job = j;
	return c;
}

static void
mig_call_free(void *arg)
{
	free(arg);
}

/* ------------------------------------------------------------ helpers */

void
mig_src_event(struct job *j, const char *type, json_t *fields)
{
	struct mig	*m = MIG(j);

	if (fields == NULL)
		fields = json_object();
	json_object_set_new(fields, "job", json_string(j->id));
	if (m->s.ctl != NULL)
		ctl_event(m->s.ctl, type, fields);
	else
		json_decref(fields);
}

static void
mig_ctl_closed(struct ctl_conn *c, void *arg)
{
	struct job	*j = arg;

	/* the CLI went away (not a cancel: that is `vmgw cancel`) */
	MIG(j)->s.ctl = NULL;
	log_info("job %s: vmgw migrate detached; the job goes on", j->id);
}

static void
mig_detach_ctl(struct job *j)
{
	struct mig	*m = MIG(j);

	if (m->s.ctl != NULL)
		ctl_set_close_cb(m->s.ctl, NULL, NULL);
	m->s.ctl = NULL;
}

static void
mig_close_listeners(struct job *j)
{
	struct mig	*m = MIG(j);
	size_t		 i;

	for (i = 0; i < MIG_SOCKS; i++) {
		if (m->s.lis[i] != NULL)
			evconnlistener_free(m->s.lis[i]);
		m->s.lis[i] = NULL;
	}
}

static void
mig_add_check(json_t *plan, const char *what, int ok, const char *detail)
{
	json_t	*c = json_object_get(plan, "checks");

	json_array_append_new(c, json_pack("{s:s, s:b, s:s}", "check", what,
	    "ok", ok, "detail", detail ? detail : ""));
}

/* ------------------------------------------------------------ 1. checks */

struct mig_check_call {
	struct job		*job;
	struct kvm_domain_info	*info;
	json_t			*plan;
	char			*dest_xml;
	struct np_guest		 g;	/* the plan's settings, then discovered */
	char			 err[512];
};

static int
mig_plan_disks(struct job *j, const struct kvm_domain_info *di, json_t *plan,
    char *err, size_t errlen)
{
	const struct vmgw_peer	*pc = j->peer->conf;
	json_t			*disks = json_array();
	char			*to, buf[1024], cap[32], alloc[32];
	size_t			 i;

	json_object_set_new(plan, "disks", disks);
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
		mig_add_check(plan, "disk", 1, buf);
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
mig_plan_nics(struct job *j, const struct kvm_domain_info *di, json_t *plan,
    char *err, size_t errlen)
{
	const struct vmgw_peer	*pc = j->peer->conf;
	json_t			*nets = json_array(), *nics = json_array();
	const char		*to;
	char			 buf[512];
	size_t			 i;

	json_object_set_new(plan, "networks", nets);
	json_object_set_new(plan, "nics", nics);
	for (i = 0; i < di->n_nics; i++) {
		const struct kvm_nic *n = &di->nics[i];

		if (n->type == NULL || strcmp(n->type, "network") != 0) {
			snprintf(buf, sizeof(buf), "%s: %s %s kept as is",
			    n->mac ? n->mac : "?", n->type ? n->type : "?",
			    n->source ? n->source : "");
			mig_add_check(plan, "nic", 1, buf);
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
		mig_add_check(plan, "nic", 1, buf);
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
	struct mig_check_call	*c = arg;
	struct job		*j = c->job;
	struct kvm		*k = NULL;
	char			 buf[256];
	int			 offline = MIG(j)->o.offline;
	int			 want = offline ? KVM_DOM_SHUTOFF :
				    KVM_DOM_RUNNING;

	c->plan = json_pack("{s:[]}", "checks");
	if (kvm_open(&k, j->gw->conf->libvirt, c->err, sizeof(c->err)) == -1 ||
	    kvm_domain_inspect(k, j->domain, &c->info, c->err,
	    sizeof(c->err)) == -1)
		goto out;
	if (c->info->state != want) {
		snprintf(c->err, sizeof(c->err), "%s is %s: %s", j->domain,
		    c->info->state_str, offline ? "--offline moves shut-off "
		    "guests; omit it to move a running one" : "vmgw moves "
		    "running guests live (shut-off ones with --offline)");
		goto out;
	}
	snprintf(buf, sizeof(buf), "%s, %s, %llu MiB, %u vCPU, type %s",
	    j->domain, c->info->state_str, (unsigned long long)
	    c->info->memory_kib / 1024, c->info->vcpus,
	    c->info->virt_type ? c->info->virt_type : "?");
	mig_add_check(c->plan, "domain", 1, buf);
	if (mig_plan_disks(j, c->info, c->plan, c->err, sizeof(c->err)) == -1 ||
	    mig_plan_nics(j, c->info, c->plan, c->err, sizeof(c->err)) == -1)
		goto out;
	if (kvm_xml_rewrite(c->info->xml, j->peer->conf->networks,
	    j->peer->conf->n_networks, j->peer->conf->storage,
	    j->peer->conf->n_storage, &c->dest_xml, c->err,
	    sizeof(c->err)) == -1)
		goto out;
	mig_net_source_check(j, &c->g, c->info, c->plan, k, c->err,
	    sizeof(c->err));
 out:
	kvm_close(k);
}

/* pre-move hooks: any failure refuses the move before anything moved */
static void
mig_premove_work(void *arg)
{
	struct mig_call	*c = arg;

	mig_net_hooks(c->job, "pre-move", c->err, sizeof(c->err));
}

static void
mig_premove_done(void *arg)
{
	struct mig_call	*c = arg;
	struct job	*j = c->job;
	struct mig	*m = MIG(j);

	j->busy = 0;
	if (c->err[0] != '\0') {
		m->s.pre_hooks_ran = 0;	/* nothing to roll back */
		job_fail(j, JOB_FAILED, "%s", c->err);
		free(c);
		mig_src_failed(j, VMGW_EXIT_REFUSED);
		return;
	}
	free(c);
	mig_prepare(j);
}

static void
mig_check_done(void *arg)
{
	struct mig_check_call	*c = arg;
	struct job		*j = c->job;
	struct mig		*m = MIG(j);
	struct mig_call		*hc;

	j->busy = 0;
	/* the call's results are the job's now */
	m->s.info = c->info;
	if (c->info != NULL)
		snprintf(j->uuid, sizeof(j->uuid), "%s", c->info->uuid);
	snprintf(m->g.uuid, sizeof(m->g.uuid), "%s", j->uuid);
	m->plan = c->plan;
	m->s.dest_xml = c->dest_xml;
	m->g.addrs = c->g.addrs;
	m->g.macs = c->g.macs;
	m->g.dhcp = c->g.dhcp;
	if (c->err[0] != '\0')
		snprintf(j->error, sizeof(j->error), "%s", c->err);
	free(c);
	if (m->s.cancel) {
		job_fail(j, JOB_CANCELLED, "cancelled before anything moved");
		mig_src_failed(j, VMGW_EXIT_CANCELLED);
		return;
	}
	if (j->error[0] != '\0') {
		job_set_state(j, JOB_FAILED, "checks");
		log_warnx("job %s: refused: %s", j->id, j->error);
		mig_src_failed(j, VMGW_EXIT_REFUSED);
		return;
	}
	if (!m->o.dry_run && m->g.plan.hooks != NULL) {
		job_set_state(j, JOB_CHECKING, "pre-move hooks");
		m->s.pre_hooks_ran = 1;
		if ((hc = mig_call_new(j)) != NULL && job_work(j,
		    mig_premove_work, mig_premove_done, hc) == 0) {
			j->busy = 1;
			return;
		}
		free(hc);
		m->s.pre_hooks_ran = 0;
	}
	mig_prepare(j);
}

/* ------------------------------------------------------------ 2. prepare */

static void mig_start_live(struct job *);
static void mig_yielded(void *);

static void
mig_prepared(json_t *reply, const char *err, void *arg)
{
	struct job	*j = arg;
	struct mig	*m = MIG(j);
	json_t		*c, *v;
	size_t		 i;

	if (err != NULL) {
		job_fail(j, JOB_FAILED, "%s: %s", j->peer_name, err);
		mig_src_failed(j, VMGW_EXIT_REFUSED);
		return;
	}
	json_array_foreach(json_object_get(reply, "checks"), i, v) {
		c = json_deep_copy(v);
		json_object_set_new(c, "site", json_string(j->peer_name));
		json_array_append_new(json_object_get(m->plan, "checks"), c);
	}
	if (m->s.replica) {
		json_object_set_new(m->plan, "replica", json_pack("{s:s, s:s}",
		    "point", m->s.replica_point, "site", j->peer_name));
		mig_add_check(m->plan, "replica", 1, m->o.dry_run ?
		    "over the replica: a final point after the newest, then "
		    "only what the guest writes after it is mirrored" :
		    "over the replica: only what the guest writes after the "
		    "final point is mirrored");
	} else if (m->s.replica_note[0] != '\0')
		mig_add_check(m->plan, "replica", 1, m->s.replica_note);
	if (m->o.dry_run) {
		job_set_state(j, JOB_PLANNED, "dry run");
		if (m->s.ctl != NULL) {
			ctl_ok(m->s.ctl, json_pack("{s:s, s:O, s:s}", "job",
			    j->id, "plan", m->plan, "state", "planned"));
			mig_detach_ctl(j);
		}
		return;
	}
	if (m->s.cancel) {
		job_fail(j, JOB_CANCELLED, "cancelled before anything moved");
		mig_src_failed(j, VMGW_EXIT_CANCELLED);
		return;
	}
	job_set_state(j, JOB_RUNNING, m->o.offline ? "disk copy" :
	    "starting");
	if (m->o.offline)
		mig_src_start_offline(j);
	else if (m->o.replicated)
		mig_src_start_replicated(j);
	else if (job_yield_domain(j->gw, j->domain, mig_yielded, j) == 1) {
		/* a replication point is being taken: libvirt lets one job
		 * hold the domain; it ends its point, then we go */
		snprintf(j->phase, sizeof(j->phase), "waiting for replication");
		mig_src_event(j, "phase", json_pack("{s:s}", "phase",
		    j->phase));
	} else
		mig_start_live(j);
}

static void
mig_yielded(void *arg)
{
	struct job	*j = arg;

	if (MIG(j)->s.cancel) {
		job_fail(j, JOB_CANCELLED, "cancelled before anything moved");
		mig_src_failed(j, VMGW_EXIT_CANCELLED);
		return;
	}
	mig_start_live(j);
}

static void
mig_peer_ready(struct peer *p, struct tunnel *t, const char *err, void *arg)
{
	struct job	*j = arg;
	struct mig	*m = MIG(j);
	json_t		*msg;

	if (t == NULL) {
		job_fail(j, JOB_FAILED, "%s", err);
		mig_src_failed(j, VMGW_EXIT_PEER);
		return;
	}
	msg = json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:I, s:O, s:O, s:s}",
	    "op", PM_JOB_PREPARE, "job", j->id, "domain", j->domain, "uuid",
	    j->uuid, "dry_run", m->o.dry_run, "offline", m->o.offline,
	    "bandwidth", (json_int_t)m->o.bandwidth,
	    "disks", json_object_get(m->plan, "disks"),
	    "networks", json_object_get(m->plan, "networks"),
	    "xml", m->s.dest_xml);
	json_object_set_new(msg, "plan", mig_net_request(j));
	if (m->s.replica)
		json_object_set_new(msg, "replica", json_pack("{s:s, s:s, s:b}",
		    "point", m->s.replica_point, "from", j->gw->conf->site,
		    "replicated", m->o.replicated));
	if (pmsg_request(p, msg, JOB_PREPARE_TIMEOUT, mig_prepared, j) == -1) {
		job_fail(j, JOB_FAILED, "tunnel to %s lost", p->conf->name);
		mig_src_failed(j, VMGW_EXIT_PEER);
	}
	json_decref(msg);
}

static void
mig_prepare_now(struct job *j)
{
	job_set_state(j, JOB_PREPARING, "prepare");
	mig_src_event(j, "phase", json_pack("{s:s}", "phase", "prepare"));
	if (peer_wait(j->peer, 10, mig_peer_ready, j) == NULL) {
		job_fail(j, JOB_FAILED, "out of memory");
		mig_src_failed(j, VMGW_EXIT_FAIL);
	}
}

/*
 * A guest protected to the peer has its disks there already, but for what
 * changed since the newest point: the move rides on that replica.  Its
 * protection takes a final point (the disks go on overlays here, and the
 * images under them are that point), the peer puts the guest's disks on
 * overlays on it, and the mirror copies only the overlays here
 * (libvirt's NON_SHARED_INC).  When that cannot be done, the disks are
 * copied in full, as for any guest, and the summary says why.
 */
static void
mig_final_done(void *arg, const char *err, const char *point,
    uint64_t bytes)
{
	struct job	*j = arg;
	struct mig	*m = MIG(j);

	j->busy = 0;
	if (err != NULL && m->o.replicated) {
		job_fail(j, JOB_FAILED, "the final point at %s: %s",
		    j->peer_name, err);
		mig_src_failed(j, VMGW_EXIT_FAIL);
		return;
	}
	if (err != NULL) {
		snprintf(m->s.replica_note, sizeof(m->s.replica_note), "not "
		    "over the replica at %s (%s): the disks are copied in full",
		    j->peer_name, err);
		log_warnx("job %s: %s: %s", j->id, j->domain,
		    m->s.replica_note);
	} else {
		m->s.replica = 1;
		m->s.replica_bytes = bytes;
		snprintf(m->s.replica_point, sizeof(m->s.replica_point), "%s",
		    point);
		log_info("job %s: %s: final point %s at %s: the mirror copies "
		    "only what changes after it", j->id, j->domain, point,
		    j->peer_name);
	}
	mig_src_event(j, "phase", json_pack("{s:s, s:s?}", "phase",
	    "prepare", "replica", m->s.replica ? m->s.replica_point : NULL));
	if (m->s.cancel) {
		job_fail(j, JOB_CANCELLED, "cancelled before anything moved");
		mig_src_failed(j, VMGW_EXIT_CANCELLED);
		return;
	}
	mig_prepare_now(j);
}

void
mig_final_go(void *arg)
{
	struct job	*j = arg;
	struct mig	*m = MIG(j);
	struct job	*rj;
	char		 point[32];

	if (m->s.cancel) {
		job_fail(j, JOB_CANCELLED, "cancelled before anything moved");
		mig_src_failed(j, VMGW_EXIT_CANCELLED);
		return;
	}
	if (m->o.replicated && !m->s.paused) {	/* then here again */
		mig_rep_pause(j);
		return;
	}
	if ((rj = job_replica_domain(j->gw, j->domain, j->peer_name, point,
	    sizeof(point))) == NULL) {
		mig_final_done(j, "its protection cannot take the final point "
		    "now", NULL, 0);
		return;
	}
	snprintf(j->phase, sizeof(j->phase), "final point");
	mig_src_event(j, "phase", json_pack("{s:s}", "phase", j->phase));
	j->busy = 1;
	rj->kind->final_point(rj, j->peer_name, mig_final_done, j);
}

static void
mig_prepare(struct job *j)
{
	struct mig	*m = MIG(j);
	char		 point[32];

	if (m->o.replicated && (json_array_size(json_object_get(m->plan,
	    "disks")) == 0 || job_replica_domain(j->gw, j->domain,
	    j->peer_name, point, sizeof(point)) == NULL)) {
		job_fail(j, JOB_FAILED, "--replicated: %s has no replica at %s "
		    "to move over (vmgw protect %s --to %s, and a point)",
		    j->domain, j->peer_name, j->domain, j->peer_name);
		mig_src_failed(j, VMGW_EXIT_REFUSED);
		return;
	}
	if (m->o.offline || m->o.full_copy || m->o.keep_source ||
	    json_array_size(json_object_get(m->plan, "disks")) == 0 ||
	    job_replica_domain(j->gw, j->domain, j->peer_name, point,
	    sizeof(point)) == NULL) {
		if (m->o.full_copy)
			snprintf(m->s.replica_note, sizeof(m->s.replica_note),
			    "--full-copy: the disks are copied in full");
		mig_prepare_now(j);
		return;
	}
	if (m->o.dry_run) {	/* the peer checks the replica's newest point */
		m->s.replica = 1;
		snprintf(m->s.replica_point, sizeof(m->s.replica_point), "%s",
		    point);
		mig_prepare_now(j);
		return;
	}
	job_set_state(j, JOB_PREPARING, "final point");
	if (job_yield_domain(j->gw, j->domain, mig_final_go, j) == 0)
		mig_final_go(j);
}

/* ------------------------------------------------------------ 3. live */

static void
mig_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int socklen, void *arg)
{
	struct job	*j = arg;
	struct mig	*m = MIG(j);
	struct tunnel	*t = j->peer->tunnel;
	struct relay	*r;
	const char	*sock = "?";
	char		 what[128];
	json_t		*req;
	size_t		 i, n = 0;
	int		 rc;

	for (i = 0; i < MIG_SOCKS; i++)
		if (m->s.lis[i] == l) {
			sock = mig_socks[i];
			n = m->s.nconn[i]++;
		}
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
	/*
	 * libvirt's RPC is control traffic: ahead of the memory stream, on
	 * the tunnel.  n: the how manieth connection to this socket (the
	 * destination connects QEMU's first migration stream before its
	 * multifd streams, which may come on other connections).
	 */
	req = json_pack("{s:s, s:s, s:s, s:i, s:i, s:b}", "kind",
	    CHAN_KIND_JOB, "job", j->id, "sock", sock, "seq", (int)m->s.seq++,
	    "n", (int)n, "priority", strcmp(sock, "libvirt") == 0);
	rc = relay_open(r, j->peer, req, what);
	json_decref(req);
	if (rc == -1)
		relay_abort(r, "cannot open a channel");
}

static int
mig_listen(struct job *j, char *err, size_t errlen)
{
	struct mig		*m = MIG(j);
	struct sockaddr_un	 sun;
	char			 dir[512];
	size_t			 i;

	if (job_mkrundir(j, dir, sizeof(dir), err, errlen) == -1)
		return -1;
	for (i = 0; i < MIG_SOCKS; i++) {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s.sock",
		    dir, mig_socks[i]) >= (int)sizeof(sun.sun_path)) {
			snprintf(err, errlen, "%s: run_dir too long for a "
			    "socket path", dir);
			return -1;
		}
		unlink(sun.sun_path);
		if ((m->s.lis[i] = evconnlistener_new_bind(j->gw->base,
		    mig_accept, j, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
		    64, (struct sockaddr *)&sun, sizeof(sun))) == NULL) {
			snprintf(err, errlen, "listen %s: %s", sun.sun_path,
			    strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* libvirt's migration, on its worker */
struct mig_run_call {
	struct job		*job;
	struct kvm_migrate_opts	 o;
	const char		*disks[64];
	char			 duri[600], muri[600], nuri[600];
	int			 rc;
	char			 err[512];
};

static void
mig_migrate_work(void *arg)
{
	struct mig_run_call	*c = arg;
	struct kvm		*k = NULL;

	c->rc = -1;
	if (kvm_open(&k, c->job->gw->conf->libvirt, c->err,
	    sizeof(c->err)) == 0)
		c->rc = kvm_migrate(k, c->job->domain, &c->o, c->err,
		    sizeof(c->err));
	kvm_close(k);
}

/*
 * "tunnel to site-b lost: why" -> "tunnel to site-b lost during PHASE: why"
 * (and "connection 1 to site-b lost: ..." of a data connection alike)
 */
static void
mig_fail_conn(struct job *j)
{
	const char	*lost = strstr(j->conn_err, " lost: ");

	if ((strncmp(j->conn_err, "tunnel to ", 10) == 0 ||
	    strncmp(j->conn_err, "connection ", 11) == 0) && lost != NULL)
		job_fail(j, JOB_FAILED, "%.*s during %s: %s",
		    (int)(lost + 5 - j->conn_err), j->conn_err,
		    j->conn_err_phase, lost + 7);
	else
		job_fail(j, JOB_FAILED, "%s (during %s)", j->conn_err,
		    j->conn_err_phase);
}

/*
 * libvirt's "migration of disk vda failed: No space left on device": the
 * mirror's target, the destination's copy of vda, is what filled up (a full
 * disk here pauses the guest instead).  Names that copy, so the operator
 * knows which site and filesystem to look at.
 */
static int
mig_enospc_at_peer(struct job *j, const char *err, char *out, size_t outlen)
{
	const char	*p = strstr(err, "migration of disk ");
	size_t		 i, n;
	json_t		*d;

	if (p == NULL || strstr(err, "No space left on device") == NULL)
		return 0;
	p += strlen("migration of disk ");
	n = strcspn(p, " :");
	json_array_foreach(json_object_get(MIG(j)->plan, "disks"), i, d) {
		const char *t = json_string_value(json_object_get(d, "target"));

		if (t != NULL && strlen(t) == n && strncmp(t, p, n) == 0) {
			snprintf(out, outlen, "the filesystem of %s at %s filled "
			    "up during the disk copy (%s removes the partial "
			    "copy)", json_string_value(json_object_get(d,
			    "path")), j->peer->conf->name,
			    j->peer->conf->name);
			return 1;
		}
	}
	return 0;
}

static void	mig_run_failed(struct job *);
static int	mig_pc_check(struct job *);
static struct mig_run_call *mig_run_call_new(struct job *);

static void
mig_migrate_done(void *arg)
{
	struct mig_run_call	*c = arg;
	struct job		*j = c->job;
	struct mig		*m = MIG(j);
	int			 rc = c->rc;

	snprintf(m->s.mig_err, sizeof(m->s.mig_err), "%s", c->err);
	free(c);
	j->busy = 0;
	if (m->s.tick != NULL)
		evtimer_del(m->s.tick);
	/* no more readings: the statistics connection goes now, not when
	 * the job leaves the list (a post-copy resume opens another) */
	if (!m->s.stats_busy) {
		kvm_close(m->s.kstats);
		m->s.kstats = NULL;
	}
	if (rc == 0) {
		if (m->s.pc_resumes > 0)
			log_info("job %s: post-copy resumed and completed",
			    j->id);
		m->s.migrated = 1;
		mig_net_source_switched(j);	/* if job-switched did not come */
		mig_finished(j);
		return;
	}
	/* post-copy broken off: resumable if the guest waits for it here */
	if (m->s.postcopy_started && !m->s.cancel && mig_pc_check(j) == 0)
		return;
	mig_run_failed(j);
}

/* libvirt's migration failed (and cannot be resumed): the job fails */
static void
mig_run_failed(struct job *j)
{
	struct mig	*m = MIG(j);
	char		 where[1200];

	if (m->s.cancel)
		job_fail(j, JOB_CANCELLED, "cancelled during %s", j->phase);
	else if (j->conn_err[0] != '\0')
		mig_fail_conn(j);
	else if (mig_enospc_at_peer(j, m->s.mig_err, where, sizeof(where)))
		job_fail(j, JOB_FAILED, "%s: %s", m->s.mig_err, where);
	else if (strstr(m->s.mig_err, "Postcopy is not supported") != NULL)
		/* QEMU as an unprivileged user: the kernel refuses it a
		 * userfaultfd unless told otherwise (QEMU 7.2 has no
		 * /dev/userfaultfd) */
		job_fail(j, JOB_FAILED, "%s: QEMU at %s or %s may not use "
		    "userfaultfd; where QEMU does not run as root, post-copy "
		    "needs sysctl vm.unprivileged_userfaultfd=1", m->s.mig_err,
		    j->gw->conf->site, j->peer->conf->name);
	else
		job_fail(j, JOB_FAILED, "%s", m->s.mig_err);
	mig_src_failed(j, m->s.cancel ? VMGW_EXIT_CANCELLED : VMGW_EXIT_FAIL);
}

/*
 * Post-copy recovery.  Once the guest runs at the destination in post-copy,
 * neither site has all of it: the destination has its CPUs and the pages
 * it fetched, this site the rest.  When the tunnel breaks, QEMU pauses the
 * migration at both ends (libvirt: paused, post-copy failed, here) instead
 * of losing the guest.  The job then waits, phase "post-copy paused", its
 * sockets kept, and once the tunnel to the peer is back it asks libvirt to
 * resume the same migration (libvirt's post-copy resume) over them.  A
 * resume that fails waits for the next try.  Nothing is cancelled or
 * cleaned up meanwhile: either would lose the guest.
 */
#define MIG_PC_TRY_S	2	/* how often a paused move looks for the tunnel */
#define MIG_PC_TRY_MAX_S 30	/* ... after failed resumes, at most */
#define MIG_PC_STATE_MS	10000	/* libvirt's word on the pause, at most */

struct mig_pc_call {
	struct job	*job;
	int		 paused;	/* paused, post-copy failed: resumable */
	char		 state[64];
	char		 err[512];
};

static void
mig_pc_check_work(void *arg)
{
	struct mig_pc_call	*c = arg;
	struct kvm		*k = NULL;
	int			 st = -1, reason = 0, waited;

	if (kvm_open(&k, c->job->gw->conf->libvirt, c->err,
	    sizeof(c->err)) == -1)
		return;
	/* libvirt marks the failure as it learns it from QEMU */
	for (waited = 0; waited < MIG_PC_STATE_MS; waited += 200) {
		if (kvm_domain_state(k, c->job->domain, &st, &reason, c->err,
		    sizeof(c->err)) == -1) {
			st = -1;
			break;
		}
		if (st == KVM_DOM_PAUSED && reason == KVM_PAUSED_POSTCOPY_FAILED)
			break;
		if (st != KVM_DOM_PAUSED && st != KVM_DOM_RUNNING)
			break;
		usleep(200000);
	}
	c->paused = st == KVM_DOM_PAUSED && reason == KVM_PAUSED_POSTCOPY_FAILED;
	snprintf(c->state, sizeof(c->state), "%s", st < 0 ? "absent" :
	    kvm_state_name(st));
	kvm_close(k);
}

static void mig_pc_wait(struct job *);

static void
mig_pc_check_done(void *arg)
{
	struct mig_pc_call	*c = arg;
	struct job		*j = c->job;
	int			 paused = c->paused;

	if (!paused)
		log_warnx("job %s: post-copy failed and %s is %s here: not "
		    "resumable%s%s", j->id, j->domain, c->state,
		    c->err[0] ? ": " : "", c->err);
	free(c);
	j->busy = 0;
	if (paused)
		mig_pc_wait(j);
	else
		mig_run_failed(j);
}

/* 0: the check runs (its end decides), -1: the job fails now */
static int
mig_pc_check(struct job *j)
{
	struct mig_pc_call	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	c->job = j;
	if (job_work(j, mig_pc_check_work, mig_pc_check_done, c) == -1) {
		free(c);
		return -1;
	}
	j->busy = 1;
	return 0;
}

static void mig_pc_resume(struct job *);

static void
mig_pc_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct job	*j = arg;
	struct mig	*m = MIG(j);
	struct timeval	 tv = { MIG_PC_TRY_S, 0 };

	if (!m->s.pc_paused || job_terminal(j))
		return;
	if (!j->busy && j->peer != NULL && j->peer->tunnel != NULL)
		mig_pc_resume(j);
	else
		evtimer_add(m->s.pc_timer, &tv);
}

static void
mig_pc_wait(struct job *j)
{
	struct mig	*m = MIG(j);
	/* the first try as soon as the tunnel is back, then less often */
	struct timeval	 tv = { m->s.pc_resumes < 4 ? MIG_PC_TRY_S <<
			    m->s.pc_resumes : MIG_PC_TRY_MAX_S, 0 };
	char		 msg[1024];

	snprintf(m->s.pc_why, sizeof(m->s.pc_why), "%s", j->conn_err[0] ?
	    j->conn_err : m->s.mig_err);
	j->conn_err[0] = '\0';		/* the next attempt's own */
	m->s.pc_paused = 1;
	snprintf(msg, sizeof(msg), "post-copy interrupted (%s): %s is paused "
	    "at %s and at %s; vmgw resumes the migration when the tunnel is "
	    "back", m->s.pc_why, j->domain, j->gw->conf->site, j->peer_name);
	log_warnx("job %s: %s", j->id, msg);
	job_set_state(j, JOB_RUNNING, "post-copy paused");
	mig_src_event(j, "phase", json_pack("{s:s, s:s}", "phase",
	    "post-copy paused", "detail", msg));
	if (m->s.pc_timer == NULL &&
	    (m->s.pc_timer = evtimer_new(j->gw->base, mig_pc_tick, j)) ==
	    NULL) {
		log_warnx("job %s: no timer to resume post-copy", j->id);
		return;
	}
	evtimer_add(m->s.pc_timer, &tv);
}

static void
mig_pc_resume(struct job *j)
{
	struct mig		*m = MIG(j);
	struct timeval		 tv = { 0, MIG_TICK_MS * 1000 };
	struct timeval		 later = { MIG_PC_TRY_S, 0 };
	struct mig_run_call	*c;

	if ((c = mig_run_call_new(j)) == NULL) {
		evtimer_add(m->s.pc_timer, &later);
		return;
	}
	c->o.postcopy_resume = 1;
	if (job_work(j, mig_migrate_work, mig_migrate_done, c) == -1) {
		free(c);
		evtimer_add(m->s.pc_timer, &later);
		return;
	}
	j->busy = 1;
	m->s.pc_paused = 0;
	m->s.pc_resumes++;
	log_info("job %s: the tunnel to %s is back: resuming post-copy "
	    "(attempt %u)", j->id, j->peer_name, m->s.pc_resumes);
	job_set_state(j, JOB_RUNNING, "post-copy");
	mig_src_event(j, "phase", json_pack("{s:s, s:I}", "phase",
	    "post-copy resuming", "attempt", (json_int_t)m->s.pc_resumes));
	if (m->s.tick != NULL)
		evtimer_add(m->s.tick, &tv);
}

/* statistics, every MIG_TICK_MS */

struct mig_stats_call {
	struct job		*job;
	struct kvm		*k;	/* the job's statistics connection */
	struct kvm_job_stats	 st;
	int			 rc;
};

static void
mig_stats_work(void *arg)
{
	struct mig_stats_call	*c = arg;
	char			 err[512];

	c->rc = -1;
	if (c->k == NULL && kvm_open(&c->k, c->job->gw->conf->libvirt, err,
	    sizeof(err)) == -1)
		return;
	c->rc = kvm_job_stats(c->k, c->job->domain, 0, &c->st, err,
	    sizeof(err));
}

static void mig_postcopy(struct job *);

/* a new reading, after prev: the progress event (mig_progress.c) */
static void
mig_progress(struct job *j, const struct kvm_job_stats *prev)
{
	struct mig		*m = MIG(j);
	struct kvm_job_stats	*s = &m->s.stats;
	struct mig_prog		 p;

	mig_prog_compute(s, prev, &p);
	/* in the record too: a restart says which phase it interrupted */
	if (strcmp(j->phase, p.phase) != 0)
		job_set_state(j, JOB_RUNNING, p.phase);
	mig_src_event(j, "progress", json_pack("{s:s, s:f, s:f, s:I, s:I, s:I, "
	    "s:I, s:I, s:I, s:I, s:I}", "phase", p.phase, "memory_pct",
	    p.mem_pct, "disk_pct", p.disk_pct, "bytes_per_s",
	    (json_int_t)p.bps, "dirty_pages_per_s",
	    (json_int_t)s->mem_dirty_rate, "page_size",
	    (json_int_t)s->mem_page_size, "remaining", (json_int_t)p.remaining,
	    "eta_s", (json_int_t)p.eta_s, "elapsed_ms",
	    (json_int_t)s->time_elapsed_ms, "tunnel_bytes",
	    (json_int_t)job_bytes(j), "iteration",
	    (json_int_t)s->mem_iteration));
	/* --postcopy: switch once the first pass is over */
	if (m->o.postcopy && !m->s.postcopy_started && s->mem_iteration >= 2)
		mig_postcopy(j);
}

/* the mirror's rate between its last two steps (migrate.h), into st */
static void
mig_disk_rate(struct mig *m, struct kvm_job_stats *st)
{
	if (st->disk_bps != 0 || st->disk_total == 0)
		return;			/* libvirt's own, or no disks */
	if (st->disk_remaining == 0) {
		m->s.disk_rate = 0;
		return;
	}
	if (st->disk_processed < m->s.disk_step_bytes ||
	    st->time_elapsed_ms < m->s.disk_step_ms) {
		m->s.disk_step_bytes = st->disk_processed;	/* restarted */
		m->s.disk_step_ms = st->time_elapsed_ms;
	} else if (st->disk_processed > m->s.disk_step_bytes &&
	    st->time_elapsed_ms > m->s.disk_step_ms) {
		m->s.disk_rate = (st->disk_processed - m->s.disk_step_bytes) *
		    1000 / (st->time_elapsed_ms - m->s.disk_step_ms);
		m->s.disk_step_bytes = st->disk_processed;
		m->s.disk_step_ms = st->time_elapsed_ms;
	}
	st->disk_bps = m->s.disk_rate;
}

static void
mig_stats_done(void *arg)
{
	struct mig_stats_call	*c = arg;
	struct job		*j = c->job;
	struct mig		*m = MIG(j);
	struct kvm_job_stats	 prev;

	m->s.stats_busy = 0;
	m->s.kstats = c->k;
	if (j->state != JOB_RUNNING || m->s.tick == NULL ||
	    !evtimer_pending(m->s.tick, NULL)) {
		/* the job, or libvirt's migration, is over */
		kvm_close(m->s.kstats);
		m->s.kstats = NULL;
	} else if (c->rc == 0 && !m->s.cancel && c->st.type != 0) {
		/*
		 * After a cancel the phase stays the one cancelled.  A reading
		 * with no job (type 0: libvirt's migration ended while it was
		 * read) is all zeros: it would erase the last figures.
		 */
		if (c->st.mem_total == 0 && c->st.disk_total == 0 &&
		    (m->s.stats.mem_total > 0 || m->s.stats.disk_total > 0))
			goto out;	/* a failing job's empty last reading */
		mig_disk_rate(m, &c->st);
		prev = m->s.stats;
		m->s.stats = c->st;
		if (c->st.disk_processed > m->s.disk_seen)
			m->s.disk_seen = c->st.disk_processed;
		if (c->st.mem_total > 0)
			m->s.mem_total = c->st.mem_total;
		mig_progress(j, prev.type != 0 ? &prev : NULL);
	}
 out:
	free(c);
}

static void
mig_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct job		*j = arg;
	struct mig		*m = MIG(j);
	struct timeval		 tv = { 0, MIG_TICK_MS * 1000 };
	struct mig_stats_call	*c;

	if (j->state != JOB_RUNNING)
		return;
	if (!m->s.stats_busy && (c = calloc(1, sizeof(*c))) != NULL) {
		c->job = j;
		c->k = m->s.kstats;	/* the call has it until done */
		m->s.kstats = NULL;
		if (job_work(j, mig_stats_work, mig_stats_done, c) == 0)
			m->s.stats_busy = 1;
		else {
			m->s.kstats = c->k;
			free(c);
		}
	}
	evtimer_add(m->s.tick, &tv);
}

static void
mig_postcopy_work(void *arg)
{
	struct mig_call	*c = arg;
	struct kvm	*k = NULL;

	if (kvm_open(&k, c->job->gw->conf->libvirt, c->err,
	    sizeof(c->err)) == 0 && kvm_postcopy_start(k, c->job->domain,
	    c->err, sizeof(c->err)) == 0)
		log_info("job %s: switched to post-copy", c->job->id);
	else
		log_warnx("job %s: post-copy switch: %s", c->job->id, c->err);
	kvm_close(k);
}

static void
mig_postcopy(struct job *j)
{
	struct mig_call	*c;

	MIG(j)->s.postcopy_started = 1;
	mig_src_event(j, "phase", json_pack("{s:s}", "phase", "post-copy"));
	if ((c = mig_call_new(j)) != NULL && job_work(j, mig_postcopy_work,
	    mig_call_free, c) == -1)
		free(c);
}

static struct mig_run_call *
mig_run_call_new(struct job *j)
{
	struct mig		*m = MIG(j);
	struct mig_run_call	*c;
	char			 dir[512];
	json_t			*d;
	size_t			 i, n = 0;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->job = j;
	job_rundir(j, dir, sizeof(dir));
	snprintf(c->duri, sizeof(c->duri), "qemu+unix:///system?socket=%s/"
	    "libvirt.sock", dir);
	snprintf(c->muri, sizeof(c->muri), "unix://%s/mig.sock", dir);
	snprintf(c->nuri, sizeof(c->nuri), "unix://%s/nbd.sock", dir);
	json_array_foreach(json_object_get(m->plan, "disks"), i, d)
		if (n < 63)
			c->disks[n++] = json_string_value(json_object_get(d,
			    "target"));
	c->disks[n] = NULL;
	c->o.dest_uri = c->duri;
	c->o.migrate_uri = c->muri;
	c->o.disks_uri = n > 0 ? c->nuri : NULL;
	c->o.dest_xml = m->s.dest_xml;
	c->o.dest_persist_xml = m->s.dest_xml;
	c->o.copy_disks = n > 0 ? c->disks : NULL;
	c->o.live = 1;
	c->o.postcopy = m->o.postcopy;
	c->o.parallel = m->o.parallel;
	c->o.max_downtime_ms = m->o.max_downtime_ms;
	c->o.keep_source = m->o.keep_source;
	c->o.copy_top_only = m->s.replica;
	/* QEMU paces itself (memory and the disk mirror), so that it knows
	 * its real rate; the destination's relay cap stays as the backstop */
	c->o.bandwidth = m->o.bandwidth;
	return c;
}

static void
mig_start_live(struct job *j)
{
	struct mig		*m = MIG(j);
	struct timeval		 tv = { 0, MIG_TICK_MS * 1000 };
	struct mig_run_call	*c;
	char			 err[512];

	if (mig_listen(j, err, sizeof(err)) == -1) {
		job_fail(j, JOB_FAILED, "%s", err);
		mig_src_failed(j, VMGW_EXIT_FAIL);
		return;
	}
	if ((m->s.tick = evtimer_new(j->gw->base, mig_tick, j)) != NULL)
		evtimer_add(m->s.tick, &tv);
	mig_src_event(j, "phase", json_pack("{s:s}", "phase", "migrating"));
	if ((c = mig_run_call_new(j)) == NULL ||
	    job_work(j, mig_migrate_work, mig_migrate_done, c) == -1) {
		free(c);
		job_fail(j, JOB_FAILED, "cannot start a thread: %s",
		    strerror(errno));
		mig_src_failed(j, VMGW_EXIT_FAIL);
		return;
	}
	j->busy = 1;
}

/* ------------------------------------------------------------ 4. the end */

/*
 * After a confirmed move: the DHCP reservations here go (they moved), the
 * post-move hooks run, and (without --keep-source) the guest's old
 * definition (offline; libvirt undefines it itself after a live move) and
 * the copied volumes here, stale copies, go too: nothing here can be
 * started by mistake and the guest can come back later.
 * err: what went wrong; err2: the hooks' warning.
 */
static void
mig_source_cleanup_work(void *arg)
{
	struct mig_call	*c = arg;
	struct job	*j = c->job;
	struct mig	*m = MIG(j);
	struct kvm	*k = NULL;
	char		 err[512];
	json_t		*d;
	size_t		 i;

	if (kvm_open(&k, j->gw->conf->libvirt, err, sizeof(err)) == -1) {
		snprintf(c->err, sizeof(c->err), "%s", err);
		return;
	}
	np_dhcp_release(k, m->g.dhcp, m->g.tag);
	if (mig_net_hooks(j, "post-move", err, sizeof(err)) == -1)
		snprintf(c->err2, sizeof(c->err2), "%s", err);
	if (m->o.keep_source) {
		kvm_close(k);
		return;
	}
	if (m->s.saved)
		unlink(m->s.state_file);
	if ((m->o.offline || m->o.replicated) && kvm_domain_undefine(k,
	    j->domain, err, sizeof(err)) == -1)
		snprintf(c->err, sizeof(c->err), "undefining %s here "
		    "failed: %s", j->domain, err);
	json_array_foreach(json_object_get(m->plan, "disks"), i, d) {
		if (c->keep_disks) {
			log_info("job %s: the old copy %s stays: the guest's "
			    "protection makes it the replica here", j->id,
			    json_string_value(json_object_get(d, "source")));
			continue;
		}
		if (kvm_volume_delete(k, json_string_value(json_object_get(d,
		    "source")), err, sizeof(err)) == -1)
			snprintf(c->err, sizeof(c->err), "removing the "
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
	struct mig_call	*c = arg;
	struct job	*j = c->job;
	struct mig	*m = MIG(j);

	j->busy = 0;
	if (c->err[0] != '\0')
		snprintf(m->s.mig_err, sizeof(m->s.mig_err), "%s", c->err);
	if (c->err2[0] != '\0')
		snprintf(m->s.hook_err, sizeof(m->s.hook_err), "%s", c->err2);
	free(c);
	if (m->s.mig_err[0] != '\0')
		log_warnx("job %s: %s moved, but: %s", j->id, j->domain,
		    m->s.mig_err);
	job_set_state(j, JOB_DONE, m->s.unconfirmed ?
	    "done (peer unreachable to confirm)" : "done");
	mig_finished(j);
}

/* the disks' logical size in the plan: capacity, allocation (summed) */
static void
mig_plan_disk_size(const struct mig *m, uint64_t *cap, uint64_t *alloc)
{
	json_t	*d;
	size_t	 i;

	*cap = *alloc = 0;
	json_array_foreach(json_object_get(m->plan, "disks"), i, d) {
		*cap += (uint64_t)json_integer_value(json_object_get(d,
		    "capacity"));
		*alloc += (uint64_t)json_integer_value(json_object_get(d,
		    "allocation"));
	}
}

/*
 * The summary.  memory_bytes and disk_bytes are what libvirt counted as
 * copied (sent, for the memory; mirrored, for the disks; read, offline);
 * tunnel_streams what crossed the tunnel per stream (zero ranges of a disk
 * and zero pages never cross, so it can be less), tunnel_bytes their sum;
 * disk_capacity and disk_allocation the disks' logical size.
 */
static void
mig_summary(struct job *j)
{
	struct mig	*m = MIG(j);
	double		 secs = (double)(mono_ns() - j->t0_ns) / 1e9;
	uint64_t	 disk = m->s.stats.disk_processed, cap, alloc;
	json_t		*res;

	if (m->s.ctl == NULL)
		return;
	if (m->s.has_final && m->s.final.disk_processed > disk)
		disk = m->s.final.disk_processed;
	if (m->s.disk_seen > disk)
		disk = m->s.disk_seen;
	mig_plan_disk_size(m, &cap, &alloc);
	res = json_pack("{s:s, s:s, s:s, s:f, s:I, s:I, s:I, s:I, s:I, s:I, "
	    "s:I, s:s, s:b, s:O, s:s, s:s}", "job", j->id, "state",
	    job_state_name(j->state), "where", j->where, "seconds", secs,
	    "downtime_ms", (json_int_t)(m->s.has_final ?
	    m->s.final.downtime_ms : 0), "memory_bytes", (json_int_t)
	    (m->s.has_final ? m->s.final.mem_processed :
	    m->s.stats.mem_processed), "memory_total",
	    (json_int_t)m->s.mem_total, "disk_bytes", (json_int_t)disk,
	    "disk_capacity", (json_int_t)cap, "disk_allocation",
	    (json_int_t)alloc, "tunnel_bytes", (json_int_t)job_bytes(j),
	    "domain", j->domain, "offline", m->o.offline,
	    "reach", m->reach ? m->reach : json_null(), "plan_mode",
	    np_mode_name(m->g.plan.mode), "warning", m->s.hook_err);
	if (res != NULL)
		json_object_set_new(res, "tunnel_streams", job_streams(j));
	if (res != NULL && m->s.replica)
		json_object_set_new(res, "replica", json_pack("{s:s, s:s, s:I}",
		    "point", m->s.replica_point, "site", j->peer_name,
		    "final_bytes", (json_int_t)m->s.replica_bytes));
	else if (res != NULL && m->s.replica_note[0] != '\0')
		json_object_set_new(res, "replica_note",
		    json_string(m->s.replica_note));
	if (res != NULL && m->s.pc_resumes > 0)
		json_object_set_new(res, "postcopy_resumed", json_pack("{s:I, "
		    "s:s}", "attempts", (json_int_t)m->s.pc_resumes, "why",
		    m->s.pc_why));
	ctl_ok(m->s.ctl, res);
	mig_detach_ctl(j);
}

static void
mig_finish_reply(json_t *reply, const char *err, void *arg)
{
	struct job	*j = arg;
	struct mig	*m = MIG(j);

	if (err != NULL && m->s.migrated && mig_peer_lost(j, err)) {
		mig_unconfirmed(j, err);
		return;
	}
	if (err != NULL && m->o.replicated && mig_peer_lost(j, err)) {
		/* it may run there: nothing here is restored or deleted */
		job_fail(j, JOB_FAILED, "%s did not answer the restore (%s): "
		    "see whether %s runs there; its saved state stays here (%s)",
		    j->peer_name, err, j->domain, m->s.state_file);
		snprintf(j->where, sizeof(j->where), "unknown (%s, or saved "
		    "here)", j->peer_name);
		m->s.paused = 0;	/* no undo */
		mig_report_failure(j);
		return;
	}
	if (err != NULL) {
		/* libvirt said yes, the peer says something is wrong */
		job_fail(j, JOB_FAILED, "%s after the move: %s", j->peer_name,
		    err);
		mig_src_failed(j, VMGW_EXIT_FAIL);
		return;
	}
	m->s.final.downtime_ms = (uint64_t)json_integer_value(json_object_get(
	    reply, "downtime_ms"));
	m->s.final.mem_processed = (uint64_t)json_integer_value(
	    json_object_get(reply, "memory_bytes"));
	m->s.final.disk_processed = (uint64_t)json_integer_value(
	    json_object_get(reply, "disk_bytes"));
	m->s.final.time_elapsed_ms = (uint64_t)json_integer_value(
	    json_object_get(reply, "elapsed_ms"));
	/* the destination does not see the disk mirror: our figures */
	if (m->s.final.disk_processed < m->s.disk_seen)
		m->s.final.disk_processed = m->s.disk_seen;
	if (m->s.final.disk_processed < m->s.stats.disk_processed)
		m->s.final.disk_processed = m->s.stats.disk_processed;
	if (m->s.final.mem_processed < m->s.stats.mem_processed)
		m->s.final.mem_processed = m->s.stats.mem_processed;
	if (m->o.replicated) {	/* paused here until it resumed there */
		uint64_t end = m->switch_ns != 0 ? m->switch_ns : mono_ns();

		m->s.final.downtime_ms = (end - m->s.pause_ns) / 1000000;
		m->s.final.mem_processed = m->s.state_bytes;
		m->s.migrated = 1;
	}
	m->s.has_final = 1;
	snprintf(j->where, sizeof(j->where), "%s%s", j->peer_name,
	    m->o.offline ? " (defined, shut off)" : "");
	json_decref(m->reach);
	m->reach = json_incref(json_object_get(reply, "reach"));
	if (m->reach != NULL && !json_is_true(json_object_get(m->reach,
	    "ok"))) {
		/* it runs there but does not answer: say so, roll back hooks */
		job_fail(j, JOB_FAILED, "%s", json_string_value(
		    json_object_get(m->reach, "detail")));
		mig_src_failed(j, VMGW_EXIT_FAIL);
		return;
	}
	mig_old_copy_go(j);
}

/* The guest runs at the peer: the old copy here goes (post-move hooks). */
static void
mig_old_copy_go(struct job *j)
{
	struct mig	*m = MIG(j);
	struct mig_call	*c;

	/* the disks would go (not --keep-source): its protection may keep
	 * them as the replica */
	if ((c = mig_call_new(j)) != NULL && !m->o.keep_source)
		c->keep_disks = job_keeps_disks_domain(j->gw, j->domain,
		    j->peer_name);
	if (c != NULL && job_work(j,
	    mig_source_cleanup_work, mig_source_cleanup_done, c) == 0) {
		j->busy = 1;
		return;
	}
	free(c);
	job_set_state(j, JOB_DONE, MIG(j)->s.unconfirmed ?
	    "done (peer unreachable to confirm)" : "done");
	mig_finished(j);
}

/* err (of a job-finish) is the tunnel's, not the peer's answer (peermsg.c) */
static int
mig_peer_lost(const struct job *j, const char *err)
{
	char	 lost[128], late[128];

	snprintf(lost, sizeof(lost), "tunnel to %s lost", j->peer_name);
	snprintf(late, sizeof(late), "%s did not answer in time", j->peer_name);
	return strcmp(err, lost) == 0 || strcmp(err, late) == 0;
}

/*
 * libvirt confirmed the move (the guest resumed at the peer and its old
 * QEMU here is gone), but the peer's answer to job-finish was lost with
 * the tunnel: the move is done, the old copy here is stale and goes, and
 * the summary says the peer could not confirm.
 */
static void
mig_unconfirmed(struct job *j, const char *why)
{
	struct mig	*m = MIG(j);

	m->s.unconfirmed = 1;
	snprintf(j->where, sizeof(j->where), "%s", j->peer_name);
	if (m->s.hook_err[0] == '\0')
		snprintf(m->s.hook_err, sizeof(m->s.hook_err), "%s did not "
		    "confirm the move: %s", j->peer_name, why);
	log_warnx("job %s: libvirt moved %s to %s, which did not confirm it: "
	    "%s", j->id, j->domain, j->peer_name, why);
	mig_old_copy_go(j);
}

/* The copy is over (offline) or libvirt's migration returned: job-finish. */
void
mig_src_finish(struct job *j)
{
	json_t	*msg;

	msg = json_pack("{s:s, s:s}", "op", PM_JOB_FINISH, "job", j->id);
	if (pmsg_request(j->peer, msg, JOB_PREPARE_TIMEOUT, mig_finish_reply,
	    j) == -1) {
		job_fail(j, JOB_FAILED, "tunnel to %s lost", j->peer_name);
		mig_src_failed(j, VMGW_EXIT_FAIL);
	}
	json_decref(msg);
}

static void
mig_finished(struct job *j)
{
	struct mig	*m = MIG(j);
	json_t		*msg;

	mig_close_listeners(j);
	if (j->state == JOB_DONE) {
		job_rmdir(j);
		mig_summary(j);
		/* a chain it ran on here is not its disk any more (unless
		 * its protection, which follows it, sees to that) */
		if (job_replica_ops() != NULL && !m->o.keep_source)
			job_replica_ops()->left(j->gw, j->domain);
		job_moved_domain(j->gw, j->domain, j->peer_name);
		return;
	}
	/* libvirt's migration returned: ask the peer what it has */
	job_set_state(j, JOB_RUNNING, "finishing");
	msg = json_pack("{s:s, s:s}", "op", PM_JOB_FINISH, "job", j->id);
	if (pmsg_request(j->peer, msg, 60, mig_finish_reply, j) == -1) {
		/* libvirt confirmed the move; the peer's answer is lost */
		char	 why[128];

		snprintf(why, sizeof(why), "tunnel to %s lost", j->peer_name);
		mig_unconfirmed(j, why);
	}
	json_decref(msg);
}

/* ------------------------------------------------------------ failures */

/* where the guest runs after a failure (err: where; err2: the hooks') */
static void
mig_state_work(void *arg)
{
	struct mig_call	*c = arg;
	struct job	*j = c->job;
	struct mig	*m = MIG(j);
	struct kvm	*k = NULL;
	char		 err[512];
	int		 st = -1, reason;

	if (m->s.paused && k == NULL && kvm_open(&k, j->gw->conf->libvirt,
	    err, sizeof(err)) == 0 && mig_rep_undo(j, k, err,
	    sizeof(err)) == -1)
		log_warnx("job %s: %s", j->id, err);
	if ((k != NULL || kvm_open(&k, j->gw->conf->libvirt, err,
	    sizeof(err)) == 0) &&
	    kvm_domain_state(k, j->domain, &st, &reason, err,
	    sizeof(err)) == 0 && st == KVM_DOM_RUNNING)
		snprintf(c->err, sizeof(c->err), "%s", j->gw->conf->site);
	else if (st == KVM_DOM_SHUTOFF && m->o.offline)	/* where it was */
		snprintf(c->err, sizeof(c->err), "%s (shut off)",
		    j->gw->conf->site);
	else if (m->s.has_final || m->switched || m->s.migrated)
		snprintf(c->err, sizeof(c->err), "%s", j->peer_name);
	else
		snprintf(c->err, sizeof(c->err), "unknown (%s is %s here)",
		    j->domain, st < 0 ? "gone" : kvm_state_name(st));
	kvm_close(k);
	if (m->s.pre_hooks_ran && mig_net_hooks(j, "rollback", err,
	    sizeof(err)) == -1)
		snprintf(c->err2, sizeof(c->err2), "%s", err);
}

static void
mig_report_failure(struct job *j)
{
	struct mig	*m = MIG(j);
	double		 secs = (double)(mono_ns() - j->t0_ns) / 1e9;

	/* the guest stays here: its protection goes on */
	job_resume_domain(j->gw, j->domain);
	if (m->s.ctl == NULL)
		return;
	ctl_send(m->s.ctl, json_pack("{s:s, s:b, s:s, s:i, s:s, s:s, s:s, "
	    "s:s, s:f, s:O}", "type", "result", "ok", 0, "error", j->error,
	    "exit", m->s.exitcode, "job", j->id, "domain", j->domain, "state",
	    m->s.exitcode == VMGW_EXIT_REFUSED ? "refused" :
	    job_state_name(j->state), "where", j->where, "seconds", secs,
	    "plan", m->plan ? m->plan : json_null()));
	ctl_done(m->s.ctl);
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

/* A job-abort that found no tunnel: sent when one is up again. */
struct mig_abort_later {
	struct gw	*gw;
	char		 peer[CONFIG_NAME_MAX + 1];
	json_t		*msg;
};

static void
mig_abort_later_up(struct peer *p, struct tunnel *t, const char *err,
    void *arg)
{
	struct mig_abort_later	*a = arg;

	(void)err;
	if (t != NULL && p != NULL && pmsg_request(p, a->msg, 60, NULL,
	    NULL) == 0)
		log_info("job %s: %s told to clean up", json_string_value(
		    json_object_get(a->msg, "job")), a->peer);
	json_decref(a->msg);
	free(a);
}

static void
mig_abort_later(struct job *j, json_t *msg)
{
	struct mig_abort_later	*a;

	if (j->peer == NULL || (a = calloc(1, sizeof(*a))) == NULL)
		return;
	a->gw = j->gw;
	snprintf(a->peer, sizeof(a->peer), "%s", j->peer_name);
	a->msg = json_incref(msg);
	if (peer_wait(j->peer, 60, mig_abort_later_up, a) == NULL) {
		json_decref(a->msg);
		free(a);
	}
}

static void
mig_where(struct job *j, struct mig_call *c)
{
	struct mig	*m = MIG(j);

	snprintf(j->where, sizeof(j->where), "%s", c->err);
	if (c->err2[0] != '\0')
		snprintf(m->s.hook_err, sizeof(m->s.hook_err), "%s", c->err2);
}

static void
mig_state_done(void *arg)
{
	struct mig_call	*c = arg;
	struct job	*j = c->job;
	struct mig	*m = MIG(j);
	json_t		*msg;

	j->busy = 0;
	mig_where(j, c);
	free(c);
	job_save(j);
	log_info("job %s: %s runs at %s", j->id, j->domain, j->where);
	if (strcmp(j->where, j->gw->conf->site) == 0)
		mig_net_source_restore(j);	/* routed here, as before */
	if (m->s.has_final) {		/* it moved: nothing to undo there */
		mig_report_failure(j);
		return;
	}
	msg = json_pack("{s:s, s:s, s:s, s:b}", "op", PM_JOB_ABORT, "job",
	    j->id, "reason", j->error, "source_running",
	    strcmp(j->where, j->gw->conf->site) == 0);
	if (pmsg_request(j->peer, msg, 60, mig_abort_reply, j) == -1) {
		/* no tunnel now: the peer cleans up when it notices the loss,
		 * and is told as soon as a tunnel is back (a tunnel replaced
		 * by a newer one is no loss it notices) */
		mig_abort_later(j, msg);
		mig_report_failure(j);
	}
	json_decref(msg);
}

/* A job ended without success: find the guest, have the peer clean up. */
void
mig_src_failed(struct job *j, int exitcode)
{
	struct mig	*m = MIG(j);
	struct mig_call	*c;

	m->s.exitcode = exitcode;
	mig_close_listeners(j);
	job_conns_abort(j, j->error);
	job_rmdir(j);
	if (m->s.tick != NULL)
		evtimer_del(m->s.tick);
	/* before anything moved: nothing to look at or undo */
	if (!m->s.paused && (exitcode == VMGW_EXIT_REFUSED ||
	    exitcode == VMGW_EXIT_PEER || m->s.info == NULL ||
	    (j->state == JOB_CANCELLED && j->phase[0] != '\0' &&
	    strcmp(j->phase, "checks") == 0))) {
		snprintf(j->where, sizeof(j->where), "%s",
		    j->gw->conf->site);
		job_save(j);
		mig_report_failure(j);
		return;
	}
	if ((c = mig_call_new(j)) != NULL && job_work(j, mig_state_work,
	    mig_state_done, c) == 0)
		j->busy = 1;
	else {
		free(c);
		mig_report_failure(j);
	}
}

/* The destination saw the guest resume: let go of it here now. */
void
mig_pm_switched(struct peer *p, json_int_t id, json_t *req)
{
	const char	*jid = json_string_value(json_object_get(req, "job"));
	struct job	*j = jid != NULL ? job_find(p->gw, jid) : NULL;

	if (j != NULL && j->kind == &mig_kind && j->role == JOB_SOURCE &&
	    j->peer == p && !job_terminal(j)) {
		if (MIG(j)->switch_ns == 0)	/* a replicated move's end */
			MIG(j)->switch_ns = mono_ns();
		mig_net_source_switched(j);
	}
	pmsg_reply(p, id, json_object());
}

/* ------------------------------------------------------------ cancel */

static void
mig_abort_work(void *arg)
{
	struct mig_call	*c = arg;
	struct kvm	*k = NULL;

	if (kvm_open(&k, c->job->gw->conf->libvirt, c->err,
	    sizeof(c->err)) == -1 || kvm_job_abort(k, c->job->domain, c->err,
	    sizeof(c->err)) == -1)
		log_warnx("job %s: abort: %s", c->job->id, c->err);
	kvm_close(k);
}

int
mig_src_cancel(struct job *j, char *err, size_t errlen)
{
	struct mig	*m = MIG(j);
	struct mig_call	*c;

	if (m->s.postcopy_started && j->state == JOB_RUNNING) {
		snprintf(err, errlen, "%s is in post-copy: it runs at %s with "
		    "memory still here, so the move cannot be undone; it "
		    "completes%s", j->domain, j->peer_name, m->s.pc_paused ?
		    " once the tunnel is back (post-copy paused)" : "");
		return -1;
	}
	if (m->s.cancel)
		return 0;
	m->s.cancel = 1;
	log_info("job %s: cancel requested during %s", j->id, j->phase);
	mig_src_event(j, "phase", json_pack("{s:s}", "phase", "cancelling"));
	if (j->state == JOB_RUNNING && !m->o.offline) {
		if ((c = mig_call_new(j)) != NULL && job_work(j,
		    mig_abort_work, mig_call_free, c) == -1)
			free(c);
	} else if (j->state == JOB_RUNNING && m->o.offline)
		job_conns_abort(j, "cancelled");
	/* checking / preparing: the next step sees the cancel */
	return 0;
}

struct mig_speed_call {
	struct job	*job;
	uint64_t	 bw;
};

static void
mig_speed_work(void *arg)
{
	struct mig_speed_call	*c = arg;
	struct kvm		*k = NULL;
	char			 err[512];

	if (kvm_open(&k, c->job->gw->conf->libvirt, err, sizeof(err)) == -1 ||
	    kvm_set_max_speed(k, c->job->domain, c->bw, err,
	    sizeof(err)) == -1)
		log_warnx("job %s: %s", c->job->id, err);
	kvm_close(k);
}

void
mig_src_set_bandwidth(struct job *j, uint64_t bw)
{
	struct mig_speed_call	*c;
	json_t			*msg;

	if (j->state == JOB_RUNNING && !MIG(j)->o.offline &&
	    (c = calloc(1, sizeof(*c))) != NULL) {
		c->job = j;
		c->bw = bw;
		if (job_work(j, mig_speed_work, mig_call_free, c) == -1)
			free(c);
	}
	MIG(j)->o.bandwidth = bw;
	job_save(j);
	msg = json_pack("{s:s, s:s, s:I}", "op", PM_JOB_BANDWIDTH, "job",
	    j->id, "bandwidth", (json_int_t)bw);
	if (j->peer->tunnel != NULL)
		pmsg_request(j->peer, msg, 10, NULL, NULL);
	json_decref(msg);
	log_info("job %s: bandwidth %llu bytes/s", j->id,
	    (unsigned long long)bw);
}

/* after a restart of this gateway: where is the guest? */
static void
mig_recover_done(void *arg)
{
	struct mig_call	*c = arg;
	struct job	*j = c->job;

	j->busy = 0;
	mig_where(j, c);
	free(c);
	job_fail(j, JOB_FAILED, "interrupted: vmgwd restarted during %s; %s "
	    "runs at %s", j->phase, j->domain, j->where);
}

void
mig_src_recover(struct job *j)
{
	struct mig_call	*c;

	job_rmdir(j);
	if ((c = mig_call_new(j)) != NULL && job_work(j, mig_state_work,
	    mig_recover_done, c) == 0)
		j->busy = 1;
	else
		free(c);
}

/* ------------------------------------------------------------ the command */

static int
mig_options(struct mig_opts *o, json_t *req, char *err, size_t errlen)
{
	json_t		*v;
	const char	*bw;

	o->dry_run = json_is_true(json_object_get(req, "dry_run"));
	o->offline = json_is_true(json_object_get(req, "offline"));
	o->postcopy = json_is_true(json_object_get(req, "postcopy"));
	o->keep_source = json_is_true(json_object_get(req, "keep_source"));
	o->full_copy = json_is_true(json_object_get(req, "full_copy"));
	o->replicated = json_is_true(json_object_get(req, "replicated"));
	if (o->replicated && (json_is_true(json_object_get(req, "offline")) ||
	    json_is_true(json_object_get(req, "postcopy")) || o->full_copy ||
	    o->keep_source || json_object_get(req, "parallel") != NULL)) {
		snprintf(err, errlen, "--replicated pauses the guest, ships a "
		    "final point and its saved state: --offline, --postcopy, "
		    "--parallel, --full-copy and --keep-source do not apply");
		return -1;
	}
	if ((v = json_object_get(req, "parallel")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 32) {
			snprintf(err, errlen, "--parallel: between 0 and 32");
			return -1;
		}
		o->parallel = (int)json_integer_value(v);
	}
	if ((v = json_object_get(req, "max_downtime_ms")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 600000) {
			snprintf(err, errlen, "--max-downtime: between 1 and "
			    "600000 ms");
			return -1;
		}
		o->max_downtime_ms = (unsigned)json_integer_value(v);
	}
	if ((bw = json_string_value(json_object_get(req, "bandwidth"))) !=
	    NULL && size_parse(&o->bandwidth, bw) == -1) {
		snprintf(err, errlen, "--bandwidth %s: not a rate (bytes/s "
		    "with K/M/G)", bw);
		return -1;
	}
	if (o->offline && (o->postcopy || o->parallel || o->max_downtime_ms)) {
		snprintf(err, errlen, "--offline moves a shut-off guest: "
		    "--postcopy, --parallel and --max-downtime do not apply");
		return -1;
	}
	return 0;
}

void
ctl_migrate(struct ctl_conn *c, json_t *req)
{
	struct gw		*gw = c->gw;
	const char		*dom = json_string_value(json_object_get(req,
				    "domain"));
	const char		*to = json_string_value(json_object_get(req,
				    "to"));
	struct job		*j, *other;
	struct mig_check_call	*cc;
	struct mig		*m;
	char			 err[512];

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
	if ((j = job_new(gw, &mig_kind, JOB_SOURCE, NULL, to, dom)) == NULL) {
		ctl_error(c, VMGW_EXIT_FAIL, "out of memory");
		return;
	}
	m = MIG(j);
	if (mig_options(&m->o, req, err, sizeof(err)) == -1) {
		job_discard(j);
		ctl_error(c, VMGW_EXIT_USAGE, "%s", err);
		return;
	}
	m->s.ctl = c;
	ctl_set_close_cb(c, mig_ctl_closed, j);
	job_set_state(j, JOB_CHECKING, "checks");
	mig_src_event(j, "job", json_pack("{s:s, s:s, s:s}", "domain", dom,
	    "to", to, "from", gw->conf->site));
	if ((cc = calloc(1, sizeof(*cc))) != NULL) {
		cc->job = j;
		cc->g = m->g;	/* the plan's settings; discovery fills it */
		cc->g.addrs = cc->g.macs = cc->g.dhcp = NULL;
		cc->g.announce = NULL;
	}
	if (cc == NULL || job_work(j, mig_check_work, mig_check_done,
	    cc) == -1) {
		free(cc);
		job_fail(j, JOB_FAILED, "cannot start a thread: %s",
		    strerror(errno));
		mig_src_failed(j, VMGW_EXIT_FAIL);
		return;
	}
	j->busy = 1;
}
