/*
 * cmd-migrate.c - `vmgw migrate DOMAIN --to SITE [options]`.
 *
 * Shows the job's progress (one live line on a terminal, a line every few
 * seconds otherwise) and a summary at the end.  Ctrl-C asks the gateway to
 * cancel the job (the guest stays where it was); a second Ctrl-C leaves the
 * job running and exits.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static volatile sig_atomic_t	mig_sigint;

static void
mig_sig(int sig)
{
	mig_sigint++;
}

struct mig_view {
	int		 tty;
	int		 line_open;	/* a live line is on screen */
	time_t		 last_print;
	char		 job[32];
	char		 last_phase[32];
	int		 cancel_sent;
};

static void
view_endline(struct mig_view *v)
{
	if (v->line_open) {
		fputs("\n", stdout);
		v->line_open = 0;
	}
}

static void
print_progress(struct mig_view *v, json_t *m)
{
	char		 rem[32], line[256];
	const char	*phase = cli_str(m, "phase");
	double		 bps = (double)cli_int(m, "bytes_per_s");
	double		 dirty = (double)cli_int(m, "dirty_pages_per_s") *
			    (double)cli_int(m, "page_size");
	char		 eta[32];
	time_t		 now = time(NULL);
	int		 known = strcmp(phase, "starting") != 0;

	/*
	 * "starting": QEMU has counted nothing yet, so what remains is not
	 * known (not 0 B, and no ETA).  No rate yet: no time left to say
	 * either.
	 */
	if (!known)
		snprintf(rem, sizeof(rem), "?");
	else
		fmt_bytes(rem, sizeof(rem), (uint64_t)cli_int(m,
		    "remaining"));
	if (known && (bps > 0 || cli_int(m, "remaining") == 0))
		snprintf(eta, sizeof(eta), "%llds", cli_int(m, "eta_s"));
	else
		snprintf(eta, sizeof(eta), "?");
	snprintf(line, sizeof(line), "%-12s memory %5.1f%%  disk %5.1f%%  "
	    "%7.1f MB/s  dirty %6.1f MB/s  remaining %-10s ETA %s",
	    phase, json_number_value(json_object_get(m, "memory_pct")),
	    json_number_value(json_object_get(m, "disk_pct")), bps / 1e6,
	    dirty / 1e6, rem, eta);
	if (v->tty) {
		printf("\r\033[K%s", line);
		v->line_open = 1;
	} else if (now - v->last_print >= 2 || strcmp(phase,
	    v->last_phase) != 0) {
		printf("%s\n", line);
		v->last_print = now;
	}
	snprintf(v->last_phase, sizeof(v->last_phase), "%s", phase);
	fflush(stdout);
}

static void
print_event(struct mig_view *v, json_t *m)
{
	const char	*ev = cli_str(m, "event");

	if (strcmp(ev, "job") == 0) {
		snprintf(v->job, sizeof(v->job), "%s", cli_str(m, "job"));
		printf("job %s: %s from %s to %s\n", v->job, cli_str(m,
		    "domain"), cli_str(m, "from"), cli_str(m, "to"));
	} else if (strcmp(ev, "progress") == 0)
		print_progress(v, m);
	else if (strcmp(ev, "phase") == 0) {
		view_endline(v);
		if (cli_str(m, "detail")[0] != '\0')
			printf("%s: %s\n", cli_str(m, "phase"), cli_str(m,
			    "detail"));
		else
			printf("%s\n", cli_str(m, "phase"));
	}
	fflush(stdout);
}

static void
print_plan(json_t *res)
{
	json_t	*plan = json_object_get(res, "plan"), *c;
	size_t	 i;

	json_array_foreach(json_object_get(plan, "checks"), i, c)
		printf("  %s %-8s %-8s %s\n", json_is_true(json_object_get(c,
		    "ok")) ? "ok  " : "FAIL", *cli_str(c, "site") ? cli_str(c,
		    "site") : "here", cli_str(c, "check"), cli_str(c,
		    "detail"));
	if (json_array_size(json_object_get(plan, "addresses")) > 0) {
		printf("  addresses (from %s):", cli_str(plan,
		    "addresses_from"));
		json_array_foreach(json_object_get(plan, "addresses"), i, c)
			printf(" %s", json_string_value(c));
		printf("\n");
	}
	if (json_array_size(json_object_get(plan, "steps")) > 0)
		printf("network plan %s:\n", cli_str(plan, "plan_mode"));
	json_array_foreach(json_object_get(plan, "steps"), i, c)
		printf("  %-8s %s\n", cli_str(c, "site"), cli_str(c, "step"));
}

