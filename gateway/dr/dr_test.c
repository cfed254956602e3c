/*
 * dr_test.c - failover tests: `vmgw failover DOMAIN --test [--point P]
 * [--check-tcp PORT]` and `vmgw failover DOMAIN --test --end`, at the
 * backup site, while the guest keeps running at home and replication goes
 * on (the "failover" request with "test": true; dr_failover.c parses it).
 *
 *   find     the chain here, the point; refused after a real failover
 *   start    (worker) a record test.json in the chain dir, created
 *            exclusively (so a second test is refused, and --end finds
 *            what to remove after a vmgwd restart); the point pinned; a
 *            throwaway overlay per disk in the chain's test/ dir (the
 *            chain and the production disk paths stay untouched); the
 *            copy DOMAIN-test, transient, with a fresh UUID, on isolated
 *            networks: the peer's test_networks, or a network
 *            vmgw-test-<hash> vmgw makes (no forward mode, no address,
 *            no DHCP)
 *   probe    (worker) from a probe namespace on the copy's network, a
 *            helper process's (dr_probe_ns.c, netplan/netns.c), never
 *            through this host's routes; then the optional TCP check
 *            from the same place; the helper and its namespace go right
 *            after, so nothing of them outlives the request
 *   report   point, point_start, achieved RPO, RTO, network, probe, check
 *
 *   end      (worker) the copy, its overlays, the network vmgw made and
 *            any probe interface removed, the pin lifted, the point
 *            marked tested (tested_at, test_result), the record last
 *
 * Names derive from the domain alone (a hash), so a second attempt after
 * a crash finds the same ones.  One test per guest at a time.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/stat.h>

#include "dr.h"
#include "guest.h"

#define DR_TF_ADDR_WAIT_S	120	/* for the copy to tell its addresses */
#define DR_TF_SUFFIX		"-test"
#define DR_TF_NET_PREFIX	"vmgw-test-"
#define DR_TF_BR_PREFIX		"vmgwt"
#define DR_TF_IF_PREFIX		"vmgwp"

struct dr_tf {
	struct gw		*gw;
	struct ctl_conn		*ctl;		/* NULL: the CLI went away */
	int			 end;
	char			 domain[128];
	char			 copy[160];
	char			 want[DRC_ID_MAX + 1];
	uint64_t		 t0_ns;
	int64_t			 t0;		/* the test's start */
	char			 dir[600];
	char			 tpath[700];	/* the record */
	char			 home[DRC_NAME_MAX + 1];
	char			 point[DRC_ID_MAX + 1];
	int64_t			 point_start;
	int			 app;
	int			 pin_mine;	/* the test pinned it */
	char			 uuid[KVM_UUID_LEN + 1];
	char			 net[64];
	char			 bridge[IFNAMSIZ];
	int			 net_made;
	char			 hostif[IFNAMSIZ];
	char			 probe_addr[64];
	char			 overlays[DRC_DISKS_MAX][700];
	size_t			 n_overlays;
	struct dr_tcp_check		 check;
	const struct kvm_domain_info *info;
	struct np_guest		 g;
	struct np_probe		*probe;
	json_t			*check_result;
	char			 result[DRC_TEXT_MAX + 1];
	json_t			*removed;	/* --end: what went */
	uint64_t		 answered_ns;	/* the probe's end (RTO) */
	int			 exitcode;
	char			 err[512];
};

static void	dr_tf_end(struct dr_tf *);

static void
dr_tf_closed(struct ctl_conn *c, void *arg)
{
	((struct dr_tf *)arg)->ctl = NULL;
}

static void
dr_tf_event(struct dr_tf *f, const char *step)
{
	if (f->ctl != NULL)
		ctl_event(f->ctl, "step", json_pack("{s:s, s:s, s:f}", "domain",
		    f->domain, "step", step, "elapsed_s", (double)(mono_ns() -
		    f->t0_ns) / 1e9));
}

