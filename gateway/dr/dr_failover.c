/*
 * dr_failover.c - `vmgw failover DOMAIN [--point ID|latest|latest-app]`,
 * run at the backup site when the guest's home site is lost (DR part 2):
 *
 *   find     the guest's chain here and the point asked for
 *   guard    the home site's gateway answers and runs the guest: refused
 *            (use vmgw migrate); it does not answer within a few seconds:
 *            go on (split brain is what the home site avoids when it comes
 *            back: its dr-begin is refused and it fences its old copy)
 *   start    (worker) the point pinned; the guest defined from the XML
 *            kept with the point; a fresh overlay per disk on the point
 *            (the chain stays untouched, so a failed or repeated failover
 *            can start again); a checkpoint before it first runs; started;
 *            failover.json in the chain directory
 *   network  the guest's plan here: routes, announcements, the probe
 *   check    (optional) a TCP port of the guest answers, from here
 *   hooks    the "failover" phase
 *   report   the point, the achieved RPO (failover start minus the point's
 *            start) and the RTO (command start until the guest answers)
 *
 * The same request with "test" is a failover test (dr_test.c).  A real
 * failover while a test of the guest runs here is refused (end the test
 * first: its copy, network and pin would be in the way); so is a test
 * after a real failover.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dr.h"
#include "guest.h"

#define DR_FO_GUARD_S	5	/* how long the home site has to answer */
#define DR_FO_DIAL_S	2	/* ... to be reached again when its tunnel is down */
#define DR_FO_ADDR_WAIT_S 120	/* for the guest to tell its addresses */

struct dr_fo {
	struct gw		*gw;
	struct ctl_conn		*ctl;		/* NULL: the CLI went away */
	char			 domain[128];
	char			 want[DRC_ID_MAX + 1];	/* id, latest, latest-app */
	uint64_t		 t0_ns;
	int64_t			 t0;
	char			 dir[600];
	char			 home[DRC_NAME_MAX + 1];
	char			 point[DRC_ID_MAX + 1];
	int64_t			 point_start;
	int			 app;
	char			 uuid[KVM_UUID_LEN + 1];
	int			 exitcode;
	char			 err[512];
	const struct kvm_domain_info *info;
	struct np_guest		 g;
	struct np_probe		*probe;
	struct dr_tcp_check		 check;
	json_t			*check_result;
	char			 hook_err[512];
};

static void	dr_fo_end(struct dr_fo *);

static void
dr_fo_closed(struct ctl_conn *c, void *arg)
{
	((struct dr_fo *)arg)->ctl = NULL;
}

static void
dr_fo_event(struct dr_fo *f, const char *step)
{
	if (f->ctl != NULL)
		ctl_event(f->ctl, "step", json_pack("{s:s, s:s, s:f}", "domain",
		    f->domain, "step", step, "elapsed_s", (double)(mono_ns() -
		    f->t0_ns) / 1e9));
}

/* The chain of domain under one of this site's storage directories. */
static int
dr_fo_chain(struct dr_fo *f, struct drc_manifest **m)
{
	int	 r;

	if ((r = dr_local_chain(f->gw->conf, f->domain, f->dir, sizeof(f->dir),
	    m, f->err, sizeof(f->err))) == 0)
		snprintf(f->err, sizeof(f->err), "%s: no replica at %s",
		    f->domain, f->gw->conf->site);
	return r == 1 ? 0 : -1;
}

static ssize_t
dr_fo_pick(struct dr_fo *f, const struct drc_manifest *m)
{
	return dr_point_pick(m, f->want, f->domain, f->gw->conf->site, f->err,
	    sizeof(f->err));
}

/* (worker) is there a chain and that point? */
static void
dr_fo_find_work(void *arg)
{
	struct dr_fo		*f = arg;
	struct drc_manifest	*m = NULL;
	ssize_t			 i;
	char			 tpath[700];

	if (dr_fo_chain(f, &m) == -1)
		return;
	snprintf(tpath, sizeof(tpath), "%s/%s", f->dir, DR_TEST_RECORD);
	if (access(tpath, F_OK) == 0) {
		snprintf(f->err, sizeof(f->err), "%s: a failover test runs at "
		    "%s (%s): end it first (vmgw failover %s --test --end)",
		    f->domain, f->gw->conf->site, tpath, f->domain);
		drc_manifest_free(m);
		return;
	}
	snprintf(f->home, sizeof(f->home), "%s", m->source_site);
	if ((i = dr_fo_pick(f, m)) >= 0) {
		snprintf(f->point, sizeof(f->point), "%s", m->points[i].id);
		f->point_start = m->points[i].start;
		f->app = m->points[i].consistency == DRC_APP;
	}
	drc_manifest_free(m);
}

