/*
 * ctlproto.h - the protocol between the `vmgw` CLI and the local vmgwd.
 *
 * Bump CTL_VERSION if anything here changes.
 *
 * A UNIX stream socket (config `control`, mode 0600).  Each message is one
 * line of JSON.  The CLI sends one request per connection:
 *
 *   {"v": 1, "cmd": "check", ...arguments...}
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
 */
#ifndef VMGW_CTLPROTO_H
#define VMGW_CTLPROTO_H

#define CTL_VERSION	1		/* bump if anything here changes */
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