/* FNV-1a of the domain: the names of what a test of it makes */
static void
dr_tf_names(struct dr_tf *f)
{
	uint32_t	 h = 2166136261u;
	const char	*s;

	for (s = f->domain; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	snprintf(f->copy, sizeof(f->copy), "%s%s", f->domain, DR_TF_SUFFIX);
	snprintf(f->net, sizeof(f->net), "%s%08x", DR_TF_NET_PREFIX, h);
	snprintf(f->bridge, sizeof(f->bridge), "%s%08x", DR_TF_BR_PREFIX, h);
	snprintf(f->hostif, sizeof(f->hostif), "%s%08x", DR_TF_IF_PREFIX, h);
}

/* ---- the record (test.json in the chain dir) */

static json_t *
dr_tf_record(const struct dr_tf *f)
{
	json_t	*o, *ov = json_array();
	size_t	 i;

	for (i = 0; i < f->n_overlays; i++)
		json_array_append_new(ov, json_string(f->overlays[i]));
	o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:b, s:s, s:s, s:b, "
	    "s:s, s:o, s:s}", "domain", f->domain, "copy", f->copy, "uuid",
	    f->uuid, "point", f->point, "point_start",
	    (json_int_t)f->point_start, "at", (json_int_t)f->t0, "pinned_by_test",
	    f->pin_mine, "network", f->net, "bridge", f->bridge, "network_made",
	    f->net_made, "probe_if", f->hostif, "overlays", ov, "result",
	    f->result);
	return o;
}

static int
dr_tf_record_save(struct dr_tf *f)
{
	json_t	*o = dr_tf_record(f);
	char	*s = o != NULL ? json_dumps(o, JSON_INDENT(2)) : NULL;
	char	 e[512];
	int	 r = -1;

	if (s != NULL && drc_write_atomic(f->tpath, s, strlen(s), e,
	    sizeof(e)) == 0)
		r = 0;
	else
		snprintf(f->err, sizeof(f->err), "%s: %s", f->tpath, s ? e :
		    "out of memory");
	free(s);
	json_decref(o);
	return r;
}

