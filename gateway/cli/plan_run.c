/*
 * plan_run.c - `vmgw plan run FILE --failover|--test`, at the plan's `to`
 * site: the CLI drives the run with the daemon's existing requests.  For
 * each group in order (rplan_sched), up to `parallel` failover requests at
 * once, each on its own control connection, poll()ed together:
 *
 *   {"cmd": "failover", "domain": G, "point": "latest",
 *    "test": true (--test only), "check": {"tcp": P, "timeout": S}}
 *
 * A failover's reply comes once the guest answered its probe (its "step"
 * events come meanwhile, printed as they come: one line each); a guest is
 * up when the reply is ok and its reach (the probe, or the check) is ok.
 * When every guest of a group is up, its post script runs at the daemon
 * (plan-post).  The first failure stops new starts (--continue goes on);
 * the report (rplan_report) is printed and kept by the daemon
 * (plan-report).
 *
 * --migrate runs at the plan's `from` site instead, and sends each guest
 * the daemon's usual move, {"cmd": "migrate", "domain": G, "to": TO}: its
 * "phase" events are the steps; the guest is up when the move completed
 * (the destination verified it answers its probe).  A group's check is not
 * run in this mode (the report says so).
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plan.h"
#include "rplan_run.h"

struct plan_slot {
	int			 used;
	struct vmgw_client	 c;
	size_t			 group, guest, idx;
};

struct plan_ctx {
	struct cli		*cli;
	const struct rplan	*p;
	const struct plan_opts	*o;
	struct rplan_results	 r;
	struct rplan_sched	 s;
	struct plan_slot	 slots[RPLAN_PARALLEL_MAX];
	char			 sock[256];
	int			 migrate;	/* --migrate: moves, not failovers */
};

static int64_t
plan_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* one line of the live view: time, group, guest, step, elapsed */
static void
plan_line(struct plan_ctx *x, size_t group, const char *guest,
    const char *step, double elapsed)
{
	char		 t[16];
	time_t		 now = time(NULL);
	struct tm	 tm;

	if (x->cli->json)
		return;
	localtime_r(&now, &tm);
	strftime(t, sizeof(t), "%H:%M:%S", &tm);
	printf("%s  %-12s %-16s %-28s %7.1fs\n", t, x->p->groups[group].name,
	    guest, step, elapsed);
	fflush(stdout);
}

