/*
 * ctlproto.h - the protocol between the `vmgw` CLI and the local vmgwd.
 *
 * Bump CTL_VERSION if anything here changes.
 *
 * A UNIX stream socket (config `control`, mode 0600).  Each message is one
 * line of JSON.  The CLI sends one request per connection:
 *
 *   {"v": 3, "cmd": "check", ...arguments...}
 *
 * and reads any number of events, then exactly one result:
 *
 *   {"type": "event", "event": "progress", ...}
 *   {"type": "result", "ok": true, ...}
 *   {"type": "result", "ok": false, "error": "one line", "exit": 4}
 *
 * The daemon validates every argument; the CLI only packs argv and prints.
 * Closing the connection ends commands that live with it (forward, bench).
 *
 *   cmd            request fields             (the daemon file that serves it)
 *   check          site                       (transport/check.c)
 *                    -> site, address, fingerprint, public_key, suite, handshake_rtt_us, ...
 *   status         (none)                     (transport/status.c)
 *                    -> site, listen, fingerprint, version, started, peers [...]
 *   forward        to, listen, connect        (transport/forward.c)
 *                    events "listening", "conn"; lives with the connection
 *   bench          site, bytes                (transport/bench.c)
 *                    -> site, bytes, seconds, mb_per_s, suite
 *   migrate        domain, to, dry_run, offline, postcopy, keep_source,
 *                  parallel (0..32), max_downtime_ms (1..600000),
 *                  bandwidth ("50M")          (migrate/mig_src.c)
 *                    events "job", "phase", "progress"; -> the summary
 *   jobs           (none)                     (jobs/jobctl.c)
 *                    -> jobs [every job's record]
 *   cancel         job                        (jobs/jobctl.c)
 *                    -> job, state "cancelling"
 *   set-bandwidth  job, rate ("20M", "0")     (jobs/jobctl.c)
 *                    -> job, bandwidth (bytes/s)
 *   protect        domain, to, rpo ("60s", "5m"), keep (1..1000), quiesce,
 *                  bandwidth                  (dr/dr_ctl.c)
 *                    -> domain, to, rpo_s, keep, quiesce, bandwidth
 *   unprotect      domain, keep_replica      (dr/dr_ctl.c)
 *                    -> domain, to, kept_replica
 *   replication    domain (optional)          (dr/dr_ctl.c)
 *                    -> guests [{domain, to, state, reason, rpo_s,
 *                       target_rpo_s, last_bytes, last_changed,
 *                       last_duration_s, throughput_bps, points_kept,
 *                       newest_point, consistency, ...}], violated
 *   sync           domain                     (dr/dr_ctl.c)
 *                    event "sync"; -> domain, point, consistency, reason,
 *                       bytes, changed, seconds
 *   points         domain                     (dr/dr_ctl.c)
 *                    -> points [{id, seq, start, end, consistency, reason,
 *                       bytes, pinned, disks [{target, file, size}]}],
 *                       dir, source_site, site ("backup" | "here")
 *   failover       domain, point (an id, "latest" (default), "latest-app"),
 *                  test (bool), end (bool, with test), check {tcp: 1..65535,
 *                  timeout: seconds 1..3600, default 30}
 *                                             (dr/dr_failover.c, dr/dr_test.c)
 *                    events "step"; -> domain, site, point, consistency,
 *                       point_start, rpo_s, achieved_rpo_s, rto_s, reach,
 *                       check {tcp, address, ok, ms, detail} | null, hooks,
 *                       home
 *                  test: -> domain, copy, uuid, site, point, consistency,
 *                       point_start, achieved_rpo_s, rto_s, network {name,
 *                       bridge, made}, probe {from, interface}, reach,
 *                       check, result
 *                  test + end: -> domain, copy, point, tested_at,
 *                       test_result, removed [{what, name}]
 *                  A failed probe or check answers ok false, exit 1, with
 *                  the error and the same fields as success.
 *   reprotect      domain, rpo, keep, quiesce, bandwidth (optional)
 *                                             (dr/dr_reverse.c)
 *                    events "step", "reprotect" {domain, to, dir, rpo_s,
 *                       keep}; -> as sync (the first point)
 *   points         (also) tested_at, test_result per point
 *   clone          domain, name, point (as failover's), linked (bool),
 *                  start (bool: needs network), network; or name and
 *                  remove (bool); to: refused (not supported)
 *                                             (dr/dr_clone.c)
 *                    -> name, uuid, domain, site, point, point_start,
 *                       consistency, linked, disks [{target, file}],
 *                       network (null: the point's kept), interfaces
 *                       [{mac, type, network}], pinned, started
 *                  remove: -> name, domain, point, removed [{what, name}]
 *   plan-check     plan {name, from, to, mode (failover|test|migrate),
 *                  groups [{name, guests [...], check {tcp, timeout},
 *                  post}]}                    (dr/dr_plan.c)
 *                    -> plan, site, problems [lines], guests [{guest,
 *                       group, point, point_start, consistency, rpo_s}]
 *                       (migrate, checked at from: [{guest, group, state}])
 *   plan-post      plan, group, from, to, mode, script, guests [...]
 *                                             (dr/dr_plan.c)
 *                    -> group, script (runs it like a hook, here)
 *   plan-report    plan, report (a JSON object, at most 200 KiB)
 *                                             (dr/dr_plan.c)
 *                    -> path (state_dir/plans/<plan>-<UTC>.json)
 */
#ifndef VMGW_CTLPROTO_H
#define VMGW_CTLPROTO_H

#define CTL_VERSION	3		/* bump if anything here changes; 2: failover
				 * test/end/check (a v1 daemon would take a
				 * test for a real failover); 3: clone */
#define CTL_LINE_MAX	(256 * 1024)	/* longest request or reply line */

/* commands */
#define CTL_CHECK		"check"
#define CTL_STATUS		"status"
#define CTL_FORWARD		"forward"
#define CTL_BENCH		"bench"
#define CTL_MIGRATE		"migrate"
#define CTL_JOBS		"jobs"
#define CTL_CANCEL		"cancel"
#define CTL_SET_BANDWIDTH	"set-bandwidth"
#define CTL_PROTECT		"protect"
#define CTL_UNPROTECT		"unprotect"
#define CTL_REPLICATION		"replication"
#define CTL_SYNC		"sync"
#define CTL_POINTS		"points"
#define CTL_FAILOVER		"failover"
#define CTL_REPROTECT		"reprotect"
#define CTL_CLONE		"clone"
#define CTL_PLAN_CHECK		"plan-check"
#define CTL_PLAN_POST		"plan-post"
#define CTL_PLAN_REPORT		"plan-report"

/* exit codes of `vmgw` (documented in README and vmgw(1)) */
enum vmgw_exit {
	VMGW_EXIT_OK		= 0,	/* done */
	VMGW_EXIT_FAIL		= 1,	/* the operation failed (reason printed) */
	VMGW_EXIT_USAGE		= 2,	/* bad arguments or configuration */
	VMGW_EXIT_DAEMON	= 3,	/* cannot talk to the local vmgwd */
	VMGW_EXIT_PEER		= 4,	/* the peer is unreachable or not authenticated */
	VMGW_EXIT_CANCELLED	= 5,	/* cancelled (vmgw cancel, Ctrl-C) */
	VMGW_EXIT_REFUSED	= 6	/* refused before anything moved (checks failed) */
};

#endif /* VMGW_CTLPROTO_H */