/* The first record, created only if none exists: the test's claim. */
static int
dr_tf_record_claim(struct dr_tf *f)
{
	int	 fd;

	if ((fd = open(f->tpath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1) {
		if (errno == EEXIST) {
			snprintf(f->err, sizeof(f->err), "%s: a failover test "
			    "runs at %s already (its copy %s): vmgw failover %s "
			    "--test --end ends it", f->domain,
			    f->gw->conf->site, f->copy, f->domain);
			f->exitcode = VMGW_EXIT_REFUSED;
		} else
			snprintf(f->err, sizeof(f->err), "%s: %s", f->tpath,
			    strerror(errno));
		return -1;
	}
	close(fd);
	if (dr_tf_record_save(f) == -1) {
		unlink(f->tpath);
		return -1;
	}
	return 0;
}

static const char *
jstr(json_t *o, const char *k, size_t max)
{
	const char	*s = json_string_value(json_object_get(o, k));

	return s != NULL && strlen(s) <= max ? s : NULL;
}

/* A record's text (test.json): only names this test could have made are
 * taken (f->domain, copy, net and dir set); -1 with f->err. */
static int
dr_tf_record_parse(struct dr_tf *f, const char *text, size_t len)
{
	char		 want[700];
	json_t		*o = NULL, *ov, *v;
	json_error_t	 je;
	const char	*s[9];
	size_t		 i, n;
	int		 ret = -1;

	if ((o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je)) == NULL ||
	    !json_is_object(o)) {
		snprintf(f->err, sizeof(f->err), "%s: not a test record",
		    f->tpath);
		goto out;
	}
	s[0] = jstr(o, "domain", sizeof(f->domain) - 1);
	s[1] = jstr(o, "copy", sizeof(f->copy) - 1);
	s[2] = jstr(o, "uuid", KVM_UUID_LEN);
	s[3] = jstr(o, "point", DRC_ID_MAX);
	s[4] = jstr(o, "network", sizeof(f->net) - 1);
	s[5] = jstr(o, "bridge", sizeof(f->bridge) - 1);
	s[6] = jstr(o, "probe_if", sizeof(f->hostif) - 1);
	s[7] = jstr(o, "result", DRC_TEXT_MAX);
	for (i = 0; i < 8; i++)
		if (s[i] == NULL)
			break;
	ov = json_object_get(o, "overlays");
	if (i < 8 || strcmp(s[0], f->domain) != 0 || strcmp(s[1], f->copy) !=
	    0 || (s[3][0] != '\0' && !drc_file_name_ok(s[3])) ||
	    !json_is_array(ov) || json_array_size(ov) > DRC_DISKS_MAX ||
	    !json_is_integer(json_object_get(o, "at"))) {
		snprintf(f->err, sizeof(f->err), "%s: a damaged test record: "
		    "remove what it names by hand", f->tpath);
		goto out;
	}
	snprintf(f->uuid, sizeof(f->uuid), "%s", s[2]);
	snprintf(f->point, sizeof(f->point), "%s", s[3]);
	snprintf(f->result, sizeof(f->result), "%s", s[7]);
	f->t0 = (int64_t)json_integer_value(json_object_get(o, "at"));
	f->point_start = (int64_t)json_integer_value(json_object_get(o,
	    "point_start"));
	f->pin_mine = json_is_true(json_object_get(o, "pinned_by_test"));
	/* a network is removed only when it has the name this test gives
	 * the ones it makes */
	f->net_made = json_is_true(json_object_get(o, "network_made")) &&
	    strcmp(s[4], f->net) == 0;
	if (!f->net_made)
		snprintf(f->net, sizeof(f->net), "%s", s[4]);
	n = 0;
	json_array_foreach(ov, i, v) {
		const char	*p = json_string_value(v), *b;

		snprintf(want, sizeof(want), "%s/%s/", f->dir, DR_TEST_DIR);
		if (p == NULL || strncmp(p, want, strlen(want)) != 0 ||
		    !drc_file_name_ok(b = p + strlen(want)) ||
		    strlen(p) >= sizeof(f->overlays[0])) {
			snprintf(f->err, sizeof(f->err), "%s: overlay %s is "
			    "not under %s: not removed", f->tpath, p ? p : "?",
			    want);
			goto out;
		}
		snprintf(f->overlays[n++], sizeof(f->overlays[0]), "%s", p);
	}
	f->n_overlays = n;
	ret = 0;
 out:
	json_decref(o);
	return ret;
}

/* The record read back (f->tpath). */
static int
dr_tf_record_load(struct dr_tf *f)
{
	char		*text = NULL, e[512];
	size_t		 len;
	int		 ret;

	if (drc_read_file(f->tpath, 64 * 1024, &text, &len, e,
	    sizeof(e)) == -1) {
		if (errno == ENOENT) {
			snprintf(f->err, sizeof(f->err), "%s: no failover test "
			    "runs at %s (vmgw failover %s --test starts one)",
			    f->domain, f->gw->conf->site, f->domain);
			f->exitcode = VMGW_EXIT_REFUSED;
		} else
			snprintf(f->err, sizeof(f->err), "%s", e);
		return -1;
	}
	ret = dr_tf_record_parse(f, text, len);
	free(text);
	return ret;
}

/*
 * For tests/fuzz/fuzz_drrec.c: a test record's text, read as `vmgw
 * failover DOMAIN --test --end` at a chain dir reads it.  0 with the
 * overlays it would remove (at most DRC_DISKS_MAX, each under dir/test/),
 * -1 with err.
 */
int
dr_test_record_check(struct gw *gw, const char *domain, const char *dir,
    const char *text, size_t len, char overlays[][700], size_t *n,
    char *err, size_t errlen)
{
	struct dr_tf	*f;
	size_t		 i;
	int		 ret;

	*n = 0;
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	f->gw = gw;
	snprintf(f->domain, sizeof(f->domain), "%s", domain);
	dr_tf_names(f);
	snprintf(f->dir, sizeof(f->dir), "%s", dir);
	snprintf(f->tpath, sizeof(f->tpath), "%s/%s", dir, DR_TEST_RECORD);
	if ((ret = dr_tf_record_parse(f, text, len)) == 0) {
		for (i = 0; i < f->n_overlays; i++)
			snprintf(overlays[i], 700, "%s", f->overlays[i]);
		*n = f->n_overlays;
	} else
		snprintf(err, errlen, "%s", f->err);
	free(f);
	return ret;
}

/* ---- the chain: find, pin, unpin */

static ssize_t
dr_tf_pick(struct dr_tf *f, const struct drc_manifest *m)
{
	return dr_point_pick(m, f->want, f->domain, f->gw->conf->site, f->err,
	    sizeof(f->err));
}

static int
dr_tf_chain(struct dr_tf *f, struct drc_manifest **m)
{
	int	 r;

	if ((r = dr_local_chain(f->gw->conf, f->domain, f->dir, sizeof(f->dir),
	    m, f->err, sizeof(f->err))) == 0)
		snprintf(f->err, sizeof(f->err), "%s: no replica at %s",
		    f->domain, f->gw->conf->site);
	if (r != 1)
		return -1;
	snprintf(f->tpath, sizeof(f->tpath), "%s/%s", f->dir, DR_TEST_RECORD);
	return 0;
}

/*
 * pin: the point pinned (unless it was already: then the test leaves it
 * as it found it); unpin: the test's pin lifted, and with tested set the
 * point marked tested at the test's start with its result.
 */
static int
dr_tf_pin(struct dr_tf *f, int pin, int tested, char *err, size_t errlen)
{
	struct drc_manifest	*m = NULL;
	struct drc_point	*p;
	char			 mpath[700], who[80];
	ssize_t			 i;
	int			 ret = -1;

	snprintf(mpath, sizeof(mpath), "%s/manifest.json", f->dir);
	drc_manifest_lock();
	if (drc_manifest_load(mpath, &m, err, errlen) == -1)
		goto out;
	if ((i = drc_manifest_find(m, f->point)) < 0) {
		snprintf(err, errlen, "%s: point %s is gone from %s", f->domain,
		    f->point, mpath);
		goto out;
	}
	p = &m->points[i];
	if (pin) {
		if (!p->pinned) {
			p->pinned = f->pin_mine = 1;
			snprintf(p->pin_reason, sizeof(p->pin_reason), "test "
			    "failover at %lld", (long long)f->t0);
		}
	} else {
		if (f->pin_mine && dr_clone_holder(f->gw->conf, f->dir,
		    f->point, NULL, who, sizeof(who)) == 1)
			/* a linked clone on it: the pin is the clone's now */
			snprintf(p->pin_reason, sizeof(p->pin_reason), "clone "
			    "%s", who);
		else if (f->pin_mine) {
			p->pinned = 0;
			p->pin_reason[0] = '\0';
		}
		if (tested) {
			p->tested_at = f->t0;
			snprintf(p->test_result, sizeof(p->test_result), "%s",
			    f->result[0] ? f->result : "not verified");
		}
	}
	ret = drc_manifest_save(mpath, m, err, errlen);
 out:
	drc_manifest_unlock();
	drc_manifest_free(m);
	return ret;
}

/* ---- removing what a test made (the start's undo and --end) */

static void
dr_tf_removed(struct dr_tf *f, const char *what, const char *name)
{
	if (f->removed == NULL)
		f->removed = json_array();
	json_array_append_new(f->removed, json_pack("{s:s, s:s}", "what", what,
	    "name", name));
}

/* Everything the record names; the first failure in f->err, the rest in
 * the log; 0 when all is gone. */
static int
dr_tf_clean(struct dr_tf *f, struct kvm *k)
{
	char		 e[512], m[600], sub[700];
	size_t		 i;
	int		 ret = 0, st, reason;

#define FAIL(...) do { snprintf(m, sizeof(m), __VA_ARGS__); \
	log_warnx("%s", m); if (ret == 0) snprintf(f->err, sizeof(f->err), \
	"%s", m); ret = -1; } while (0)
	if (kvm_domain_state(k, f->copy, &st, &reason, e, sizeof(e)) == 0) {
		if (kvm_domain_remove(k, f->copy, e, sizeof(e)) == -1)
			FAIL("%s", e);
		else
			dr_tf_removed(f, "domain", f->copy);
	}
	if (netns_link_del(f->hostif, e, sizeof(e)) == -1)
		FAIL("%s", e);
	for (i = 0; i < f->n_overlays; i++) {
		if (unlink(f->overlays[i]) == 0)
			dr_tf_removed(f, "overlay", f->overlays[i]);
		else if (errno != ENOENT)
			FAIL("%s: %s", f->overlays[i], strerror(errno));
	}
	snprintf(sub, sizeof(sub), "%s/%s", f->dir, DR_TEST_DIR);
	if (rmdir(sub) == -1 && errno != ENOENT)
		FAIL("%s: %s", sub, strerror(errno));
	if (f->net_made) {
		if (kvm_network_exists(k, f->net, e, sizeof(e)) == 0)
			dr_tf_removed(f, "network", f->net);
		if (kvm_network_destroy(k, f->net, e, sizeof(e)) == -1)
			FAIL("%s", e);
	}
#undef FAIL
	return ret;
}

