/*
 * util.c - small helpers shared by the daemon and the CLI: clocks, human
 * readable sizes and times, directories, atomic file replacement.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/uio.h>
#include <sys/stat.h>

#include "vmgwd.h"

time_t
mono_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

uint64_t
mono_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void
fmt_bytes(char *out, size_t outlen, uint64_t bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double		 v = (double)bytes;
	size_t		 u = 0;

	while (v >= 1024.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024.0;
		u++;
	}
	if (u == 0)
		snprintf(out, outlen, "%llu B", (unsigned long long)bytes);
	else
		snprintf(out, outlen, "%.1f %s", v, units[u]);
}

void
fmt_time(char *out, size_t outlen, time_t wall)
{
	struct tm	 tm;

	if (wall == 0) {
		snprintf(out, outlen, "never");
		return;
	}
	localtime_r(&wall, &tm);
	strftime(out, outlen, "%Y-%m-%d %H:%M:%S", &tm);
}

int
set_nonblock_cloexec(int fd)
{
	int	 fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		return -1;
	if ((fl = fcntl(fd, F_GETFD)) == -1 ||
	    fcntl(fd, F_SETFD, fl | FD_CLOEXEC) == -1)
		return -1;
	return 0;
}

int
mkdir_p(const char *path, mode_t mode)
{
	char	 buf[PATH_MAX];
	char	*p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) == -1 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, mode) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

/* Write a file so that readers see the old or the new content, never half. */
int
write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char		 tmp[PATH_MAX];
	const char	*p = data;
	int		 fd, ret = -1, saved;
	ssize_t		 n;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >=
	    (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, mode)) == -1)
		return -1;
	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) == -1)
		goto out;
	if (close(fd) == -1) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto out;
	ret = 0;
 out:
	saved = errno;
	if (fd != -1)
		close(fd);
	if (ret == -1)
		unlink(tmp);
	errno = saved;
	return ret;
}

/*
 * Read up to max bytes from fd into buf in one readv.  libevent 2.1's own
 * evbuffer_read() moves at most 4096 bytes a call (EVBUFFER_MAX_READ), and
 * on hosts where a system call costs more than copying 64 KiB that alone
 * caps a stream at a few hundred MB/s.  Returns bytes read, 0 at EOF, -1
 * with errno (EAGAIN when nothing is there).
 */
ssize_t
sock_read(evutil_socket_t fd, struct evbuffer *buf, size_t max)
{
	struct evbuffer_iovec	 v[2];
	struct iovec		 iov[2];
	int			 n, i;
	ssize_t			 r;
	size_t			 left;

	if ((n = evbuffer_reserve_space(buf, (ev_ssize_t)max, v, 2)) <= 0)
		return -1;
	for (i = 0; i < n; i++) {
		iov[i].iov_base = v[i].iov_base;
		iov[i].iov_len = v[i].iov_len;
	}
	do
		r = readv(fd, iov, n);
	while (r == -1 && errno == EINTR);
	if (r <= 0) {
		v[0].iov_len = 0;
		evbuffer_commit_space(buf, v, 1);
		return r;
	}
	for (i = 0, left = (size_t)r; i < n; i++) {
		if (v[i].iov_len > left)
			v[i].iov_len = left;
		left -= v[i].iov_len;
	}
	evbuffer_commit_space(buf, v, n);
	return r;
}

struct evconnlistener *
listen_tcp(struct event_base *base, const struct vmgw_addr *a,
    evconnlistener_cb cb, void *arg, int backlog, char *err, size_t errlen)
{
	struct evutil_addrinfo	 hints, *ai = NULL;
	struct evconnlistener	*l;
	char			 port[8];
	int			 r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = EVUTIL_AI_PASSIVE;
	snprintf(port, sizeof(port), "%u", a->port);
	if ((r = evutil_getaddrinfo(a->host, port, &hints, &ai)) != 0) {
		snprintf(err, errlen, "listen %s: %s", a->text,
		    evutil_gai_strerror(r));
		return NULL;
	}
	l = evconnlistener_new_bind(base, cb, arg, LEV_OPT_CLOSE_ON_FREE |
	    LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE, backlog, ai->ai_addr,
	    (int)ai->ai_addrlen);
	evutil_freeaddrinfo(ai);
	if (l == NULL)
		snprintf(err, errlen, "listen %s: %s", a->text, strerror(errno));
	return l;
}
