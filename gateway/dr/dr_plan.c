/*
 * dr_plan.c - the daemon's side of recovery plans (`vmgw plan`; the file
 * is parsed by the CLI, config/rplan.c, and sent as JSON; everything in it
 * is validated again here):
 *
 *   plan-check   the plan against this site: `to` is this site and `from`
 *                a peer; every guest has a replica here from `from` with a
 *                point, the networks of that point's domain XML exist here,
 *                the guest is not defined here already (failover), the
 *                post scripts are safe to run.  A move (mode migrate) is
 *                checked at `from`: `to` a peer, every guest runs here
 *                (protected or not).  Every problem is listed.
 *   plan-post    a group's post script, run here like a hook
 *                (netplan/hooks.c) with the hooks' environment
 *                (np_hook_env) of the group's guests.  Post scripts run in
 *                the daemon because that environment (each guest's UUID,
 *                MACs, addresses, the plan of the network) is the daemon's.
 *   plan-report  a run's report kept as state_dir/plans/<plan>-<UTC>.json
 *
 * The run itself is the CLI's: it sends the existing failover requests,
 * several at once, group after group.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dr.h"
#include "guest.h"

#define DR_PLAN_GROUPS_MAX	32	/* as config/rplan.h */
#define DR_PLAN_GROUP_GUESTS_MAX 64
#define DR_PLAN_GUESTS_MAX	256
#define DR_PLAN_TIMEOUT_MAX	3600
#define DR_PLAN_REPORT_MAX	(200 * 1024)	/* bytes of a kept report */
#define DR_PLAN_PROBLEMS_MAX	200