/* ---- start */

/* (worker) is there a chain and that point, and no real failover? */
static void
dr_tf_find_work(void *arg)
{
	struct dr_tf		*f = arg;
	struct drc_manifest	*m = NULL;
	char			 fpath[700];
	ssize_t			 i;

	if (dr_tf_chain(f, &m) == -1)
		return;
	snprintf(f->home, sizeof(f->home), "%s", m->source_site);
	snprintf(fpath, sizeof(fpath), "%s/failover.json", f->dir);
	if (access(fpath, F_OK) == 0) {
		snprintf(f->err, sizeof(f->err), "%s failed over to %s (%s): a "
		    "failover test is for a guest that runs at its home site",
		    f->domain, f->gw->conf->site, fpath);
		f->exitcode = VMGW_EXIT_REFUSED;
	} else if ((i = dr_tf_pick(f, m)) >= 0) {
		snprintf(f->point, sizeof(f->point), "%s", m->points[i].id);
		f->point_start = m->points[i].start;
		f->app = m->points[i].consistency == DRC_APP;
	} else
		f->exitcode = VMGW_EXIT_REFUSED;
	drc_manifest_free(m);
}

/* test_networks (keyed by the home site's network name, or this site's)
 * as this site's network -> test network, for kvm_xml_test_copy */
