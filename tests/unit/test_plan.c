/*
 * test_plan.c - recovery plans: the parser (config/rplan.c) on a good plan
 * and on a table of hostile ones, each with the exact first error line it
 * must give; the order of a run (gateway/rplan/sched.c) as the waves of
 * guests a bound gives, stops and --continue; the report
 * (gateway/rplan/report.c) and its RTO.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "rplan.h"
#include "rplan_run.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

#define SHOP \
	"plan: shop\n" \
	"from: site-a\n" \
	"to: site-b\n" \
	"groups:\n" \
	"  - name: data\n" \
	"    guests: [db1]\n" \
	"    check: { tcp: 5432, timeout: 120s }\n" \
	"  - name: front\n" \
	"    guests: [web1, web2]\n" \
	"    check: { tcp: 80, timeout: 60s }\n" \
	"    post: /etc/vmgw/plans/shop-front.sh\n"

#define HEAD	"plan: s\nfrom: a\nto: b\ngroups:\n"	/* lines 1-4 */

struct errs {
	char	 first[1024];
	size_t	 n;
};

static void
collect(void *arg, const char *line)
{
	struct errs	*e = arg;

	if (e->n++ == 0)
		(void)snprintf(e->first, sizeof(e->first), "%s", line);
}

static struct rplan *
load(const char *yaml, struct errs *e)
{
	struct rplan	*p;

	memset(e, 0, sizeof(*e));
	if (rplan_load_string("p.yaml", yaml, strlen(yaml), &p, collect, e) ==
	    -1)
		return NULL;
	return p;
}

static void
test_good(void **state)
{
	struct errs	 e;
	struct rplan	*p = load(SHOP, &e);

	(void)state;
	assert_non_null(p);
	assert_int_equal(e.n, 0);
	assert_string_equal(p->name, "shop");
	assert_string_equal(p->from, "site-a");
	assert_string_equal(p->to, "site-b");
	assert_int_equal(p->parallel, RPLAN_PARALLEL_DEFAULT);
	assert_int_equal(p->n_groups, 2);
	assert_int_equal(p->n_guests, 3);
	assert_string_equal(p->groups[0].name, "data");
	assert_int_equal(p->groups[0].n_guests, 1);
	assert_string_equal(p->groups[0].guests[0], "db1");
	assert_true(p->groups[0].check.set);
	assert_int_equal(p->groups[0].check.tcp, 5432);
	assert_int_equal(p->groups[0].check.timeout_s, 120);
	assert_null(p->groups[0].post);
	assert_string_equal(p->groups[1].guests[1], "web2");
	assert_int_equal(p->groups[1].check.timeout_s, 60);
	assert_string_equal(p->groups[1].post,
	    "/etc/vmgw/plans/shop-front.sh");
	assert_ptr_equal(rplan_group_of(p, "web2"), &p->groups[1]);
	assert_null(rplan_group_of(p, "web9"));
	rplan_free(p);
	rplan_free(NULL);
}

static void
test_defaults(void **state)
{
	struct errs	 e;
	struct rplan	*p;

	(void)state;
	p = load(HEAD "  - name: g\n    guests: [x]\n    check: { tcp: 22 }\n"
	    "parallel: 7\n", &e);
	assert_non_null(p);
	assert_int_equal(p->parallel, 7);
	assert_true(p->groups[0].check.set);
	assert_int_equal(p->groups[0].check.timeout_s, RPLAN_TIMEOUT_DEFAULT);
	rplan_free(p);
	/* no check: the reachability probe */
	p = load(HEAD "  - { name: g, guests: [x, y] }\n", &e);
	assert_non_null(p);
	assert_false(p->groups[0].check.set);
	rplan_free(p);
}

struct bad {
	const char	*yaml;
	const char	*want;		/* the first error line */
};

