/*
 * file.c - the files of a chain directory: plain file names and the paths
 * made of them, whole-file reads with a size cap, atomic replacement
 * (temp file, fsync, rename, fsync of the directory) and directory fsync,
 * plus the error formatter every drcore file uses.
 *
 * A chain directory holds only plain names (no '/', no "..", no hidden
 * files), so a name from a manifest can never point outside it.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drcore_int.h"

void
drc_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int
drc_file_name_ok(const char *name)
{
	size_t i, len = strlen(name);

	if (len == 0 || len > DRC_FILE_MAX || name[0] == '.')
		return 0;
	for (i = 0; i < len; i++)
		if (name[i] == '/' || (unsigned char)name[i] < 0x20 ||
		    name[i] == 0x7f)
			return 0;
	return 1;
}

int
drc_path(char *buf, const char *dir, const char *file, char *err,
    size_t errlen)
{
	int n;

	if (!drc_file_name_ok(file)) {
		drc_err(err, errlen, "%s: not a plain file name", file);
		return -1;
	}
	n = snprintf(buf, DRC_PATH_MAX, "%s/%s", dir, file);
	if (n < 0 || n >= DRC_PATH_MAX) {
		drc_err(err, errlen, "%s/%s: path too long", dir, file);
		return -1;
	}
	return 0;
}

int
drc_fsync_dir(const char *path, int is_dir, char *err, size_t errlen)
{
	char dir[DRC_PATH_MAX], *slash;
	int fd, ret;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir)) {
		drc_err(err, errlen, "%s: path too long", path);
		return -1;
	}
	if (!is_dir) {
		if ((slash = strrchr(dir, '/')) == NULL)
			snprintf(dir, sizeof(dir), ".");
		else if (slash == dir)
			dir[1] = '\0';
		else
			*slash = '\0';
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		drc_err(err, errlen, "%s: open directory: %s", dir,
		    strerror(errno));
		return -1;
	}
	ret = fsync(fd);
	if (ret == -1)
		drc_err(err, errlen, "%s: fsync directory: %s", dir,
		    strerror(errno));
	close(fd);
	return ret;
}

static int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
drc_write_atomic(const char *path, const void *buf, size_t len, char *err,
    size_t errlen)
{
	char tmp[DRC_PATH_MAX];
	int fd = -1, ret = -1;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >=
	    (int)sizeof(tmp)) {
		drc_err(err, errlen, "%s: path too long", path);
		return -1;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		drc_err(err, errlen, "%s: create temporary file: %s", path,
		    strerror(errno));
		return -1;
	}
	if (write_all(fd, buf, len) == -1 || fsync(fd) == -1) {
		drc_err(err, errlen, "%s: write: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		drc_err(err, errlen, "%s: close: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		drc_err(err, errlen, "%s: rename: %s", path, strerror(errno));
		goto out;
	}
	tmp[0] = '\0';		/* it is path now */
	ret = drc_fsync_dir(path, 0, err, errlen);
out:
	if (fd != -1)
		close(fd);
	if (tmp[0] != '\0')
		unlink(tmp);
	return ret;
}

int
drc_read_file(const char *path, size_t max, char **out, size_t *len,
    char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	ssize_t n;
	size_t got = 0;
	int fd, ret = -1, saved = 0;

	*out = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		saved = errno;
		drc_err(err, errlen, "%s: %s", path, strerror(errno));
		errno = saved;
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > max) {
		drc_err(err, errlen, "%s: not a regular file of at most %zu "
		    "bytes", path, max);
		goto out;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		drc_err(err, errlen, "%s: out of memory", path);
		goto out;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			drc_err(err, errlen, "%s: read: %s", path,
			    n == 0 ? "file shrank" : strerror(errno));
			goto out;
		}
		got += (size_t)n;
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	buf = NULL;
	ret = 0;
out:
	free(buf);
	close(fd);
	errno = 0;
	return ret;
}