static size_t
dr_tf_netmap(const struct vmgw_peer *peer, struct vmgw_map *out, size_t max)
{
	size_t	 i, k, n = 0;

	for (i = 0; peer != NULL && i < peer->n_test_networks; i++) {
		const struct vmgw_map *t = &peer->test_networks[i];

		for (k = 0; k < peer->n_networks && n < max; k++)
			if (strcmp(peer->networks[k].to, t->from) == 0)
				out[n++] = (struct vmgw_map){
				    peer->networks[k].from, t->to };
		if (n < max)
			out[n++] = *t;
	}
	return n;
}

/* (worker) claim, pin, overlays, network, copy */
static void
dr_tf_start_work(void *arg)
{
	struct dr_tf		*f = arg;
	struct drc_manifest	*m = NULL;
	struct drc_point	*p;
	struct kvm		*k = NULL;
	struct kvm_domain_info	*di = NULL;
	struct vmgw_map		 disks[DRC_DISKS_MAX], nets[64];
	const struct vmgw_peer	*peer;
	char			 mpath[700], back[1024], msg[512], e[512];
	char			 sub[700], *xml = NULL;
	const char		*argv[11];
	size_t			 i, nn;
	ssize_t			 pi;
	int			 claimed = 0, used = 0, st, reason;

	if (kvm_open(&k, f->gw->conf->libvirt, f->err, sizeof(f->err)) == -1 ||
	    dr_tf_record_claim(f) == -1)
		goto out;
	/* a domain of that name that is not a test's: left alone */
	if (kvm_domain_state(k, f->copy, &st, &reason, e, sizeof(e)) == 0) {
		snprintf(f->err, sizeof(f->err), "%s: a domain %s exists at %s: "
		    "a failover test makes its copy under that name", f->domain,
		    f->copy, f->gw->conf->site);
		f->exitcode = VMGW_EXIT_REFUSED;
		unlink(f->tpath);
		goto out;
	}
	claimed = 1;
	if (dr_tf_pin(f, 1, 0, f->err, sizeof(f->err)) == -1 ||
	    dr_tf_record_save(f) == -1)
		goto out;
	snprintf(mpath, sizeof(mpath), "%s/manifest.json", f->dir);
	if (drc_manifest_load(mpath, &m, f->err, sizeof(f->err)) == -1 ||
	    (pi = drc_manifest_find(m, f->point)) < 0) {
		if (f->err[0] == '\0')
			snprintf(f->err, sizeof(f->err), "%s: point %s is gone",
			    f->domain, f->point);
		goto out;
	}
	p = &m->points[pi];
	/* an overlay per disk on the point, in the chain's test/ dir */
	snprintf(sub, sizeof(sub), "%s/%s", f->dir, DR_TEST_DIR);
	if (mkdir_passable(sub, 1) == -1) {
		snprintf(f->err, sizeof(f->err), "%s: %s", sub, strerror(errno));
		goto out;
	}
	for (i = 0; i < p->n_disks && i < DRC_DISKS_MAX; i++) {
		snprintf(back, sizeof(back), "%s/%s", f->dir, p->disks[i].file);
		snprintf(f->overlays[i], sizeof(f->overlays[i]), "%s/%s.qcow2",
		    sub, p->disks[i].target);
		f->n_overlays = i + 1;
		if (dr_tf_record_save(f) == -1)
			goto out;
		argv[0] = "qemu-img"; argv[1] = "create"; argv[2] = "-q";
		argv[3] = "-f"; argv[4] = "qcow2"; argv[5] = "-F";
		argv[6] = "qcow2"; argv[7] = "-b"; argv[8] = back;
		argv[9] = f->overlays[i]; argv[10] = NULL;
		if (drc_run(argv, msg, sizeof(msg)) != 0) {
			snprintf(f->err, sizeof(f->err), "%s: overlay on %s: %s",
			    f->overlays[i], back, msg);
			goto out;
		}
		disks[i] = (struct vmgw_map){ p->disks[i].target,
		    f->overlays[i] };
	}
	peer = config_peer_by_name(f->gw->conf, f->home);
	nn = dr_tf_netmap(peer, nets, sizeof(nets) / sizeof(nets[0]));
	if (kvm_xml_test_copy(p->domain_xml, f->copy, disks, f->n_overlays,
	    nets, nn, f->net, &used, &xml, f->err, sizeof(f->err)) == -1)
		goto out;
	if (used) {
		f->net_made = 1;
		if (dr_tf_record_save(f) == -1 ||
		    kvm_network_create_isolated(k, f->net, f->bridge, f->err,
		    sizeof(f->err)) == -1)
			goto out;
	}
	if (kvm_domain_create(k, xml, f->uuid, f->err, sizeof(f->err)) == -1)
		goto out;
	if (kvm_domain_inspect(k, f->copy, &di, f->err, sizeof(f->err)) == -1)
		goto out;
	if (!used && di->n_nics > 0 && di->nics[0].source != NULL) {
		/* on a network of test_networks: its bridge for the probe */
		snprintf(f->net, sizeof(f->net), "%s", di->nics[0].source);
		if (kvm_network_bridge(k, f->net, f->bridge, sizeof(f->bridge),
		    f->err, sizeof(f->err)) == -1)
			goto out;
	}
	if (dr_tf_record_save(f) == -1)
		goto out;
	f->info = di;
	di = NULL;
	np_guest_discover(&f->g, k, f->info, NULL);
 out:
	if (f->err[0] != '\0' && claimed) {
		/* nothing half-made stays */
		snprintf(e, sizeof(e), "%s", f->err);
		if (k != NULL)
			(void)dr_tf_clean(f, k);
		if (f->pin_mine && dr_tf_pin(f, 0, 0, msg, sizeof(msg)) == -1)
			log_warnx("%s: %s", f->domain, msg);
		unlink(f->tpath);
		snprintf(f->err, sizeof(f->err), "%s", e);
	}
	free(xml);
	kvm_domain_info_free(di);
	kvm_close(k);
	drc_manifest_free(m);
}

