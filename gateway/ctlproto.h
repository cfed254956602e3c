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
 * Closing the connection ends commands that live with it (forward).
 */
#ifndef VMGW_CTLPROTO_H
#define VMGW_CTLPROTO_H

#define CTL_VERSION	1		/* bump if anything here changes */
#define CTL_LINE_MAX	(256 * 1024)	/* longest request or reply line */

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