/* (worker) pin, define, overlays, checkpoint, start */
static void
dr_fo_start_work(void *arg)
{
	struct dr_fo		*f = arg;
	struct drc_manifest	*m = NULL;
	struct drc_point	*p;
	struct kvm		*k = NULL;
	struct kvm_domain_info	*di = NULL;
	struct kvm_backup_disk	 bd[DRC_DISKS_MAX];
	char			 mpath[700], back[1024], msg[512], e[512];
	char			 cp[96];
	struct dr_forec		 rec;
	const char		*argv[11];
	struct kvm_xml_disk	*xd = NULL;
	int			 mine[DRC_DISKS_MAX * 2] = { 0 };
	size_t			 i, k2, nd = 0, nxd = 0;
	ssize_t			 pi;
	int			 defined = 0, made = 0;

	snprintf(mpath, sizeof(mpath), "%s/manifest.json", f->dir);
	drc_manifest_lock();
	if (drc_manifest_load(mpath, &m, f->err, sizeof(f->err)) == -1 ||
	    (pi = dr_fo_pick(f, m)) < 0) {
		drc_manifest_unlock();
		goto out;
	}
	p = &m->points[pi];
	p->pinned = 1;
	snprintf(p->pin_reason, sizeof(p->pin_reason), "failover at %lld",
	    (long long)f->t0);
	pi = drc_manifest_save(mpath, m, f->err, sizeof(f->err));
	drc_manifest_unlock();
	if (pi == -1 || kvm_open(&k, f->gw->conf->libvirt, f->err,
	    sizeof(f->err)) == -1)
		goto out;
	if (kvm_domain_exists(k, f->domain, NULL, e, sizeof(e), f->err,
	    sizeof(f->err)) != 0) {
		if (f->err[0] == '\0')
			snprintf(f->err, sizeof(f->err), "%s is defined here "
			    "already: a failover makes it from the point",
			    f->domain);
		goto out;
	}
	if (kvm_xml_disks(p->domain_xml, &xd, &nxd, f->err,
	    sizeof(f->err)) == -1)
		goto out;
	/* an overlay per disk on the point, where the XML has the disk */
	for (i = 0; i < nxd && i < DRC_DISKS_MAX * 2; i++) {
		for (k2 = 0; k2 < p->n_disks; k2++)
			if (strcmp(p->disks[k2].target, xd[i].target) == 0)
				break;
		if (k2 == p->n_disks)
			continue;
		if (access(xd[i].path, F_OK) == 0) {
			snprintf(f->err, sizeof(f->err), "%s: disk %s: %s "
			    "exists here: vmgw does not overwrite it",
			    f->domain, xd[i].target, xd[i].path);
			goto out;
		}
		snprintf(back, sizeof(back), "%s/%s", f->dir,
		    p->disks[k2].file);
		argv[0] = "qemu-img"; argv[1] = "create"; argv[2] = "-q";
		argv[3] = "-f"; argv[4] = "qcow2"; argv[5] = "-F";
		argv[6] = "qcow2"; argv[7] = "-b"; argv[8] = back;
		argv[9] = xd[i].path; argv[10] = NULL;
		if (drc_run(argv, msg, sizeof(msg)) != 0) {
			snprintf(f->err, sizeof(f->err), "%s: overlay on %s: %s",
			    xd[i].path, back, msg);
			goto out;
		}
		made++;
		mine[i] = 1;
		bd[nd].target = xd[i].target;
		bd[nd].scratch = NULL;
		nd++;
	}
	if (kvm_domain_define(k, p->domain_xml, f->err, sizeof(f->err)) == -1)
		goto out;
	defined = 1;
	if (kvm_domain_inspect(k, f->domain, &di, f->err, sizeof(f->err)) ==
	    -1)
		goto out;
	snprintf(f->uuid, sizeof(f->uuid), "%s", di->uuid);
	snprintf(cp, sizeof(cp), "%sfailover-%s", DR_CHECKPOINT_PREFIX,
	    f->point);
	if (kvm_start_with_checkpoint(k, f->domain, cp, bd, nd, f->err,
	    sizeof(f->err)) == -1)
		goto out;
	memset(&rec, 0, sizeof(rec));
	snprintf(rec.domain, sizeof(rec.domain), "%s", f->domain);
	snprintf(rec.point, sizeof(rec.point), "%s", f->point);
	rec.at = f->t0;
	snprintf(rec.site, sizeof(rec.site), "%s", f->gw->conf->site);
	snprintf(rec.checkpoint, sizeof(rec.checkpoint), "%s", cp);
	snprintf(mpath, sizeof(mpath), "%s/%s", f->dir, DR_FO_RECORD);
	if (dr_forec_write(mpath, &rec, e, sizeof(e)) == -1)
		log_warnx("%s: %s", f->domain, e);
	f->info = di;
	di = NULL;
	np_guest_discover(&f->g, k, f->info, NULL);
 out:
	if (f->err[0] != '\0') {
		/* nothing half-made stays: the domain, the overlays made */
		if (defined && kvm_domain_remove(k, f->domain, e,
		    sizeof(e)) == -1)
			log_warnx("%s: %s", f->domain, e);
		for (i = 0; i < nxd && made > 0; i++)
			if (mine[i])
				unlink(xd[i].path);
	}
	kvm_xml_disks_free(xd, nxd);
	kvm_domain_info_free(di);
	kvm_close(k);
	drc_manifest_free(m);
}