/* (worker) the copy tells its addresses once its agent answers */
static void
dr_tf_addr_work(void *arg)
{
	struct dr_tf	*f = arg;
	struct kvm	*k = NULL;
	char		 err[256];
	uint64_t	 until = mono_ns() + DR_TF_ADDR_WAIT_S * 1000000000ull;

	if (kvm_open(&k, f->gw->conf->libvirt, err, sizeof(err)) == -1)
		return;
	while (json_array_size(f->g.addrs) == 0 && mono_ns() < until) {
		usleep(500000);
		np_guest_discover(&f->g, k, f->info, NULL);
	}
	kvm_close(k);
}

/* The probe namespace's address: this host's own in the guest's subnet
 * (the guest's gateway, as the production network has it), else the
 * first other host of the guest's /24. */
static void
dr_tf_probe_addr(struct dr_tf *f, const char *ip)
{
	struct in_addr	 a;
	uint32_t	 h;
	char		 s[INET_ADDRSTRLEN];

	if (host_addr4_for(ip, f->probe_addr, sizeof(f->probe_addr)) == 1)
		return;
	inet_pton(AF_INET, ip, &a);
	h = ntohl(a.s_addr);
	h = (h & 0xffffff00u) | ((h & 0xff) == 1 ? 2 : 1);
	a.s_addr = htonl(h);
	inet_ntop(AF_INET, &a, s, sizeof(s));
	snprintf(f->probe_addr, sizeof(f->probe_addr), "%s/24", s);
}

/* (worker) probe and check from inside the isolated network */
static void
dr_tf_probe_work(void *arg)
{
	struct dr_tf	*f = arg;
	struct in_addr	 a;
	json_t		*v;
	size_t		 i;
	char		 err[512], ip[INET_ADDRSTRLEN] = "";

	json_array_foreach(f->probe->addrs, i, v)
		if (json_is_string(v) && inet_pton(AF_INET,
		    json_string_value(v), &a) == 1) {
			snprintf(ip, sizeof(ip), "%s", json_string_value(v));
			break;
		}
	if (ip[0] == '\0') {
		f->probe->result = json_pack("{s:b, s:s}", "ok", 0, "detail",
		    "the copy told no IPv4 address: not verified");
		return;
	}
	/* only that address: the others are not on the probe's subnet */
	json_array_clear(f->probe->addrs);
	json_array_append_new(f->probe->addrs, json_string(ip));
	dr_tf_probe_addr(f, ip);
	if (dr_probe_ns_run(f->bridge, f->hostif, f->probe_addr, f->probe,
	    &f->check, &f->answered_ns, &f->check_result, err,
	    sizeof(err)) == -1)
		f->probe->result = json_pack("{s:b, s:s}", "ok", 0, "detail",
		    err);
}

