/*
 * metrics.c - the Prometheus endpoint: GET /metrics on `metrics:
 * HOST:PORT` answers with every registered collector's families (text
 * exposition format 0.0.4).  Off unless configured.
 *
 * libmicrohttpd runs on the daemon's own event loop, with no thread of its
 * own: in its epoll mode MHD has a single file descriptor (its epoll set),
 * which sits in the loop as one read event, plus a timer for MHD's own
 * timeouts; both call MHD_run(), which never blocks.  So a collector runs
 * on the loop like everything else and reads live state, with no lock and
 * no snapshot to keep; a scrape costs the loop only the time to write the
 * text (microseconds per peer or job).  Connections are few and short: at
 * most METRICS_CONN_MAX, closed after METRICS_TIMEOUT idle seconds.
 *
 * The endpoint serves what `vmgw status` shows to anyone who can reach
 * the address: bind it to a management network or localhost.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netdb.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "metrics.h"
#include "reload.h"

#define METRICS_FNS_MAX		16
#define METRICS_CONN_MAX	16
#define METRICS_TIMEOUT		10	/* seconds */
#define METRICS_CTYPE		"text/plain; version=0.0.4; charset=utf-8"

struct metrics_server {
	struct gw		*gw;
	struct MHD_Daemon	*mhd;
	struct event		*ev;		/* MHD's epoll fd is readable */
	struct event		*timer;		/* MHD's next timeout */
	char			 addr[300];	/* as configured */
};

static metrics_fn	 metrics_fns[METRICS_FNS_MAX];
static size_t		 nmetrics_fns;

static void	metrics_apply(struct gw *, const struct vmgw_config *);

int
metrics_register(metrics_fn fn)
{
	size_t	 i;

	for (i = 0; i < nmetrics_fns; i++)
		if (metrics_fns[i] == fn)
			return 0;
	if (nmetrics_fns == METRICS_FNS_MAX)
		return -1;
	metrics_fns[nmetrics_fns++] = fn;
	return 0;
}

/* ------------------------------------------------------------ format */

void
metrics_family(struct evbuffer *out, const char *name, const char *type,
    const char *help)
{
	evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help,
	    name, type);
}

/* A label value: backslash, double quote and newline escaped. */
static void
metrics_label_value(struct evbuffer *out, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\')
			evbuffer_add(out, "\\\\", 2);
		else if (*v == '"')
			evbuffer_add(out, "\\\"", 2);
		else if (*v == '\n')
			evbuffer_add(out, "\\n", 2);
		else
			evbuffer_add(out, v, 1);
	}
}

static void
metrics_labels(struct evbuffer *out, va_list ap)
{
	const char	*k, *v;
	int		 first = 1;

	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		evbuffer_add_printf(out, "%s%s=\"", first ? "{" : ",", k);
		metrics_label_value(out, v != NULL ? v : "");
		evbuffer_add(out, "\"", 1);
		first = 0;
	}
	if (!first)
		evbuffer_add(out, "}", 1);
}

void
metrics_u64(struct evbuffer *out, const char *name, uint64_t v, ...)
{
	va_list	 ap;

	evbuffer_add_printf(out, "%s", name);
	va_start(ap, v);
	metrics_labels(out, ap);
	va_end(ap);
	evbuffer_add_printf(out, " %llu\n", (unsigned long long)v);
}

void
metrics_dbl(struct evbuffer *out, const char *name, double v, ...)
{
	va_list	 ap;

	evbuffer_add_printf(out, "%s", name);
	va_start(ap, v);
	metrics_labels(out, ap);
	va_end(ap);
	evbuffer_add_printf(out, " %.9g\n", v);
}

void
metrics_hist_init(struct metrics_hist *h, const double *bounds, size_t n)
{
	memset(h, 0, sizeof(*h));
	h->bounds = bounds;
	h->nbounds = n < METRICS_BUCKETS_MAX ? n : METRICS_BUCKETS_MAX - 1;
}

void
metrics_hist_observe(struct metrics_hist *h, double v)
{
	size_t	 i;

	for (i = 0; i < h->nbounds && v > h->bounds[i]; i++)
		;
	h->counts[i]++;		/* i == nbounds: +Inf only */
	h->count++;
	h->sum += v;
}

