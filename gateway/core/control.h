/*
 * control.h - the CLI's socket (control.c): one JSON request per line,
 * events and one result back (the protocol is common/ctlproto.h).
 *
 * The layer that owns a command registers it (ctl_register) when it starts;
 * control.c only reads requests, checks the protocol version and
 * dispatches by "cmd".
 */
#ifndef VMGW_CONTROL_H
#define VMGW_CONTROL_H

#include <sys/types.h>

#include <event2/bufferevent.h>
#include <jansson.h>

#include "gw.h"
#include "ctlproto.h"

typedef void (*ctl_close_cb)(struct ctl_conn *, void *arg);
typedef void (*ctl_fn)(struct ctl_conn *, json_t *req);

struct ctl_conn {
	TAILQ_ENTRY(ctl_conn)	 entry;
	struct gw		*gw;
	struct bufferevent	*bev;
	int			 busy;		/* a command is running */
	ctl_close_cb		 on_close;	/* the client went away */
	void			*on_close_arg;
	uid_t			 uid;
	pid_t			 pid;
};

/* control.c */
int	 ctl_register(const char *cmd, ctl_fn);	/* cmd: static storage */
int	 control_init(struct gw *);
void	 control_free(struct gw *);
void	 ctl_send(struct ctl_conn *, json_t *msg);	/* steals msg */
void	 ctl_event(struct ctl_conn *, const char *type, json_t *fields);
void	 ctl_ok(struct ctl_conn *, json_t *fields);	/* final; steals */
void	 ctl_error(struct ctl_conn *, int exitcode, const char *fmt, ...)
	    LOG_FMT(3, 4);
void	 ctl_done(struct ctl_conn *);	/* command over: accept the next one */
void	 ctl_set_close_cb(struct ctl_conn *, ctl_close_cb, void *);
/* the requests buffered in in (the read callback; the fuzz harness) */
void	 ctl_input(struct ctl_conn *, struct evbuffer *in);

#endif /* VMGW_CONTROL_H */