static void
dr_fo_hooks_work(void *arg)
{
	struct dr_fo	*f = arg;

	np_hooks_run(&f->g, "failover", "-", f->home, f->gw->conf->site,
	    json_is_true(json_object_get(f->probe->result, "ok")) ? "ok" :
	    "not reachable", f->hook_err, sizeof(f->hook_err));
}

static void
dr_fo_hooks_done(void *arg)
{
	dr_fo_end(arg);
}

static void
dr_fo_probe_work(void *arg)
{
	np_probe_run(((struct dr_fo *)arg)->probe);
}

static void
dr_fo_check_done(void *arg)
{
	struct dr_fo	*f = arg;

	dr_fo_event(f, "hooks");
	if (worker_run(f->gw, dr_fo_hooks_work, dr_fo_hooks_done, f) == -1)
		dr_fo_end(f);
}

/* (worker) the check runs where the probe ran: this host's routes */
static void
dr_fo_check_work(void *arg)
{
	struct dr_fo	*f = arg;

	f->check_result = dr_tcp_check_run(&f->check, f->domain, f->probe->addrs);
}

static void
dr_fo_probe_done(void *arg)
{
	struct dr_fo	*f = arg;

	if (f->check.tcp != 0 && json_is_true(json_object_get(f->probe->result,
	    "ok"))) {
		dr_fo_event(f, "check");
		if (worker_run(f->gw, dr_fo_check_work, dr_fo_check_done,
		    f) == 0)
			return;
	}
	dr_fo_event(f, "hooks");
	if (worker_run(f->gw, dr_fo_hooks_work, dr_fo_hooks_done, f) == -1)
		dr_fo_end(f);
}

/* (worker) a guest that just booted tells its addresses only once its
 * agent or DHCP answers: ask libvirt until it knows some (or give up) */
static void
dr_fo_addr_work(void *arg)
{
	struct dr_fo	*f = arg;
	struct kvm	*k = NULL;
	char		 err[256];
	uint64_t	 until = mono_ns() + DR_FO_ADDR_WAIT_S * 1000000000ull;

	if (kvm_open(&k, f->gw->conf->libvirt, err, sizeof(err)) == -1)
		return;
	while (json_array_size(f->g.addrs) == 0 && mono_ns() < until) {
		usleep(500000);
		np_guest_discover(&f->g, k, f->info, NULL);
	}
	kvm_close(k);
}

static void
dr_fo_probe(void *arg)
{
	struct dr_fo	*f = arg;

	np_guest_hold(&f->g);
	np_guest_announce(&f->g);
	if ((f->probe = np_probe_new(&f->g, mono_ns())) == NULL ||
	    worker_run(f->gw, dr_fo_probe_work, dr_fo_probe_done, f) == -1) {
		dr_fo_end(f);
		return;
	}
	dr_fo_event(f, "probe");
}

