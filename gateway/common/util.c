/*
 * util.c - small helpers shared by the daemon and the CLI: clocks, human
 * readable sizes and times, directories, atomic file replacement.  No
 * libevent here: the CLI links this too (core/evutil.c has the daemon's).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "util.h"

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

int
mkdir_passable(const char *path, int levels)
{
	char		 buf[PATH_MAX], *slash;
	struct stat	 st;

	if (mkdir_p(path, 0711) == -1)
		return -1;
	snprintf(buf, sizeof(buf), "%s", path);
	while (levels-- > 0 && buf[0] != '\0') {
		if (stat(buf, &st) == -1)
			return -1;
		if (st.st_uid == geteuid() && (st.st_mode & 0711) != 0711 &&
		    chmod(buf, (st.st_mode & 07777) | 0711) == -1)
			return -1;
		if ((slash = strrchr(buf, '/')) == NULL || slash == buf)
			break;
		*slash = '\0';
	}
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
