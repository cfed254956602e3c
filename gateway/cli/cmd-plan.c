/*
 * cmd-plan.c - `vmgw plan check|run|end FILE`: recovery plans (README,
 * "Recovery plans").  The file is read and validated here (config/rplan.c,
 * FILE:LINE:COL errors); `check` asks this site's vmgwd to check it
 * against the replicas here (plan-check; with --migrate: against the
 * guests running here), `run` drives the failovers or moves (plan_run.c),
 * `end` ends a test run's test failovers.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "rplan_run.h"

static void
plan_err(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "%s\n", line);
}

int
plan_load(const char *path, struct rplan **p)
{
	return rplan_load(path, p, plan_err, NULL) == 0 ? 0 : VMGW_EXIT_USAGE;
}

int
plan_rpc(struct cli *cli, json_t *req, json_t **res, char *err,
    size_t errlen)
{
	struct vmgw_client	 c;
	char			 path[256], e[512];
	json_t			*m = NULL;
	int			 r;

	*res = NULL;
	if (cli->socket != NULL)
		snprintf(path, sizeof(path), "%s", cli->socket);
	else if (config_peek(cli->config, "control", path, sizeof(path), e,
	    sizeof(e)) == -1) {
		snprintf(err, errlen, "%s", e);
		json_decref(req);
		return VMGW_EXIT_USAGE;
	} else if (path[0] == '\0')
		snprintf(path, sizeof(path), "%s", CONFIG_DEFAULT_CONTROL);
	if (client_connect(&c, path, err, errlen) == -1) {
		json_decref(req);
		return VMGW_EXIT_DAEMON;
	}
	if (client_send(&c, req) == -1) {
		snprintf(err, errlen, "cannot send the request");
		client_close(&c);
		return VMGW_EXIT_DAEMON;
	}
	for (;;) {
		if ((r = client_recv(&c, &m, -1, err, errlen)) == -2)
			continue;
		if (r <= 0) {
			if (r == 0)
				snprintf(err, errlen, "vmgwd closed the "
				    "connection without an answer");
			client_close(&c);
			return VMGW_EXIT_DAEMON;
		}
		if (strcmp(cli_str(m, "type"), "event") != 0)
			break;
		json_decref(m);
	}
	client_close(&c);
	if (!json_is_true(json_object_get(m, "ok"))) {
		snprintf(err, errlen, "%s", cli_str(m, "error"));
		r = (int)cli_int(m, "exit");
		json_decref(m);
		return r > 0 ? r : VMGW_EXIT_FAIL;
	}
	*res = m;
	return 0;
}

static int
plan_check(struct cli *cli, const struct rplan *p, const char *mode)
{
	json_t		*res, *v;
	char		 err[512];
	size_t		 i;
	int		 ret;

	if ((ret = plan_rpc(cli, json_pack("{s:s, s:o}", "cmd",
	    CTL_PLAN_CHECK, "plan", rplan_json(p, mode)), &res, err,
	    sizeof(err))) != 0) {
		fprintf(stderr, "vmgw: %s\n", err);
		return ret;
	}
	v = json_object_get(res, "problems");
	if (cli->json)
		cli_print_json(res);
	else if (json_array_size(v) == 0) {
		printf("plan %s: %zu guests in %zu groups, ready for a %s at "
		    "%s\n", p->name, p->n_guests, p->n_groups,
		    strcmp(mode, "migrate") == 0 ? "move" : mode,
		    cli_str(res, "site"));
		json_array_foreach(json_object_get(res, "guests"), i, v)
			if (strcmp(mode, "migrate") == 0)
				printf("  %-16s group %-12s %s here, to %s\n",
				    cli_str(v, "guest"), cli_str(v, "group"),
				    cli_str(v, "state"), p->to);
			else
				printf("  %-16s group %-12s point %s "
				    "(%s-consistent, %llds old)\n",
				    cli_str(v, "guest"), cli_str(v, "group"),
				    cli_str(v, "point"), cli_str(v,
				    "consistency"), cli_int(v, "rpo_s"));
	} else {
		fprintf(stderr, "plan %s: %zu problem%s at %s:\n", p->name,
		    json_array_size(v), json_array_size(v) == 1 ? "" : "s",
		    cli_str(res, "site"));
		json_array_foreach(json_object_get(res, "problems"), i, v)
			fprintf(stderr, "  %s\n", json_string_value(v));
	}
	ret = json_array_size(json_object_get(res, "problems")) > 0 ?
	    VMGW_EXIT_FAIL : 0;
	json_decref(res);
	return ret;
}

/* every guest's test failover ended; "no test running" is reported */
static int
plan_end(struct cli *cli, const struct rplan *p)
{
	json_t		*res;
	char		 err[512];
	size_t		 i, k;
	int		 r, ret = 0;

	for (i = 0; i < p->n_groups; i++)
		for (k = 0; k < p->groups[i].n_guests; k++) {
			r = plan_rpc(cli, json_pack("{s:s, s:s, s:b, s:b}",
			    "cmd", CTL_FAILOVER, "domain",
			    p->groups[i].guests[k], "test", 1, "end", 1), &res,
			    err, sizeof(err));
			if (r == 0)
				printf("%-16s test ended\n",
				    p->groups[i].guests[k]);
			else if (strstr(err, "no failover test runs") != NULL)
				printf("%-16s no test running\n",
				    p->groups[i].guests[k]);
			else {
				printf("%-16s FAILED: %s\n",
				    p->groups[i].guests[k], err);
				ret = r == VMGW_EXIT_DAEMON ? r :
				    VMGW_EXIT_FAIL;
			}
			json_decref(res);
		}
	return ret;
}

