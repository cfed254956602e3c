/*
 * forward.c - `vmgw forward --to SITE --listen ADDR --connect ADDR`, like
 * `ssh -L`: this gateway accepts connections at ADDR on its site and has
 * SITE's gateway connect each one to ADDR on SITE's site.
 *
 * SITE's gateway decides: the target must be in its forward_targets.  That
 * is asked once before listening (so a refusal is a clear error at once)
 * and enforced again for every connection.  The forward lives as long as the
 * CLI's control connection: Ctrl-C on `vmgw forward` ends it and aborts its
 * connections.  The far side of both (the "forward" channel kind and the
 * forward-check op) is at the end of this file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netdb.h>

#include "transport.h"

struct fwd;

struct fwd_conn {
	TAILQ_ENTRY(fwd_conn)	 entry;
	struct fwd		*fwd;
	struct relay		*relay;
	evutil_socket_t		 fd;		/* until the tunnel is there */
	struct peer_waiter	*wait;
	char			 from[320];
};

struct fwd {
	struct ctl_conn		*ctl;
	struct peer		*peer;
	struct vmgw_addr	 listen;
	struct vmgw_addr	 connect;
	struct evconnlistener	*listener;
	TAILQ_HEAD(, fwd_conn)	 conns;
	uint64_t		 nconns;
	int			 unlink_listen;
	int			 checking;	/* waiting for the peer's answer */
};

static void
fwd_conn_free(struct fwd_conn *fc)
{
	TAILQ_REMOVE(&fc->fwd->conns, fc, entry);
	peer_wait_cancel(fc->wait);
	if (fc->fd != -1) {
		relay_abort_socket(fc->fd);
		close(fc->fd);
	}
	free(fc);
}

static void
fwd_free(struct fwd *f)
{
	struct fwd_conn	*fc;

	while ((fc = TAILQ_FIRST(&f->conns)) != NULL) {
		if (fc->relay != NULL)
			relay_abort(fc->relay, "forward stopped");	/* frees fc */
		else
			fwd_conn_free(fc);
	}
	if (f->listener != NULL)
		evconnlistener_free(f->listener);
	if (f->unlink_listen)
		unlink(f->listen.path);
	if (f->ctl != NULL)
		ctl_set_close_cb(f->ctl, NULL, NULL);
	free(f);
}

static void
fwd_conn_done(struct relay *r, const char *reason, void *arg)
{
	struct fwd_conn	*fc = arg;
	struct fwd	*f = fc->fwd;
	uint64_t	 up, down;

	relay_counts(r, &up, &down);
	fc->relay = NULL;
	if (f->ctl != NULL)
		ctl_event(f->ctl, "conn", json_pack("{s:s, s:s, s:I, s:I, "
		    "s:s?}", "from", fc->from, "state", reason ? "failed" :
		    "closed", "bytes_up", (json_int_t)up, "bytes_down",
		    (json_int_t)down, "error", reason));
	fwd_conn_free(fc);
}

static void
fwd_conn_start(struct peer *p, struct tunnel *t, const char *err, void *arg)
{
	struct fwd_conn	*fc = arg;
	struct fwd	*f = fc->fwd;
	json_t		*req;
	char		 what[700];
	int		 rc;

	fc->wait = NULL;
	if (t == NULL) {
		if (f->ctl != NULL)
			ctl_event(f->ctl, "conn", json_pack("{s:s, s:s, s:s}",
			    "from", fc->from, "state", "failed", "error", err));
		fwd_conn_free(fc);
		return;
	}
	if ((fc->relay = relay_new(p->gw, fc->fd, NULL)) == NULL) {
		fwd_conn_free(fc);
		return;
	}
	fc->fd = -1;	/* the relay owns it */
	relay_set_done(fc->relay, fwd_conn_done, fc);
	snprintf(what, sizeof(what), "forward %s -> %s:%s", fc->from,
	    p->conf->name, f->connect.text);
	req = json_pack("{s:s, s:s}", "kind", CHAN_KIND_FORWARD, "target",
	    f->connect.text);
	rc = relay_open(fc->relay, p, req, what);
	json_decref(req);
	if (rc == -1) {
		relay_abort(fc->relay, "cannot open a channel");
		return;
	}
	if (f->ctl != NULL)
		ctl_event(f->ctl, "conn", json_pack("{s:s, s:s}", "from",
		    fc->from, "state", "open"));
}

