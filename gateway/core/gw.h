/*
 * gw.h - the daemon's context: one struct gw per vmgwd, one libevent loop.
 *
 * core/ is the bottom layer of the daemon: the event loop and this context,
 * logging (log.h), workers for blocking calls (worker.h), the control
 * socket and its command table (control.h), and small libevent helpers
 * (evutil.h).  Every other daemon layer may use it; it uses none of them.
 *
 * The fields below the line belong to the layers above, each named with its
 * owner.  core/ only declares them (their types stay opaque here) so that
 * every layer reaches its own state from the one context it is handed.
 */
#ifndef VMGW_GW_H
#define VMGW_GW_H

#include <sys/queue.h>
#include <stdint.h>
#include <time.h>

#include <event2/event.h>
#include <event2/dns.h>
#include <event2/listener.h>

#include "config.h"
#include "log.h"
#include "util.h"

struct peer;
struct tunnel;
struct ctl_conn;
struct work;
struct conf_retired;
struct metrics_server;

TAILQ_HEAD(peer_list, peer);
TAILQ_HEAD(tunnel_list, tunnel);
TAILQ_HEAD(ctl_list, ctl_conn);
TAILQ_HEAD(work_list, work);

struct gw {
	struct event_base	*base;
	struct evdns_base	*dns;
	struct vmgw_config	*conf;		/* the current one (reload.c) */
	uint64_t		 conf_epoch;	/* reload.c: reloads applied */
	time_t			 conf_loaded_wall;	/* reload.c */
	struct conf_retired	*conf_retired;	/* reload.c: kept while used */
	struct work_list	 workers;	/* worker.c: running, oldest first */
	uint64_t		 worker_seq;	/* worker.c */
	struct metrics_server	*metrics;	/* metrics.c */
	struct evconnlistener	*ctl_listener;	/* control.c */
	struct ctl_list		 ctls;		/* control.c */
	struct event		*sig_term, *sig_int, *sig_hup;
	struct event		*watchdog;	/* sdnotify.c */
	time_t			 started_wall;
	int			 shutting_down;
	/*
	 * The user QEMU runs as (libvirt's qemu.conf user), who must reach
	 * the job sockets: -1 until known.  qemu_owner (set by vmgwd.c, it
	 * asks libvirt) learns it when a job first needs it (job_mkrundir).
	 */
	long			 qemu_uid;
	int			(*qemu_owner)(struct gw *, long *uid, char *err,
				    size_t errlen);

	/* ---- owned by the layers above (opaque here) */
	struct evconnlistener	*listener;	/* transport: peers connect */
	struct peer_list	 peers;		/* transport: peer.c */
	struct peer_list	 peers_gone;	/* transport: removed by a reload */
	struct tunnel_list	 pending;	/* transport: unauthenticated */
	size_t			 npending;	/* transport */
	struct pmsg_state	*pmsg;		/* transport: peermsg.c */
	struct netplan_events	*npev;		/* netplan: events.c */
	struct job_list		*jobs;		/* jobs: job.c */
};

/* An initialised, empty context for conf (lists empty, no loop yet). */
void	 gw_init(struct gw *, struct vmgw_config *);

#endif /* VMGW_GW_H */