void
metrics_hist_write(struct evbuffer *out, const char *name,
    const struct metrics_hist *h, const char *label, const char *value)
{
	char		 n[128], le[32];
	uint64_t	 cum = 0;
	size_t		 i;

	snprintf(n, sizeof(n), "%s_bucket", name);
	for (i = 0; i <= h->nbounds; i++) {
		cum += h->counts[i];
		if (i < h->nbounds)
			snprintf(le, sizeof(le), "%g", h->bounds[i]);
		else
			snprintf(le, sizeof(le), "+Inf");
		if (label != NULL)
			metrics_u64(out, n, cum, label, value, "le", le, NULL);
		else
			metrics_u64(out, n, cum, "le", le, NULL);
	}
	snprintf(n, sizeof(n), "%s_sum", name);
	metrics_dbl(out, n, h->sum, label, value, NULL);
	snprintf(n, sizeof(n), "%s_count", name);
	metrics_u64(out, n, h->count, label, value, NULL);
}

/* ------------------------------------------------------------ content */

/* The daemon's own families: what runs, since when, which config. */
static void
metrics_core(struct gw *gw, struct evbuffer *out)
{
	char	 hex[CONF_DIGEST_HEX + 1];

	conf_digest_hex(gw->conf, hex);
	metrics_family(out, "vmgw_build_info", "gauge",
	    "Always 1: the version of this vmgwd.");
	metrics_u64(out, "vmgw_build_info", 1, "version", VMGW_VERSION,
	    "site", gw->conf->site, NULL);
	metrics_family(out, "vmgw_start_time_seconds", "gauge",
	    "When this vmgwd started, seconds since the epoch.");
	metrics_u64(out, "vmgw_start_time_seconds", (uint64_t)gw->started_wall,
	    NULL);
	metrics_family(out, "vmgw_config_info", "gauge",
	    "Always 1: the running configuration's file and BLAKE2b hash.");
	metrics_u64(out, "vmgw_config_info", 1, "path", gw->conf->path,
	    "hash", hex, NULL);
	metrics_family(out, "vmgw_config_load_time_seconds", "gauge",
	    "When the running configuration was loaded.");
	metrics_u64(out, "vmgw_config_load_time_seconds",
	    (uint64_t)gw->conf_loaded_wall, NULL);
	metrics_family(out, "vmgw_config_reloads_total", "counter",
	    "Reloads (SIGHUP) by result.");
	metrics_u64(out, "vmgw_config_reloads_total", conf_reloads_ok,
	    "result", "applied", NULL);
	metrics_u64(out, "vmgw_config_reloads_total", conf_reloads_refused,
	    "result", "refused", NULL);
}

void
metrics_collect(struct gw *gw, struct evbuffer *out)
{
	size_t	 i;

	metrics_core(gw, out);
	for (i = 0; i < nmetrics_fns; i++)
		metrics_fns[i](gw, out);
}

/* ------------------------------------------------------------ server */