static const struct bad bads[] = {
	{ HEAD "  - name: g\n    guests: [x]\nbogus: 1\n",
	  "p.yaml:7:1: unknown key 'bogus'" },
	{ "plan: s\nplan: t\nfrom: a\nto: b\ngroups: [{name: g, guests: [x]}]\n",
	  "p.yaml:2:1: duplicate key 'plan' (first at 1:1)" },
	{ HEAD "  - name: g\n    guests: [x]\n  - name: g\n    guests: [y]\n",
	  "p.yaml:7:11: groups[1].name: a second group 'g' (the first at "
	  "5:11)" },
	{ HEAD "  - name: g\n    guests: [x]\n  - name: h\n    guests: [x]\n",
	  "p.yaml:8:14: groups[1].guests[0]: guest 'x' is in group 'g' "
	  "already (at 6:14): a guest is in one group" },
	{ HEAD "  - name: g\n    guests: [x, y, x]\n",
	  "p.yaml:6:20: groups[0].guests[2]: guest 'x' twice in this group "
	  "(first at 6:14)" },
	{ HEAD "  - name: g\n    guests: []\n",
	  "p.yaml:6:13: groups[0].guests: an empty group: it needs a guest" },
	{ HEAD "  - name: g\n    guests:\n",
	  "p.yaml:6:12: groups[0].guests: expected a sequence of guest names, "
	  "e.g. [web1, web2]" },
	{ HEAD "  - name: g\n    guests: web1\n",
	  "p.yaml:6:13: groups[0].guests: expected a sequence of guest names, "
	  "e.g. [web1, web2]" },
	{ HEAD "  - name: g\n    guests: [x]\n    check: { tcp: 80, timeout: 5x }\n",
	  "p.yaml:7:32: groups[0].check.timeout: '5x' is not a duration "
	  "between 1s and 1h (e.g. 30s, 2m)" },
	{ HEAD "  - name: g\n    guests: [x]\n    check: { tcp: 80, timeout: 2h }\n",
	  "p.yaml:7:32: groups[0].check.timeout: '2h' is not a duration "
	  "between 1s and 1h (e.g. 30s, 2m)" },
	{ HEAD "  - name: g\n    guests: [x]\n    check: { tcp: 70000 }\n",
	  "p.yaml:7:19: groups[0].check.tcp: must be an integer between 1 and "
	  "65535, got '70000'" },
	{ HEAD "  - name: g\n    guests: [x]\n    check: { tcp: 0 }\n",
	  "p.yaml:7:19: groups[0].check.tcp: must be an integer between 1 and "
	  "65535, got '0'" },
	{ HEAD "  - name: g\n    guests: [x]\n    check: { timeout: 5s }\n",
	  "p.yaml:7:12: groups[0].check: missing required key 'tcp'" },
	{ HEAD "  - name: g\n    guests: [x]\n    check: { tcp: 80, udp: 53 }\n",
	  "p.yaml:7:23: groups[0].check: unknown key 'udp'" },
	{ HEAD "  - name: g\n    guests: [x]\n    check: 80\n",
	  "p.yaml:7:12: groups[0].check: expected a mapping such as { tcp: 80, "
	  "timeout: 60s }" },
	{ HEAD "  - name: g\n    guests: [x]\n    post: shop.sh\n",
	  "p.yaml:7:11: groups[0].post: must be an absolute path, got "
	  "'shop.sh'" },
	{ HEAD "  - name: g\n    guests: [x]\n    post: /etc/vmgw/\n",
	  "p.yaml:7:11: groups[0].post: a script, not a directory" },
	{ HEAD "  - name: g\n    guests: [x]\n    post: [a]\n",
	  "p.yaml:7:11: groups[0].post: expected a path, got a sequence" },
	{ "plan: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
	  "from: a\nto: b\ngroups: [{name: g, guests: [x]}]\n",
	  "p.yaml:1:7: plan: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaa' is not a valid name: 1 to 63 of a-z 0-9 . _ - "
	  "starting with a letter or digit" },
	{ "plan: ../etc\nfrom: a\nto: b\ngroups: [{name: g, guests: [x]}]\n",
	  "p.yaml:1:7: plan: '../etc' is not a valid name: 1 to 63 of a-z 0-9 "
	  ". _ - starting with a letter or digit" },
	{ HEAD "  - name: g\n    guests: [a/b]\n",
	  "p.yaml:6:14: groups[0].guests[0]: 'a/b' is not a valid name: 1 to "
	  "63 bytes without '/' or control characters" },
	{ HEAD "  - name: Big\n    guests: [x]\n",
	  "p.yaml:5:11: groups[0].name: 'Big' is not a valid name: 1 to 63 of "
	  "a-z 0-9 . _ - starting with a letter or digit" },
	{ HEAD "  - name: g\n    guests: [x]\nparallel: 0\n",
	  "p.yaml:7:11: parallel: must be an integer between 1 and 32, got "
	  "'0'" },
	{ HEAD "  - name: g\n    guests: [x]\nparallel: 33\n",
	  "p.yaml:7:11: parallel: must be an integer between 1 and 32, got "
	  "'33'" },
	{ HEAD "  - name: g\n    guests: [x]\n    bogus: 1\n",
	  "p.yaml:7:5: groups[0]: unknown key 'bogus'" },
	{ HEAD "  - name: g\n",
	  "p.yaml:5:5: groups[0]: missing required key 'guests'" },
	{ HEAD "  - web1\n",
	  "p.yaml:5:5: groups[0]: expected a mapping, got 'web1'" },
	{ "plan: s\nfrom: a\nto: b\ngroups: web1\n",
	  "p.yaml:4:9: groups: expected a sequence of groups (- name: ..., "
	  "guests: [...])" },
	{ "plan: s\nfrom: a\nto: b\ngroups: []\n",
	  "p.yaml:4:9: groups: no group: a plan needs one" },
	{ "plan: s\nfrom: a\nto: b\n",
	  "p.yaml:1:1: missing required key 'groups'" },
	{ "plan: s\nfrom: a\nto: a\ngroups: [{name: g, guests: [x]}]\n",
	  "p.yaml:3:5: to: 'a' is the from site too" },
	{ "", "p.yaml:1:1: empty; expected a mapping with plan, from, to and "
	  "groups" },
	{ "- a\n", "p.yaml:1:1: expected a mapping, got a sequence" },
	{ "plan: [s\n", "p.yaml:2:1: YAML syntax error: did not find expected "
	  "',' or ']' (while parsing a flow sequence)" },
	{ "plan: s\n---\nplan: t\n", "p.yaml:3:1: a second YAML document; the "
	  "file must hold one" },
	{ "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
	  "p.yaml:1:33: nested deeper than 32 levels" },
};