static void
fwd_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int socklen, void *arg)
{
	struct fwd	*f = arg;
	struct fwd_conn	*fc;
	char		 host[INET6_ADDRSTRLEN + 8], serv[NI_MAXSERV];

	if ((fc = calloc(1, sizeof(*fc))) == NULL) {
		close(fd);
		return;
	}
	fc->fwd = f;
	fc->fd = fd;
	if (sa->sa_family == AF_UNIX)
		snprintf(fc->from, sizeof(fc->from), "%s#%llu", f->listen.text,
		    (unsigned long long)++f->nconns);
	else if (getnameinfo(sa, (socklen_t)socklen, host, sizeof(host), serv,
	    sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		snprintf(fc->from, sizeof(fc->from), "%s:%s", host, serv);
	else
		snprintf(fc->from, sizeof(fc->from), "?");
	TAILQ_INSERT_TAIL(&f->conns, fc, entry);
	if ((fc->wait = peer_wait(f->peer, 10, fwd_conn_start, fc)) == NULL)
		fwd_conn_free(fc);
}

static int
fwd_listen_unix(struct fwd *f, struct event_base *base, char *err,
    size_t errlen)
{
	struct sockaddr_un	 sun;
	struct stat		 st;

	if (lstat(f->listen.path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket",
			    f->listen.path);
			return -1;
		}
		unlink(f->listen.path);
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", f->listen.path);
	f->listener = evconnlistener_new_bind(base, fwd_accept, f,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 128,
	    (struct sockaddr *)&sun, sizeof(sun));
	if (f->listener == NULL) {
		snprintf(err, errlen, "listen %s: %s", f->listen.text,
		    strerror(errno));
		return -1;
	}
	f->unlink_listen = 1;
	chmod(f->listen.path, 0600);
	return 0;
}

static int
fwd_listen_tcp(struct fwd *f, struct event_base *base, char *err,
    size_t errlen)
{
	f->listener = listen_tcp(base, &f->listen, fwd_accept, f, 128, err,
	    errlen);
	return f->listener != NULL ? 0 : -1;
}

/* The peer said whether it allows the target: listen, or refuse. */
static void
fwd_checked(json_t *reply, const char *perr, void *arg)
{
	struct fwd	*f = arg;
	char		 err[400];
	int		 r;

	f->checking = 0;
	if (f->ctl == NULL) {
		fwd_free(f);
		return;
	}
	if (perr != NULL) {
		ctl_error(f->ctl, VMGW_EXIT_REFUSED, "%s: %s",
		    f->peer->conf->name, perr);
		fwd_free(f);
		return;
	}
	r = f->listen.kind == ADDR_UNIX ?
	    fwd_listen_unix(f, f->peer->gw->base, err, sizeof(err)) :
	    fwd_listen_tcp(f, f->peer->gw->base, err, sizeof(err));
	if (r == -1) {
		ctl_error(f->ctl, VMGW_EXIT_FAIL, "%s", err);
		fwd_free(f);
		return;
	}
	log_info("forward %s -> %s:%s started", f->listen.text,
	    f->peer->conf->name, f->connect.text);
	ctl_event(f->ctl, "listening", json_pack("{s:s, s:s, s:s}",
	    "listen", f->listen.text, "site", f->peer->conf->name,
	    "connect", f->connect.text));
}

static void
fwd_tunnel_ready(struct peer *p, struct tunnel *t, const char *err,
    void *arg)
{
	struct fwd	*f = arg;
	json_t		*m;

	if (f->ctl == NULL) {
		fwd_free(f);
		return;
	}
	if (t == NULL) {
		ctl_error(f->ctl, VMGW_EXIT_PEER, "%s", err);
		fwd_free(f);
		return;
	}
	m = json_pack("{s:s, s:s}", "op", PM_FORWARD_CHECK, "target",
	    f->connect.text);
	if (pmsg_request(p, m, 10, fwd_checked, f) == -1) {
		ctl_error(f->ctl, VMGW_EXIT_PEER, "tunnel to %s lost",
		    p->conf->name);
		fwd_free(f);
	}
	json_decref(m);
}

static void
fwd_ctl_closed(struct ctl_conn *c, void *arg)
{
	struct fwd	*f = arg;

	f->ctl = NULL;
	if (f->checking)
		return;		/* the pending check frees it */
	log_info("forward %s -> %s:%s stopped", f->listen.text,
	    f->peer->conf->name, f->connect.text);
	fwd_free(f);
}

void
ctl_forward(struct ctl_conn *c, json_t *req)
{
	const char	*site = json_string_value(json_object_get(req, "to"));
	const char	*ls = json_string_value(json_object_get(req, "listen"));
	const char	*cs = json_string_value(json_object_get(req, "connect"));
	struct fwd	*f;
	struct peer	*p;
	char		 err[300];

	if (site == NULL || (p = peer_find(c->gw, site)) == NULL) {
		ctl_error(c, VMGW_EXIT_USAGE, "--to %s: not a peer of %s",
		    site != NULL ? site : "(none)", c->gw->conf->site);
		return;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		ctl_error(c, VMGW_EXIT_FAIL, "out of memory");
		return;
	}
	TAILQ_INIT(&f->conns);
	f->ctl = c;
	f->peer = p;
	if (ls == NULL || addr_parse(&f->listen, ls, err, sizeof(err)) == -1) {
		ctl_error(c, VMGW_EXIT_USAGE, "--listen %s: %s",
		    ls ? ls : "", ls ? err : "missing");
		free(f);
		return;
	}
	if (cs == NULL || addr_parse(&f->connect, cs, err, sizeof(err)) == -1) {
		ctl_error(c, VMGW_EXIT_USAGE, "--connect %s: %s",
		    cs ? cs : "", cs ? err : "missing");
		free(f);
		return;
	}
	f->checking = 1;
	if (peer_wait(p, 10, fwd_tunnel_ready, f) == NULL) {
		ctl_error(c, VMGW_EXIT_FAIL, "out of memory");
		free(f);
		return;
	}
	ctl_set_close_cb(c, fwd_ctl_closed, f);
}

/* ------------------------------------------------------------ the far side */

static void
accept_forward(struct channel *ch, json_t *req)
{
	struct gw		*gw = ch->tunnel->gw;
	const char		*target;
	struct vmgw_addr	 a;
	char			 err[300], why[400];

	target = json_string_value(json_object_get(req, "target"));
	if (target == NULL) {
		chan_accept_fail(ch, "forward request without a target");
		return;
	}
	snprintf(ch->what, sizeof(ch->what), "forward to %s", target);
	if (addr_parse(&a, target, err, sizeof(err)) == -1) {
		snprintf(why, sizeof(why), "target %s: %s", target, err);
		chan_accept_fail(ch, why);
		return;
	}
	if (!config_forward_allowed(gw->conf, &a)) {
		snprintf(err, sizeof(err), "target %s is not in %s's "
		    "forward_targets", target, gw->conf->site);
		chan_accept_fail(ch, err);
		return;
	}
	if (relay_connect(gw, ch, &a, err, sizeof(err)) == -1)
		chan_accept_fail(ch, err);
}

static void
pm_forward_check(struct peer *p, json_int_t id, json_t *req)
{
	const struct vmgw_config *conf = p->gw->conf;
	const char	*target = json_string_value(json_object_get(req,
			    "target"));
	struct vmgw_addr a;
	char		 err[300];

	if (target == NULL || addr_parse(&a, target, err, sizeof(err)) == -1)
		pmsg_reply_error(p, id, "bad forward target: %s",
		    target == NULL ? "(none)" : err);
	else if (!config_forward_allowed(conf, &a))
		pmsg_reply_error(p, id, "target %s is not in %s's "
		    "forward_targets", target, conf->site);
	else
		pmsg_reply(p, id, json_object());
}

void
forward_init(void)
{
	accept_register(CHAN_KIND_FORWARD, accept_forward, 1);
	pmsg_register(PM_FORWARD_CHECK, pm_forward_check);
}
