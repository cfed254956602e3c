/*
 * log.h - logging for vmgwd: stderr with timestamps in the foreground (-d),
 * syslog (daemon facility) otherwise, and the systemd journal with fields
 * when the daemon runs under systemd.  As in OpenBSD's daemons, log_warn()
 * appends strerror(errno); fatal() is for broken invariants only.
 *
 * A log line about one peer, job or guest can say so: log_ctx_*() take a
 * struct log_ctx whose fields become VMGW_PEER=, VMGW_JOB= and VMGW_GUEST=
 * in the journal (`journalctl -u vmgwd VMGW_GUEST=web1`).  On stderr and
 * syslog they print exactly what log_*() print: the message only.
 */
#ifndef VMGW_LOG_H
#define VMGW_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <sys/uio.h>

#define LOG_FMT(a, b) __attribute__((format(printf, a, b)))

/* What a log line is about; any field may be NULL or "" (not sent). */
struct log_ctx {
	const char	*peer;		/* VMGW_PEER= */
	const char	*job;		/* VMGW_JOB= */
	const char	*guest;		/* VMGW_GUEST= */
};

void	log_init(int to_stderr, int verbose, const char *ident);
int	log_verbose(void);
void	log_warn(const char *, ...) LOG_FMT(1, 2);	/* + ": strerror(errno)" */
void	log_warnx(const char *, ...) LOG_FMT(1, 2);
void	log_info(const char *, ...) LOG_FMT(1, 2);
void	log_debug(const char *, ...) LOG_FMT(1, 2);	/* only with -v */
void	fatal(const char *, ...) LOG_FMT(1, 2) __attribute__((noreturn));
void	fatalx(const char *, ...) LOG_FMT(1, 2) __attribute__((noreturn));

void	log_ctx_warn(const struct log_ctx *, const char *, ...) LOG_FMT(2, 3);
void	log_ctx_warnx(const struct log_ctx *, const char *, ...) LOG_FMT(2, 3);
void	log_ctx_info(const struct log_ctx *, const char *, ...) LOG_FMT(2, 3);
void	log_ctx_debug(const struct log_ctx *, const char *, ...) LOG_FMT(2, 3);

/* Where the lines go: LOG_TO_STDERR, LOG_TO_SYSLOG or LOG_TO_JOURNAL. */
enum log_sink { LOG_TO_STDERR = 1, LOG_TO_SYSLOG, LOG_TO_JOURNAL };
enum log_sink log_sink(void);
/* 1 when fd is the stream systemd connected to the journal (JOURNAL_STREAM). */
int	log_fd_is_journal(int fd);

/*
 * One journal entry's fields, as sd_journal_sendv() takes them: MESSAGE=,
 * PRIORITY=, SYSLOG_IDENTIFIER= and the context's VMGW_* fields that are
 * set.  The strings live in f->buf.
 */
#define LOG_FIELDS_MAX	8
struct log_fields {
	struct iovec	 iov[LOG_FIELDS_MAX];
	int		 n;
	char		 buf[4096];
};
void	log_journal_fields(struct log_fields *, int pri, const char *ident,
	    const struct log_ctx *, const char *msg);

#endif /* VMGW_LOG_H */