/* "73.5 MiB: memory 60.0 MiB, disk (NBD) 13.2 MiB, libvirt RPC 180 KiB" */
static void
print_streams(json_t *res)
{
	static const char *const order[] = { "mig", "nbd", "libvirt" };
	static const char *const label[] = { "memory", "disk (NBD)",
	    "libvirt RPC" };
	json_t		*st = json_object_get(res, "tunnel_streams"), *v;
	const char	*k;
	char		 b[32];
	size_t		 i;
	int		 n = 0;

	fmt_bytes(b, sizeof(b), (uint64_t)cli_int(res, "tunnel_bytes"));
	printf("  tunnel     %s", b);
	for (i = 0; i < 3; i++) {
		if ((v = json_object_get(st, order[i])) == NULL)
			continue;
		fmt_bytes(b, sizeof(b), (uint64_t)json_integer_value(v));
		printf("%s%s %s", n++ ? ", " : ": ", label[i], b);
	}
	json_object_foreach(st, k, v) {
		if (strcmp(k, "mig") == 0 || strcmp(k, "nbd") == 0 ||
		    strcmp(k, "libvirt") == 0)
			continue;
		fmt_bytes(b, sizeof(b), (uint64_t)json_integer_value(v));
		printf("%sdisk %s %s", n++ ? ", " : ": ", k, b);
	}
	printf("\n");
}

/* "64.0 MiB copied of 1.0 GiB (64.0 MiB allocated)" */
static void
print_disk(json_t *res)
{
	char	 copied[32], cap[32], alloc[32];

	fmt_bytes(copied, sizeof(copied), (uint64_t)cli_int(res,
	    "disk_bytes"));
	fmt_bytes(cap, sizeof(cap), (uint64_t)cli_int(res, "disk_capacity"));
	fmt_bytes(alloc, sizeof(alloc), (uint64_t)cli_int(res,
	    "disk_allocation"));
	if (cli_int(res, "disk_capacity") == 0)
		printf("  disk       %s\n", cli_int(res, "disk_bytes") ?
		    copied : "none copied (no local disk)");
	else if (cli_int(res, "disk_bytes") == 0)
		printf("  disk       %s (%s allocated); libvirt reported no "
		    "copy figure\n", cap, alloc);
	else
		printf("  disk       %s copied of %s (%s allocated)\n", copied,
		    cap, alloc);
}

/* "over site-b's replica: final point p000012 (3.1 MiB), then the writes after it" */
static void
print_replica(json_t *res)
{
	json_t	*r = json_object_get(res, "replica");
	char	 b[32];

	if (r != NULL) {
		fmt_bytes(b, sizeof(b), (uint64_t)cli_int(r, "final_bytes"));
		printf("  replica    over %s's: final point %s (%s shipped), "
		    "then the writes after it\n", cli_str(r, "site"),
		    cli_str(r, "point"), b);
	} else if (*cli_str(res, "replica_note"))
		printf("  replica    %s\n", cli_str(res, "replica_note"));
	if ((r = json_object_get(res, "postcopy_resumed")) != NULL)
		printf("  post-copy  interrupted (%s), resumed after the tunnel "
		    "came back (%lld attempt%s)\n", cli_str(r, "why"),
		    cli_int(r, "attempts"), cli_int(r, "attempts") == 1 ? "" :
		    "s");
}