static void
dr_fo_started(void *arg)
{
	struct dr_fo	*f = arg;

	if (f->err[0] != '\0') {
		f->exitcode = VMGW_EXIT_FAIL;
		dr_fo_end(f);
		return;
	}
	log_info("%s: failed over to %s from point %s (%s-consistent)",
	    f->domain, f->gw->conf->site, f->point, f->app ? "app" : "crash");
	dr_fo_event(f, "network");
	snprintf(f->g.uuid, sizeof(f->g.uuid), "%s", f->uuid);
	if (f->g.dhcp != NULL)
		json_array_clear(f->g.dhcp);	/* the home site's are unknown */
	if (json_array_size(f->g.addrs) == 0 && worker_run(f->gw,
	    dr_fo_addr_work, dr_fo_probe, f) == 0)
		return;
	dr_fo_probe(f);
}

static void
dr_fo_start(struct dr_fo *f)
{
	struct peer	*home = peer_find(f->gw, f->home);

	dr_fo_event(f, "start");
	np_guest_init(&f->g, f->gw, f->domain, "", home != NULL ? home->conf :
	    NULL, "failover");
	if (worker_run(f->gw, dr_fo_start_work, dr_fo_started, f) == -1) {
		snprintf(f->err, sizeof(f->err), "cannot start a thread");
		f->exitcode = VMGW_EXIT_FAIL;
		dr_fo_end(f);
	}
}

/* The home site's answer: does the guest run there? */
static void
dr_fo_status(json_t *reply, const char *err, void *arg)
{
	struct dr_fo	*f = arg;

	if (reply != NULL && err == NULL && json_is_true(json_object_get(reply,
	    "running"))) {
		snprintf(f->err, sizeof(f->err), "%s runs at %s, which answers: "
		    "a failover would run it twice (vmgw migrate %s --to %s "
		    "moves it)", f->domain, f->home, f->domain,
		    f->gw->conf->site);
		f->exitcode = VMGW_EXIT_REFUSED;
		dr_fo_end(f);
		return;
	}
	log_warnx("%s: %s %s: failing over", f->domain, f->home, err != NULL ?
	    "did not answer" : "does not run it");
	dr_fo_start(f);
}

static void
dr_fo_peer(struct peer *p, struct tunnel *t, const char *err, void *arg)
{
	struct dr_fo	*f = arg;
	json_t		*m;

	if (t == NULL) {		/* the home site is lost */
		log_warnx("%s: %s is unreachable (%s): failing over",
		    f->domain, f->home, err);
		dr_fo_start(f);
		return;
	}
	m = json_pack("{s:s, s:s}", "op", PM_DR_STATUS, "guest", f->domain);
	if (pmsg_request(p, m, DR_FO_GUARD_S, dr_fo_status, f) == -1)
		dr_fo_start(f);
	json_decref(m);
}

static void
dr_fo_found(void *arg)
{
	struct dr_fo	*f = arg;
	struct peer	*home;

	if (f->err[0] != '\0') {
		f->exitcode = VMGW_EXIT_REFUSED;
		dr_fo_end(f);
		return;
	}
	dr_fo_event(f, "guard");
	if ((home = peer_find(f->gw, f->home)) == NULL ||
	    peer_wait(home, home->tunnel != NULL ? DR_FO_GUARD_S : DR_FO_DIAL_S,
	    dr_fo_peer, f) == NULL)
		dr_fo_start(f);
}

static void
dr_fo_end(struct dr_fo *f)
{
	json_t	*r, *rep;
	double	 rto;

	if (f->ctl != NULL) {
		ctl_set_close_cb(f->ctl, NULL, NULL);
		if (f->err[0] != '\0')
			ctl_error(f->ctl, f->exitcode ? f->exitcode :
			    VMGW_EXIT_FAIL, "%s", f->err);
		else {
			r = f->probe != NULL ? f->probe->result : NULL;
			rto = (double)(mono_ns() - f->t0_ns) / 1e9;
			rep = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, "
			    "s:f, s:O, s:O, s:s, s:s}", "domain", f->domain,
			    "site", f->gw->conf->site, "point", f->point,
			    "consistency", f->app ? "app" : "crash", "rpo_s",
			    (json_int_t)(f->t0 - f->point_start),
			    "achieved_rpo_s", (json_int_t)(f->t0 -
			    f->point_start), "point_start",
			    (json_int_t)f->point_start, "rto_s", rto,
			    "reach", r != NULL ? r : json_null(), "check",
			    f->check_result != NULL ? f->check_result :
			    json_null(), "hooks", f->hook_err, "home",
			    f->home);
			if (f->check_result != NULL && !json_is_true(
			    json_object_get(f->check_result, "ok")))
				snprintf(f->err, sizeof(f->err), "%s: check %s",
				    f->domain, json_string_value(
				    json_object_get(f->check_result,
				    "detail")));
			dr_reply(f->ctl, VMGW_EXIT_FAIL, f->err[0] ? f->err :
			    NULL, rep);
		}
	}
	json_decref(f->check_result);
	np_probe_free(f->probe);
	np_guest_clear(&f->g);
	kvm_domain_info_free((struct kvm_domain_info *)f->info);
	free(f);
}

