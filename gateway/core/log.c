/*
 * log.c - the daemon's log: stderr in the foreground, syslog otherwise, the
 * systemd journal (with the fields of a struct log_ctx) under systemd.
 *
 * Under systemd means: stderr is the journal's stream (JOURNAL_STREAM
 * names its device and inode, as systemd.exec(5) says to check), or the
 * daemon would use syslog on a host booted with systemd whose journal
 * socket is there.  An entry the journal refuses goes where it would have
 * gone without it.  Lines on stderr and syslog are the same as before
 * contexts existed: the context is only for the journal.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#include "log.h"

#define LOG_JOURNAL_SOCKET	"/run/systemd/journal/socket"

static int		 log_stderr = 1;
static int		 log_level_verbose;
static enum log_sink	 log_to = LOG_TO_STDERR;
static const char	*log_ident = "vmgwd";

int
log_fd_is_journal(int fd)
{
	const char		*e = getenv("JOURNAL_STREAM");
	unsigned long long	 dev, ino;
	struct stat		 st;

	if (e == NULL || sscanf(e, "%llu:%llu", &dev, &ino) != 2 ||
	    fstat(fd, &st) == -1)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
log_init(int to_stderr, int verbose, const char *ident)
{
	log_stderr = to_stderr;
	log_level_verbose = verbose;
	log_ident = ident;
	if (to_stderr)
		log_to = log_fd_is_journal(STDERR_FILENO) ? LOG_TO_JOURNAL :
		    LOG_TO_STDERR;
	else
		log_to = sd_booted() > 0 && access(LOG_JOURNAL_SOCKET, W_OK) ==
		    0 ? LOG_TO_JOURNAL : LOG_TO_SYSLOG;
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	tzset();
}

int
log_verbose(void)
{
	return log_level_verbose;
}

enum log_sink
log_sink(void)
{
	return log_to;
}

/* Append "NAME=value" to f (cut to what fits); nothing for an empty value. */
static void
log_field(struct log_fields *f, size_t *used, const char *name,
    const char *value)
{
	size_t	 room = sizeof(f->buf) - *used;
	int	 n;

	if (value == NULL || value[0] == '\0' || f->n == LOG_FIELDS_MAX ||
	    room < 2)
		return;
	n = snprintf(f->buf + *used, room, "%s=%s", name, value);
	if (n < 0)
		return;
	if ((size_t)n >= room)
		n = (int)room - 1;
	f->iov[f->n].iov_base = f->buf + *used;
	f->iov[f->n].iov_len = (size_t)n;
	f->n++;
	*used += (size_t)n + 1;
}

void
log_journal_fields(struct log_fields *f, int pri, const char *ident,
    const struct log_ctx *ctx, const char *msg)
{
	char	 p[4];
	size_t	 used = 0;

	f->n = 0;
	snprintf(p, sizeof(p), "%d", pri & 7);
	/* the message first: it is the one field never to lose to the cut */
	log_field(f, &used, "MESSAGE", msg[0] != '\0' ? msg : "-");
	log_field(f, &used, "PRIORITY", p);
	log_field(f, &used, "SYSLOG_IDENTIFIER", ident);
	if (ctx == NULL)
		return;
	log_field(f, &used, "VMGW_PEER", ctx->peer);
	log_field(f, &used, "VMGW_JOB", ctx->job);
	log_field(f, &used, "VMGW_GUEST", ctx->guest);
}

static void	vlog(int, const struct log_ctx *, const char *, va_list,
		    const char *) __attribute__((format(printf, 3, 0)));

static void
vlog(int pri, const struct log_ctx *ctx, const char *fmt, va_list ap,
    const char *suffix)
{
	char			 msg[2048], line[2400];
	struct log_fields	 f;
	struct timeval		 tv;
	struct tm		 tm;
	char			 ts[32];
	int			 saved = errno;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	snprintf(line, sizeof(line), "%s%s%s", msg, suffix ? ": " : "",
	    suffix ? suffix : "");
	if (log_to == LOG_TO_JOURNAL) {
		log_journal_fields(&f, pri, log_ident, ctx, line);
		if (sd_journal_sendv(f.iov, f.n) >= 0) {
			errno = saved;
			return;
		}
	}
	if (log_stderr) {
		gettimeofday(&tv, NULL);
		localtime_r(&tv.tv_sec, &tm);
		strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ld %s\n", ts, (long)tv.tv_usec / 1000,
		    line);
		fflush(stderr);
	} else
		syslog(pri, "%s", line);
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	char	 e[256];

	snprintf(e, sizeof(e), "%s", strerror(errno));
	va_start(ap, fmt);
	vlog(LOG_WARNING, NULL, fmt, ap, e);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, NULL, fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, NULL, fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (!log_level_verbose)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, NULL, fmt, ap, NULL);
	va_end(ap);
}

void
log_ctx_warn(const struct log_ctx *ctx, const char *fmt, ...)
{
	va_list	 ap;
	char	 e[256];

	snprintf(e, sizeof(e), "%s", strerror(errno));
	va_start(ap, fmt);
	vlog(LOG_WARNING, ctx, fmt, ap, e);
	va_end(ap);
}

void
log_ctx_warnx(const struct log_ctx *ctx, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, ctx, fmt, ap, NULL);
	va_end(ap);
}

void
log_ctx_info(const struct log_ctx *ctx, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, ctx, fmt, ap, NULL);
	va_end(ap);
}

void
log_ctx_debug(const struct log_ctx *ctx, const char *fmt, ...)
{
	va_list	 ap;

	if (!log_level_verbose)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, ctx, fmt, ap, NULL);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	char	 e[256];

	snprintf(e, sizeof(e), "%s", strerror(errno));
	va_start(ap, fmt);
	vlog(LOG_CRIT, NULL, fmt, ap, e);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, NULL, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