static void
print_summary(json_t *res)
{
	char	 mem[32], total[32];
	json_t	*reach;
	int	 offline = json_is_true(json_object_get(res, "offline"));

	if (strcmp(cli_str(res, "state"), "planned") == 0) {
		printf("dry run: nothing moved; every check passed:\n");
		print_plan(res);
		return;
	}
	fmt_bytes(mem, sizeof(mem), (uint64_t)cli_int(res,
	    "memory_bytes"));
	if (cli_int(res, "memory_total") > 0) {
		fmt_bytes(total, sizeof(total), (uint64_t)cli_int(res,
		    "memory_total"));
		snprintf(mem + strlen(mem), sizeof(mem) - strlen(mem),
		    " sent of %s", total);
	}
	printf("%s %s to %s in %.1f s\n", cli_str(res, "domain"),
	    offline ? "copied" : "moved",
	    cli_str(res, "where"), json_number_value(json_object_get(res,
	    "seconds")));
	printf("  result     %s (job %s)\n", cli_str(res, "state"),
	    cli_str(res, "job"));
	if (!offline && cli_int(res, "downtime_ms") == 0)
		printf("  downtime   n/a (post-copy: not reported)\n"
		    "  memory     %s\n", mem);
	else if (!offline)
		printf("  downtime   %lld ms\n  memory     %s\n",
		    cli_int(res, "downtime_ms"), mem);
	print_disk(res);
	print_replica(res);
	print_streams(res);
	printf("  %-10s %s\n", offline ? "now at" : "runs at",
	    cli_str(res, "where"));
	reach = json_object_get(res, "reach");
	if (json_is_true(json_object_get(reach, "ok")) &&
	    json_object_get(reach, "ms") != NULL)
		printf("  reachable  from %s after %lld ms (plan %s)%s%s\n",
		    cli_str(res, "where"), cli_int(reach, "ms"),
		    cli_str(res, "plan_mode"), *cli_str(reach, "probe") ?
		    ", asked by " : "", cli_str(reach, "probe"));
	else if (reach != NULL && *cli_str(reach, "detail") &&
	    strcmp(cli_str(res, "plan_mode"), "none") != 0)
		printf("  reachable  %s\n", cli_str(reach, "detail"));
	if (*cli_str(res, "warning"))
		printf("  warning    %s\n", cli_str(res, "warning"));
}

static void
send_cancel(struct cli *cli, struct mig_view *v)
{
	json_t	*res;

	if (v->job[0] == '\0')
		return;
	view_endline(v);
	printf("cancelling job %s (Ctrl-C again to leave it running)\n",
	    v->job);
	fflush(stdout);
	if (cli_call(cli, json_pack("{s:s, s:s}", "cmd", CTL_CANCEL, "job",
	    v->job), &res, NULL, NULL) == 0)
		json_decref(res);
	v->cancel_sent = 1;
}

static int
migrate_wait(struct cli *cli, struct vmgw_client *c, struct mig_view *v)
{
	json_t	*m;
	char	 err[512];
	int	 r, ret;

	for (;;) {
		if (mig_sigint == 1 && !v->cancel_sent)
			send_cancel(cli, v);
		else if (mig_sigint >= 2) {
			view_endline(v);
			fprintf(stderr, "vmgw: left job %s running (vmgw jobs; "
			    "vmgw cancel %s)\n", v->job, v->job);
			return 130;
		}
		if ((r = client_recv(c, &m, 250, err, sizeof(err))) == -2)
			continue;
		if (r <= 0) {
			view_endline(v);
			fprintf(stderr, "vmgw: %s\n", r == 0 ? "vmgwd closed the "
			    "connection; see vmgw jobs" : err);
			return VMGW_EXIT_DAEMON;
		}
		if (cli->json) {
			json_dumpf(m, stdout, JSON_COMPACT);
			putchar('\n');
			fflush(stdout);
		}
		if (strcmp(cli_str(m, "type"), "result") != 0) {
			if (!cli->json)
				print_event(v, m);
			json_decref(m);
			continue;
		}
		view_endline(v);
		if (json_is_true(json_object_get(m, "ok"))) {
			if (!cli->json)
				print_summary(m);
			ret = 0;
		} else {
			ret = (int)cli_int(m, "exit");
			if (!cli->json) {
				if (*cli_str(m, "job"))
					fprintf(stderr, "vmgw: job %s %s: %s\n",
					    cli_str(m, "job"), cli_str(m,
					    "state"), cli_str(m, "error"));
				else
					fprintf(stderr, "vmgw: %s\n",
					    cli_str(m, "error"));
				if (*cli_str(m, "where"))
					fprintf(stderr, "  %s runs at %s\n",
					    cli_str(m, "domain")[0] ?
					    cli_str(m, "domain") : "the guest",
					    cli_str(m, "where"));
				if (strcmp(cli_str(m, "state"), "refused") == 0 &&
				    json_is_object(json_object_get(m, "plan")))
					print_plan(m);
			}
		}
		json_decref(m);
		return ret > 0 || ret == 0 ? ret : VMGW_EXIT_FAIL;
	}
}