static enum MHD_Result
metrics_reply(struct MHD_Connection *c, unsigned status, const char *ctype,
    const void *body, size_t len)
{
	struct MHD_Response	*r;
	enum MHD_Result		 ret;

	if ((r = MHD_create_response_from_buffer(len, (void *)body,
	    MHD_RESPMEM_MUST_COPY)) == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
metrics_handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_len, void **req)
{
	static int		 seen;
	struct metrics_server	*s = cls;
	struct evbuffer		*out;
	enum MHD_Result		 ret;
	const char		*msg;

	if (*req == NULL) {	/* the headers: answer when the request is in */
		*req = &seen;
		return MHD_YES;
	}
	if (*upload_len != 0) {	/* a body: ignored */
		*upload_len = 0;
		return MHD_YES;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		msg = "only GET /metrics here\n";
		return metrics_reply(c, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "text/plain", msg, strlen(msg));
	}
	if (strcmp(url, "/metrics") != 0) {
		msg = "vmgwd: the metrics are at /metrics\n";
		return metrics_reply(c, MHD_HTTP_NOT_FOUND, "text/plain", msg,
		    strlen(msg));
	}
	if ((out = evbuffer_new()) == NULL)
		return MHD_NO;
	metrics_collect(s->gw, out);
	ret = metrics_reply(c, MHD_HTTP_OK, METRICS_CTYPE,
	    evbuffer_pullup(out, -1), evbuffer_get_length(out));
	evbuffer_free(out);
	return ret;
}

static void
metrics_arm(struct metrics_server *s)
{
	MHD_UNSIGNED_LONG_LONG	 ms;
	struct timeval		 tv;

	if (MHD_get_timeout(s->mhd, &ms) != MHD_YES) {
		evtimer_del(s->timer);
		return;
	}
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(s->timer, &tv);
}

static void
metrics_run(evutil_socket_t fd, short ev, void *arg)
{
	struct metrics_server	*s = arg;

	MHD_run(s->mhd);
	metrics_arm(s);
}

/* libmicrohttpd's own messages (printf-like, its format) */
static void	metrics_mhd_log(void *, const char *, va_list)
		    __attribute__((format(printf, 2, 0)));

static void
metrics_mhd_log(void *arg, const char *fmt, va_list ap)
{
	char	 msg[512];
	size_t	 n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_debug("metrics: %s", msg);
}

/* A listening socket on a (resolved now); -1 with err. */
static int
metrics_listen(const struct vmgw_addr *a, char *err, size_t errlen)
{
	struct addrinfo	 hints, *ai = NULL;
	char		 port[8];
	int		 fd = -1, one = 1, r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	snprintf(port, sizeof(port), "%u", a->port);
	if ((r = getaddrinfo(a->host, port, &hints, &ai)) != 0) {
		snprintf(err, errlen, "%s: %s", a->text, gai_strerror(r));
		return -1;
	}
	if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    listen(fd, METRICS_CONN_MAX) == -1) {
		snprintf(err, errlen, "%s: %s", a->text, strerror(errno));
		if (fd != -1)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

static void
metrics_stop(struct gw *gw)
{
	struct metrics_server	*s = gw->metrics;

	if (s == NULL)
		return;
	if (s->ev != NULL)
		event_free(s->ev);
	if (s->timer != NULL)
		event_free(s->timer);
	if (s->mhd != NULL)
		MHD_stop_daemon(s->mhd);	/* closes the listening socket */
	free(s);
	gw->metrics = NULL;
}

static int
metrics_start(struct gw *gw, const struct vmgw_addr *a)
{
	struct metrics_server	*s;
	const union MHD_DaemonInfo *di;
	char			 err[400];
	int			 fd;

	if ((fd = metrics_listen(a, err, sizeof(err))) == -1) {
		log_warnx("metrics: cannot listen on %s", err);
		return -1;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		close(fd);
		return -1;
	}
	s->gw = gw;
	snprintf(s->addr, sizeof(s->addr), "%s", a->text);
	gw->metrics = s;
	s->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL,
	    NULL, metrics_handler, s, MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_CONN_MAX,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_TIMEOUT,
	    MHD_OPTION_EXTERNAL_LOGGER, metrics_mhd_log, NULL,
	    MHD_OPTION_END);
	if (s->mhd == NULL) {
		log_warnx("metrics: %s: cannot start the HTTP server", a->text);
		close(fd);
		metrics_stop(gw);
		return -1;
	}
	if ((di = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_EPOLL_FD)) ==
	    NULL || (s->ev = event_new(gw->base, di->epoll_fd, EV_READ |
	    EV_PERSIST, metrics_run, s)) == NULL || (s->timer =
	    evtimer_new(gw->base, metrics_run, s)) == NULL ||
	    event_add(s->ev, NULL) == -1) {
		log_warnx("metrics: %s: cannot watch the HTTP server", a->text);
		metrics_stop(gw);
		return -1;
	}
	metrics_arm(s);
	log_info("metrics: serving http://%s/metrics", a->text);
	return 0;
}

int
metrics_init(struct gw *gw)
{
	if (reload_register(NULL, metrics_apply) == -1)
		return -1;
	if (!gw->conf->has_metrics)
		return 0;
	return metrics_start(gw, &gw->conf->metrics);
}

void
metrics_free(struct gw *gw)
{
	metrics_stop(gw);
}

/* A reload that moves, starts or stops the endpoint. */
static void
metrics_apply(struct gw *gw, const struct vmgw_config *old)
{
	const struct vmgw_config	*c = gw->conf;

	if (old->has_metrics == c->has_metrics && (!c->has_metrics ||
	    (addr_equal(&old->metrics, &c->metrics) &&
	    strcmp(old->metrics.text, c->metrics.text) == 0)))
		return;
	if (gw->metrics != NULL)
		log_info("metrics: no longer serving %s", gw->metrics->addr);
	metrics_stop(gw);
	if (c->has_metrics && metrics_start(gw, &c->metrics) == -1)
		log_warnx("metrics: %s: not served until the next reload",
		    c->metrics.text);
}
