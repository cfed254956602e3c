/*
 * log.h - logging for vmgwd: stderr with timestamps in the foreground (-d),
 * syslog (daemon facility) otherwise.  As in OpenBSD's daemons, log_warn()
 * appends strerror(errno); fatal() is for broken invariants only.
 */
#ifndef VMGW_LOG_H
#define VMGW_LOG_H

#include <stdarg.h>

#define LOG_FMT(a, b) __attribute__((format(printf, a, b)))

void	log_init(int to_stderr, int verbose, const char *ident);
int	log_verbose(void);
void	log_warn(const char *, ...) LOG_FMT(1, 2);	/* + ": strerror(errno)" */
void	log_warnx(const char *, ...) LOG_FMT(1, 2);
void	log_info(const char *, ...) LOG_FMT(1, 2);
void	log_debug(const char *, ...) LOG_FMT(1, 2);	/* only with -v */
void	fatal(const char *, ...) LOG_FMT(1, 2) __attribute__((noreturn));
void	fatalx(const char *, ...) LOG_FMT(1, 2) __attribute__((noreturn));

#endif /* VMGW_LOG_H */