static void
plan_fail(struct plan_ctx *x, struct plan_slot *sl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
plan_fail(struct plan_ctx *x, struct plan_slot *sl, const char *fmt, ...)
{
	struct rplan_guest_res	*u = &x->r.guests[sl->idx];
	va_list			 ap;

	va_start(ap, fmt);
	vsnprintf(u->error, sizeof(u->error), fmt, ap);
	va_end(ap);
	u->result = RPLAN_FAILED;
	u->end_ms = plan_now_ms();
}

/* the guest's failover request on a connection of its own */
static void
plan_start(struct plan_ctx *x, size_t group, size_t guest)
{
	const struct rplan_group *g = &x->p->groups[group];
	struct plan_slot	*sl = NULL;
	struct rplan_guest_res	*u;
	json_t			*req;
	char			 err[512];
	size_t			 i;

	for (i = 0; i < RPLAN_PARALLEL_MAX && sl == NULL; i++)
		if (!x->slots[i].used)
			sl = &x->slots[i];
	sl->used = 1;
	sl->group = group;
	sl->guest = guest;
	sl->idx = rplan_index(x->p, group, guest);
	u = &x->r.guests[sl->idx];
	u->start_ms = plan_now_ms();
	u->steps = json_array();
	if (x->r.groups[group].start_ms == 0)
		x->r.groups[group].start_ms = u->start_ms;
	if (x->migrate) {
		req = json_pack("{s:s, s:s, s:s}", "cmd", CTL_MIGRATE,
		    "domain", g->guests[guest], "to", x->p->to);
		plan_line(x, group, g->guests[guest], "migrate", 0);
	} else {
		req = json_pack("{s:s, s:s, s:s}", "cmd", CTL_FAILOVER,
		    "domain", g->guests[guest], "point", "latest");
		if (strcmp(x->o->mode, "test") == 0)
			json_object_set_new(req, "test", json_true());
		if (g->check.set)
			json_object_set_new(req, "check", json_pack("{s:i, "
			    "s:i}", "tcp", (int)g->check.tcp, "timeout",
			    (int)g->check.timeout_s));
		plan_line(x, group, g->guests[guest], "failover", 0);
	}
	if (client_connect(&sl->c, x->sock, err, sizeof(err)) == -1) {
		json_decref(req);
		plan_fail(x, sl, "%s", err);
		return;		/* plan_poll finds it over */
	}
	if (client_send(&sl->c, req) == -1) {
		client_close(&sl->c);
		plan_fail(x, sl, "cannot send the request: %s",
		    strerror(errno));
	}
}

/* the failover's result: up, or why not */
static void
plan_result(struct plan_ctx *x, struct plan_slot *sl, json_t *m)
{
	const struct rplan_group *g = &x->p->groups[sl->group];
	struct rplan_guest_res	*u = &x->r.guests[sl->idx];
	json_t			*reach = json_object_get(m, "reach");
	json_t			*chk = json_object_get(m, "check");
	const char		*detail;

	u->end_ms = plan_now_ms();
	if (x->migrate) {
		if (json_is_true(json_object_get(m, "ok")))
			u->result = RPLAN_OK;
		else if (*cli_str(m, "job"))
			plan_fail(x, sl, "job %s %s: %s%s%s", cli_str(m, "job"),
			    cli_str(m, "state"), cli_str(m, "error"),
			    *cli_str(m, "where") ? "; it runs at " : "",
			    cli_str(m, "where"));
		else
			plan_fail(x, sl, "%s", cli_str(m, "error"));
		if (u->result == RPLAN_OK)
			json_array_append_new(u->steps, json_pack("{s:s, s:f}",
			    "step", "up", "at_s", (double)(u->end_ms -
			    u->start_ms) / 1000.0));
		return;
	}
	/* a failed probe or check answers with what was measured, too */
	snprintf(u->point, sizeof(u->point), "%s", cli_str(m, "point"));
	if (json_is_integer(json_object_get(m, "rpo_s")))
		u->rpo_s = cli_int(m, "rpo_s");
	else if (json_is_integer(json_object_get(m, "achieved_rpo_s")))
		u->rpo_s = cli_int(m, "achieved_rpo_s");	/* a test's */
	if (json_is_object(chk))
		u->check = json_incref(chk);
	if (!json_is_true(json_object_get(m, "ok"))) {
		plan_fail(x, sl, "%s", cli_str(m, "error"));
		return;
	}
	if (json_is_object(chk) && !json_is_true(json_object_get(chk, "ok")))
		reach = chk;
	if (json_is_object(reach) && !json_is_true(json_object_get(reach,
	    "ok"))) {
		detail = cli_str(reach, "detail");
		if (g->check.set)
			plan_fail(x, sl, "started, but check tcp %u within %us "
			    "did not pass%s%s", g->check.tcp,
			    g->check.timeout_s, *detail ? ": " : "", detail);
		else
			plan_fail(x, sl, "started, but it did not answer its "
			    "probe%s%s", *detail ? ": " : "", detail);
		return;
	}
	u->result = RPLAN_OK;
	json_array_append_new(u->steps, json_pack("{s:s, s:f}", "step", "up",
	    "at_s", (double)(u->end_ms - u->start_ms) / 1000.0));
}

/* a slot whose guest is over: its line, the scheduler told */
static void
plan_slot_done(struct plan_ctx *x, struct plan_slot *sl)
{
	const struct rplan_group *g = &x->p->groups[sl->group];
	struct rplan_guest_res	*u = &x->r.guests[sl->idx];
	char			 line[600];

	if (u->result == RPLAN_OK && x->migrate)
		snprintf(line, sizeof(line), "up at %s (moved)", x->p->to);
	else if (u->result == RPLAN_OK)
		snprintf(line, sizeof(line), "up (point %s, RPO %llds)",
		    u->point, (long long)u->rpo_s);
	else
		snprintf(line, sizeof(line), "FAILED: %s", u->error);
	plan_line(x, sl->group, g->guests[sl->guest], line,
	    (double)(u->end_ms - u->start_ms) / 1000.0);
	client_close(&sl->c);
	sl->used = 0;
	rplan_sched_finished(&x->s, u->result == RPLAN_OK);
}

/*
 * An event of a guest's request: a failover's "step" (with elapsed_s), a
 * move's "job" and "phase" (progress events are not steps): in the
 * report's steps and the live view.
 */
static void
plan_event(struct plan_ctx *x, struct plan_slot *sl, json_t *m)
{
	struct rplan_guest_res	*u = &x->r.guests[sl->idx];
	const char		*ev = cli_str(m, "event"), *step;
	json_t			*el = json_object_get(m, "elapsed_s");
	double			 at;
	char			 buf[64];

	if (strcmp(ev, "step") == 0)
		step = cli_str(m, "step");
	else if (strcmp(ev, "phase") == 0)
		step = cli_str(m, "phase");
	else if (strcmp(ev, "job") == 0) {
		snprintf(buf, sizeof(buf), "job %s", cli_str(m, "job"));
		step = buf;
	} else
		return;
	at = json_is_number(el) ? json_number_value(el) :
	    (double)(plan_now_ms() - u->start_ms) / 1000.0;
	json_array_append_new(u->steps, json_pack("{s:s, s:f}", "step", step,
	    "at_s", at));
	plan_line(x, sl->group, x->p->groups[sl->group].guests[sl->guest],
	    step, at);
}

/* wait for replies on every connection; handle whatever came */
static void
plan_poll(struct plan_ctx *x)
{
	struct pollfd		 pfd[RPLAN_PARALLEL_MAX];
	struct plan_slot	*sl;
	json_t			*m;
	char			 err[512];
	size_t			 i, n = 0, map[RPLAN_PARALLEL_MAX];
	int			 r;

	for (i = 0; i < RPLAN_PARALLEL_MAX; i++) {
		sl = &x->slots[i];
		if (!sl->used)
			continue;
		if (x->r.guests[sl->idx].result != RPLAN_NOT_STARTED) {
			plan_slot_done(x, sl);	/* failed before a reply */
			return;
		}
		pfd[n].fd = sl->c.fd;
		pfd[n].events = POLLIN;
		map[n++] = i;
	}
	if (n == 0 || poll(pfd, n, -1) <= 0)
		return;
	for (i = 0; i < n; i++) {
		if (pfd[i].revents == 0)
			continue;
		sl = &x->slots[map[i]];
		for (;;) {
			r = client_recv(&sl->c, &m, 0, err, sizeof(err));
			if (r == -2)
				break;
			if (r <= 0) {
				plan_fail(x, sl, "%s", r == 0 ? "vmgwd closed "
				    "the connection without an answer" : err);
				plan_slot_done(x, sl);
				break;
			}
			if (strcmp(cli_str(m, "type"), "event") == 0) {
				plan_event(x, sl, m);
				json_decref(m);
				continue;
			}
			plan_result(x, sl, m);
			json_decref(m);
			plan_slot_done(x, sl);
			break;
		}
	}
}

/* the group is over: its post script (when every guest came up) */
static void
plan_group_end(struct plan_ctx *x, size_t group)
{
	const struct rplan_group *g = &x->p->groups[group];
	struct rplan_group_res	*gr = &x->r.groups[group];
	json_t			*guests, *res;
	char			 err[512];
	size_t			 k;
	int64_t			 t0;
	int			 ok = !x->s.group_failed;

	if (ok && g->post != NULL) {
		guests = json_array();
		for (k = 0; k < g->n_guests; k++)
			json_array_append_new(guests,
			    json_string(g->guests[k]));
		t0 = plan_now_ms();
		plan_line(x, group, "-", "post", 0);
		if (plan_rpc(x->cli, json_pack("{s:s, s:s, s:s, s:s, s:s, "
		    "s:s, s:s, s:o}", "cmd", CTL_PLAN_POST, "plan",
		    x->p->name, "group", g->name, "from", x->p->from, "to",
		    x->p->to, "mode", x->o->mode, "script", g->post,
		    "guests", guests), &res, err, sizeof(err)) == 0) {
			gr->post = RPLAN_OK;
			plan_line(x, group, "-", "post ok",
			    (double)(plan_now_ms() - t0) / 1000.0);
		} else {
			gr->post = RPLAN_FAILED;
			snprintf(gr->post_error, sizeof(gr->post_error), "%s",
			    err);
			plan_line(x, group, "-", "post FAILED",
			    (double)(plan_now_ms() - t0) / 1000.0);
			if (!x->cli->json)
				printf("  %s\n", err);
			ok = 0;
		}
		json_decref(res);
	}
	gr->result = ok ? RPLAN_OK : RPLAN_FAILED;
	gr->end_ms = plan_now_ms();
	rplan_sched_group_done(&x->s, ok);
}

/* "    web2  ok  point p000004  RPO   12s   31.5s  check tcp 80 ok (800 ms)" */
static void
plan_print_guest(json_t *u)
{
	json_t	*chk = json_object_get(u, "check"), *ok;
	char	 rpo[32], ck[96] = "";

	if (json_is_integer(json_object_get(u, "rpo_s")))
		snprintf(rpo, sizeof(rpo), "%llds", cli_int(u, "rpo_s"));
	else
		snprintf(rpo, sizeof(rpo), "-");
	if (json_is_object(chk)) {
		ok = json_object_get(chk, "ok");
		snprintf(ck, sizeof(ck), "  check tcp %lld %s", cli_int(chk,
		    "tcp"), json_is_true(ok) ? "ok" : json_is_false(ok) ?
		    "FAILED" : "not run");
		if (json_is_boolean(ok))
			snprintf(ck + strlen(ck), sizeof(ck) - strlen(ck),
			    " (%lld ms)", cli_int(chk, "ms"));
	}
	printf("    %-16s %-11s point %-8s RPO %6s  %6.1fs%s\n",
	    cli_str(u, "guest"), cli_str(u, "result"),
	    json_is_string(json_object_get(u, "point")) ? cli_str(u, "point") :
	    "-", rpo, json_number_value(json_object_get(u, "seconds")), ck);
}

static void
plan_print(struct plan_ctx *x, json_t *rep, const char *path)
{
	json_t		*g, *u, *v;
	size_t		 i, k;

	if (x->cli->json) {
		json_object_set_new(rep, "report_path", json_string(path));
		json_dumpf(rep, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
		return;
	}
	printf("\nplan %s (%s from %s to %s): %s\n", x->p->name, x->o->mode,
	    x->p->from, x->p->to, cli_str(rep, "result"));
	v = json_object_get(rep, "rto_s");
	if (json_is_real(v) && x->migrate)
		printf("  %.1fs (plan start until the last guest was up at "
		    "%s)\n", json_real_value(v), x->p->to);
	else if (json_is_real(v))
		printf("  RTO %.1fs (plan start until the last check was "
		    "green)\n", json_real_value(v));
	json_array_foreach(json_object_get(rep, "groups"), i, g) {
		printf("  group %-12s %-11s %s .. %s\n", cli_str(g, "name"),
		    cli_str(g, "result"), json_is_string(json_object_get(g,
		    "started")) ? cli_str(g, "started") : "-",
		    json_is_string(json_object_get(g, "ended")) ?
		    cli_str(g, "ended") : "-");
		json_array_foreach(json_object_get(g, "guests"), k, u)
			plan_print_guest(u);
	}
	json_array_foreach(json_object_get(rep, "failed"), i, v)
		printf("  did not come up: %s\n", json_string_value(v));
	if (*path)
		printf("  report: %s\n", path);
}

int
plan_run(struct cli *cli, const struct rplan *p, const struct plan_opts *o)
{
	struct plan_ctx	*x;
	json_t		*rep, *res;
	char		 err[512], path[1024] = "";
	size_t		 group, guest;
	unsigned	 parallel = o->parallel ? o->parallel : p->parallel;
	int		 ret = VMGW_EXIT_FAIL, done = 0;

	if ((x = calloc(1, sizeof(*x))) == NULL ||
	    rplan_results_init(&x->r, p, o->mode, parallel) == -1) {
		free(x);
		fprintf(stderr, "vmgw: out of memory\n");
		return VMGW_EXIT_FAIL;
	}
	x->cli = cli;
	x->p = p;
	x->o = o;
	x->migrate = strcmp(o->mode, "migrate") == 0;
	if (cli->socket != NULL)
		snprintf(x->sock, sizeof(x->sock), "%s", cli->socket);
	else if (config_peek(cli->config, "control", x->sock,
	    sizeof(x->sock), err, sizeof(err)) == -1) {
		fprintf(stderr, "vmgw: %s\n", err);
		ret = VMGW_EXIT_USAGE;
		goto out;
	}
	if (x->sock[0] == '\0')
		snprintf(x->sock, sizeof(x->sock), "%s", CONFIG_DEFAULT_CONTROL);
	rplan_sched_init(&x->s, p, parallel, o->keep_going);
	x->r.start_ms = plan_now_ms();
	if (!cli->json) {
		printf("plan %s: %s of %zu guests in %zu groups from %s%s%s, "
		    "%u at once\n", p->name, o->mode, p->n_guests,
		    p->n_groups, p->from, x->migrate ? " to " : "",
		    x->migrate ? p->to : "", parallel);
		for (group = 0; x->migrate && group < p->n_groups; group++)
			if (p->groups[group].check.set)
				printf("  group %s: check tcp %u not run in "
				    "--migrate mode\n", p->groups[group].name,
				    p->groups[group].check.tcp);
	}
	while (!done) {
		switch (rplan_sched_next(&x->s, &group, &guest)) {
		case RPLAN_START:
			plan_start(x, group, guest);
			break;
		case RPLAN_WAIT:
			plan_poll(x);
			break;
		case RPLAN_GROUP_END:
			plan_group_end(x, group);
			break;
		case RPLAN_END:
			done = 1;
			break;
		}
	}
	x->r.end_ms = plan_now_ms();
	if ((rep = rplan_report(&x->r)) == NULL) {
		fprintf(stderr, "vmgw: out of memory\n");
		goto out;
	}
	if (plan_rpc(cli, json_pack("{s:s, s:s, s:O}", "cmd", CTL_PLAN_REPORT,
	    "plan", p->name, "report", rep), &res, err, sizeof(err)) == 0) {
		snprintf(path, sizeof(path), "%s", cli_str(res, "path"));
		json_decref(res);
	} else
		fprintf(stderr, "vmgw: the report was not kept: %s\n", err);
	ret = strcmp(cli_str(rep, "result"), "ok") == 0 ? 0 : VMGW_EXIT_FAIL;
	plan_print(x, rep, path);
	json_decref(rep);
 out:
	rplan_results_clear(&x->r);
	free(x);
	return ret;
}
