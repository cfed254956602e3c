/*
 * control.c - the CLI's socket: one JSON request per line, events and one
 * result back (ctlproto.h).  The daemon does all validation here and in the
 * handlers; a malformed or oversized request ends that connection with an
 * error and touches nothing else.  The handlers are registered by the
 * layers that own them (ctl_register); this file knows none of them.
 */
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <event2/buffer.h>

#include "control.h"

#define CTL_CMDS_MAX	48

struct ctl_cmd {
	const char	*name;
	ctl_fn		 fn;
};

static struct ctl_cmd	ctl_cmds[CTL_CMDS_MAX];
static size_t		nctl_cmds;

/* Register (or replace) the handler of a command; -1 when the table is full. */
int
ctl_register(const char *cmd, ctl_fn fn)
{
	size_t	 i;

	for (i = 0; i < nctl_cmds; i++) {
		if (strcmp(ctl_cmds[i].name, cmd) == 0) {
			ctl_cmds[i].fn = fn;
			return 0;
		}
	}
	if (nctl_cmds == CTL_CMDS_MAX)
		return -1;
	ctl_cmds[nctl_cmds].name = cmd;
	ctl_cmds[nctl_cmds].fn = fn;
	nctl_cmds++;
	return 0;
}

static void	ctl_readcb(struct bufferevent *, void *);
static void	ctl_eventcb(struct bufferevent *, short, void *);

static void
ctl_conn_free(struct ctl_conn *c)
{
	ctl_close_cb	 cb = c->on_close;

	c->on_close = NULL;
	if (cb != NULL)
		cb(c, c->on_close_arg);
	TAILQ_REMOVE(&c->gw->ctls, c, entry);
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	free(c);
}

static void
ctl_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int socklen, void *arg)
{
	struct gw	*gw = arg;
	struct ctl_conn	*c;
	struct ucred	 cred;
	socklen_t	 clen = sizeof(cred);

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		evutil_closesocket(fd);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0) {
		c->uid = cred.uid;
		c->pid = cred.pid;
	}
	c->gw = gw;
	if ((c->bev = bufferevent_socket_new(gw->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		evutil_closesocket(fd);
		free(c);
		return;
	}
	TAILQ_INSERT_TAIL(&gw->ctls, c, entry);
	bufferevent_setcb(c->bev, ctl_readcb, NULL, ctl_eventcb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, CTL_LINE_MAX + 1);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

int
control_init(struct gw *gw)
{
	const char		*path = gw->conf->control;
	struct sockaddr_un	 sun;
	struct stat		 st;
	char			 dir[sizeof(sun.sun_path)];
	evutil_socket_t		 fd;
	mode_t			 old;

	snprintf(dir, sizeof(dir), "%s", path);
	if (mkdir_p(dirname(dir), 0755) == -1) {
		log_warn("control: cannot create the directory of %s", path);
		return -1;
	}
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_warnx("control: %s exists and is not a socket",
			    path);
			return -1;
		}
		unlink(path);	/* a stale socket of an earlier vmgwd */
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1)
		return -1;
	old = umask(0077);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		log_warn("control: bind %s", path);
		close(fd);
		return -1;
	}
	umask(old);
	if (chmod(path, 0600) == -1 || listen(fd, 16) == -1) {
		log_warn("control: %s", path);
		close(fd);
		return -1;
	}
	if ((gw->ctl_listener = evconnlistener_new(gw->base, ctl_accept, gw,
	    LEV_OPT_CLOSE_ON_FREE, -1, fd)) == NULL) {
		close(fd);
		return -1;
	}
	return 0;
}

void
control_free(struct gw *gw)
{
	struct ctl_conn	*c;

	while ((c = TAILQ_FIRST(&gw->ctls)) != NULL)
		ctl_conn_free(c);
	if (gw->ctl_listener != NULL) {
		evconnlistener_free(gw->ctl_listener);
		gw->ctl_listener = NULL;
		unlink(gw->conf->control);
	}
}

/* ------------------------------------------------------------ replies */