static void
dr_tf_summary(struct dr_tf *f)
{
	json_t	*r = f->probe != NULL ? f->probe->result : NULL;
	char	 ck[160] = "";

	if (f->check_result != NULL)
		snprintf(ck, sizeof(ck), "; tcp %d %s in %lld ms",
		    (int)json_integer_value(json_object_get(f->check_result,
		    "tcp")), json_is_true(json_object_get(f->check_result,
		    "ok")) ? "ok" : "failed", (long long)json_integer_value(
		    json_object_get(f->check_result, "ms")));
	if (json_is_true(json_object_get(r, "ok")))
		snprintf(f->result, sizeof(f->result), "%s: answered in %lld ms "
		    "on %s%s", f->check_result != NULL && !json_is_true(
		    json_object_get(f->check_result, "ok")) ? "failed" : "ok",
		    (long long)json_integer_value(json_object_get(r, "ms")),
		    f->net, ck);
	else
		snprintf(f->result, sizeof(f->result), "failed: %.200s",
		    json_string_value(json_object_get(r, "detail")) ?
		    json_string_value(json_object_get(r, "detail")) :
		    "no probe");
}

static void
dr_tf_probe_done(void *arg)
{
	struct dr_tf	*f = arg;
	json_t		*r = f->probe->result;

	dr_tf_summary(f);
	if (dr_tf_record_save(f) == -1)
		log_warnx("%s: %s", f->domain, f->err);
	f->err[0] = '\0';
	if (!json_is_true(json_object_get(r, "ok")))
		snprintf(f->err, sizeof(f->err), "%s: the test copy %s did not "
		    "answer on %s: %s (it runs: vmgw failover %s --test --end "
		    "removes it)", f->domain, f->copy, f->net,
		    json_string_value(json_object_get(r, "detail")), f->domain);
	else if (f->check_result != NULL && !json_is_true(json_object_get(
	    f->check_result, "ok")))
		snprintf(f->err, sizeof(f->err), "%s: test copy %s: check %s",
		    f->domain, f->copy, json_string_value(json_object_get(
		    f->check_result, "detail")));
	if (f->err[0] != '\0')
		f->exitcode = VMGW_EXIT_FAIL;
	dr_tf_end(f);
}

static void
dr_tf_probe(void *arg)
{
	struct dr_tf	*f = arg;

	dr_tf_event(f, "probe");
	if ((f->probe = np_probe_new(&f->g, mono_ns())) == NULL) {
		snprintf(f->err, sizeof(f->err), "out of memory");
		dr_tf_end(f);
		return;
	}
	f->probe->bridge[0] = '\0';	/* ICMP, from the probe namespace */
	if (worker_run(f->gw, dr_tf_probe_work, dr_tf_probe_done, f) == -1) {
		snprintf(f->err, sizeof(f->err), "cannot start a thread");
		dr_tf_end(f);
	}
}

static void
dr_tf_started(void *arg)
{
	struct dr_tf	*f = arg;

	if (f->err[0] != '\0') {
		dr_tf_end(f);
		return;
	}
	log_info("%s: test copy %s runs at %s from point %s on network %s",
	    f->domain, f->copy, f->gw->conf->site, f->point, f->net);
	dr_tf_event(f, "address");
	if (json_array_size(f->g.addrs) == 0 && worker_run(f->gw,
	    dr_tf_addr_work, dr_tf_probe, f) == 0)
		return;
	dr_tf_probe(f);
}

static void
dr_tf_found(void *arg)
{
	struct dr_tf		*f = arg;
	const struct vmgw_peer	*peer;

	if (f->err[0] != '\0') {
		dr_tf_end(f);
		return;
	}
	dr_tf_event(f, "start");
	peer = config_peer_by_name(f->gw->conf, f->home);
	/* the plan gives the probe's timeout and port; nothing of it is
	 * applied: no route, no announcement for a copy */
	np_guest_init(&f->g, f->gw, f->domain, "", peer, "test");
	if (worker_run(f->gw, dr_tf_start_work, dr_tf_started, f) == -1) {
		snprintf(f->err, sizeof(f->err), "cannot start a thread");
		dr_tf_end(f);
	}
}

/* ---- end */

