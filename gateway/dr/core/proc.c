/*
 * proc.c - the programs drcore runs (qemu-img, qemu-nbd): posix_spawnp,
 * never a shell, stdin and stdout on /dev/null, stderr into an unlinked
 * temporary file so that a chatty child can never block on a full pipe,
 * and that file's text put into the caller's message when it fails.
 *
 * Descriptors are opened O_CLOEXEC, so children started at the same time
 * by other threads do not inherit each other's files.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "drcore_int.h"

extern char **environ;

#define STOP_TERM_MS	2000	/* after SIGTERM, before SIGKILL */

static int
tmp_fd(void)
{
	char path[] = "/tmp/vmgw-drc-XXXXXX";
	int fd;

	if ((fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) != -1)
		return fd;
	if ((fd = mkostemp(path, O_CLOEXEC)) != -1)
		unlink(path);
	return fd;
}

int
drc_spawn(const char *const argv[], pid_t *pid, int *errfd, char *err,
    size_t errlen)
{
	posix_spawn_file_actions_t fa;
	int fd, rc;

	*pid = -1;
	*errfd = -1;
	if ((fd = tmp_fd()) == -1) {
		drc_err(err, errlen, "%s: temporary file: %s", argv[0],
		    strerror(errno));
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fd, 2);
	rc = posix_spawnp(pid, argv[0], &fa, NULL, (char *const *)argv,
	    environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		drc_err(err, errlen, "cannot run %s: %s", argv[0],
		    strerror(rc));
		close(fd);
		*pid = -1;
		return -1;
	}
	*errfd = fd;
	return 0;
}

/* The child's stderr, lines joined with "; ", into msg. */
static void
read_stderr(int fd, char *msg, size_t msglen)
{
	char raw[512];
	ssize_t n;
	size_t i, o = 0;

	msg[0] = '\0';
	if ((n = pread(fd, raw, sizeof(raw) - 1, 0)) <= 0)
		return;
	while (n > 0 && (raw[n - 1] == '\n' || raw[n - 1] == ' '))
		n--;
	for (i = 0; i < (size_t)n && o + 3 < msglen; i++) {
		if (raw[i] == '\n') {
			msg[o++] = ';';
			msg[o++] = ' ';
		} else
			msg[o++] = (unsigned char)raw[i] < 0x20 ? ' ' : raw[i];
	}
	msg[o] = '\0';
}

/* Exit status, or -1 with msg saying how the child died; what names the
 * program in messages without stderr text (NULL: "exited 1"). */
static int
status_of(const char *what, int st, int fd, char *msg, size_t msglen)
{
	char text[512];
	const char *sp = what != NULL ? " " : "";

	if (what == NULL)
		what = "";
	read_stderr(fd, text, sizeof(text));
	if (WIFEXITED(st)) {
		if (WEXITSTATUS(st) != 0 && text[0] == '\0')
			drc_err(msg, msglen, "%s%sexited %d", what, sp,
			    WEXITSTATUS(st));
		else
			drc_err(msg, msglen, "%s", text);
		return WEXITSTATUS(st);
	}
	drc_err(msg, msglen, "%s%skilled by signal %d%s%s", what, sp,
	    WTERMSIG(st), text[0] ? ": " : "", text);
	return -1;
}

int
drc_exited(pid_t pid, int *status)
{
	pid_t r;

	while ((r = waitpid(pid, status, WNOHANG)) == -1 && errno == EINTR)
		;
	return r == pid;
}

static int
wait_ms(pid_t pid, int *st, int ms)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int waited;

	for (waited = 0; waited <= ms; waited += 10) {
		if (drc_exited(pid, st))
			return 1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

int
drc_reap(pid_t pid, int errfd, int timeout_ms, const int *done, char *msg,
    size_t msglen)
{
	int st = 0, ret;

	if (done != NULL)
		st = *done;
	else if (!wait_ms(pid, &st, timeout_ms)) {
		kill(pid, SIGTERM);
		if (!wait_ms(pid, &st, STOP_TERM_MS)) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
				;
		}
	}
	ret = status_of(NULL, st, errfd, msg, msglen);
	close(errfd);
	return ret;
}

int
drc_run(const char *const argv[], char *msg, size_t msglen)
{
	int fd, st, ret;
	pid_t pid;

	if (drc_spawn(argv, &pid, &fd, msg, msglen) == -1)
		return -1;
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR) {
			drc_err(msg, msglen, "%s: wait: %s", argv[0],
			    strerror(errno));
			close(fd);
			return -1;
		}
	ret = status_of(argv[0], st, fd, msg, msglen);
	close(fd);
	return ret;
}

int
drc_run_out(const char *const argv[], char **out, size_t max, char *msg,
    size_t msglen)
{
	posix_spawn_file_actions_t fa;
	int efd, ofd, rc, st, ret;
	pid_t pid;
	struct stat sb;
	char *buf;
	ssize_t n;
	size_t len = 0;

	*out = NULL;
	if ((efd = tmp_fd()) == -1 || (ofd = tmp_fd()) == -1) {
		drc_err(msg, msglen, "%s: temporary file: %s", argv[0],
		    strerror(errno));
		if (efd != -1)
			close(efd);
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, ofd, 1);
	posix_spawn_file_actions_adddup2(&fa, efd, 2);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv,
	    environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		drc_err(msg, msglen, "cannot run %s: %s", argv[0],
		    strerror(rc));
		close(efd);
		close(ofd);
		return -1;
	}
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR) {
			drc_err(msg, msglen, "%s: wait: %s", argv[0],
			    strerror(errno));
			close(efd);
			close(ofd);
			return -1;
		}
	ret = status_of(argv[0], st, efd, msg, msglen);
	close(efd);
	if (ret != 0) {
		close(ofd);
		return ret;
	}
	if (fstat(ofd, &sb) == -1 || (size_t)sb.st_size > max) {
		drc_err(msg, msglen, "%s: output of %lld bytes (at most %zu)",
		    argv[0], (long long)sb.st_size, max);
		close(ofd);
		return -1;
	}
	if ((buf = malloc((size_t)sb.st_size + 1)) == NULL) {
		drc_err(msg, msglen, "out of memory");
		close(ofd);
		return -1;
	}
	while (len < (size_t)sb.st_size && (n = pread(ofd, buf + len,
	    (size_t)sb.st_size - len, (off_t)len)) > 0)
		len += (size_t)n;
	close(ofd);
	buf[len] = '\0';
	*out = buf;
	return 0;
}