static void
test_bad(void **state)
{
	struct errs	 e;
	struct rplan	*p;
	size_t		 i;

	(void)state;
	for (i = 0; i < nitems(bads); i++) {
		p = load(bads[i].yaml, &e);
		if (p != NULL || strcmp(e.first, bads[i].want) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i, e.first,
			    bads[i].want);
		assert_null(p);
	}
}

/* every error of a file, not only the first */
static void
test_all_errors(void **state)
{
	struct errs	 e;

	(void)state;
	assert_null(load("plan: S\nfrom: a\nto: b\nx: 1\ngroups:\n"
	    "  - name: g\n    guests: []\n", &e));
	assert_int_equal(e.n, 3);
}

/* a sequence of n names "g0, g1, ..." with a prefix */
static char *
names(const char *prefix, size_t n)
{
	char	*s = malloc(n * 16 + 8);
	size_t	 i, o = 0;

	o += (size_t)sprintf(s + o, "[");
	for (i = 0; i < n; i++)
		o += (size_t)sprintf(s + o, "%s%s%zu", i ? ", " : "", prefix,
		    i);
	sprintf(s + o, "]");
	return s;
}

static void
test_bounds(void **state)
{
	struct errs	 e;
	struct rplan	*p;
	char		*yaml, *g;
	size_t		 i, o;

	(void)state;
	yaml = malloc(RPLAN_FILE_MAX + 64);
	/* 64 guests in a group: fine; 65: too many */
	g = names("v", RPLAN_GROUP_GUESTS_MAX);
	sprintf(yaml, HEAD "  - name: g\n    guests: %s\n", g);
	free(g);
	p = load(yaml, &e);
	assert_non_null(p);
	assert_int_equal(p->n_guests, RPLAN_GROUP_GUESTS_MAX);
	rplan_free(p);
	g = names("v", RPLAN_GROUP_GUESTS_MAX + 1);
	sprintf(yaml, HEAD "  - name: g\n    guests: %s\n", g);
	free(g);
	assert_null(load(yaml, &e));
	assert_string_equal(e.first, "p.yaml:6:13: groups[0].guests: 65 "
	    "guests: at most 64 in a group");
	/* 33 groups */
	o = (size_t)sprintf(yaml, HEAD);
	for (i = 0; i <= RPLAN_GROUPS_MAX; i++)
		o += (size_t)sprintf(yaml + o, "  - { name: g%zu, guests: "
		    "[v%zu] }\n", i, i);
	assert_null(load(yaml, &e));
	assert_string_equal(e.first, "p.yaml:5:3: groups: 33 groups: at most "
	    "32");
	/* 5 groups of 64: the 257th guest of the plan is one too many */
	o = (size_t)sprintf(yaml, HEAD);
	for (i = 0; i < 5; i++) {
		char	pre[8];

		snprintf(pre, sizeof(pre), "g%zuv", i);
		g = names(pre, RPLAN_GROUP_GUESTS_MAX);
		o += (size_t)sprintf(yaml + o, "  - name: g%zu\n    guests: "
		    "%s\n", i, g);
		free(g);
	}
	assert_null(load(yaml, &e));
	assert_non_null(strstr(e.first, "groups[4].guests[0]: more than 256 "
	    "guests in the plan"));
	/* a huge file */
	memset(yaml, '#', RPLAN_FILE_MAX + 1);
	memset(&e, 0, sizeof(e));
	assert_int_equal(rplan_load_string("p.yaml", yaml, RPLAN_FILE_MAX + 1,
	    &p, collect, &e), -1);
	assert_non_null(strstr(e.first, "p.yaml: larger than 256 KiB"));
	free(yaml);
}