void
ctl_send(struct ctl_conn *c, json_t *msg)
{
	char	*s;

	if (msg == NULL)
		return;
	if (c->bev != NULL && (s = json_dumps(msg, JSON_COMPACT)) != NULL) {
		bufferevent_write(c->bev, s, strlen(s));
		bufferevent_write(c->bev, "\n", 1);
		free(s);
	}
	json_decref(msg);
}

void
ctl_event(struct ctl_conn *c, const char *type, json_t *fields)
{
	json_t	*m = fields != NULL ? fields : json_object();

	json_object_set_new(m, "type", json_string("event"));
	json_object_set_new(m, "event", json_string(type));
	ctl_send(c, m);
}

void
ctl_ok(struct ctl_conn *c, json_t *fields)
{
	json_t	*m = fields != NULL ? fields : json_object();

	json_object_set_new(m, "type", json_string("result"));
	json_object_set_new(m, "ok", json_true());
	ctl_send(c, m);
	ctl_done(c);
}

void
ctl_error(struct ctl_conn *c, int exitcode, const char *fmt, ...)
{
	char	 msg[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ctl_send(c, json_pack("{s:s, s:b, s:s, s:i}", "type", "result", "ok", 0,
	    "error", msg, "exit", exitcode));
	ctl_done(c);
}

void
ctl_done(struct ctl_conn *c)
{
	c->busy = 0;
	c->on_close = NULL;
	c->on_close_arg = NULL;
}

void
ctl_set_close_cb(struct ctl_conn *c, ctl_close_cb cb, void *arg)
{
	c->on_close = cb;
	c->on_close_arg = arg;
}

/* ------------------------------------------------------------ requests */

static void
ctl_dispatch(struct ctl_conn *c, json_t *req)
{
	const char	*cmd;
	json_int_t	 v;
	size_t		 i;

	v = json_integer_value(json_object_get(req, "v"));
	cmd = json_string_value(json_object_get(req, "cmd"));
	if (v != CTL_VERSION) {
		ctl_error(c, VMGW_EXIT_DAEMON, "control protocol version %lld, "
		    "this vmgwd speaks %d: use the vmgw of the same release",
		    (long long)v, CTL_VERSION);
		return;
	}
	if (cmd == NULL) {
		ctl_error(c, VMGW_EXIT_USAGE, "request without a command");
		return;
	}
	for (i = 0; i < nctl_cmds; i++) {
		if (strcmp(ctl_cmds[i].name, cmd) == 0) {
			c->busy = 1;
			ctl_cmds[i].fn(c, req);
			return;
		}
	}
	ctl_error(c, VMGW_EXIT_USAGE, "unknown command '%s'", cmd);
}

/*
 * The requests buffered in `in`, one per line, while no command runs: what
 * the socket's read callback does with what it read (and what the fuzz
 * harness tests/fuzz/fuzz_ctl.c feeds).  An overlong line is refused and
 * reading stops (c->bev may be NULL: then the answers are dropped).
 */
void
ctl_input(struct ctl_conn *c, struct evbuffer *in)
{
	json_error_t	 jerr;
	json_t		*req;
	char		*line;
	size_t		 len;

	for (;;) {
		if (c->busy)
			return;	/* one command at a time per connection */
		line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF);
		if (line == NULL) {
			if (evbuffer_get_length(in) > CTL_LINE_MAX) {
				ctl_error(c, VMGW_EXIT_USAGE,
				    "request longer than %d bytes",
				    CTL_LINE_MAX);
				if (c->bev != NULL)
					bufferevent_disable(c->bev, EV_READ);
			}
			return;
		}
		req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
		free(line);
		if (req == NULL || !json_is_object(req)) {
			ctl_error(c, VMGW_EXIT_USAGE, "malformed request: %s",
			    req == NULL ? jerr.text : "not an object");
			json_decref(req);
			continue;
		}
		ctl_dispatch(c, req);
		json_decref(req);
	}
}

static void
ctl_readcb(struct bufferevent *bev, void *arg)
{
	ctl_input(arg, bufferevent_get_input(bev));
}

static void
ctl_eventcb(struct bufferevent *bev, short what, void *arg)
{
	struct ctl_conn	*c = arg;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		ctl_conn_free(c);
}