static void
ctl_failover(struct ctl_conn *c, json_t *req)
{
	const char	*dom, *pt;
	json_t		*test = json_object_get(req, "test");
	json_t		*end = json_object_get(req, "end");
	struct dr_tcp_check	 check;
	struct dr_fo	*f;
	char		 err[256];

	if ((dom = dr_domain_arg(c, req)) == NULL ||
	    (pt = dr_point_arg(c, req)) == NULL)
		return;
	if ((test != NULL && !json_is_boolean(test)) || (end != NULL &&
	    !json_is_boolean(end))) {
		ctl_error(c, VMGW_EXIT_USAGE, "test and end: true or false");
		return;
	}
	if (dr_tcp_check_parse(req, &check, err, sizeof(err)) == -1) {
		ctl_error(c, VMGW_EXIT_USAGE, "%s", err);
		return;
	}
	if (json_is_true(end)) {
		if (!json_is_true(test))
			ctl_error(c, VMGW_EXIT_USAGE, "end: only with test (vmgw "
			    "failover %s --test --end)", dom);
		else if (json_object_get(req, "point") != NULL ||
		    check.tcp != 0)
			ctl_error(c, VMGW_EXIT_USAGE, "--end takes no point and "
			    "no check");
		else
			dr_test_end(c, dom);
		return;
	}
	if (json_is_true(test)) {
		dr_test_start(c, dom, pt, &check);
		return;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		ctl_error(c, VMGW_EXIT_FAIL, "out of memory");
		return;
	}
	f->check = check;
	f->gw = c->gw;
	f->ctl = c;
	f->t0_ns = mono_ns();
	f->t0 = (int64_t)time(NULL);
	snprintf(f->domain, sizeof(f->domain), "%s", dom);
	snprintf(f->want, sizeof(f->want), "%s", pt);
	ctl_set_close_cb(c, dr_fo_closed, f);
	if (worker_run(c->gw, dr_fo_find_work, dr_fo_found, f) == -1) {
		ctl_set_close_cb(c, NULL, NULL);
		ctl_error(c, VMGW_EXIT_FAIL, "cannot start a thread");
		free(f);
	}
}

/* ---- the check, for failovers and tests */

int
dr_tcp_check_parse(json_t *req, struct dr_tcp_check *ck, char *err, size_t errlen)
{
	json_t		*o = json_object_get(req, "check"), *v;
	const char	*key;
	json_int_t	 n;

	memset(ck, 0, sizeof(*ck));
	ck->timeout_s = DR_CHECK_TIMEOUT_S;
	if (o == NULL || json_is_null(o))
		return 0;
	if (!json_is_object(o)) {
		snprintf(err, errlen, "check: an object {tcp, timeout}");
		return -1;
	}
	json_object_foreach(o, key, v) {
		if (strcmp(key, "tcp") != 0 && strcmp(key, "timeout") != 0) {
			snprintf(err, errlen, "check: unknown key \"%.64s\"",
			    key);
			return -1;
		}
	}
	v = json_object_get(o, "tcp");
	if (!json_is_integer(v) || (n = json_integer_value(v)) < 1 ||
	    n > 65535) {
		snprintf(err, errlen, "check.tcp: a port, 1..65535");
		return -1;
	}
	ck->tcp = (unsigned)n;
	if ((v = json_object_get(o, "timeout")) != NULL) {
		if (!json_is_integer(v) || (n = json_integer_value(v)) < 1 ||
		    n > DR_CHECK_TIMEOUT_MAX) {
			snprintf(err, errlen, "check.timeout: seconds, 1..%d",
			    DR_CHECK_TIMEOUT_MAX);
			return -1;
		}
		ck->timeout_s = (unsigned)n;
	}
	return 0;
}