static void
test_file(void **state)
{
	char		 path[] = "/tmp/vmgw-test-plan.XXXXXX";
	struct errs	 e;
	struct rplan	*p;
	int		 fd;

	(void)state;
	assert_true((fd = mkstemp(path)) >= 0);
	assert_int_equal(write(fd, SHOP, strlen(SHOP)), (ssize_t)strlen(SHOP));
	close(fd);
	memset(&e, 0, sizeof(e));
	assert_int_equal(rplan_load(path, &p, collect, &e), 0);
	assert_string_equal(p->path, path);
	rplan_free(p);
	unlink(path);
	assert_int_equal(rplan_load(path, &p, collect, &e), -1);
	assert_non_null(strstr(e.first, "cannot read"));
}

/* ---- the order of a run */

/* Run the scheduler where every guest started finishes together with the
 * others of its wave; waves written as "g.i g.i|g.i|" ("/" ends a group) */
static void
waves(const struct rplan *p, unsigned parallel, int keep_going,
    const char *fail, char *out, size_t outlen)
{
	struct rplan_sched	 s;
	size_t			 g, i, o = 0, n = 0, k;
	char			 who[16][16];
	enum rplan_step		 st;

	out[0] = '\0';
	rplan_sched_init(&s, p, parallel, keep_going);
	for (;;) {
		st = rplan_sched_next(&s, &g, &i);
		if (st == RPLAN_START) {
			snprintf(who[n++], sizeof(who[0]), "%zu.%zu", g, i);
			continue;
		}
		if (st == RPLAN_WAIT) {
			for (k = 0; k < n; k++) {
				o += (size_t)snprintf(out + o, outlen - o,
				    "%s%s", k ? " " : "", who[k]);
				rplan_sched_finished(&s, fail == NULL ||
				    strcmp(fail, who[k]) != 0);
			}
			o += (size_t)snprintf(out + o, outlen - o, "|");
			n = 0;
			continue;
		}
		if (st == RPLAN_GROUP_END) {
			o += (size_t)snprintf(out + o, outlen - o, "/");
			rplan_sched_group_done(&s, 1);
			continue;
		}
		break;
	}
}