static int
migrate_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "offline", no_argument, NULL, 'o' },
		{ "postcopy", no_argument, NULL, 'p' },
		{ "max-downtime", required_argument, NULL, 'D' },
		{ "bandwidth", required_argument, NULL, 'b' },
		{ "parallel", required_argument, NULL, 'P' },
		{ "keep-source", no_argument, NULL, 'k' },
		{ "full-copy", no_argument, NULL, 'F' },
		{ "replicated", no_argument, NULL, 'R' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct mig_view		 v;
	struct vmgw_client	 c;
	struct sigaction	 sa;
	json_t			*req = json_pack("{s:s}", "cmd", CTL_MIGRATE);
	char			*end;
	long			 n;
	int			 ch, ret;

	while ((ch = getopt_long(argc, argv, "t:nopD:b:P:kFRj", opts, NULL)) !=
	    -1) {
		switch (ch) {
		case 't':
			json_object_set_new(req, "to", json_string(optarg));
			break;
		case 'n':
			json_object_set_new(req, "dry_run", json_true());
			break;
		case 'o':
			json_object_set_new(req, "offline", json_true());
			break;
		case 'p':
			json_object_set_new(req, "postcopy", json_true());
			break;
		case 'k':
			json_object_set_new(req, "keep_source", json_true());
			break;
		case 'F':
			json_object_set_new(req, "full_copy", json_true());
			break;
		case 'R':
			json_object_set_new(req, "replicated", json_true());
			break;
		case 'j':
			cli->json = 1;
			break;
		case 'b':
			json_object_set_new(req, "bandwidth",
			    json_string(optarg));
			break;
		case 'D':
		case 'P':
			n = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0') {
				fprintf(stderr, "vmgw: --%s %s: not a number\n",
				    ch == 'D' ? "max-downtime" : "parallel",
				    optarg);
				json_decref(req);
				return VMGW_EXIT_USAGE;
			}
			json_object_set_new(req, ch == 'D' ? "max_downtime_ms" :
			    "parallel", json_integer(n));
			break;
		default:
			json_decref(req);
			return cli_usage(&cmd_migrate);
		}
	}
	if (optind != argc - 1 || json_object_get(req, "to") == NULL) {
		json_decref(req);
		return cli_usage(&cmd_migrate);
	}
	json_object_set_new(req, "domain", json_string(argv[optind]));
	if ((ret = cli_connect(cli, &c)) != 0) {
		json_decref(req);
		return ret;
	}
	memset(&v, 0, sizeof(v));
	v.tty = isatty(STDOUT_FILENO) && !cli->json;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = mig_sig;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (client_send(&c, req) == -1) {
		client_close(&c);
		return VMGW_EXIT_DAEMON;
	}
	ret = migrate_wait(cli, &c, &v);
	client_close(&c);
	return ret;
}

const struct cli_cmd cmd_migrate = {
	.name = "migrate",
	.args = "DOMAIN --to SITE [--dry-run] [--offline] [--postcopy] "
	    "[--max-downtime MS] [--bandwidth RATE] [--parallel N] "
	    "[--keep-source] [--full-copy | --replicated] [--json]",
	.summary = "move a guest to SITE (live, or --offline)",
	.help = "  --to SITE          the destination gateway's site "
	    "(required)\n"
	    "  --dry-run          every check at both sites and the plan's "
	    "steps; nothing\n                     moves\n"
	    "  --offline          a shut-off guest: copy its volumes and define "
	    "it at SITE\n"
	    "  --postcopy         switch to post-copy after the first memory "
	    "pass\n"
	    "  --max-downtime MS  the longest pause allowed at the switchover\n"
	    "  --bandwidth RATE   cap, bytes/s with K/M/G (vmgw set-bandwidth "
	    "changes it)\n"
	    "  --parallel N       N memory connections (QEMU multifd)\n"
	    "  --keep-source      keep the guest's definition and volumes here\n"
	    "  --full-copy        copy the disks in full, even over a replica at "
	    "SITE\n"
	    "  --replicated       pause, ship a final point and the saved state; "
	    "restore it\n                     at SITE (a guest protected to "
	    "SITE; downtime: the state's\n                     copy)\n"
	    "  --json, -j         events and the result as JSON, one per line\n"
	    "\nA guest protected to SITE moves over its replica there: a final "
	    "point is\nshipped, and only what the guest writes after it is "
	    "mirrored.\n"
	    "\nProgress, then a summary: time, downtime, memory and disk sizes, "
	    "the bytes\nthrough the tunnel per stream.  Ctrl-C cancels (the "
	    "guest stays here); a\nsecond Ctrl-C leaves the job running.\n",
	.exec = migrate_exec,
};