json_t *
dr_tcp_check_run(const struct dr_tcp_check *ck, const char *name, json_t *addrs)
{
	const char	*ip = json_string_value(json_array_get(addrs, 0));
	uint64_t	 t0 = mono_ns(), limit = (uint64_t)ck->timeout_s *
			    1000000000ull;
	char		 err[256] = "", detail[512];

	if (ck->tcp == 0)
		return NULL;
	if (ip == NULL)
		return json_pack("{s:i, s:n, s:b, s:s}", "tcp", (int)ck->tcp,
		    "address", "ok", 0, "detail", "tcp: no address of the "
		    "guest is known");
	for (;;) {
		if (probe_tcp(ip, (uint16_t)ck->tcp, 1000, err,
		    sizeof(err)) == 0)
			return json_pack("{s:i, s:s, s:b, s:I, s:s}", "tcp",
			    (int)ck->tcp, "address", ip, "ok", 1, "ms",
			    (json_int_t)((mono_ns() - t0) / 1000000),
			    "detail", "");
		if (mono_ns() - t0 > limit)
			break;
		usleep(250000);
	}
	snprintf(detail, sizeof(detail), "tcp %u: %s does not accept "
	    "connections at %s:%u within %us: %s", ck->tcp, name, ip, ck->tcp,
	    ck->timeout_s, err);
	return json_pack("{s:i, s:s, s:b, s:I, s:s}", "tcp", (int)ck->tcp,
	    "address", ip, "ok", 0, "ms", (json_int_t)((mono_ns() - t0) /
	    1000000), "detail", detail);
}

/* ok with the report, or not ok with the report beside the error (a
 * recovery plan reads what was measured even when a check failed) */
void
dr_reply(struct ctl_conn *c, int exitcode, const char *err, json_t *report)
{
	if (report == NULL) {
		ctl_error(c, exitcode, "%s", err ? err : "out of memory");
		return;
	}
	if (err == NULL) {
		ctl_ok(c, report);
		return;
	}
	json_object_set_new(report, "type", json_string("result"));
	json_object_set_new(report, "ok", json_false());
	json_object_set_new(report, "error", json_string(err));
	json_object_set_new(report, "exit", json_integer(exitcode));
	ctl_send(c, report);
	ctl_done(c);
}

/* ---- the home site: dr-status (does the guest run here?) */

struct dr_st {
	struct peer	*peer;
	json_int_t	 id;
	char		 domain[128];
	int		 state;
	char		 err[256];
};

static void
dr_st_work(void *arg)
{
	struct dr_st	*s = arg;
	struct kvm	*k = NULL;
	int		 reason;

	s->state = -1;
	if (kvm_open(&k, s->peer->gw->conf->libvirt, s->err,
	    sizeof(s->err)) == 0 && kvm_domain_state(k, s->domain, &s->state,
	    &reason, s->err, sizeof(s->err)) == -1)
		s->state = -1;
	kvm_close(k);
}

static void
dr_st_done(void *arg)
{
	struct dr_st	*s = arg;

	pmsg_reply(s->peer, s->id, json_pack("{s:b, s:s}", "running",
	    s->state == KVM_DOM_RUNNING || s->state == KVM_DOM_PAUSED,
	    "state", s->state < 0 ? "absent" : kvm_state_name(s->state)));
	free(s);
}

void
dr_pm_status(struct peer *p, json_int_t id, json_t *req)
{
	const char	*g = json_string_value(json_object_get(req, "guest"));
	struct dr_st	*s;

	if (g == NULL || strlen(g) > 127 || (s = calloc(1, sizeof(*s))) ==
	    NULL) {
		pmsg_reply_error(p, id, "malformed dr-status");
		return;
	}
	s->peer = p;
	s->id = id;
	snprintf(s->domain, sizeof(s->domain), "%s", g);
	if (worker_run(p->gw, dr_st_work, dr_st_done, s) == -1) {
		free(s);
		pmsg_reply_error(p, id, "cannot start a thread");
	}
}

int
dr_failover_init(void)
{
	if (ctl_register(CTL_FAILOVER, ctl_failover) == -1 ||
	    pmsg_register(PM_DR_STATUS, dr_pm_status) == -1)
		return -1;
	return 0;
}