static void
test_sched(void **state)
{
	struct errs	 e;
	struct rplan	*p;
	char		 w[256];

	(void)state;
	p = load(HEAD "  - { name: a, guests: [a0, a1, a2] }\n"
	    "  - { name: b, guests: [b0, b1] }\n"
	    "  - { name: c, guests: [c0] }\n", &e);
	assert_non_null(p);
	waves(p, 2, 0, NULL, w, sizeof(w));
	assert_string_equal(w, "0.0 0.1|0.2|/1.0 1.1|/2.0|/");
	waves(p, 1, 0, NULL, w, sizeof(w));
	assert_string_equal(w, "0.0|0.1|0.2|/1.0|1.1|/2.0|/");
	waves(p, 32, 0, NULL, w, sizeof(w));
	assert_string_equal(w, "0.0 0.1 0.2|/1.0 1.1|/2.0|/");
	/* a failure: what runs finishes, nothing new starts, no group end */
	waves(p, 2, 0, "0.0", w, sizeof(w));
	assert_string_equal(w, "0.0 0.1|");
	waves(p, 2, 0, "1.1", w, sizeof(w));
	assert_string_equal(w, "0.0 0.1|0.2|/1.0 1.1|");
	/* --continue: everything still runs */
	waves(p, 2, 1, "0.0", w, sizeof(w));
	assert_string_equal(w, "0.0 0.1|0.2|/1.0 1.1|/2.0|/");
	rplan_free(p);
}

/* a window: the next guest starts as soon as one finishes */
static void
test_sched_window(void **state)
{
	struct errs		 e;
	struct rplan		*p;
	struct rplan_sched	 s;
	size_t			 g, i;

	(void)state;
	p = load(HEAD "  - { name: a, guests: [a0, a1, a2, a3] }\n"
	    "  - { name: b, guests: [b0] }\n", &e);
	assert_non_null(p);
	rplan_sched_init(&s, p, 2, 0);
	assert_int_equal(rplan_sched_next(&s, &g, &i), RPLAN_START);
	assert_int_equal(i, 0);
	assert_int_equal(rplan_sched_next(&s, &g, &i), RPLAN_START);
	assert_int_equal(i, 1);
	assert_int_equal(rplan_sched_next(&s, &g, &i), RPLAN_WAIT);
	rplan_sched_finished(&s, 1);
	assert_int_equal(rplan_sched_next(&s, &g, &i), RPLAN_START);
	assert_int_equal(i, 2);
	rplan_sched_finished(&s, 1);
	assert_int_equal(rplan_sched_next(&s, &g, &i), RPLAN_START);
	assert_int_equal(i, 3);
	rplan_sched_finished(&s, 1);
	assert_int_equal(rplan_sched_next(&s, &g, &i), RPLAN_WAIT);
	rplan_sched_finished(&s, 1);
	assert_int_equal(rplan_sched_next(&s, &g, &i), RPLAN_GROUP_END);
	assert_int_equal(g, 0);
	/* the post script failed: the plan stops */
	rplan_sched_group_done(&s, 0);
	assert_int_equal(rplan_sched_next(&s, &g, &i), RPLAN_END);
	assert_true(s.failed);
	/* parallel 0 is taken as 1 */
	rplan_sched_init(&s, p, 0, 0);
	assert_int_equal(s.parallel, 1);
	rplan_free(p);
}

/* ---- the report */