static void
dr_tf_end_work(void *arg)
{
	struct dr_tf		*f = arg;
	struct drc_manifest	*m = NULL;
	struct kvm		*k = NULL;
	char			 e[512];

	if (dr_tf_chain(f, &m) == -1)
		return;
	drc_manifest_free(m);
	if (dr_tf_record_load(f) == -1 ||
	    kvm_open(&k, f->gw->conf->libvirt, f->err, sizeof(f->err)) == -1)
		goto out;
	if (dr_tf_clean(f, k) == -1)
		goto out;		/* the record stays: --end again */
	if (f->point[0] != '\0' && dr_tf_pin(f, 0, 1, e, sizeof(e)) == -1) {
		snprintf(f->err, sizeof(f->err), "%s: %s", f->domain, e);
		goto out;
	}
	if (unlink(f->tpath) == -1 && errno != ENOENT)
		snprintf(f->err, sizeof(f->err), "%s: %s", f->tpath,
		    strerror(errno));
 out:
	kvm_close(k);
}

static void
dr_tf_end_done(void *arg)
{
	dr_tf_end(arg);
}

/* ---- the reply */

static void
dr_tf_end(struct dr_tf *f)
{
	json_t	*rep = NULL, *r;

	if (f->ctl != NULL) {
		ctl_set_close_cb(f->ctl, NULL, NULL);
		r = f->probe != NULL ? f->probe->result : NULL;
		if (f->end && f->err[0] == '\0')
			rep = json_pack("{s:s, s:s, s:s, s:I, s:s, s:O}",
			    "domain", f->domain, "copy", f->copy, "point",
			    f->point, "tested_at", (json_int_t)f->t0,
			    "test_result", f->result, "removed", f->removed ?
			    f->removed : json_array());
		else if (!f->end && f->uuid[0] != '\0')
			rep = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, "
			    "s:I, s:f, s:{s:s, s:s, s:b}, s:{s:s, s:s}, s:O, "
			    "s:O, s:s}", "domain", f->domain, "copy", f->copy,
			    "uuid", f->uuid, "site", f->gw->conf->site,
			    "point", f->point, "consistency", f->app ? "app" :
			    "crash", "point_start", (json_int_t)f->point_start,
			    "achieved_rpo_s", (json_int_t)(f->t0 -
			    f->point_start), "rto_s", (double)((f->answered_ns ?
			    f->answered_ns : mono_ns()) - f->t0_ns) / 1e9, "network", "name", f->net,
			    "bridge", f->bridge, "made", f->net_made, "probe",
			    "from", f->probe_addr, "interface", f->hostif,
			    "reach", r != NULL ? r : json_null(), "check",
			    f->check_result != NULL ? f->check_result :
			    json_null(), "result", f->result);
		if (rep != NULL || f->err[0] != '\0')
			dr_reply(f->ctl, f->exitcode ? f->exitcode :
			    VMGW_EXIT_FAIL, f->err[0] ? f->err : NULL, rep);
		else
			ctl_error(f->ctl, VMGW_EXIT_FAIL, "out of memory");
	}
	json_decref(f->removed);
	json_decref(f->check_result);
	np_probe_free(f->probe);
	if (!f->end)
		np_guest_clear(&f->g);
	kvm_domain_info_free((struct kvm_domain_info *)f->info);
	free(f);
}

static struct dr_tf *
dr_tf_new(struct ctl_conn *c, const char *domain)
{
	struct dr_tf	*f;

	if ((f = calloc(1, sizeof(*f))) == NULL) {
		ctl_error(c, VMGW_EXIT_FAIL, "out of memory");
		return NULL;
	}
	f->gw = c->gw;
	f->ctl = c;
	f->t0_ns = mono_ns();
	f->t0 = (int64_t)time(NULL);
	snprintf(f->domain, sizeof(f->domain), "%s", domain);
	dr_tf_names(f);
	ctl_set_close_cb(c, dr_tf_closed, f);
	return f;
}

void
dr_test_start(struct ctl_conn *c, const char *domain, const char *point,
    const struct dr_tcp_check *check)
{
	struct dr_tf	*f;

	if ((f = dr_tf_new(c, domain)) == NULL)
		return;
	snprintf(f->want, sizeof(f->want), "%s", point);
	f->check = *check;
	if (worker_run(c->gw, dr_tf_find_work, dr_tf_found, f) == -1) {
		snprintf(f->err, sizeof(f->err), "cannot start a thread");
		dr_tf_end(f);
	}
}

void
dr_test_end(struct ctl_conn *c, const char *domain)
{
	struct dr_tf	*f;

	if ((f = dr_tf_new(c, domain)) == NULL)
		return;
	f->end = 1;
	if (worker_run(c->gw, dr_tf_end_work, dr_tf_end_done, f) == -1) {
		snprintf(f->err, sizeof(f->err), "cannot start a thread");
		dr_tf_end(f);
	}
}