/* config's names: [a-z0-9][a-z0-9._-]{0,62}, safe as a file name */
static int
dr_plan_name_ok(const char *s)
{
	size_t	 n = s != NULL ? strlen(s) : 0;

	return n >= 1 && n <= CONFIG_NAME_MAX &&
	    strchr("abcdefghijklmnopqrstuvwxyz0123456789", s[0]) != NULL &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

/* libvirt names: 1..63 bytes, no '/', no control characters */
static int
dr_plan_guest_ok(const char *s)
{
	size_t	 i, n = s != NULL ? strlen(s) : 0;

	if (n < 1 || n > CONFIG_NAME_MAX || strchr(s, '/') != NULL)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* The plan of a request, checked field by field; 0 or -1 with err. */
static int
dr_plan_valid(json_t *plan, char *err, size_t errlen)
{
	json_t		*groups, *g, *guests, *u, *chk, *v;
	const char	*s;
	size_t		 i, k, total = 0;

	if (!json_is_object(plan)) {
		snprintf(err, errlen, "which plan?");
		return -1;
	}
	if (!dr_plan_name_ok(json_string_value(json_object_get(plan,
	    "name"))) || !dr_plan_name_ok(json_string_value(json_object_get(
	    plan, "from"))) || !dr_plan_name_ok(json_string_value(
	    json_object_get(plan, "to")))) {
		snprintf(err, errlen, "plan: name, from and to must be names "
		    "(a-z 0-9 . _ -)");
		return -1;
	}
	s = json_string_value(json_object_get(plan, "mode"));
	if (s == NULL || (strcmp(s, "failover") != 0 && strcmp(s, "test") !=
	    0 && strcmp(s, "migrate") != 0)) {
		snprintf(err, errlen, "plan: mode is failover, test or "
		    "migrate");
		return -1;
	}
	groups = json_object_get(plan, "groups");
	if (!json_is_array(groups) || json_array_size(groups) == 0 ||
	    json_array_size(groups) > DR_PLAN_GROUPS_MAX) {
		snprintf(err, errlen, "plan: 1 to %d groups",
		    DR_PLAN_GROUPS_MAX);
		return -1;
	}
	json_array_foreach(groups, i, g) {
		guests = json_object_get(g, "guests");
		if (!dr_plan_name_ok(json_string_value(json_object_get(g,
		    "name"))) || !json_is_array(guests) ||
		    json_array_size(guests) == 0 || json_array_size(guests) >
		    DR_PLAN_GROUP_GUESTS_MAX ||
		    (total += json_array_size(guests)) > DR_PLAN_GUESTS_MAX) {
			snprintf(err, errlen, "plan: group %zu: a name and 1 "
			    "to %d guests (%d in a plan)", i,
			    DR_PLAN_GROUP_GUESTS_MAX, DR_PLAN_GUESTS_MAX);
			return -1;
		}
		json_array_foreach(guests, k, u)
			if (!dr_plan_guest_ok(json_string_value(u))) {
				snprintf(err, errlen, "plan: group %zu: guest "
				    "%zu is not a domain name", i, k);
				return -1;
			}
		if ((chk = json_object_get(g, "check")) != NULL &&
		    !json_is_null(chk)) {
			v = json_object_get(chk, "tcp");
			if (!json_is_integer(v) || json_integer_value(v) < 1 ||
			    json_integer_value(v) > 65535 ||
			    !json_is_integer(json_object_get(chk,
			    "timeout")) || json_integer_value(json_object_get(
			    chk, "timeout")) < 1 || json_integer_value(
			    json_object_get(chk, "timeout")) >
			    DR_PLAN_TIMEOUT_MAX) {
				snprintf(err, errlen, "plan: group %zu: check "
				    "is {tcp: 1..65535, timeout: 1..%d}", i,
				    DR_PLAN_TIMEOUT_MAX);
				return -1;
			}
		}
		if ((v = json_object_get(g, "post")) != NULL &&
		    !json_is_null(v) && ((s = json_string_value(v)) == NULL ||
		    s[0] != '/' || strlen(s) >= 1024)) {
			snprintf(err, errlen, "plan: group %zu: post is an "
			    "absolute path", i);
			return -1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------ plan-check */

struct dr_pc {
	struct gw	*gw;
	struct ctl_conn	*ctl;		/* NULL: the CLI went away */
	json_t		*plan;		/* a copy: the worker reads it */
	json_t		*problems;	/* strings */
	json_t		*guests;	/* what was found of each */
	int		 failover;	/* mode failover: not defined here */
	int		 migrate;	/* mode migrate: the guests run here */
};

static void
dr_pc_problem(struct dr_pc *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
dr_pc_problem(struct dr_pc *c, const char *fmt, ...)
{
	char	 line[768];
	va_list	 ap;

	if (json_array_size(c->problems) >= DR_PLAN_PROBLEMS_MAX)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	json_array_append_new(c->problems, json_string(line));
}

/* (worker) one guest: its chain, newest point, networks, not here yet */
static void
dr_pc_guest(struct dr_pc *c, struct kvm *k, const char *group,
    const char *guest, const char *from)
{
	struct drc_manifest	*m = NULL;
	const struct drc_point	*p;
	char			 dir[600], err[512], e2[512], **nets = NULL;
	size_t			 i, nn = 0;
	int			 r;

	if ((r = dr_local_chain(c->gw->conf, guest, dir, sizeof(dir), &m, err,
	    sizeof(err))) == 0) {
		dr_pc_problem(c, "%s (group %s): not protected to %s: no "
		    "replica here", guest, group, c->gw->conf->site);
		return;
	}
	if (r == -1) {
		dr_pc_problem(c, "%s (group %s): %s", guest, group, err);
		return;
	}
	if (strcmp(m->source_site, from) != 0)
		dr_pc_problem(c, "%s (group %s): its replica here is from %s, "
		    "not from %s", guest, group, m->source_site, from);
	if (m->n_points == 0) {
		dr_pc_problem(c, "%s (group %s): no point yet at %s (vmgw sync "
		    "%s at %s)", guest, group, c->gw->conf->site, guest, from);
		goto out;
	}
	p = &m->points[m->n_points - 1];
	json_array_append_new(c->guests, json_pack("{s:s, s:s, s:s, s:I, "
	    "s:s, s:I}", "guest", guest, "group", group, "point", p->id,
	    "point_start", (json_int_t)p->start, "consistency",
	    p->consistency == DRC_APP ? "app" : "crash", "rpo_s",
	    (json_int_t)(time(NULL) - p->start)));
	if (p->domain_xml == NULL || kvm_xml_networks(p->domain_xml, &nets,
	    &nn, err, sizeof(err)) == -1) {
		dr_pc_problem(c, "%s (group %s): point %s: %s", guest, group,
		    p->id, p->domain_xml == NULL ? "no domain XML" : err);
		goto out;
	}
	for (i = 0; i < nn; i++)
		if (k == NULL || kvm_network_exists(k, nets[i], e2,
		    sizeof(e2)) == -1)
			dr_pc_problem(c, "%s (group %s): network %s of point %s "
			    "does not exist or is not active at %s", guest,
			    group, nets[i], p->id, c->gw->conf->site);
	if (c->failover && k != NULL && kvm_domain_exists(k, guest, NULL, e2,
	    sizeof(e2), err, sizeof(err)) == 1)
		dr_pc_problem(c, "%s (group %s): defined here already: a "
		    "failover makes it from the point", guest, group);
 out:
	kvm_xml_strings_free(nets, nn);
	drc_manifest_free(m);
}

/* (worker) one guest of a move: it runs here */
static void
dr_pc_guest_home(struct dr_pc *c, struct kvm *k, const char *group,
    const char *guest)
{
	char	 err[512];
	int	 st, reason;

	if (k == NULL)
		return;		/* libvirt's problem is listed already */
	if (kvm_domain_state(k, guest, &st, &reason, err, sizeof(err)) == -1) {
		dr_pc_problem(c, "%s (group %s): not defined at %s", guest,
		    group, c->gw->conf->site);
		return;
	}
	json_array_append_new(c->guests, json_pack("{s:s, s:s, s:s}", "guest",
	    guest, "group", group, "state", kvm_state_name(st)));
	if (st != KVM_DOM_RUNNING)
		dr_pc_problem(c, "%s (group %s): %s at %s: a move needs it "
		    "running", guest, group, kvm_state_name(st),
		    c->gw->conf->site);
}

static void
dr_pc_work(void *arg)
{
	struct dr_pc	*c = arg;
	struct kvm	*k = NULL;
	json_t		*g, *u, *v;
	const char	*from = json_string_value(json_object_get(c->plan,
	    "from")), *gname;
	char		 err[512];
	size_t		 i, j;

	if (kvm_open(&k, c->gw->conf->libvirt, err, sizeof(err)) == -1) {
		dr_pc_problem(c, "libvirt at %s: %s", c->gw->conf->site, err);
		k = NULL;
	}
	json_array_foreach(json_object_get(c->plan, "groups"), i, g) {
		gname = json_string_value(json_object_get(g, "name"));
		json_array_foreach(json_object_get(g, "guests"), j, u)
			if (c->migrate)
				dr_pc_guest_home(c, k, gname,
				    json_string_value(u));
			else
				dr_pc_guest(c, k, gname, json_string_value(u),
				    from);
		v = json_object_get(g, "post");
		if (json_is_string(v) && hook_file_ok(json_string_value(v),
		    err, sizeof(err)) == -1)
			dr_pc_problem(c, "group %s: post %s", gname, err);
	}
	kvm_close(k);
}

static void
dr_pc_closed(struct ctl_conn *ctl, void *arg)
{
	((struct dr_pc *)arg)->ctl = NULL;
}

static void
dr_pc_free(struct dr_pc *c)
{
	json_decref(c->plan);
	json_decref(c->problems);
	json_decref(c->guests);
	free(c);
}

static void
dr_pc_done(void *arg)
{
	struct dr_pc	*c = arg;

	if (c->ctl != NULL) {
		ctl_set_close_cb(c->ctl, NULL, NULL);
		ctl_ok(c->ctl, json_pack("{s:O, s:s, s:O, s:O}", "plan",
		    json_object_get(c->plan, "name"), "site",
		    c->gw->conf->site, "problems", c->problems, "guests",
		    c->guests));
	}
	dr_pc_free(c);
}

static void
ctl_plan_check(struct ctl_conn *ctl, json_t *req)
{
	json_t		*plan = json_object_get(req, "plan");
	struct dr_pc	*c;
	const char	*from, *to, *mode, *site = ctl->gw->conf->site;
	char		 err[256];

	if (dr_plan_valid(plan, err, sizeof(err)) == -1) {
		ctl_error(ctl, VMGW_EXIT_USAGE, "%s", err);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->plan = json_deep_copy(plan)) == NULL ||
	    (c->problems = json_array()) == NULL ||
	    (c->guests = json_array()) == NULL) {
		if (c != NULL)
			dr_pc_free(c);
		ctl_error(ctl, VMGW_EXIT_FAIL, "out of memory");
		return;
	}
	c->gw = ctl->gw;
	c->ctl = ctl;
	from = json_string_value(json_object_get(plan, "from"));
	to = json_string_value(json_object_get(plan, "to"));
	mode = json_string_value(json_object_get(plan, "mode"));
	c->failover = strcmp(mode, "failover") == 0;
	c->migrate = strcmp(mode, "migrate") == 0;
	if (strcmp(mode, "migrate") == 0) {
		/* a move is run at the guests' home: from */
		if (strcmp(from, site) != 0)
			dr_pc_problem(c, "from: %s is not this site (%s): a "
			    "move runs at %s", from, site, from);
		if (config_peer_by_name(ctl->gw->conf, to) == NULL)
			dr_pc_problem(c, "to: %s is not a peer of %s", to,
			    site);
	} else {
		if (strcmp(to, site) != 0)
			dr_pc_problem(c, "to: %s is not this site (%s): a "
			    "%s runs at %s", to, site, mode, to);
		if (config_peer_by_name(ctl->gw->conf, from) == NULL)
			dr_pc_problem(c, "from: %s is not a peer of %s", from,
			    site);
	}
	if (json_array_size(c->problems) > 0) {
		/* not the site the plan runs at: nothing more to look at */
		dr_pc_done(c);
		return;
	}
	ctl_set_close_cb(ctl, dr_pc_closed, c);
	if (worker_run(ctl->gw, dr_pc_work, dr_pc_done, c) == -1) {
		ctl_set_close_cb(ctl, NULL, NULL);
		ctl_error(ctl, VMGW_EXIT_FAIL, "cannot start a thread");
		dr_pc_free(c);
	}
}

/* ------------------------------------------------------------ plan-post */

struct dr_pp {
	struct gw	*gw;
	struct ctl_conn	*ctl;
	char		 script[1024];
	char		 plan[CONFIG_NAME_MAX + 1];
	char		 group[CONFIG_NAME_MAX + 1];
	char		 from[CONFIG_NAME_MAX + 1];
	char		 to[CONFIG_NAME_MAX + 1];
	char		 mode[16];
	struct np_guest	*g;
	size_t		 n;
	char		 err[512];
};

/* the value of KEY in env, or "" */
static const char *
dr_pp_getenv(char **env, const char *key)
{
	size_t	 i, n = strlen(key);

	for (i = 0; env != NULL && env[i] != NULL; i++)
		if (strncmp(env[i], key, n) == 0 && env[i][n] == '=')
			return env[i] + n + 1;
	return "";
}

/*
 * The hooks' environment of the group: that of its first guest, with
 * VMGW_GUEST, VMGW_UUID, VMGW_MACS and VMGW_ADDRESSES holding every
 * guest's (space-separated, in the plan's order; a one-guest group gets
 * exactly a hook's), and VMGW_RECOVERY_PLAN, VMGW_GROUP, VMGW_PLAN_MODE.
 */
static char **
dr_pp_env(struct dr_pp *p)
{
	static const char *const joined[] = { "VMGW_GUEST", "VMGW_UUID",
	    "VMGW_MACS", "VMGW_ADDRESSES" };
	char		**per[DR_PLAN_GROUP_GUESTS_MAX], **env = NULL, *val;
	size_t		  i, k, n = 0, len;
	int		  ok = 1;

	for (i = 0; i < p->n; i++)
		if ((per[i] = np_hook_env(&p->g[i], "plan-post", "-", p->from,
		    p->to, "ok")) == NULL)
			ok = 0;
	if (!ok || (env = calloc(24, sizeof(char *))) == NULL)
		goto out;
	for (k = 0; per[0][k] != NULL && n < 16; k++) {
		for (i = 0; i < 4; i++)
			if (strncmp(per[0][k], joined[i], strlen(joined[i])) ==
			    0 && per[0][k][strlen(joined[i])] == '=')
				break;
		if (i == 4) {
			env[n++] = strdup(per[0][k]);
			continue;
		}
		len = strlen(joined[i]) + 2;
		for (size_t j = 0; j < p->n; j++)
			len += strlen(dr_pp_getenv(per[j], joined[i])) + 1;
		if ((val = malloc(len)) == NULL)
			continue;
		snprintf(val, len, "%s=", joined[i]);
		for (size_t j = 0; j < p->n; j++) {
			if (j > 0)
				strcat(val, " ");
			strcat(val, dr_pp_getenv(per[j], joined[i]));
		}
		env[n++] = val;
	}
#define ENV(...) do { if (asprintf(&env[n], __VA_ARGS__) != -1) n++; } while (0)
	ENV("VMGW_RECOVERY_PLAN=%s", p->plan);
	ENV("VMGW_GROUP=%s", p->group);
	ENV("VMGW_PLAN_MODE=%s", p->mode);
#undef ENV
	env[n] = NULL;
 out:
	for (i = 0; i < p->n; i++)
		np_env_free(per[i]);
	return env;
}

static void
dr_pp_work(void *arg)
{
	struct dr_pp		*p = arg;
	struct kvm		*k = NULL;
	struct kvm_domain_info	*di;
	char			 err[512], tag[128], **env;
	size_t			 i;

	if (hook_file_ok(p->script, p->err, sizeof(p->err)) == -1)
		return;
	if (kvm_open(&k, p->gw->conf->libvirt, err, sizeof(err)) == 0)
		for (i = 0; i < p->n; i++) {
			di = NULL;
			if (kvm_domain_inspect(k, p->g[i].name, &di, err,
			    sizeof(err)) == 0) {
				snprintf(p->g[i].uuid, sizeof(p->g[i].uuid),
				    "%s", di->uuid);
				np_guest_discover(&p->g[i], k, di, NULL);
			}
			kvm_domain_info_free(di);
		}
	kvm_close(k);
	if ((env = dr_pp_env(p)) == NULL) {
		snprintf(p->err, sizeof(p->err), "out of memory");
		return;
	}
	snprintf(tag, sizeof(tag), "plan %s group %s", p->plan, p->group);
	if (hook_exec(p->script, "post", env, tag, p->err,
	    sizeof(p->err)) == 0)
		log_info("%s: post %s ran", tag, p->script);
	np_env_free(env);
}

static void
dr_pp_closed(struct ctl_conn *ctl, void *arg)
{
	((struct dr_pp *)arg)->ctl = NULL;
}

static void
dr_pp_free(struct dr_pp *p)
{
	size_t	 i;

	for (i = 0; p->g != NULL && i < p->n; i++)
		np_guest_clear(&p->g[i]);
	free(p->g);
	free(p);
}

static void
dr_pp_done(void *arg)
{
	struct dr_pp	*p = arg;

	if (p->ctl != NULL) {
		ctl_set_close_cb(p->ctl, NULL, NULL);
		if (p->err[0] != '\0')
			ctl_error(p->ctl, VMGW_EXIT_FAIL, "%s", p->err);
		else
			ctl_ok(p->ctl, json_pack("{s:s, s:s}", "group",
			    p->group, "script", p->script));
	}
	dr_pp_free(p);
}

static void
ctl_plan_post(struct ctl_conn *ctl, json_t *req)
{
	const char	*plan = json_string_value(json_object_get(req, "plan"));
	const char	*group = json_string_value(json_object_get(req,
	    "group"));
	const char	*script = json_string_value(json_object_get(req,
	    "script"));
	const char	*from = json_string_value(json_object_get(req, "from"));
	const char	*to = json_string_value(json_object_get(req, "to"));
	const char	*mode = json_string_value(json_object_get(req, "mode"));
	json_t		*guests = json_object_get(req, "guests"), *u;
	struct dr_pp	*p;
	size_t		 i;

	if (!dr_plan_name_ok(plan) || !dr_plan_name_ok(group) ||
	    !dr_plan_name_ok(from) || !dr_plan_name_ok(to) || mode == NULL ||
	    strlen(mode) > 15 || script == NULL || script[0] != '/' ||
	    strlen(script) >= 1024 || !json_is_array(guests) ||
	    json_array_size(guests) == 0 || json_array_size(guests) >
	    DR_PLAN_GROUP_GUESTS_MAX) {
		ctl_error(ctl, VMGW_EXIT_USAGE, "plan-post: plan, group, "
		    "from, to, mode, script (absolute) and 1 to %d guests",
		    DR_PLAN_GROUP_GUESTS_MAX);
		return;
	}
	json_array_foreach(guests, i, u)
		if (!dr_plan_guest_ok(json_string_value(u))) {
			ctl_error(ctl, VMGW_EXIT_USAGE, "plan-post: guest %zu "
			    "is not a domain name", i);
			return;
		}
	if ((p = calloc(1, sizeof(*p))) == NULL || (p->g = calloc(
	    json_array_size(guests), sizeof(*p->g))) == NULL) {
		free(p);
		ctl_error(ctl, VMGW_EXIT_FAIL, "out of memory");
		return;
	}
	p->gw = ctl->gw;
	p->ctl = ctl;
	snprintf(p->script, sizeof(p->script), "%s", script);
	snprintf(p->plan, sizeof(p->plan), "%s", plan);
	snprintf(p->group, sizeof(p->group), "%s", group);
	snprintf(p->from, sizeof(p->from), "%s", from);
	snprintf(p->to, sizeof(p->to), "%s", to);
	snprintf(p->mode, sizeof(p->mode), "%s", mode);
	json_array_foreach(guests, i, u)
		np_guest_init(&p->g[i], ctl->gw, json_string_value(u), "",
		    config_peer_by_name(ctl->gw->conf, from), "plan");
	p->n = json_array_size(guests);
	ctl_set_close_cb(ctl, dr_pp_closed, p);
	if (worker_run(ctl->gw, dr_pp_work, dr_pp_done, p) == -1) {
		ctl_set_close_cb(ctl, NULL, NULL);
		ctl_error(ctl, VMGW_EXIT_FAIL, "cannot start a thread");
		dr_pp_free(p);
	}
}

/* ---------------------------------------------------------- plan-report */

struct dr_pr {
	struct gw	*gw;
	struct ctl_conn	*ctl;
	char		 plan[CONFIG_NAME_MAX + 1];
	char		*text;
	char		 path[1024];
	char		 err[512];
};

/* (worker) state_dir/plans/<plan>-<UTC>[-N].json, never over another */
static void
dr_pr_work(void *arg)
{
	struct dr_pr	*r = arg;
	char		 dir[900], when[32];
	struct tm	 tm;
	time_t		 now = time(NULL);
	int		 i;

	snprintf(dir, sizeof(dir), "%s/plans", r->gw->conf->state_dir);
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		snprintf(r->err, sizeof(r->err), "%s: %s", dir,
		    strerror(errno));
		return;
	}
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", &tm);
	for (i = 1; i < 100; i++) {
		if (i == 1)
			snprintf(r->path, sizeof(r->path), "%s/%s-%s.json",
			    dir, r->plan, when);
		else
			snprintf(r->path, sizeof(r->path), "%s/%s-%s-%d.json",
			    dir, r->plan, when, i);
		if (access(r->path, F_OK) == -1 && errno == ENOENT)
			break;
	}
	if (i == 100) {
		snprintf(r->err, sizeof(r->err), "%s: too many reports this "
		    "second", dir);
		return;
	}
	if (drc_write_atomic(r->path, r->text, strlen(r->text), r->err,
	    sizeof(r->err)) == 0)
		log_info("plan %s: report %s", r->plan, r->path);
}

static void
dr_pr_closed(struct ctl_conn *ctl, void *arg)
{
	((struct dr_pr *)arg)->ctl = NULL;
}

static void
dr_pr_done(void *arg)
{
	struct dr_pr	*r = arg;

	if (r->ctl != NULL) {
		ctl_set_close_cb(r->ctl, NULL, NULL);
		if (r->err[0] != '\0')
			ctl_error(r->ctl, VMGW_EXIT_FAIL, "%s", r->err);
		else
			ctl_ok(r->ctl, json_pack("{s:s}", "path", r->path));
	}
	free(r->text);
	free(r);
}

static void
ctl_plan_report(struct ctl_conn *ctl, json_t *req)
{
	const char	*plan = json_string_value(json_object_get(req, "plan"));
	json_t		*rep = json_object_get(req, "report");
	struct dr_pr	*r;
	char		*text;

	if (!dr_plan_name_ok(plan)) {
		ctl_error(ctl, VMGW_EXIT_USAGE, "plan-report: plan must be a "
		    "name (a-z 0-9 . _ -)");
		return;
	}
	if (!json_is_object(rep) || !json_is_string(json_object_get(rep,
	    "plan")) || strcmp(json_string_value(json_object_get(rep,
	    "plan")), plan) != 0) {
		ctl_error(ctl, VMGW_EXIT_USAGE, "plan-report: the report is a "
		    "JSON object of plan %s", plan);
		return;
	}
	if ((text = json_dumps(rep, JSON_INDENT(2) | JSON_SORT_KEYS)) ==
	    NULL || strlen(text) > DR_PLAN_REPORT_MAX) {
		ctl_error(ctl, VMGW_EXIT_USAGE, "plan-report: %s", text ==
		    NULL ? "out of memory" : "larger than 200 KiB");
		free(text);
		return;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		free(text);
		ctl_error(ctl, VMGW_EXIT_FAIL, "out of memory");
		return;
	}
	r->gw = ctl->gw;
	r->ctl = ctl;
	r->text = text;
	snprintf(r->plan, sizeof(r->plan), "%s", plan);
	ctl_set_close_cb(ctl, dr_pr_closed, r);
	if (worker_run(ctl->gw, dr_pr_work, dr_pr_done, r) == -1) {
		ctl_set_close_cb(ctl, NULL, NULL);
		ctl_error(ctl, VMGW_EXIT_FAIL, "cannot start a thread");
		free(r->text);
		free(r);
	}
}

int
dr_plan_init(void)
{
	if (ctl_register(CTL_PLAN_CHECK, ctl_plan_check) == -1 ||
	    ctl_register(CTL_PLAN_POST, ctl_plan_post) == -1 ||
	    ctl_register(CTL_PLAN_REPORT, ctl_plan_report) == -1)
		return -1;
	return 0;
}