static void
test_report(void **state)
{
	struct errs		 e;
	struct rplan		*p;
	struct rplan_results	 r;
	json_t			*j, *g0, *u;
	const int64_t		 t0 = 1714564800000;	/* 2024-05-01 12:00 */
	char			 iso[32];

	(void)state;
	p = load(SHOP, &e);
	assert_non_null(p);
	assert_int_equal(rplan_results_init(&r, p, "failover", 4), 0);
	assert_int_equal(rplan_index(p, 1, 1), 2);
	r.start_ms = t0;
	r.groups[0] = (struct rplan_group_res){ RPLAN_OK, t0, t0 + 5000,
	    RPLAN_NOT_STARTED, "" };
	r.guests[0].result = RPLAN_OK;
	r.guests[0].start_ms = t0;
	r.guests[0].end_ms = t0 + 5000;
	r.guests[0].rpo_s = 42;
	snprintf(r.guests[0].point, sizeof(r.guests[0].point), "p000007");
	r.guests[0].steps = json_pack("[{s:s, s:f}]", "step", "start", "at_s",
	    0.5);
	r.guests[0].check = json_pack("{s:i, s:s, s:b, s:i, s:s}", "tcp", 5432,
	    "address", "10.0.0.5", "ok", 1, "ms", 800, "detail", "");
	r.groups[1] = (struct rplan_group_res){ RPLAN_OK, t0 + 5000,
	    t0 + 12250, RPLAN_OK, "" };
	r.guests[1].result = RPLAN_OK;
	r.guests[1].start_ms = t0 + 5000;
	r.guests[1].end_ms = t0 + 9500;
	r.guests[2].result = RPLAN_OK;
	r.guests[2].start_ms = t0 + 5000;
	r.guests[2].end_ms = t0 + 12000;
	r.end_ms = t0 + 12250;
	j = rplan_report(&r);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "result")),
	    "ok");
	/* RTO: start until the last check was green (web2 at 12.0 s), not
	 * the end of the post script */
	assert_float_equal(json_real_value(json_object_get(j, "rto_s")), 12.0,
	    1e-9);
	assert_float_equal(json_real_value(json_object_get(j, "seconds")),
	    12.25, 1e-9);
	assert_string_equal(json_string_value(json_object_get(j, "started")),
	    "2024-05-01T12:00:00.000Z");
	g0 = json_array_get(json_object_get(j, "groups"), 0);
	assert_string_equal(json_string_value(json_object_get(g0, "ended")),
	    "2024-05-01T12:00:05.000Z");
	assert_true(json_is_null(json_object_get(g0, "post")));
	u = json_array_get(json_object_get(g0, "guests"), 0);
	assert_string_equal(json_string_value(json_object_get(u, "point")),
	    "p000007");
	assert_int_equal(json_integer_value(json_object_get(u, "rpo_s")), 42);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(u,
	    "check"), "tcp")), 5432);
	assert_true(json_is_true(json_object_get(json_object_get(u, "check"),
	    "ok")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(u,
	    "check"), "ms")), 800);
	/* web1 has no result of its check: it did not run */
	assert_true(json_is_null(json_object_get(json_object_get(
	    json_array_get(json_object_get(json_array_get(json_object_get(j,
	    "groups"), 1), "guests"), 0), "check"), "ok")));
	assert_int_equal(json_array_size(json_object_get(u, "steps")), 1);
	assert_true(json_is_array(json_object_get(j, "failed")));
	assert_int_equal(json_array_size(json_object_get(j, "failed")), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    json_array_get(json_object_get(j, "groups"), 1), "post"),
	    "result")), "ok");
	json_decref(j);

	/* web2 failed its check: no RTO, and the report says what */
	r.guests[2].result = RPLAN_FAILED;
	snprintf(r.guests[2].error, sizeof(r.guests[2].error), "tcp 80 did "
	    "not answer");
	r.groups[1].result = RPLAN_FAILED;
	r.groups[1].post = RPLAN_NOT_STARTED;
	j = rplan_report(&r);
	assert_string_equal(json_string_value(json_object_get(j, "result")),
	    "failed");
	assert_true(json_is_null(json_object_get(j, "rto_s")));
	assert_string_equal(json_string_value(json_array_get(json_object_get(j,
	    "failed"), 0)), "web2 (group front, check tcp 80 within 60s): tcp "
	    "80 did not answer");
	json_decref(j);

	/* web1 never started */
	r.guests[1] = (struct rplan_guest_res){ .rpo_s = -1 };
	j = rplan_report(&r);
	assert_string_equal(json_string_value(json_array_get(json_object_get(j,
	    "failed"), 0)), "web1 (group front): not started");
	u = json_array_get(json_object_get(json_array_get(json_object_get(j,
	    "groups"), 1), "guests"), 0);
	assert_string_equal(json_string_value(json_object_get(u, "result")),
	    "not started");
	assert_true(json_is_null(json_object_get(u, "rpo_s")));
	assert_true(json_is_null(json_object_get(u, "start_s")));
	json_decref(j);
	rplan_results_clear(&r);
	rplan_free(p);
	rplan_iso(1714564800999, iso);
	assert_string_equal(iso, "2024-05-01T12:00:00.999Z");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_all_errors),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_sched),
		cmocka_unit_test(test_sched_window),
		cmocka_unit_test(test_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