static int
plan_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "test", no_argument, NULL, 't' },
		{ "failover", no_argument, NULL, 'f' },
		{ "migrate", no_argument, NULL, 'm' },
		{ "continue", no_argument, NULL, 'k' },
		{ "parallel", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct plan_opts o = { NULL, 0, 0 };
	struct rplan	*p = NULL;
	const char	*sub;
	char		*end;
	long		 n;
	int		 ch, ret;

	if (argc < 2)
		return cli_usage(&cmd_plan);
	sub = argv[1];
	argc--;
	argv++;
	while ((ch = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		switch (ch) {
		case 't':
		case 'f':
		case 'm':
			if (o.mode != NULL) {
				fprintf(stderr, "vmgw: one of --test, "
				    "--failover and --migrate\n");
				return VMGW_EXIT_USAGE;
			}
			o.mode = ch == 't' ? "test" : ch == 'f' ? "failover" :
			    "migrate";
			break;
		case 'k':
			o.keep_going = 1;
			break;
		case 'p':
			n = strtol(optarg, &end, 10);
			if (*end != '\0' || n < 1 || n > RPLAN_PARALLEL_MAX) {
				fprintf(stderr, "vmgw: --parallel %s: 1 to "
				    "%d\n", optarg, RPLAN_PARALLEL_MAX);
				return VMGW_EXIT_USAGE;
			}
			o.parallel = (unsigned)n;
			break;
		case 'j':
			cli->json = 1;
			break;
		default:
			return cli_usage(&cmd_plan);
		}
	}
	if (optind != argc - 1 || (strcmp(sub, "check") != 0 &&
	    strcmp(sub, "run") != 0 && strcmp(sub, "end") != 0))
		return cli_usage(&cmd_plan);
	if (strcmp(sub, "run") == 0 && o.mode == NULL) {
		fprintf(stderr, "vmgw: plan run: --test, --failover or "
		    "--migrate?\n");
		return VMGW_EXIT_USAGE;
	}
	if (strcmp(sub, "end") == 0 && o.mode != NULL &&
	    strcmp(o.mode, "test") != 0) {
		fprintf(stderr, "vmgw: plan end: ends a --test run\n");
		return VMGW_EXIT_USAGE;
	}
	if ((ret = plan_load(argv[optind], &p)) != 0)
		return ret;
	if (strcmp(sub, "check") == 0)
		ret = plan_check(cli, p, o.mode != NULL ? o.mode : "failover");
	else if (strcmp(sub, "end") == 0)
		ret = plan_end(cli, p);
	else
		ret = plan_run(cli, p, &o);
	rplan_free(p);
	return ret;
}

const struct cli_cmd cmd_plan = {
	.name = "plan",
	.args = "check|run|end FILE [--test|--failover|--migrate] "
	    "[--continue] [--parallel N] [--json]",
	.summary = "check, run or end a recovery plan (groups of guests)",
	.help = "  check FILE     the file, then the plan against this site: "
	    "every guest has a\n                 replica here with a point, "
	    "its networks exist, the post\n                 scripts are safe "
	    "(every problem listed; exit 1 if any);\n"
	    "                 with --migrate, at `from`: every guest runs "
	    "here\n"
	    "  run FILE       at the plan's `to` site: a failover of every "
	    "guest, group\n                 after group, each group's check "
	    "and post script; a report\n                 (kept under the "
	    "daemon's state_dir/plans/)\n"
	    "  end FILE       end a --test run: every guest's test failover\n"
	    "  --failover     a real failover (the plan's from site is lost)\n"
	    "  --test         a test failover (isolated copies; replication "
	    "goes on)\n"
	    "  --migrate      at the plan's `from` site: vmgw migrate of every "
	    "guest to\n                 `to`, group after group (checks are "
	    "not run)\n"
	    "  --continue     go on after a guest failed (default: stop "
	    "there)\n"
	    "  --parallel N   guests started at once in a group (1..32; "
	    "default the\n                 plan's parallel, else 4)\n"
	    "  --json, -j     the result or report as JSON\n"
	    "\nThe file format is in README, \"Recovery plans\".  Exit status: "
	    "0 every guest\ncame up, 1 one did not (or a check found "
	    "problems), 2 a bad file or usage.\n",
	.exec = plan_exec,
};
